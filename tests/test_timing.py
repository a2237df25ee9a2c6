"""The two pages that give chapter times say which build each comes from.

The timing page (book/timing.md, MyST-NB's ``nb-exec-table``) shows the
execution times of the build that made the site, from that build's own
execution cache; the performance appendix (book/performance.md, with
benchmarks/results.md) shows those of ``make bench``'s own clean builds, on
the date and machine it names. Each page says so and links to the other.
"""

from __future__ import annotations

import html
import re

import pytest
from conftest import BUILD, CHAPTERS, ROOT
from jupyter_cache import get_cache

pytestmark = pytest.mark.book

HTML = BUILD / "html"


def page_text(page: str) -> str:
    source = (HTML / f"{page}.html").read_text(encoding="utf-8")
    body = re.search(r"<article\b.*?</article>", source, re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def timing_rows() -> dict[str, list[str]]:
    """The timing page's table: chapter -> its cells (after the name)."""
    source = (HTML / "book/timing.html").read_text(encoding="utf-8")
    rows = {}
    for row in re.findall(r"<tr\b.*?</tr>", source, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<td\b.*?</td>", row, re.S)
        ]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_timing_page_shows_this_builds_execution_times():
    """Each chapter's run time on the timing page is the one this build's
    execution cache recorded for the chapter as it is now."""
    cache = get_cache(str(BUILD / ".jupyter_cache"))
    rows = timing_rows()
    assert set(rows) == set(CHAPTERS), (
        "the timing table is not one row per chapter"
    )
    for chapter in CHAPTERS:
        record = cache.match_cache_file(str(ROOT / f"{chapter}.ipynb"))
        seconds = record.data["execution_seconds"]
        # MyST-NB's nb-exec-table: Modified, Method, Run Time (s), Status
        assert rows[chapter][2] == str(round(seconds, 2)), (
            f"{chapter}: the timing page shows {rows[chapter][2]} s, this "
            f"build's cache recorded {seconds:.2f} s"
        )


def test_timing_page_says_which_build_and_links_to_the_appendix():
    text = page_text("book/timing")
    assert "the build that made this site" in text
    assert "the machine that built the site" in text
    assert "make bench" in text
    source = (HTML / "book/timing.html").read_text(encoding="utf-8")
    assert 'href="performance.html#app-performance"' in source


def test_appendix_says_which_run_and_links_to_the_timing_page():
    text = page_text("book/performance")
    date = re.search(
        r"Measured on (\d{4}-\d{2}-\d{2}) on ([^,]+), (\d+) cores", text
    )
    assert date, "the appendix does not say when and on what it was measured"
    assert "the build that made this site" in text
    assert "They come from this benchmark run" in text
    source = (HTML / "book/performance.html").read_text(encoding="utf-8")
    assert 'href="timing.html#timing"' in source
