"""Small fixes to the built site.

Loaded by _config.yml (``sphinx: local_extensions``).

Sphinx 7.4 (pinned by Jupyter Book 1) writes an inline script twice when an
extension adds it after the builder started (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector): once as
registered, once re-read from the registry with its empty file name spelled
differently. The second ``const`` declaration is a JavaScript error on every
page, which the browser tests (tests/test_site.py) catch. Here each page's
scripts are de-duplicated.

The written pages are then made accessible where the theme and its
extensions are not (axe-core's findings, tests/test_accessibility.py): see
``HTML_FIXES``. The fixes rewrite each built page once the build has finished
(``build-finished``); each is a no-op on a page it has already fixed.

Sphinx writes nothing, not even the static files, when no page changed, so
an edit of the site's own styles (``_styles/``) or of these fixes alone would
never reach the built site: such an edit marks every page as changed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any


def _script_key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (
        getattr(script, "filename", script) or "",
        getattr(script, "priority", 500),
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical scripts in the page's ``script_files``."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


#: Empty content of a table header cell: spaces, ``&nbsp;``, an empty <p>.
_EMPTY_CELL = r"(?:\s|&nbsp;|&#160;|\xa0|<p>\s*</p>)*"

#: (what is wrong, pattern, replacement), applied in this order to every page.
HTML_FIXES: list[tuple[str, re.Pattern[str], str]] = [
    (
        # docutils' citations: role="list" around entries with the deprecated
        # role doc-biblioentry, which is not a list item (axe: a critical
        # aria-required-children, and aria-deprecated-role).
        "bibliography entries are not list items",
        re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"'),
        r'\1 role="listitem"',
    ),
    (
        # The theme's search field reads "Search Ctrl+K" but is named
        # "Search": a speech-input user saying what they see misses it
        # (axe: label-content-name-mismatch). Without the label its name is
        # its visible text.
        "search button named differently from its visible text",
        re.compile(
            r"(<button\b[^>]*\bsearch-button-field\b[^>]*?)"
            r'\s+aria-label="[^"]*"'
        ),
        r"\1",
    ),
    (
        # The colour-mode button is named "Color mode"; its three icons carry
        # titles (Light, Dark, System Settings), which Font Awesome turns into
        # SVG <title>s that count as the button's text. The icons are
        # decoration: hidden from assistive technology, without titles.
        "colour-mode icons read as the button's text",
        re.compile(r'<i class="(theme-switch [^"]*)"([^>]*?) title="[^"]*"'),
        r'<i aria-hidden="true" class="\1"\2',
    ),
    (
        # MyST-NB's hidden-code cells: a <summary> that shows "Show code cell
        # source" but is named "Toggle hidden content". Without the label its
        # name is the text it shows.
        "hidden-code toggles named differently from their visible text",
        re.compile(r'<summary aria-label="Toggle hidden content">'),
        "<summary>",
    ),
    (
        # An empty header cell (a table's blank corner, pandas' index-name
        # row, a Markdown table's empty heading) heads nothing: a data cell
        # (axe: empty-table-header).
        "empty table header cells",
        re.compile(rf"<th(\s[^>]*)?>({_EMPTY_CELL})</th>"),
        r"<td\1>\2</td>",
    ),
    (
        # The book's title at the top of the left sidebar is outside every
        # landmark (axe: region); the sidebar, which also holds the search
        # field and the table of contents, becomes the book's navigation.
        "left sidebar outside every landmark",
        re.compile(r'(<div id="pst-primary-sidebar"(?![^>]*\srole=)[^>]*)>'),
        r'\1 role="navigation" aria-label="Book">',
    ),
]


def fix_html(html: str) -> str:
    """The page with every fix of ``HTML_FIXES`` applied.

    >>> fix_html('<th class="blank level0">&nbsp;</th><th>x</th>')
    '<td class="blank level0">&nbsp;</td><th>x</th>'
    >>> fix_html('<div class="citation" id="id3" role="doc-biblioentry">')
    '<div class="citation" id="id3" role="listitem">'
    >>> once = fix_html('<div id="pst-primary-sidebar" class="x">')
    >>> once.removeprefix('<div id="pst-primary-sidebar" class="x" ')
    'role="navigation" aria-label="Book">'
    >>> fix_html(once) == once  # a page already fixed is left as it is
    True
    """
    for _, pattern, replacement in HTML_FIXES:
        html = pattern.sub(replacement, html)
    return html


def fix_written_pages(app, exception) -> None:
    """Apply :func:`fix_html` to every page the HTML builder wrote."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for path in out.rglob("*.html"):
        if path.relative_to(out).parts[0] in ("_static", "_sources"):
            continue
        text = path.read_text(encoding="utf-8")
        fixed = fix_html(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


def files_digest(*roots: Path) -> str:
    """A digest of the files ``roots`` are or hold (names and contents).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "book.css").write_text("pre {}")
    ...     before = files_digest(Path(d))
    ...     _ = (Path(d) / "book.css").write_text("pre {font-size: 1rem}")
    ...     before == files_digest(Path(d))
    False
    """
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else root.rglob("*")
        for path in sorted(p for p in files if p.is_file()):
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def restyle_all_pages(app, env, added, changed, removed) -> list[str]:
    """Every page, when the site's own static files or this extension changed
    since the last build (so that the files are copied, every page links
    their new version and goes through the fixes as they are now).
    """
    digest = files_digest(Path(app.srcdir) / "_styles", Path(__file__))
    if getattr(env, "site_static_digest", None) == digest:
        return []
    env.site_static_digest = digest
    return sorted(env.found_docs - removed)


def setup(app):
    # after every other handler (sphinx.ext.mathjax adds its scripts in
    # html-page-context too)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("build-finished", fix_written_pages)
    app.connect("env-get-outdated", restyle_all_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
