"""The student edition (`make book-student`), without exercise solutions.

It is the same site with every exercise solution removed. Each solution's own
lines (its prose and its code, between ``solution-start`` and ``solution-end``)
must be absent from every file of the student site, while the full site shows
them and the student site still shows every exercise.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
from conftest import BUILD, ROOT
from conftest import CHAPTERS as TOC_CHAPTERS

pytestmark = pytest.mark.book

STUDENT = (
    Path(os.environ.get("STUDENT_BUILD_DIR", BUILD / "student" / "_build"))
    / "html"
)
FULL = BUILD / "html"
#: The chapters: the notebooks the table of contents lists.
CHAPTERS = [ROOT / f"{p}.ipynb" for p in TOC_CHAPTERS]


def source(cell: dict) -> str:
    return (
        "".join(cell["source"])
        if isinstance(cell["source"], list)
        else cell["source"]
    )


def split_solutions(nb: Path) -> tuple[list[str], list[str]]:
    """A chapter's source lines inside its solutions, and outside them."""
    inside, lines, elsewhere = False, [], []
    for cell in json.loads(nb.read_text())["cells"]:
        for line in source(cell).splitlines():
            if re.match(r"^\s*[`:]{3,}\{solution-start\}", line):
                inside = True
            elif re.match(r"^\s*[`:]{3,}\{solution-end\}", line):
                inside = False
            elif not line.strip().startswith(("```", ":::", ":")):
                (lines if inside else elsewhere).append(" ".join(line.split()))
    return lines, elsewhere


def solution_lines(nb: Path) -> list[str]:
    """Distinctive lines of the chapter's solutions.

    Long enough, and found nowhere else in the chapter nor outside the
    solutions of another chapter (where the student edition keeps them).
    """
    lines, elsewhere = split_solutions(nb)
    for other in sorted(nb.parent.glob("*.ipynb")):
        if other != nb:
            elsewhere += split_solutions(other)[1]
    others = "\n".join(elsewhere)
    return [
        s
        for s in dict.fromkeys(lines)
        if len(s) >= 30 and s not in others and "$" not in s
    ]


def page_text(path: Path) -> str:
    """A page's text: tags removed, entities decoded, whitespace collapsed."""
    text = re.sub(
        r"<(script|style)\b.*?</\1>",
        " ",
        path.read_text(errors="replace"),
        flags=re.S,
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def site_text(site: Path) -> dict[Path, str]:
    return {
        p: page_text(p)
        if p.suffix == ".html"
        else " ".join(p.read_text(errors="replace").split())
        for p in site.rglob("*")
        if p.is_file()
        and p.suffix in {".html", ".js", ".txt", ".ipynb", ".md", ".json"}
        and "_static" not in p.parts
    }


@pytest.fixture(scope="module")
def student_site() -> dict[Path, str]:
    if not (STUDENT / "index.html").exists():
        pytest.fail(
            f"{STUDENT} has no student edition: run `make book-student` first"
        )
    return site_text(STUDENT)


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_has_no_solution(student_site, nb):
    lines = solution_lines(nb)
    assert lines, f"{nb.name}: no solution lines found to check"
    full_page = page_text(FULL / "notebooks" / f"{nb.stem}.html")
    shown = [s for s in lines if s in full_page]
    assert len(shown) >= len(lines) // 2, (
        "the full edition should show the solutions (is the check blind?)"
    )
    leaked = {
        str(p.relative_to(STUDENT)): s
        for p, text in student_site.items()
        for s in shown
        if s in text
    }
    assert not leaked, f"solution text in the student edition: {leaked}"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_keeps_the_exercises(nb):
    page = (STUDENT / "notebooks" / f"{nb.stem}.html").read_text()
    md = "\n".join(
        source(c)
        for c in json.loads(nb.read_text())["cells"]
        if c["cell_type"] == "markdown"
    )
    n_exercises = len(
        re.findall(r"^[`:]{3,}\{exercise(?:-start)?\}", md, re.M)
    )
    assert page.count('class="exercise admonition') == n_exercises
    assert 'class="solution' not in page
    assert not (STUDENT / "_sources").exists(), (
        "page sources (with the solutions) are published"
    )
