"""The lecture slides (``make slides``): one reveal.js deck per chapter.

The decks are cut from the built chapter pages (tools/build_slides.py), so
their figures, tables and numbers must be the book's; which cells are slides
is marked in the notebooks (tools/slide_marks.json). Each deck is read in
headless Chromium with every request to another host refused, and every slide
is measured: nothing may overflow the 1280x720 canvas, nor shrink below the
readable size. One slide of each deck goes to ``_build/screenshots/slides/``.
"""

from __future__ import annotations

import copy
import doctest
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import BUILD, CHAPTERS, ROOT
from playwright.sync_api import Browser, sync_playwright
from site_browser import CHROMIUM, CHROMIUM_ARGS, LOOPBACK_HOSTS
from site_server import serve
from test_site import MATH_REPORT
from test_student_edition import solution_lines

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "_ext"))
import apply_slide_marks  # noqa: E402
import build_slides  # noqa: E402

pytestmark = pytest.mark.book

HTML = BUILD / "html"
SLIDES = BUILD / "slides"
STUDENT_HTML = BUILD / "student" / "_build" / "html"
SHOTS = BUILD / "screenshots" / "slides"


def stem(chapter: str) -> str:
    return Path(chapter).name


def deck_path(chapter: str) -> Path:
    path = SLIDES / f"{stem(chapter)}.html"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make slides` (make test does)")
    return path


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text(tag) -> str:
    """A tag's words, without permalinks ("#")."""
    tag = copy.copy(tag)
    for link in tag.select("a.headerlink"):
        link.decompose()
    return " ".join(tag.get_text(" ").split())


# --- the tools, without a build ---------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "common",
        "build_slides",
        "apply_slide_marks",
        "student_notebooks",
        "build_pdf",
        "sync_repository",
        "course_materials",
    ],
)
def test_doctests_of_the_course_tools(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0


def test_notebooks_carry_the_marks_of_slide_marks_json(capsys):
    assert apply_slide_marks.main(["--check"]) == 0, capsys.readouterr().err


def test_apply_refuses_a_mark_for_a_cell_that_is_gone(tmp_path, capsys):
    marks = json.loads((ROOT / "tools" / "slide_marks.json").read_text())
    chapter = next(k for k in marks if not k.startswith("_"))
    marks[chapter] = {**marks[chapter], "no-such-cell": "slide"}
    bad = tmp_path / "marks.json"
    bad.write_text(json.dumps(marks))
    assert apply_slide_marks.main(["--check", "--marks", str(bad)]) == 1
    assert "no-such-cell" in capsys.readouterr().err


def test_a_bad_mark_is_an_error():
    with pytest.raises(build_slides.MarkError, match="not one of"):
        build_slides.cell_marks(
            {"metadata": {"slideshow": {"slide_type": "Slide"}}}, "nb"
        )
    with pytest.raises(build_slides.MarkError, match="unknown"):
        build_slides.cell_marks({"metadata": {"slides": {"inptu": 0}}}, "nb")


def chapter_parts(chapter: str, nb: dict):
    article = soup(HTML / f"{chapter}.html").select_one("article.bd-article")
    deck = build_slides.Deck(HTML, f"{chapter}.html", Path("/nonexistent"))
    deck.asset = lambda url: url  # nothing copied
    return build_slides.deck_slides(nb, article, deck, chapter)


def test_a_chapter_without_marks_gets_its_title_figures_and_summary():
    """A new chapter (a Chapter 6) has a deck before anyone marks it."""
    chapter = CHAPTERS[-1]
    nb = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    bare = copy.deepcopy(nb)
    for cell in bare["cells"]:
        cell["metadata"].pop("slideshow", None)
        cell["metadata"].pop("slides", None)
    title, slides = chapter_parts(chapter, bare)
    html = "\n".join(c for col in slides for s in col for c in s.content)
    page = soup(HTML / f"{chapter}.html")
    figures = [f["id"] for f in page.select("article figure[id]")]
    assert figures and all(f'id="{f}"' in html for f in figures)
    assert "In this chapter you will learn" in html
    assert "Summary" in html
    assert title in text(page.select_one("article h1"))
    # prose that nobody marked stays out
    assert len(slides) < len([c for c in nb["cells"] if c["source"]]) / 2


def test_a_mark_for_a_heading_that_is_not_there_is_an_error():
    chapter = CHAPTERS[0]
    nb = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    nb["cells"][0]["metadata"]["slides"] = {"sections": {"No such": "slide"}}
    with pytest.raises(build_slides.MarkError, match="No such|no such"):
        chapter_parts(chapter, nb)


# --- the built decks ---------------------------------------------------------


def test_every_chapter_has_a_deck_listed_in_the_index():
    index = soup(SLIDES / "index.html")
    linked = {a["href"] for a in index.select("a[href]")}
    for chapter in CHAPTERS:
        assert deck_path(chapter).name in linked


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_shows_the_books_figures_and_numbers(chapter):
    deck = soup(deck_path(chapter))
    page = soup(HTML / f"{chapter}.html")
    nb = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    skipped = {
        c["metadata"]["mystnb"]["figure"]["name"]
        for c in nb["cells"]
        if c["metadata"].get("slideshow", {}).get("slide_type") == "skip"
        and c["metadata"].get("mystnb", {}).get("figure")
    }
    # the explorers run in the page with Vega (Chapter 3): not on slides
    book_figures = {
        f["id"]: text(f.figcaption)
        for f in page.select("article figure[id]")
        if not f["id"].startswith("explorer-")
    }
    deck_figures = {f["id"]: text(f.figcaption) for f in deck.select("figure")}
    assert book_figures, "the chapter has no figure"
    # every figure not marked skip, with the book's numbered caption
    assert set(book_figures) - skipped <= set(deck_figures)
    for name, caption in deck_figures.items():
        assert caption == book_figures[name]
        assert re.match(r"Fig\. \d+\.\d+", caption)
    # glued numbers: the book's, and no MyST role left unrendered
    book_pasted = [text(s) for s in page.select("article span.pasted-text")]
    deck_pasted = [text(s) for s in deck.select("span.pasted-text")]
    assert deck_pasted, "no glued number on any slide"
    assert set(deck_pasted) <= set(book_pasted)
    raw = re.findall(r"\{(?:glue|term|numref|ref|cite)[:}]", text(deck.body))
    assert not raw, f"unrendered roles: {raw}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_shows_no_solution(chapter):
    deck = text(soup(deck_path(chapter)).body)
    lines = solution_lines(ROOT / f"{chapter}.ipynb")
    assert lines
    leaked = [s for s in lines if s in deck]
    assert not leaked, f"solution text on the slides: {leaked}"
    assert "Solution to Exercise" not in deck


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_needs_nothing_from_the_network(chapter):
    path = deck_path(chapter)
    deck = soup(path)
    refs = [t.get("src") for t in deck.find_all(["img", "script"])]
    refs += [t.get("href") for t in deck.find_all("link")]
    for ref in filter(None, refs):
        if ref.startswith("data:"):
            continue
        assert not urlsplit(ref).scheme, f"{ref} is not served with the deck"
        assert (path.parent / ref).is_file(), f"{ref} is missing"
    css = (SLIDES / "_static" / "reveal" / "theme" / "white.css").read_text()
    assert "@import" not in css and "fonts.googleapis" not in css


@pytest.mark.parametrize("site", [HTML, STUDENT_HTML], ids=["book", "student"])
def test_chapter_pages_link_their_deck(site):
    for chapter in CHAPTERS:
        page = soup(site / f"{chapter}.html")
        button = page.select_one("a.btn-slides-button")
        assert button is not None, f"{chapter}: no Slides button"
        href = button["href"]
        assert href == f"../slides/{stem(chapter)}.html"
        assert (site / chapter).parent.joinpath(href).resolve().is_file()


def test_teaching_guide_links_every_deck_and_both_pdfs():
    def links(site: Path) -> set[str]:
        page = soup(site / "book" / "teaching.html")
        return {a["href"] for a in page.select("article a[href]")}

    decks = {f"../slides/{stem(c)}.html" for c in CHAPTERS}
    full, student = (
        "../pdf/seeing-and-doing.pdf",
        "../pdf/seeing-and-doing-student.pdf",
    )
    book = links(HTML)
    assert decks | {full, student} <= book
    for href in decks | {full, student}:
        assert (HTML / "book" / href).resolve().is_file(), href
    # the student edition links the decks and the PDF without solutions only
    student_links = links(STUDENT_HTML)
    assert decks | {student} <= student_links
    assert full not in student_links


# --- the decks in Chromium --------------------------------------------------


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    """The built site, with the decks at slides/ as GitHub Pages has them."""
    if not (HTML / "slides").exists():
        pytest.fail("no _build/html/slides: run `make slides`")
    with serve(HTML) as url:
        yield url


DECK_REPORT = """() => {
  const out = [];
  const columns = Reveal.getHorizontalSlides();
  columns.forEach((column, h) => {
    const slides = column.classList.contains('stack')
      ? [...column.querySelectorAll(':scope > section')] : [column];
    slides.forEach((_, v) => {
      Reveal.slide(h, v);
      const slide = Reveal.getCurrentSlide();
      const scale = fitSlide(slide);
      const images = [...slide.querySelectorAll('img')];
      out.push({
        h, v, scale,
        overflow: slide.dataset.overflow,
        height: slide.scrollHeight, width: slide.scrollWidth,
        images: images.filter(i => !(i.naturalWidth > 0)).map(i => i.src),
        no_alt: images.filter(i => !(i.alt || '').trim()).map(i => i.src),
        figure: slide.querySelector('figure img') !== null,
      });
    });
  });
  return out;
}"""


@pytest.fixture(scope="module")
def in_chromium() -> Iterator[Callable]:
    """``in_chromium(fn, *args)``: the result of ``fn(browser, *args)``.

    Playwright's sync API allows one running instance per thread, and the
    session-wide browser of tests/test_site.py holds the main thread's for
    the whole run; so this module's Chromium (the same program, flags and
    offline guard) lives in a thread of its own.
    """
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make chromium`")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decks")
    state: dict = {}

    def start() -> None:
        state["pw"] = sync_playwright().start()
        state["browser"] = state["pw"].chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )

    def stop() -> None:
        state["browser"].close()
        state["pw"].stop()

    pool.submit(start).result()
    try:
        yield lambda fn, *args: pool.submit(
            fn, state["browser"], *args
        ).result()
    finally:
        pool.submit(stop).result()
        pool.shutdown()


def read_deck(browser: Browser, url: str, shot: Path) -> dict:
    """Open a deck offline, measure every slide, screenshot one."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    problems, outside = [], []

    def guard(route):
        if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("blockedbyclient")

    try:
        context.route("**/*", guard)
        page = context.new_page()
        page.on(
            "console",
            lambda m: m.type == "error" and problems.append(m.text),
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and problems.append(f"{r.status} {r.url}")
            ),
        )
        page.goto(url, wait_until="load")
        page.evaluate("window.deckReady")
        math = page.evaluate(MATH_REPORT)
        slides = page.evaluate(DECK_REPORT)
        # a screenshot of the first slide with a figure, for review
        pick = next((s for s in slides if s["figure"]), slides[1])
        page.evaluate(f"Reveal.slide({pick['h']}, {pick['v']})")
        page.screenshot(path=shot)
    finally:
        context.close()
    return {
        "math": math,
        "slides": slides,
        "problems": problems,
        "outside": outside,
    }


@pytest.mark.browser
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_deck_in_chromium_offline_fits_every_slide(
    in_chromium, site_url, chapter
):
    deck_path(chapter)
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen = in_chromium(
        read_deck,
        f"{site_url}slides/{stem(chapter)}.html",
        SHOTS / f"{stem(chapter)}.png",
    )
    math, slides = seen["math"], seen["slides"]
    assert not seen["outside"], (
        f"the deck asked the network: {seen['outside']}"
    )
    assert not seen["problems"], seen["problems"]
    assert math["count"] > 0, "no math on any slide"
    assert not math["untypeset"] and not math["errors"], math
    assert not math["raw"], f"raw TeX on the slides: {math['raw']}"
    assert len(slides) >= 5
    for s in slides:
        where = f"slide {s['h'] + 1}.{s['v'] + 1}"
        assert s["overflow"] == "no", f"{where} overflows even at its smallest"
        assert s["height"] <= 721 and s["width"] <= 1281, (where, s)
        assert s["scale"] >= build_slides.MIN_FIT, (where, s)
        assert not s["images"], f"{where}: images not loaded {s['images']}"
        assert not s["no_alt"], f"{where}: images without alt {s['no_alt']}"
