"""Sphinx extension: the book's interactive explorers on the site.

Loaded by _config.yml (``sphinx: local_extensions``).

* Pages that show an explorer load the site's own Vega, Vega-Lite and
  vega-embed (``_static/vega/``, fetched from the npm registry by
  ``make vega``); other pages load nothing more. An explorer comes
  from a notebook output (rendered by MyST-NB through
  ``causalbook.explorer_site.MystNbPlugin``) or from the directive below.
* The ``{explorer}`` directive puts an explorer into a Markdown page (the
  intro's opening picture), built from ``causalbook.exact`` when the page is
  built::

      ```{explorer} seeing-vs-doing
      :compact:
      ```

The build stops with a clear message when the Vega files are missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from causalbook.explorer_site import MARKER, SCRIPTS, STATIC_DIR

#: The explorers the directive knows, by the name it is given.
FACTORIES = {
    "seeing-vs-doing": "seeing_vs_doing",
    "intervening-on-y": "intervening_on_y",
}


class ExplorerDirective(SphinxDirective):
    """``{explorer} NAME``: an explorer of ``causalbook.explorers``.

    Options: ``:compact:`` (shorter plots, explorer A only) and
    ``:start:`` (the slider's first value).
    """

    required_arguments = 1
    option_spec = {"compact": directives.flag, "start": float}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in FACTORIES:
            raise self.error(
                f"unknown explorer {name!r}; known: {sorted(FACTORIES)}"
            )
        from causalbook import exact, explorer_site, explorers

        # rebuild this page when the explorers or the exact answers change
        for module in (explorers, explorer_site, exact):
            self.env.note_dependency(str(Path(module.__file__).resolve()))
        kwargs: dict[str, Any] = {}
        if "start" in self.options:
            kwargs["start"] = self.options["start"]
        if "compact" in self.options:
            if name != "seeing-vs-doing":
                raise self.error(":compact: is for seeing-vs-doing only")
            kwargs["compact"] = True
        try:
            explorer = getattr(explorers, FACTORIES[name])(**kwargs)
        except ValueError as err:
            raise self.error(f"explorer {name!r}: {err}") from err
        return [
            nodes.raw("", explorer.to_html(), format="html"),
        ]


def check_vendored(app: Sphinx) -> None:
    """Stop the build if the site's Vega files are missing."""
    if app.builder.format != "html":
        return
    static = [Path(app.confdir, p) for p in app.config.html_static_path]
    for script in SCRIPTS:
        if not any((d / STATIC_DIR / script).is_file() for d in static):
            raise ExtensionError(
                f"{STATIC_DIR}/{script} is in none of html_static_path "
                f"{app.config.html_static_path}: run `make vega` (make book "
                "does it), which fetches Vega from the npm registry"
            )


def load_vega(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """On a page that shows an explorer, load Vega (this page only)."""
    if MARKER not in context.get("body", ""):
        return
    for script in SCRIPTS:
        # The builder's list is restored after each page. Loaded in order,
        # not deferred: with deferred Vega scripts, Chromium often never
        # reports the page's network as idle (which the browser tests wait
        # for); local files, so the wait is short.
        app.builder.add_js_file(f"{STATIC_DIR}/{script}")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("explorer", ExplorerDirective)
    app.connect("builder-inited", check_vendored)
    app.connect("html-page-context", load_vega)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
