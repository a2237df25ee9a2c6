"""The book as readers meet it, in headless Chromium with no network.

Every page of the built site is checked. The built ``_build/html``
(``BOOK_BUILD_DIR`` selects another build) is served on a loopback port and
read by Debian's Chromium through Playwright (``make chromium`` installs it;
Playwright never downloads a browser). Every request to any host other than the
loopback one is aborted and counted as a failure, so each test here also proves
that the page is complete offline: math (MathJax is served by the site),
figures, search, fonts and styles. Launch buttons and Thebe are links that
nothing loads until a reader clicks them.

Screenshots for review: ``_build/screenshots/`` (one full page per page of the
table of contents), ``_build/screenshots-dark/`` (dark mode) and
``_build/screenshots-print/`` (print media).
"""

from __future__ import annotations

import ast
import html.parser
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from conftest import BUILD, CHAPTERS, PAGES, ROOT
from PIL import Image
from playwright.sync_api import Page
from site_browser import WAIT_FOR_TYPESETTING

pytestmark = [pytest.mark.book, pytest.mark.browser]

HTML = BUILD / "html"
SHOTS = {
    "light": BUILD / "screenshots",
    "dark": BUILD / "screenshots-dark",
    "print": BUILD / "screenshots-print",
}
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")


# --- the pages ---------------------------------------------------------------


def shot_name(page: str) -> str:
    return page.replace("/", "__") + ".png"


def notebook_markdown(chapter: str) -> str:
    cells = json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"]
    src = (
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "markdown"
    )
    return "\n".join(src)


def notebook_cells(chapter: str) -> list[dict]:
    return json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"]


# --- the browser -------------------------------------------------------------
# site_url, browser and open_page: tests/site_browser.py, through conftest.py


@pytest.fixture(scope="session")
def shots() -> dict[str, Path]:
    """The screenshot folders, emptied once per session.

    So that they hold one image per page.
    """
    for folder in SHOTS.values():
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
    return SHOTS


def luminance(rgb) -> float:
    r, g, b = (c / 255 for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


CSS_RGB = re.compile(r"rgba?\((\d+),\s*(\d+),\s*(\d+)")


def css_luminance(color: str) -> float:
    return luminance([int(c) for c in CSS_RGB.match(color).groups()])


# --- every page --------------------------------------------------------------


def test_table_of_contents_lists_pages():
    assert PAGES[0] and len(PAGES) >= 2, PAGES
    assert CHAPTERS, "no chapter (notebook) in _toc.yml"


def test_network_guard_catches_requests_to_other_hosts(open_page):
    """The guard that makes every page test an offline test works.

    Outside requests are caught.
    """
    visit = open_page(PAGES[0])
    outcome = visit.page.evaluate(
        "fetch('https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js')"
        ".then(() => 'loaded', () => 'failed')"
    )
    assert outcome == "failed"
    assert visit.outside == [
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
    ]
    assert any("request failed" in p for p in visit.problems)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors(open_page, shots, path):
    assert (HTML / f"{path}.html").exists(), f"{path}.html was not built"
    visit = open_page(path)
    visit.page.screenshot(
        path=shots["light"] / shot_name(path), full_page=True
    )
    assert not visit.outside, f"{path} needs the network for: {visit.outside}"
    assert not visit.problems, "\n".join(visit.problems)
    assert visit.page.locator("main h1").first.inner_text().strip(), (
        "page without a title"
    )


@pytest.mark.parametrize("path", PAGES)
def test_images_loaded_with_alt_text(open_page, path):
    page = open_page(path).page
    images = page.evaluate("""() => [...document.images].map(i => ({
        src: i.getAttribute('src'), alt: (i.getAttribute('alt') || '').trim(),
        loaded: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0}))""")
    not_loaded = [i["src"] for i in images if not i["loaded"]]
    no_alt = [i["src"] for i in images if not i["alt"]]
    assert not not_loaded, f"images that did not load: {not_loaded}"
    assert not no_alt, f"images without alt text: {no_alt}"


MATH_REPORT = r"""() => {
  // Sphinx's inline and display math
  const maths = [...document.querySelectorAll('.math')];
  const displays = [...document.querySelectorAll('div.math')];
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(
    document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT
  );
  const raw = [];
  const tex = /\$\$|\\\[|\\\]|\\\(|\\\)|\\begin\{|\$[^$\n]*[\\^_][^$\n]*\$/;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const m = node.parentElement.closest(skip)
      ? null
      : node.nodeValue.match(tex);
    if (m) {
      raw.push(
        node.nodeValue.slice(Math.max(0, m.index - 60), m.index + 60).trim()
      );
    }
  }
  return {
    count: maths.length,
    untypeset: maths.filter(m => !m.querySelector('mjx-container'))
                    .map(m => m.textContent.slice(0, 120)),
    displays_untypeset: displays
      .filter(m => !m.querySelector('mjx-container[display="true"]'))
      .map(m => m.textContent.slice(0, 120)),
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
              .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    raw,
  };
}"""


@pytest.mark.parametrize("path", PAGES)
def test_math_typeset_by_mathjax(open_page, path):
    page = open_page(path).page
    report = page.evaluate(MATH_REPORT)
    assert not report["untypeset"], (
        f"math MathJax did not typeset: {report['untypeset']}"
    )
    assert not report["displays_untypeset"], (
        f"displayed equations not typeset: {report['displays_untypeset']}"
    )
    assert not report["errors"], f"TeX errors: {report['errors']}"
    assert not report["raw"], f"raw TeX left in the text: {report['raw']}"
    if report["count"]:
        assert page.locator("mjx-container").count() >= report["count"]


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


_ID_CACHE: dict[Path, set[str]] = {}


def ids_in(file: Path) -> set[str]:
    if file not in _ID_CACHE:
        parser = _Ids()
        parser.feed(file.read_text(encoding="utf-8"))
        _ID_CACHE[file] = parser.ids
    return _ID_CACHE[file]


@pytest.mark.parametrize("path", PAGES)
def test_internal_links_and_anchors_resolve(open_page, site_url, path):
    page = open_page(path).page
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
    )
    live_ids = set(
        page.evaluate(
            "() => [...document.querySelectorAll('[id]')].map(e => e.id)"
        )
    )
    here = urlsplit(page.url).path
    broken, checked = [], 0
    for href in hrefs:
        if not href.startswith(site_url):
            # launch buttons, the repository, citations' URLs: not part of
            # the site
            continue
        parts = urlsplit(href)
        target = HTML / unquote(parts.path.lstrip("/"))
        if parts.path.endswith("/"):
            target = target / "index.html"
        checked += 1
        if not target.is_file():
            broken.append(f"{href}: no file {target.relative_to(HTML)}")
            continue
        anchor = unquote(parts.fragment)
        if anchor and target.suffix == ".html":
            ids = live_ids if parts.path == here else ids_in(target)
            if anchor not in ids:
                broken.append(f"{href}: no element with id {anchor!r}")
    assert checked, "no internal link on the page"
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("path", PAGES)
def test_repository_and_issue_buttons(open_page, path):
    page = open_page(path).page
    repo = page.locator("a.btn-source-repository-button")
    issues = page.locator("a.btn-source-issues-button")
    assert repo.count() == 1 and issues.count() == 1, (
        "repository or issue button missing"
    )
    assert repo.get_attribute("href") == REPO_URL
    assert issues.get_attribute("href").startswith(f"{REPO_URL}/issues/new")


@pytest.mark.parametrize("path", PAGES)
def test_dark_mode_keeps_figures_legible(open_page, shots, path):
    page = open_page(path).page
    switch = page.locator(".theme-switch-button").first
    for _ in range(3):  # the switch cycles through auto, dark and light
        if page.evaluate("document.documentElement.dataset.theme") == "dark":
            break
        switch.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark", (
        "the theme switch gives no dark mode"
    )
    page.mouse.move(0, 0)  # no tooltip in the screenshot
    page.screenshot(path=shots["dark"] / shot_name(path), full_page=True)
    background = css_luminance(
        page.evaluate("getComputedStyle(document.body).backgroundColor")
    )
    text = css_luminance(
        page.evaluate("getComputedStyle(document.querySelector('main')).color")
    )
    assert background < 0.2 < 0.6 < text, (
        f"dark mode is not dark: background {background:.2f}, text {text:.2f}"
    )
    figures = page.locator("main figure img")
    for i in range(figures.count()):
        img = figures.nth(i)
        if not img.is_visible():
            continue  # e.g. inside a collapsed solution
        shot = Image.open(io.BytesIO(img.screenshot())).convert("RGB")
        w, h = shot.size
        border = [
            shot.getpixel((x, y))
            for x in range(0, w, max(1, w // 40))
            for y in (1, h - 2)
        ]
        border += [
            shot.getpixel((x, y))
            for y in range(0, h, max(1, h // 40))
            for x in (1, w - 2)
        ]
        ground = sum(map(luminance, border)) / len(border)
        # share of dark pixels
        ink = sum(shot.convert("L").histogram()[:90]) / (w * h)
        alt = img.get_attribute("alt")
        assert ground > 0.6, (
            f"figure {alt!r} has a dark background ({ground:.2f}) in dark mode"
        )
        assert ink > 0.001, (
            f"figure {alt!r} shows no dark ink on its light background "
            "in dark mode"
        )


@pytest.mark.parametrize("path", PAGES)
def test_print_shows_the_text_without_navigation(open_page, shots, path):
    page = open_page(path).page
    page.emulate_media(media="print")
    page.screenshot(path=shots["print"] / shot_name(path), full_page=True)
    for chrome in (
        ".bd-sidebar-primary",
        ".bd-sidebar-secondary",
        ".bd-header-article",
        ".prev-next-area",
    ):
        for i in range(page.locator(chrome).count()):
            assert not page.locator(chrome).nth(i).is_visible(), (
                f"{chrome} is printed"
            )
    article = page.locator("article.bd-article")
    assert article.is_visible()
    assert len(article.inner_text()) > 200
    width = page.viewport_size["width"]
    assert article.bounding_box()["width"] > 0.6 * width, (
        "printed text does not use the page's width"
    )


def test_every_page_is_in_the_navigation(open_page, site_url):
    page = open_page(PAGES[0]).page
    linked = page.evaluate(
        "() => [...document.querySelectorAll('.bd-sidebar-primary nav a')]"
        ".map(a => a.href)"
    )
    linked = {
        urlsplit(h).path.lstrip("/") for h in linked if h.startswith(site_url)
    }
    missing = [p for p in PAGES if f"{p}.html" not in linked]
    assert not missing, f"pages missing from the navigation: {missing}"


def test_search_works_offline(open_page):
    chapter = CHAPTERS[0]
    title = (HTML / f"{chapter}.html").read_text(encoding="utf-8")
    heading = re.search(
        r"<h1>(.*?)<a class=\"headerlink\"", title, re.S
    ).group(1)
    word = max(
        re.findall(r"[A-Za-z]{5,}", re.sub(r"<[^>]+>", " ", heading)), key=len
    )
    visit = open_page("search", query=f"?q={word}")
    page = visit.page
    page.wait_for_function(
        "document.querySelectorAll('#search-results li a').length > 0",
        timeout=20_000,
    )
    results = page.evaluate(
        "() => [...document.querySelectorAll('#search-results li a')]"
        ".map(a => a.href)"
    )
    assert any(f"{chapter}.html" in r for r in results), (
        f"searching {word!r} does not find {chapter}: {results}"
    )
    assert not visit.outside and not visit.problems, (
        visit.outside + visit.problems
    )


@pytest.mark.parametrize("path", PAGES)
def test_page_read_from_disk_with_the_network_off(browser, path):
    """A classroom copy of _build/html shows math and figures.

    The copy is opened as files, with no network at all.
    """
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        page.goto((HTML / f"{path}.html").as_uri(), wait_until="load")
        assert page.evaluate(WAIT_FOR_TYPESETTING) == ""
        report = page.evaluate(MATH_REPORT)
        assert not report["untypeset"] and not report["errors"], report
        fonts = page.evaluate(
            "() => [...document.fonts]"
            ".filter(f => f.status === 'error').map(f => f.family)"
        )
        assert not fonts, f"fonts that failed to load: {fonts}"
        broken = page.evaluate(
            "() => [...document.images]"
            ".filter(i => !(i.naturalWidth > 0)).map(i => i.src)"
        )
        assert not broken, f"images that did not load: {broken}"
    finally:
        context.close()


# --- every chapter -----------------------------------------------------------


def figure_names(chapter: str) -> list[str]:
    """The figures a chapter declares.

    In cell metadata, and as figure directives in its text.
    """
    names = [
        c["metadata"]["mystnb"]["figure"]["name"]
        for c in notebook_cells(chapter)
        if c["metadata"].get("mystnb", {}).get("figure", {}).get("name")
    ]
    names += re.findall(
        r"[`:]{3,}\{(?:glue:)?figure\}[^\n]*\n"
        r"(?:[ \t]*:[\w-]+:[^\n]*\n)*?"
        r"[ \t]*:name:[ \t]*(\S+)",
        notebook_markdown(chapter),
    )
    return names


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_its_figures(open_page, chapter):
    page = open_page(chapter).page
    names = figure_names(chapter)
    shown = page.evaluate(
        """(names) => names.map(name => {
        const fig = document.getElementById(name);
        if (!fig) return {name, problem: 'missing'};
        const img = fig.querySelector('img');
        const caption = fig.querySelector('figcaption');
        const hidden = fig.closest('.dropdown, .toggle-hidden') !== null;
        if (!img || !(img.complete && img.naturalWidth > 0))
            return {name, problem: 'image not loaded'};
        if (!hidden && img.getBoundingClientRect().width < 100)
            return {name, problem: 'not displayed'};
        if (!caption || !caption.querySelector('.caption-number')
            || !caption.innerText.trim())
            return {name, problem: 'no numbered caption'};
        return {name, problem: ''};
    })""",
        names,
    )
    problems = [f"{s['name']}: {s['problem']}" for s in shown if s["problem"]]
    assert not problems, "\n".join(problems)
    assert page.locator("main figure").count() >= len(names)


GLUE_ROLE = re.compile(r"\{glue(?::(\w*))?\}`([^`]+)`")


def format_glued(plain: str, spec: str) -> str:
    """The text a ``{glue:text}`` role shows.

    For a glued ``text/plain`` value and a format spec.
    """
    try:
        value = ast.literal_eval(plain)
    except (SyntaxError, ValueError):
        value = plain
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind in "eEfFgGn%":
        value = float(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind == "s":
        value = str(value)
    return format(value, spec)


def visible_text(page: Page) -> str:
    """The article's text, without code cells and their outputs."""
    text = page.evaluate("""() => {
        const main = document.querySelector('article.bd-article')
            .cloneNode(true);
        main.querySelectorAll(
            'pre, .cell_input, .cell_output, mjx-assistive-mml'
        ).forEach(e => e.remove());
        return main.textContent;
    }""")
    return " ".join(text.split())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_its_glued_numbers(open_page, chapter):
    glue_file = BUILD / "jupyter_execute" / f"{chapter}.glue.json"
    assert glue_file.exists(), (
        f"{glue_file} missing: was the chapter executed?"
    )
    glued = json.loads(glue_file.read_text())
    roles = GLUE_ROLE.findall(notebook_markdown(chapter))
    missing = sorted({ref.split(":")[0] for _, ref in roles} - set(glued))
    assert not missing, (
        f"the text refers to glue the notebook never glued: {missing}"
    )
    page = open_page(chapter).page
    text = visible_text(page)
    assert "{glue" not in text, "unresolved glue role in the page"

    expected = []
    for kind, ref in roles:
        name, _, spec = ref.partition(":")
        data = glued[name]["data"]
        if kind == "text":
            expected.append(format_glued(data["text/plain"], spec))
        elif kind == "md" and not re.search(
            r"[$*_`\[\\<]", data.get("text/markdown", "$")
        ):
            assert " ".join(data["text/markdown"].split()) in text, (
                f"glued {name!r} not shown"
            )
    # textContent, not innerText: numbers inside collapsed solutions count too
    pasted = [
        s.strip()
        for s in page.locator("main span.pasted-text").all_text_contents()
    ]
    assert pasted == expected, "the glued numbers shown are not the notebook's"


def count_directives(md: str, *names: str) -> int:
    return sum(
        len(
            re.findall(
                rf"^[ \t]*(?:`{{3,}}|:{{3,}})\{{{re.escape(n)}\}}", md, re.M
            )
        )
        for n in names
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_exercises_with_solutions_collapsed_until_clicked(
    open_page, chapter
):
    md = notebook_markdown(chapter)
    n_exercises = count_directives(md, "exercise", "exercise-start")
    n_solutions = count_directives(md, "solution", "solution-start")
    assert n_exercises >= 1, "the chapter has no exercise"
    page = open_page(chapter).page
    assert page.locator("main .exercise.admonition").count() == n_exercises, (
        "exercises not all shown"
    )
    solutions = page.locator("main .solution.admonition")
    assert solutions.count() == n_solutions
    for i in range(n_solutions):
        solution = solutions.nth(i)
        body = solution.locator(":scope > :not(.admonition-title)").first
        title = solution.locator(".admonition-title").first
        assert title.is_visible(), "solution title not shown"
        assert not body.is_visible(), (
            f"solution {i + 1} is open before it is clicked"
        )
        solution.locator(".toggle-button").first.click()
        body.wait_for(state="visible", timeout=5_000)
        assert (
            solution.locator(".toggle-button").first.get_attribute(
                "aria-expanded"
            )
            == "true"
        )
        assert body.inner_text().strip(), f"solution {i + 1} is empty"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_no_stderr_output(open_page, chapter):
    """Warnings and logs printed while the notebook ran are not for readers.

    They also leak local paths.
    """
    page = open_page(chapter).page
    stderr = page.locator("main .output.stderr").all_inner_texts()
    assert not stderr, "stderr printed into the page:\n" + "\n---\n".join(
        s[:300] for s in stderr
    )
