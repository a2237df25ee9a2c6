"""The PDF editions (``make pdf``), read back with poppler.

``pdftotext`` gives each page's text, ``pdffonts`` the fonts, ``pdfinfo`` the
named destinations and ``pdftoppm`` renders pages for review into
``_build/screenshots/pdf/``. The book's own pages (``_build/html``) say what
must be there: every chapter title, every figure caption, the bibliography,
the exercises, and, in the student edition, no solution.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import BUILD, CHAPTERS, PAGES, ROOT
from test_student_edition import solution_lines

pytestmark = pytest.mark.book

HTML = BUILD / "html"
PDF = BUILD / "pdf"
EDITIONS = {
    "book": PDF / "seeing-and-doing.pdf",
    "student": PDF / "seeing-and-doing-student.pdf",
}
SHOTS = BUILD / "screenshots" / "pdf"


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(
            f"{tool} is missing: `make poppler` installs poppler-utils"
        )
    return subprocess.run(
        [tool, *args], capture_output=True, text=True, check=True
    ).stdout


def words(text: str) -> str:
    return " ".join(text.split())


def pages_of(pdf: Path, layout: bool = False) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    if not pdf.exists():
        pytest.fail(f"{pdf} is missing: run `make pdf` (make test does)")
    args = ["-layout"] if layout else []
    return poppler("pdftotext", *args, str(pdf), "-").split("\f")[:-1]


@pytest.fixture(scope="module", params=list(EDITIONS), ids=list(EDITIONS))
def edition(request) -> tuple[str, list[str]]:
    return request.param, pages_of(EDITIONS[request.param])


@pytest.fixture(scope="module")
def book_text() -> str:
    return words(" ".join(pages_of(EDITIONS["book"])))


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(
        (HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )


def clean(tag) -> str:
    tag = copy.copy(tag)
    for junk in tag.select("a.headerlink"):
        junk.decompose()
    return words(tag.get_text(" "))


def prose(tag) -> list[str]:
    """A tag's text outside math, in pieces (math is typeset, not text)."""
    tag = copy.copy(tag)
    for junk in tag.select("a.headerlink"):
        junk.decompose()
    for math in tag.select(".math"):
        math.replace_with("\x00")
    return [words(p) for p in tag.get_text(" ").split("\x00") if words(p)]


def test_title_page(edition):
    name, pages = edition
    first = words(pages[0])
    assert "Seeing and Doing" in first
    assert "Conditioning versus intervening" in first
    assert ("Student edition" in first) == (name == "student")


def test_every_page_title_of_the_book(edition):
    _, pages = edition
    text = words(" ".join(pages))
    for page in PAGES:
        h1 = soup(page).select_one("article h1")
        assert clean(h1) in text, f"{page}: title {clean(h1)!r} missing"


def test_every_figure_with_its_numbered_caption(edition):
    _, pages = edition
    text = words(" ".join(pages))
    n = 0
    for page in PAGES:
        for caption in soup(page).select("article figure figcaption"):
            for piece in prose(caption):
                assert piece in text, f"{page}: caption text {piece!r}"
            n += 1
    assert n >= len(CHAPTERS)


def test_no_unresolved_reference_and_no_raw_tex(edition):
    _, pages = edition
    text = " ".join(pages)
    assert "??" not in text
    for raw in (
        r"\(",
        r"\[",
        r"\mathcal",
        r"\operatorname",
        "{glue",
        "{numref",
    ):
        assert raw not in text, f"{raw!r} left in the PDF"


def test_every_font_embedded(edition):
    name, _ = edition
    rows = poppler("pdffonts", str(EDITIONS[name])).splitlines()[2:]
    assert rows, "no font"
    not_embedded = [r for r in rows if r.split()[-5] != "yes"]
    assert not not_embedded, not_embedded


def test_page_numbers_on_every_page(edition):
    _, pages = edition
    total = len(pages)
    assert total > 50
    for i, page in enumerate(pages, start=1):
        assert re.search(rf"\b{i} / {total}\b", page), f"page {i}: no number"


def test_contents_give_the_right_pages(edition):
    """Each chapter starts on the page the table of contents says."""
    name, pages = edition
    layout = pages_of(EDITIONS[name], layout=True)
    contents = "\n".join(layout[1:4])
    assert "Contents" in contents
    checked = 0
    for chapter in CHAPTERS:
        h1 = soup(chapter).select_one("article h1")
        number = h1.select_one(".section-number").get_text().strip()
        title = clean(h1)[len(number) :].strip()
        line = re.search(
            rf"^\s*{re.escape(number.rstrip('.'))}\s+{re.escape(title)}"
            r"\s+(\d+)\s*$",
            contents,
            re.M,
        )
        assert line, f"{title!r} not in the contents"
        start = int(line.group(1))
        assert words(pages[start - 1]).startswith(clean(h1)), (
            f"{title!r} is not at the top of page {start}"
        )
        checked += 1
    assert checked == len(CHAPTERS)


def test_bibliography_at_the_end(edition):
    _, pages = edition
    intro = soup(PAGES[0])
    entries = []
    for citation in intro.select(".citation"):
        for label in citation.select(".label"):
            label.decompose()
        entries.append(words(citation.get_text(" ")))
    assert entries, "the book cites nothing?"
    tail = words(" ".join(pages[-4:]))
    assert "References" in tail
    for entry in entries:
        # the entry's first words (its authors) are on the last pages
        assert " ".join(entry.split()[:5]) in tail, entry


def test_executed_outputs_and_glued_numbers(edition):
    _, pages = edition
    text = words(" ".join(pages))
    for chapter in CHAPTERS:
        page = soup(chapter)
        pasted = [clean(s) for s in page.select("article span.pasted-text")]
        assert pasted
        missing = [p for p in pasted[:10] if p not in text]
        assert not missing, f"{chapter}: glued values missing {missing}"
        # a table's cells may wrap, and pdftotext reads rows across
        # columns: look for each number of the first cells of the first
        # output table that has numbers there
        for table in page.select("article .cell_output table"):
            numbers = {
                n
                for td in table.select("td")[:8]
                for n in re.findall(r"-?\d+\.\d+", clean(td))
            }
            if numbers:
                missing = {n for n in numbers if n not in text}
                assert not missing, (chapter, missing)
                break


def test_exercises_in_both_and_solutions_only_in_the_book(edition, book_text):
    name, pages = edition
    text = words(" ".join(pages))
    for chapter in CHAPTERS:
        nb = ROOT / f"{chapter}.ipynb"
        exercises = [
            clean(t)
            for t in soup(chapter).select(".exercise .admonition-title")
        ]
        assert exercises and all(e in text for e in exercises), chapter
        lines = solution_lines(nb)
        in_book = [s for s in lines if s in book_text]
        assert len(in_book) >= len(lines) // 2, "is the check blind?"
        if name == "student":
            leaked = [s for s in in_book if s in text]
            assert not leaked, f"{chapter}: solutions in the student PDF"
            assert "Solution to Exercise" not in text


def test_student_pdf_does_not_link_the_solutions():
    text = " ".join(pages_of(EDITIONS["student"]))
    assert "seeing-and-doing-student.pdf" in text
    assert "seeing-and-doing.pdf" not in text.replace(
        "seeing-and-doing-student.pdf", ""
    )


def test_a_rendered_page_for_review(edition):
    """The contents and each chapter's first page, as pictures."""
    name, pages = edition
    SHOTS.mkdir(parents=True, exist_ok=True)
    first_chapter = next(
        i for i, p in enumerate(pages, start=1) if p.lstrip().startswith("1.")
    )
    for number, label in ((2, "contents"), (first_chapter, "chapter-1")):
        prefix = SHOTS / f"{name}-{label}"
        poppler(
            "pdftoppm", "-png", "-r", "80", "-singlefile",
            "-f", str(number), "-l", str(number),
            str(EDITIONS[name]), str(prefix),
        )  # fmt: skip
        assert prefix.with_suffix(".png").stat().st_size > 10_000
