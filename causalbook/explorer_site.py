"""The explorers on the book's site: HTML that runs on the site's own Vega.

An explorer (:mod:`causalbook.explorers`) is a Vega-Lite chart whose slider
is a Vega-Lite parameter, so the page redraws it without a kernel. Altair's
own HTML output loads Vega from a CDN; the book's site must work offline, so
the site renders explorers with :func:`render_html` instead, whose HTML uses
the copies of Vega, Vega-Lite and vega-embed that the site serves itself
(``make vega`` fetches them from the npm registry into ``_vendor/vega/``,
which the build copies to ``_static/vega/``; ``_ext/explorers.py`` loads them
on the pages that show an explorer, and only there).

Two ways in:

* a notebook cell that shows an explorer outputs, besides Altair's usual
  HTML (for JupyterLab and Colab), the data of :data:`MIME_TYPE`; MyST-NB
  renders it with :class:`MystNbPlugin` (registered in ``pyproject.toml``
  under the entry point group ``myst_nb.mime_renderers``);
* a Markdown page uses the ``{explorer}`` directive of ``_ext/explorers.py``.

This module imports nothing heavy: MyST-NB loads it at every build.

Example:
    >>> html = render_html({
    ...     "name": "explorer-demo", "title": "A demo",
    ...     "description": "A point at 1.",
    ...     "spec": {"mark": "point", "data": {"values": [{"a": 1}]}},
    ... })
    >>> MARKER in html, 'id="explorer-demo"' in html
    (True, True)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "MIME_TYPE",
    "MARKER",
    "STATIC_DIR",
    "SCRIPTS",
    "render_html",
    "MystNbPlugin",
]

#: The output type of an explorer in a notebook: a JSON object with the
#: explorer's ``name``, ``title``, ``description`` and Vega-Lite ``spec``.
MIME_TYPE = "application/vnd.causalbook.explorer.v1+json"
#: Where the site serves Vega from, under ``_static/``.
STATIC_DIR = "vega"
#: The scripts an explorer needs, in loading order (vega-embed needs the
#: other two).
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
#: A string found in a page's HTML exactly when it shows an explorer.
MARKER = 'class="cb-explorer"'

_NAME = re.compile(r"explorer-[a-z0-9-]+")

# vega-embed options: SVG (crisp in print, its text readable by screen
# readers and by the tests), no export menu (it links to an online editor).
_EMBED_OPTIONS = {"renderer": "svg", "actions": False}

# Light card in both themes, as the book's matplotlib figures are; the
# slider above the chart; the whole explorer scales down on narrow windows.
_STYLE = """
.cb-explorer{background:#fff;color:#222;color-scheme:light;
 border:1px solid #c8c8c8;border-radius:6px;padding:.75rem;
 margin:1.25rem 0;max-width:100%;overflow-x:auto;break-inside:avoid}
.cb-explorer figcaption{color:#222;font-size:.9rem;font-weight:400;
 text-align:left;
 margin:0 0 .5rem}
.cb-explorer .cb-explorer-view{display:flex;flex-direction:column}
.cb-explorer .vega-bindings{order:-1;margin:0 0 .5rem;font-size:.9rem}
.cb-explorer .vega-bind label{display:flex;flex-wrap:wrap;
 align-items:center;gap:.5rem;margin:.2rem 0}
.cb-explorer input[type=range]{width:min(18rem,60vw);accent-color:#0072B2}
.cb-explorer svg{max-width:100%;height:auto}
.cb-explorer .cb-explorer-text{position:absolute;width:1px;height:1px;
 overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
"""

# Finds the figure it sits in, and draws the chart with vega-embed once the
# page (with its Vega scripts) is loaded. No number lives here:
# everything the chart shows is in the spec.
_BOOT = """(function (figure) {
  function show() {
    var view = figure.querySelector(".cb-explorer-view");
    if (typeof vegaEmbed !== "function") {
      view.textContent = "The interactive figure could not start: " +
        "the site's Vega scripts (_static/%(dir)s/) did not load.";
      console.error("causalbook explorer: vegaEmbed is not loaded");
      return;
    }
    var spec = JSON.parse(
      figure.querySelector("script.cb-explorer-spec").textContent);
    vegaEmbed(view, spec, %(options)s).then(function (result) {
      figure.explorerView = result.view;
      figure.dataset.ready = "true";
    }).catch(function (error) {
      view.textContent = "The interactive figure failed: " + error;
      console.error(error);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})(document.currentScript.closest("figure"));"""


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render_html(payload: Mapping[str, Any]) -> str:
    """The HTML of one explorer on the site.

    Args:
        payload: the explorer's :data:`MIME_TYPE` data: ``name`` (the HTML
            id, ``explorer-...``), ``title`` (shown above it),
            ``description`` (its text alternative) and ``spec`` (the
            Vega-Lite specification, a dict).

    Returns:
        A ``<figure>`` with the title as caption, a visually hidden text
        alternative that screen readers announce with the figure, the spec,
        and a short script that draws it with the site's vega-embed.

    Raises:
        ValueError: when a field is missing or malformed.

    Example:
        >>> render_html({"name": "explorer-demo", "title": "T",
        ...              "description": "", "spec": {}})
        Traceback (most recent call last):
        ...
        ValueError: an explorer needs a description (its text alternative)
    """
    missing = {"name", "title", "description", "spec"} - set(payload)
    if missing:
        raise ValueError(f"explorer data without {sorted(missing)}")
    name = payload["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"explorer name {name!r} is not of the form 'explorer-a-z0-9-'"
        )
    for field in ("title", "description"):
        if not isinstance(payload[field], str) or not payload[field].strip():
            what = (
                "a description (its text alternative)"
                if field == "description"
                else "a title"
            )
            raise ValueError(f"an explorer needs {what}")
    if not isinstance(payload["spec"], Mapping) or not payload["spec"]:
        raise ValueError("an explorer needs a Vega-Lite spec (a dict)")
    boot = _BOOT % {
        "dir": STATIC_DIR,
        "options": json.dumps(_EMBED_OPTIONS),
    }
    return (
        f"<style>{_STYLE.strip()}</style>\n"
        f'<figure {MARKER} id="{name}" aria-describedby="{name}-text">\n'
        f"<figcaption>{html.escape(payload['title'])}</figcaption>\n"
        '<div class="cb-explorer-view"></div>\n'
        f'<p class="cb-explorer-text" id="{name}-text">'
        f"{html.escape(payload['description'])}</p>\n"
        '<script type="application/json" class="cb-explorer-spec">'
        f"{_script_json(payload['spec'])}</script>\n"
        f"<script>{boot}</script>\n"
        "</figure>"
    )


class MystNbPlugin:
    """MyST-NB renders a notebook's explorer output with :func:`render_html`.

    Registered as an entry point of the group ``myst_nb.mime_renderers``
    (``pyproject.toml``). For the HTML builders, :data:`MIME_TYPE` comes
    first, ahead of ``text/html`` (Altair's HTML, which loads Vega from a
    CDN); other builders fall back to ``text/plain``, the explorer's text
    alternative.
    """

    mime_priority_overrides: ClassVar[list[tuple[str, str, int]]] = [
        (builder, MIME_TYPE, 1)
        for builder in ("html", "dirhtml", "singlehtml")
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list | None:
        """Nodes for an explorer output; ``None`` for any other output."""
        if data.mime_type != MIME_TYPE:
            return None
        from docutils import nodes

        # Sphinx re-reads the page when this module changes
        document = getattr(
            getattr(renderer, "renderer", None), "document", None
        )
        env = getattr(getattr(document, "settings", None), "env", None)
        if env is not None:
            env.note_dependency(__file__)
        payload = data.content
        if isinstance(payload, str | bytes):
            payload = json.loads(payload)
        return [
            nodes.raw(
                text=render_html(payload),
                format="html",
                classes=["output", "cb-explorer-output"],
            )
        ]
