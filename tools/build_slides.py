"""Build one reveal.js deck per chapter from the built book: ``make slides``.

The decks are cut out of the book's own executed, rendered chapter pages
(``_build/html/notebooks/*.html``, built by ``make book`` from its execution
cache): figures, tables, glued numbers, glossary terms, citations and figure
numbers are the book's, and no chapter is executed again. The site marks where
each notebook cell's content starts (``_ext/course_materials.py``), so each
cell's share of the page is known.

Which cells become slides is marked in the notebooks, as Jupyter and
nbconvert do, in the cell metadata ``slideshow.slide_type``:

- ``slide``: starts a new slide; ``subslide``: a new slide below the current
  one (reveal.js' vertical slides); ``fragment``: added to the current slide,
  shown on the next key press; ``-``: added to the current slide;
  ``notes``: speaker notes of the current slide (press S); ``skip``: left out.

A heading inside a cell (``##`` or ``###``) starts a new slide of its own.
The book's own metadata ``slides`` refines this: ``slides.sections``
(``{"heading text": slide type}``) gives such a section another type than the
default (``skip`` for the sections of a ``skip`` or ``notes`` cell, ``slide``
otherwise; a section called "Summary" is a slide unless marked), and
``slides.input: false`` shows a code cell's output without its code (a
figure's cell always shows only the figure). A cell without marks is a slide if
it holds the chapter's title or a figure, and skipped otherwise, so a new
chapter gets a deck of its title, figures and summary before anyone marks it.
Solutions of exercises are never shown. ``tools/slide_marks.json`` keeps the
marks, and ``tools/apply_slide_marks.py`` writes them into the notebooks.

Each deck is ``_build/slides/<notebook>.html``, with reveal.js (npm registry,
``make reveal``), MathJax (the site's copy) and the figures beside it in
``_build/slides``: the folder works offline, with no CDN. The slides are
1280x720; a slide whose content is taller is shrunk to fit (``deck.js``), never
below ``MIN_FIT`` of the normal size (the tests check every slide).

Usage: ``python tools/build_slides.py [--site _build/html]
[--out _build/slides] [--reveal _build/vendor/reveal.js]
[--mathjax _vendor/mathjax]``.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Comment, Tag

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters, config  # noqa: E402

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "notes", "skip")
#: Sections shown as a slide of their own even in a cell without marks.
DEFAULT_SECTIONS = {"summary"}
#: The smallest size, relative to the normal one, a slide may shrink to.
MIN_FIT = 0.6
#: reveal.js files the decks load (from the npm package's dist/).
REVEAL_FILES = (
    "reveal.js",
    "reveal.css",
    "theme/white.css",
    "plugin/math.js",
    "plugin/notes.js",
)
ASSETS = Path(__file__).resolve().parent / "slides"
MARKER = re.compile(r"^\s*nb-cell (\S+)\s*$")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class MarkError(ValueError):
    """A slide mark in a notebook that the deck cannot honour."""


# --- the page, cut into cells ------------------------------------------------


def cell_blocks(article: Tag) -> dict[str, list[Tag]]:
    """Each cell's top-level elements, in page order.

    The page marks each cell's start with ``<!-- nb-cell ID -->``; sections
    are walked into, so that a heading is a block of the cell that wrote it.

    >>> soup = BeautifulSoup(
    ...     "<article><!-- nb-cell a --><section><h1>T</h1><p>x</p>"
    ...     "<!-- nb-cell b --><div>y</div><section><h2>S</h2><p>z</p>"
    ...     "</section></section></article>", "html.parser")
    >>> {k: [t.name for t in v] for k, v in cell_blocks(soup.article).items()}
    {'a': ['h1', 'p'], 'b': ['div', 'h2', 'p']}
    """
    cells: dict[str, list[Tag]] = {}
    current: list[str | None] = [None]

    def walk(parent: Tag) -> None:
        for child in parent.children:
            if isinstance(child, Comment):
                m = MARKER.match(child)
                if m:
                    current[0] = m.group(1)
                    cells.setdefault(current[0], [])
            elif isinstance(child, Tag):
                if child.name == "section":
                    walk(child)
                elif current[0] is not None:
                    cells[current[0]].append(child)

    walk(article)
    return cells


def heading_text(tag: Tag) -> str:
    """A heading's words, without its section number and permalink.

    >>> heading_text(BeautifulSoup('<h2><span class="section-number">2.1. '
    ...     '</span>The  <code>do</code> gotcha<a class="headerlink">#</a>'
    ...     '</h2>', "html.parser").h2)
    'The do gotcha'
    """
    tag = copy.copy(tag)
    for junk in tag.select(".section-number, a.headerlink"):
        junk.decompose()
    return " ".join(tag.get_text(" ").split())


@dataclass
class Part:
    """A cell's content up to its next heading (or a heading's section)."""

    cell: str
    heading: str | None
    blocks: list[Tag]


def split_parts(cell: str, blocks: list[Tag]) -> list[Part]:
    """Cut a cell's blocks before each ``h2`` or ``h3``.

    >>> soup = BeautifulSoup("<p>a</p><h2>S</h2><p>b</p><h3>T</h3>",
    ...                      "html.parser")
    >>> [(p.heading, len(p.blocks)) for p in split_parts("c", soup.contents)]
    [(None, 1), ('S', 2), ('T', 1)]
    """
    parts = [Part(cell, None, [])]
    for block in blocks:
        if block.name in ("h2", "h3"):
            parts.append(Part(cell, heading_text(block), []))
        parts[-1].blocks.append(block)
    # every part but the opening one starts with its heading
    return parts if parts[0].blocks else parts[1:]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Marks:
    """A cell's slide marks: its type, its sections' types, its code shown."""

    kind: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    show_input: bool = True


def cell_marks(cell: dict, where: str) -> Marks:
    """A notebook cell's slide marks, checked.

    >>> cell_marks({"metadata": {"slideshow": {"slide_type": "-"},
    ...     "slides": {"input": False, "sections": {"Summary ": "skip"}}}},
    ...     "nb")
    Marks(kind='-', sections={'summary': 'skip'}, show_input=False)
    >>> cell_marks({"metadata": {"slideshow": {"slide_type": "big"}}}, "nb")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    build_slides.MarkError: nb: slide type 'big' is not one of ('slide', ...)
    """
    meta = cell.get("metadata", {})
    kind = meta.get("slideshow", {}).get("slide_type")
    extra = meta.get("slides", {}) or {}
    unknown = set(extra) - {"sections", "input"}
    if unknown:
        raise MarkError(f"{where}: unknown slides metadata {sorted(unknown)}")
    sections = extra.get("sections", {}) or {}
    for value in [kind, *sections.values()]:
        if value is not None and value not in SLIDE_TYPES:
            raise MarkError(
                f"{where}: slide type {value!r} is not one of {SLIDE_TYPES}"
            )
    show_input = extra.get("input", True)
    if not isinstance(show_input, bool):
        raise MarkError(f"{where}: slides.input must be true or false")
    return Marks(kind, {_norm(k): v for k, v in sections.items()}, show_input)


def default_type(cell: dict, blocks: list[Tag]) -> str:
    """The type of a cell without marks: its title or a figure is a slide."""
    has_title = any(b.name == "h1" for b in blocks)
    has_figure = cell.get("cell_type") == "code" and bool(
        cell.get("metadata", {}).get("mystnb", {}).get("figure")
    )
    return "slide" if has_title or has_figure else "skip"


def part_type(
    kind: str, sections: dict[str, str], part: Part, first: bool
) -> str:
    """The slide type of one part of a cell.

    >>> p = Part("c", "Summary", [])
    >>> part_type("skip", {}, p, False), part_type("skip", {"summary": "-"}, p,
    ...     False)
    ('slide', '-')
    >>> part_type("notes", {}, Part("c", "Other", []), False)
    'notes'
    """
    if first and part.heading is None:
        return kind
    key = _norm(part.heading or "")
    if key in sections:
        return sections[key]
    if key in DEFAULT_SECTIONS:
        return "slide"
    return kind if kind in ("skip", "notes") else "slide"


# --- the slides --------------------------------------------------------------


@dataclass
class Slide:
    section: str = ""  # the heading of the section the slide is in
    content: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    starts_with_heading: bool = False


def plan(typed_parts: list[tuple[str, str, str | None, bool]]) -> list:
    """Group ``(type, html, section heading, opens with heading)`` into slides.

    Returns horizontal slides, each a list of vertical ones.

    >>> deck = plan([
    ...     ("slide", "a", None, False), ("-", "b", None, False),
    ...     ("subslide", "c", None, False), ("skip", "d", None, False),
    ...     ("notes", "e", None, False), ("slide", "f", "S", True)])
    >>> [[(s.content, s.notes) for s in h] for h in deck]
    [[(['a', 'b'], []), (['c'], ['e'])], [(['f'], [])]]
    """
    deck: list[list[Slide]] = []
    for kind, body, section, heading in typed_parts:
        if kind == "skip":
            continue
        if kind == "slide" or not deck:
            deck.append([Slide(section or "", starts_with_heading=heading)])
        elif kind == "subslide":
            deck[-1].append(Slide(section or "", starts_with_heading=heading))
        slide = deck[-1][-1]
        if kind == "notes":
            slide.notes.append(body)
        elif kind == "fragment":
            slide.content.append(f'<div class="fragment">{body}</div>')
        else:
            slide.content.append(body)
    return deck


class Deck:
    """Copies what a deck's content needs into the slides folder."""

    def __init__(self, site: Path, page: str, out: Path):
        self.site, self.page, self.out = site, page, out

    def local_file(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path:
            return None
        base = (self.site / self.page).parent
        target = (base / unquote(parts.path)).resolve()
        site = self.site.resolve()
        if site not in target.parents or not target.is_file():
            return None
        return target

    def asset(self, url: str) -> str:
        """Copy a file of the site that the content uses; its new URL."""
        target = self.local_file(url)
        if target is None:
            return url
        rel = target.relative_to(self.site.resolve())
        dest = self.out / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, dest)
        return rel.as_posix()

    def clean(self, block: Tag, show_input: bool = True) -> Tag | None:
        """A copy of a page block, made fit for a slide (None: left out)."""
        if block.name == "script" or "solution" in (block.get("class") or []):
            return None
        block = copy.copy(block)
        for junk in block.select(
            ".solution, a.headerlink, script, details.above-input"
        ):
            junk.decompose()
        # a figure made by code: the figure is the slide, the code is in
        # the book
        if not show_input or block.select_one("figure img, figure svg"):
            for code in block.select(".cell_input"):
                code.decompose()
        for link in block.select("a[href]"):
            href = link["href"]
            if "internal" in (link.get("class") or []) or href.startswith("#"):
                link.unwrap()  # terms, citations, cross-references: text
            else:
                link["target"] = "_blank"
                link["rel"] = "noopener"
        # reveal.js reads any section as a slide: exercises hold one
        for inner in block.find_all("section"):
            inner.name = "div"
        for img in block.select("img[src]"):
            img["src"] = self.asset(img["src"])
            img["loading"] = "eager"
        return block


def _html(blocks: list[Tag]) -> str:
    return "\n".join(str(b) for b in blocks)


def deck_slides(
    nb: dict, article: Tag, deck: Deck, where: str
) -> tuple[str, list]:
    """The chapter's title and its slides."""
    blocks = cell_blocks(article)
    title_tag = article.find("h1")
    title = heading_text(title_tag) if title_tag else ""
    number = title_tag.select_one(".section-number") if title_tag else None
    number = number.get_text().strip().rstrip(".") if number else ""
    typed: list[tuple[str, str, str | None, bool]] = []
    section: str | None = None
    for index, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id") or f"cell-{index}"
        if cell_id not in blocks:
            continue  # removed from the page (e.g. remove-cell)
        marks = cell_marks(cell, f"{where}, cell {cell_id}")
        cell_parts = split_parts(cell_id, blocks[cell_id])
        headings = {_norm(p.heading) for p in cell_parts if p.heading}
        stale = set(marks.sections) - headings
        if stale:
            raise MarkError(
                f"{where}, cell {cell_id}: slides.sections names "
                f"{sorted(stale)}, which are not headings of the cell "
                f"({sorted(headings)})"
            )
        kind = marks.kind or default_type(cell, blocks[cell_id])
        for i, part in enumerate(cell_parts):
            if part.heading is not None:
                section = part.heading
            kept = [
                c
                for b in part.blocks
                if b.name != "h1" and not _empty(b)
                for c in [deck.clean(b, marks.show_input)]
                if c is not None
            ]
            if not kept:
                continue
            typed.append(
                (
                    part_type(kind, marks.sections, part, i == 0),
                    _html(kept),
                    section,
                    part.heading is not None,
                )
            )
    return (f"{number}. {title}" if number else title), plan(typed)


def _empty(block: Tag) -> bool:
    if block.find(["img", "svg", "table", "pre", "math"]):
        return False
    return not block.get_text(strip=True)


# --- writing -----------------------------------------------------------------


def render_slide(slide: Slide) -> str:
    kicker = (
        ""
        if slide.starts_with_heading or not slide.section
        else f'<p class="slide-section">{html.escape(slide.section)}</p>\n'
    )
    notes = (
        f'<aside class="notes">{"".join(slide.notes)}</aside>'
        if slide.notes
        else ""
    )
    return f"<section>\n{kicker}{''.join(slide.content)}\n{notes}</section>"


def render_deck(
    title: str, book: str, chapter_url: str, slides: list[list[Slide]]
) -> str:
    body = [
        '<section class="title-slide">'
        f'<p class="book-title">{html.escape(book)}</p>'
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="chapter-link"><a href="{html.escape(chapter_url)}" '
        'target="_blank" rel="noopener">the chapter in the book</a> · '
        "press S for speaker notes, F for full screen</p></section>"
    ]
    for column in slides:
        if len(column) == 1:
            body.append(render_slide(column[0]))
        else:
            body.append(
                "<section>"
                + "\n".join(render_slide(s) for s in column)
                + "</section>"
            )
    template = (ASSETS / "deck.html").read_text()
    return (
        template.replace("{{title}}", html.escape(f"{title} · {book}"))
        .replace("{{slides}}", "\n".join(body))
        .replace("{{min_fit}}", str(MIN_FIT))
    )


def render_index(book: str, decks: list[tuple[str, str]]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for name, title in decks
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>Slides · {html.escape(book)}</title>'
        '<link rel="stylesheet" href="_static/slides.css"></head>'
        f'<body class="deck-index"><h1>{html.escape(book)}: slides</h1>'
        f"<p>One reveal.js deck per chapter.</p><ul>{items}</ul></body>"
        "</html>\n"
    )


def copy_tree(src: Path, dest: Path) -> None:
    """Copy a folder, with hard links where the file system allows."""

    def link_or_copy(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dest, copy_function=link_or_copy)


def build(
    site: Path, out: Path, reveal: Path, mathjax: Path, root: Path = ROOT
) -> list[Path]:
    """Write every chapter's deck into ``out``; return their paths."""
    for need, what in [
        (site / "index.html", "the built book (make book)"),
        (reveal / "reveal.js", "reveal.js (make reveal)"),
        (mathjax / "tex-mml-chtml.js", "MathJax (make mathjax)"),
    ]:
        if not need.exists():
            raise FileNotFoundError(f"{need} is missing: build {what} first")
    book = config(root)["title"]
    if out.exists():
        shutil.rmtree(out)
    static = out / "_static"
    (static / "reveal" / "theme").mkdir(parents=True)
    (static / "reveal" / "plugin").mkdir()
    for name in REVEAL_FILES:
        shutil.copy2(reveal / name, static / "reveal" / name)
    copy_tree(mathjax, static / "mathjax")
    shutil.copy2(site / "_static" / "pygments.css", static / "pygments.css")
    for asset in ("slides.css", "deck.js"):
        shutil.copy2(ASSETS / asset, static / asset)

    written, index = [], []
    for chapter in chapters(root):
        page = f"{chapter}.html"
        where = f"{chapter}.ipynb"
        soup = BeautifulSoup((site / page).read_text(), "html.parser")
        article = soup.select_one("article.bd-article")
        if article is None:
            raise ValueError(f"{site / page}: no article.bd-article")
        nb = json.loads((root / where).read_text())
        deck = Deck(site, page, out)
        title, slides = deck_slides(nb, article, deck, where)
        name = f"{Path(chapter).name}.html"
        (out / name).write_text(
            render_deck(title, book, f"../{page}", slides), encoding="utf-8"
        )
        written.append(out / name)
        index.append((name, title))
    (out / "index.html").write_text(render_index(book, index))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build/html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build/slides")
    parser.add_argument(
        "--reveal", type=Path, default=ROOT / "_build/vendor/reveal.js"
    )
    parser.add_argument(
        "--mathjax", type=Path, default=ROOT / "_vendor/mathjax"
    )
    args = parser.parse_args(argv)
    try:
        decks = build(args.site, args.out, args.reveal, args.mathjax)
    except (MarkError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for deck in decks:
        print(
            f"wrote {deck.relative_to(ROOT) if ROOT in deck.parents else deck}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
