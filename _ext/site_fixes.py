"""Small fixes to the built site.

Loaded by _config.yml (``sphinx: local_extensions``).

Sphinx 7.4 (pinned by Jupyter Book 1) writes an inline script twice when an
extension adds it after the builder started (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector): once as
registered, once re-read from the registry with its empty file name spelled
differently. The second ``const`` declaration is a JavaScript error on every
page, which the browser tests (tests/test_site.py) catch. Here each page's
scripts are de-duplicated.
"""

from __future__ import annotations

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


def setup(app):
    # after every other handler (sphinx.ext.mathjax adds its scripts in
    # html-page-context too)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
