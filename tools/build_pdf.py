"""Print the built book as one PDF with Chromium: ``make pdf``.

The PDF is the site itself, printed: every page of the table of contents, in
order, with the executed outputs, tables, graphs, glued numbers and figure
numbers of the built site (``make book``, from its execution cache: nothing is
executed again), math typeset by the site's MathJax, and a title page, a table
of contents with page numbers, numbered chapters, sections and figures, the
bibliography at the end, page numbers in the footer and a PDF outline.

It is printed by Debian's Chromium through Playwright. Each print says on
which page each chapter and section starts (poppler's ``pdfinfo`` reads the
named destinations); when the table of contents showed other numbers, it is
printed again with these (the numbers of the last run are kept in
``_build/.pdf-pages/``, so an unchanged book is printed once). Links between
pages of the book become links inside the PDF; links to anything else of the
site (the slides, for instance) point at the published site, whose address
comes from ``_config.yml``'s ``repository.url``.

Nothing is loaded from the network: every request is answered from the built
site or refused.

Usage: ``python tools/build_pdf.py [--site _build/html] [--student-site
_build/student/_build/html] [--out _build/pdf] [--site-url URL]`` writes the
book and its student edition (``make pdf``).
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import mimetypes
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    config,
    pages,
    pages_url,
)

#: The PDFs, in the output folder (the teaching guide links them).
FULL = "seeing-and-doing.pdf"
STUDENT = "seeing-and-doing-student.pdf"
SUBTITLE = (
    "Conditioning versus intervening, with NumPyro, on three tiny models"
)
#: The address the printed document is served at (answered from disk).
BASE = "http://book.invalid/"
PRINT_CSS = Path(__file__).resolve().parent / "pdf" / "print.css"
FOOTER = (
    '<div style="font-family: sans-serif; font-size: 8px; color: #555; '
    "width: 100%; padding: 0 18mm; display: flex; "
    'justify-content: space-between;">'
    "<span>{title}</span>"
    '<span><span class="pageNumber"></span> / <span class="totalPages">'
    "</span></span></div>"
)


def page_key(page: str) -> str:
    """The id prefix of a page's elements in the printed document.

    >>> page_key("notebooks/02_seeing")
    'notebooks-02_seeing'
    """
    return page.replace("/", "-")


@dataclass
class Entry:
    """A line of the table of contents."""

    anchor: str
    level: int  # 1: a page, 2: a section
    number: str
    title: str


def _text(tag: Tag) -> tuple[str, str]:
    tag = copy.copy(tag)
    for junk in tag.select("a.headerlink"):
        junk.decompose()
    number = tag.select_one(".section-number")
    num = number.get_text(" ", strip=True).rstrip(".") if number else ""
    if number:
        number.decompose()
    return num, " ".join(tag.get_text(" ").split())


class Book:
    """The pages of a built site, assembled into one printable document."""

    def __init__(self, site: Path, site_url: str, root: Path = ROOT):
        self.site = site
        self.site_url = site_url
        self.pages = pages(root)
        self.files = {f"{p}.html": p for p in self.pages}
        self.toc: list[Entry] = []

    def rewrite(self, article: Tag, page: str) -> None:
        """Prefix ids with the page, and point links and images anew."""
        key = page_key(page)
        here = f"{BASE}{page}.html"
        for tag in article.find_all(id=True):
            tag["id"] = f"{key}--{tag['id']}"
        for img in article.find_all("img", src=True):
            img["src"] = urljoin(here, img["src"])
        for link in article.find_all("a", href=True):
            href = link["href"]
            if href.startswith(("mailto:", "javascript:")):
                continue
            target = urljoin(here, href)
            if not target.startswith(BASE):
                continue  # outside the site: as it is
            parts = urlsplit(target)
            path = unquote(parts.path.lstrip("/"))
            if path in self.files:
                other = page_key(self.files[path])
                link["href"] = (
                    f"#{other}--{parts.fragment}"
                    if parts.fragment
                    else f"#{other}"
                )
            else:  # the site's other files (slides, PDFs): the published site
                link["href"] = self.site_url + target[len(BASE) :]

    def article(self, page: str) -> Tag:
        """The page's article, without what only a screen can use."""
        path = self.site / f"{page}.html"
        page_html = path.read_text(encoding="utf-8")
        # parse the article alone: the rest of the page is navigation
        start = page_html.find('<article class="bd-article"')
        end = page_html.find("</article>", start)
        if start < 0 or end < 0:
            raise ValueError(f"{path}: no article.bd-article")
        soup = BeautifulSoup(page_html[start : end + 10], "html.parser")
        article = soup.article
        junk = [
            *article.find_all("script"),
            *article.find_all("a", class_="headerlink"),
            *article.find_all("details", class_="above-input"),
            *article.find_all(class_="toggle-button"),
        ]
        for tag in junk:
            tag.decompose()
        return article

    def document(self, title: str, subtitle: str, meta: dict) -> str:
        """The whole book as one HTML page, before page numbers."""
        first_page = (self.site / f"{self.pages[0]}.html").read_text(
            encoding="utf-8"
        )
        head_soup = BeautifulSoup(
            first_page[: first_page.find("</head>") + 7], "html.parser"
        )
        head = []
        first = f"{BASE}{self.pages[0]}.html"
        for link in head_soup.head.find_all("link", rel="stylesheet"):
            href = urljoin(first, link["href"])
            head.append(f'<link rel="stylesheet" href="{href}">')
        for script in head_soup.head.find_all("script"):
            src = script.get("src") or ""
            if "mathjax" in src.lower():
                head.append(
                    f'<script defer src="{urljoin(first, src)}"></script>'
                )
            elif script.string and "MathJax" in script.string:
                head.append(f"<script>{script.string}</script>")
        head.append(f"<style>{PRINT_CSS.read_text()}</style>")

        self.toc = []
        bodies, references = [], None
        for page in self.pages:
            article = self.article(page)
            # the bibliography closes the book, wherever the site shows it
            citations = article.find(class_="citation-list")
            section = citations and citations.find_parent("section")
            if section and section.find(["h2", "h3"], recursive=False):
                references = (page, section.extract())
            self.rewrite(article, page)
            key = page_key(page)
            h1 = article.find("h1")
            if h1 is not None:
                number, text = _text(h1)
                self.toc.append(Entry(key, 1, number, text))
            for h2 in article.find_all("h2"):
                section = h2.find_parent("section")
                if section is None or not section.get("id"):
                    continue
                number, text = _text(h2)
                if number:  # numbered chapters list their sections
                    self.toc.append(Entry(section["id"], 2, number, text))
            bodies.append(
                f'<div class="book-page" id="{key}">'
                f'<article class="bd-article">{article.decode_contents()}'
                "</article></div>"
            )
        if references is not None:
            page, section = references
            self.rewrite(section, page)
            heading = section.find(["h2", "h3"])
            heading.name = "h1"
            for number in heading.select(".section-number"):
                number.decompose()
            section["id"] = "back-references"
            self.toc.append(Entry("back-references", 1, "", "References"))
            bodies.append(
                '<div class="book-page"><article class="bd-article">'
                f"{section}</article></div>"
            )
        cover = (
            '<div class="title-page">'
            f'<p class="book-title">{html.escape(title)}</p>'
            f'<p class="book-subtitle">{html.escape(subtitle)}</p>'
            f'<p class="book-author">{html.escape(meta["author"])}</p>'
            f'<p class="book-url">{html.escape(self.site_url)}</p>'
            f'<p class="book-copyright">© {html.escape(meta["copyright"])}'
            f" {html.escape(meta['author'])}</p></div>"
        )
        return (
            '<!DOCTYPE html>\n<html lang="en" data-theme="light">'
            f'<head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            + "".join(head)
            + "</head><body>"
            + cover
            + "{{toc}}"
            + "".join(bodies)
            + "</body></html>"
        )

    def toc_html(self, numbers: dict[str, int]) -> str:
        lines = []
        for entry in self.toc:
            page = numbers.get(entry.anchor, "")
            number = (
                f'<span class="toc-number">{html.escape(entry.number)}</span>'
                if entry.number
                else ""
            )
            lines.append(
                f'<li class="toc-{entry.level}"><a href="#{entry.anchor}">'
                f'{number}<span class="toc-title">{html.escape(entry.title)}'
                f'</span><span class="toc-page">{page}</span></a></li>'
            )
        return (
            '<div class="book-toc"><h1 class="toc-heading">Contents</h1>'
            f"<ul>{''.join(lines)}</ul></div>"
        )


def destinations(pdf: Path) -> dict[str, int]:
    """The page of each named destination (poppler's ``pdfinfo -dests``)."""
    out = subprocess.run(
        ["pdfinfo", "-dests", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages_of: dict[str, int] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+\[.*?\]\s+\"(.*)\"\s*$", line)
        if m:
            pages_of[m.group(2)] = int(m.group(1))
    return pages_of


def serve_from(site: Path, document: dict[str, str]):
    """A Playwright route handler: the site's files, or nothing."""

    def handle(route):
        url = route.request.url
        if not url.startswith(BASE):
            route.abort("blockedbyclient")
            return
        path = unquote(urlsplit(url).path.lstrip("/"))
        if path == "print.html":
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                body=document["html"],
            )
            return
        file = (site / path).resolve()
        if site.resolve() not in file.parents or not file.is_file():
            route.fulfill(status=404, body="")
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(status=200, content_type=kind, body=file.read_bytes())

    return handle


WAIT = """async () => {
  const start = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (Date.now() - start > 30000) throw new Error("MathJax never started");
    await new Promise(r => setTimeout(r, 50));
  }
  await MathJax.startup.promise;
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.complete
    ? null : new Promise(r => { img.onload = img.onerror = r; })));
  const broken = [...document.images].filter(i => !(i.naturalWidth > 0));
  return broken.map(i => i.src);
}"""


@dataclass
class Edition:
    """One PDF: a built site, where to write it, its subtitle and address."""

    site: Path
    out: Path
    subtitle: str
    site_url: str


def print_edition(page, edition: Edition, title: str, root: Path) -> int:
    """Print one edition with an open Playwright page; return its length."""
    book = Book(edition.site, edition.site_url, root)
    skeleton = book.document(title, edition.subtitle, config(root))
    # the pages of the last print, if any: when the book has not moved, the
    # first print is already right and the only one
    remembered = (
        edition.out.parent.parent / ".pdf-pages" / f"{edition.out.stem}.json"
    )
    try:
        numbers = json.loads(remembered.read_text())
    except (OSError, ValueError):
        numbers = {}
    document = {"html": skeleton.replace("{{toc}}", book.toc_html(numbers))}
    page.context.unroute("**/*")
    page.context.route("**/*", serve_from(edition.site, document))
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{BASE}print.html", wait_until="load")
    broken = page.evaluate(WAIT)
    if broken or problems:
        raise RuntimeError(
            f"printing {edition.site}: images not loaded {broken}, "
            f"errors {problems}"
        )
    page.emulate_media(media="print")
    edition.out.parent.mkdir(parents=True, exist_ok=True)
    draft = edition.out.with_suffix(".draft.pdf")
    for _ in range(4):
        page.pdf(
            path=str(draft),
            prefer_css_page_size=True,
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=FOOTER.format(title=html.escape(title)),
            outline=True,
        )
        dests = destinations(draft)
        found = {e.anchor: dests.get(e.anchor) for e in book.toc}
        missing = [a for a, n in found.items() if n is None]
        if missing:
            raise RuntimeError(f"no page found for {missing} in the PDF")
        if found == numbers:
            break  # the table of contents shows the right pages
        numbers = found
        # the same table, with the page numbers: nothing else moves
        page.evaluate(
            "toc => { document.querySelector('.book-toc').outerHTML = toc; }",
            book.toc_html(numbers),
        )
    else:
        raise RuntimeError("the page numbers did not settle")
    draft.replace(edition.out)
    remembered.parent.mkdir(parents=True, exist_ok=True)
    remembered.write_text(json.dumps(numbers, indent=1))
    return max(numbers.values())


def print_pdfs(
    editions: list[Edition], chromium: str, root: Path = ROOT
) -> list[int]:
    """Print each edition; return their lengths (at least, in pages)."""
    from playwright.sync_api import sync_playwright

    title = config(root)["title"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            lengths = []
            for edition in editions:
                context = browser.new_context()
                try:
                    lengths.append(
                        print_edition(context.new_page(), edition, title, root)
                    )
                finally:
                    context.close()
            return lengths
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build/html")
    parser.add_argument(
        "--student-site",
        type=Path,
        default=ROOT / "_build/student/_build/html",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "_build/pdf")
    parser.add_argument(
        "--site-url",
        help="where the site is published (default: from repository.url)",
    )
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    meta = config()
    site_url = args.site_url or pages_url(meta["repository"]["url"])
    editions = [
        Edition(args.site, args.out / FULL, SUBTITLE, site_url),
        Edition(
            args.student_site,
            args.out / STUDENT,
            f"{SUBTITLE}. Student edition: the exercises without solutions",
            f"{site_url}student/",
        ),
    ]
    for edition in editions:
        if not (edition.site / "index.html").exists():
            print(f"error: {edition.site} has no built site", file=sys.stderr)
            return 1
    if shutil.which("pdfinfo") is None:
        print(
            "error: pdfinfo is missing: make poppler (Debian's poppler-utils)",
            file=sys.stderr,
        )
        return 1
    try:
        lengths = print_pdfs(editions, args.chromium)
    except (RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for edition, length in zip(editions, lengths, strict=True):
        print(f"wrote {edition.out} ({length}+ pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
