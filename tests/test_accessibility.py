"""Every page passes axe-core's checks, in light and in dark mode.

axe-core (``make axe`` fetches it from the npm registry into the git-ignored
``_vendor_tests/``; the site itself never loads it) is injected into each
page of the table of contents, opened as in test_site.py at a 1280-px window
with the reader's system asking for light or dark colours, and with every
collapsed part opened (hidden code cells, solutions) so that all the text,
highlighted code included, is checked. It runs the WCAG 2.0, 2.1 and 2.2 A
and AA rules and its best practices; the test fails on any violation, of any
impact, and names it.

What the theme and its extensions get wrong is fixed in the written pages by
``_ext/site_fixes.py`` (``HTML_FIXES``); the tests without a browser check
that every page of the built sites went through it.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
from pathlib import Path

import pytest
from conftest import BUILD, PAGES, ROOT
from test_layout import OPEN_EVERYTHING

pytestmark = pytest.mark.book

AXE = ROOT / "_vendor_tests" / "axe-core" / "axe.min.js"
#: axe-core's rule sets: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its
#: best practices.
TAGS = [
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22aa",
    "best-practice",
]
SITES = {
    "book": BUILD / "html",
    "student edition": Path(
        os.environ.get("STUDENT_BUILD_DIR", BUILD / "student" / "_build")
    )
    / "html",
}


def load_site_fixes():
    spec = importlib.util.spec_from_file_location(
        "site_fixes", ROOT / "_ext" / "site_fixes.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


site_fixes = load_site_fixes()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(
            f"{AXE} is missing: `make axe` fetches axe-core from the npm "
            "registry (`make test` does it)"
        )
    return AXE.read_text(encoding="utf-8")


RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, elementRef: true,
  });
  const violations = result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(' '), summary: n.failureSummary,
    })),
  }));
  // highlighted code whose colour contrast axe measured and found sufficient
  const contrast = result.passes.find(p => p.id === 'color-contrast');
  const code = contrast ? contrast.nodes.filter(
    n => n.element && n.element.closest('div.highlight')).length : 0;
  return {violations, code};
}"""


def describe(violation: dict) -> str:
    first = violation["nodes"][0]
    summary = " ".join(first["summary"].split())
    return (
        f"{violation['impact']} {violation['id']} ({violation['help']}): "
        f"{len(violation['nodes'])} element(s), e.g. {first['target']}: "
        f"{summary}"
    )


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(open_page, axe_source, path, mode):
    page = open_page(path, color_scheme=mode).page
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme == mode, f"the page shows {theme} colours, not {mode}"
    page.evaluate(OPEN_EVERYTHING)
    page.add_script_tag(content=axe_source)
    result = page.evaluate(RUN_AXE, TAGS)
    assert not result["violations"], f"{path} in {mode} mode:\n" + "\n".join(
        map(describe, result["violations"])
    )
    if page.locator("main div.highlight").count():
        assert result["code"] > 0, (
            "axe measured the colour contrast of no highlighted code"
        )


def test_site_fixes_examples():
    """The examples in _ext/site_fixes.py's docstrings hold."""
    outcome = doctest.testmod(site_fixes)
    assert outcome.attempted > 0 and outcome.failed == 0, outcome


#: For each fix of HTML_FIXES: the markup the theme and extensions write (as
#: in the built book before the fix) and what the fix makes of it.
EXAMPLES = {
    "bibliography entries are not list items": (
        '<div class="citation" id="id31" role="doc-biblioentry">',
        '<div class="citation" id="id31" role="listitem">',
    ),
    "search button named differently from its visible text": (
        '<button class="btn search-button-field search-button__button '
        'pst-js-only" title="Search" aria-label="Search" '
        'data-bs-placement="bottom" data-bs-toggle="tooltip">',
        '<button class="btn search-button-field search-button__button '
        'pst-js-only" title="Search" '
        'data-bs-placement="bottom" data-bs-toggle="tooltip">',
    ),
    "colour-mode icons read as the button's text": (
        '<i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" '
        'title="Light"></i>',
        '<i aria-hidden="true" class="theme-switch fa-solid fa-sun fa-lg" '
        'data-mode="light"></i>',
    ),
    "hidden-code toggles named differently from their visible text": (
        '<summary aria-label="Toggle hidden content">\n'
        '<p class="collapsed admonition-title">Show code cell source</p>',
        "<summary>\n"
        '<p class="collapsed admonition-title">Show code cell source</p>',
    ),
    "empty table header cells": (
        '<thead><tr><th class="blank level0">&nbsp;</th>'
        '<th class="head"><p></p></th><th class="head"><p>mean</p></th>',
        '<thead><tr><td class="blank level0">&nbsp;</td>'
        '<td class="head"><p></p></td><th class="head"><p>mean</p></th>',
    ),
    "left sidebar outside every landmark": (
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">',
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" '
        'role="navigation" aria-label="Book">',
    ),
}
#: Markup that must stay as it is: the icon-only search button has no
#: visible text, so its label is its name.
UNTOUCHED = [
    '<button class="btn btn-sm pst-navbar-icon search-button '
    'search-button__button pst-js-only" title="Search" aria-label="Search">',
    "<table><thead><tr><th>x</th></tr></thead></table>",
]


def test_every_fix_has_an_example():
    assert set(EXAMPLES) == {kind for kind, _, _ in site_fixes.HTML_FIXES}


@pytest.mark.parametrize("kind", EXAMPLES)
def test_fix_example(kind):
    before, after = EXAMPLES[kind]
    assert site_fixes.fix_html(before) == after
    assert site_fixes.fix_html(after) == after, "not idempotent"


@pytest.mark.parametrize("html", UNTOUCHED)
def test_fixes_leave_alone(html):
    assert site_fixes.fix_html(html) == html


@pytest.mark.parametrize("site", SITES, ids=list(SITES))
def test_every_page_went_through_the_fixes(site):
    html = SITES[site]
    if site != "book" and not html.exists():
        pytest.skip(f"{site} not built (`make book-student`)")
    pages = [
        p
        for p in html.rglob("*.html")
        if p.relative_to(html).parts[0] not in ("_static", "_sources")
    ]
    assert pages, f"{html} has no built site: run `make book`"
    unfixed = [
        str(p.relative_to(html))
        for p in pages
        if site_fixes.fix_html(t := p.read_text(encoding="utf-8")) != t
    ]
    assert not unfixed, f"pages not fixed by _ext/site_fixes.py: {unfixed}"
