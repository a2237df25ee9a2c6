"""The student launch: chapters without solutions (``make student-notebooks``).

Every student notebook must hold every exercise and nothing of any solution;
one of them is run top to bottom in a fresh kernel, as a student would on
Binder. The student edition's Binder, Colab and Thebe buttons, and the Colab
cell of the student notebooks, must open the ``student`` branch, where the
Pages workflow publishes these notebooks, never the chapters with solutions.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import BUILD, CHAPTERS, ROOT
from nbclient import NotebookClient
from test_launch import OWNER, REPO, REPO_URL, run_cell
from test_student_edition import solution_lines

sys.path.insert(0, str(ROOT / "tools"))
from student_notebooks import STUDENT_BRANCH  # noqa: E402

pytestmark = pytest.mark.book

OUT = BUILD / "student-notebooks"
STUDENT_HTML = BUILD / "student" / "_build" / "html"
EXERCISE = re.compile(r"^\s*[`:]{3,}\{exercise(?:-start)?\}", re.M)
SOLUTION = re.compile(r"\{solution(?:-start|-end)?\}")


def source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def student(chapter: str) -> dict:
    path = OUT / f"{chapter}.ipynb"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make student-notebooks`")
    return json.loads(path.read_text())


def everything(nb: dict) -> str:
    return "\n".join(" ".join(source(c).split()) for c in nb["cells"])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_is_valid_and_has_no_outputs(chapter):
    nb = nbformat.reads(json.dumps(student(chapter)), as_version=4)
    nbformat.validate(nb)
    ids = [c["id"] for c in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids are not unique"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_has_no_solution(chapter):
    nb = student(chapter)
    text = everything(nb)
    lines = solution_lines(ROOT / f"{chapter}.ipynb")
    assert lines, "no solution found to look for"
    leaked = [s for s in lines if s in text]
    assert not leaked, f"solution text left: {leaked}"
    assert not SOLUTION.search(text), "a solution directive is left"
    # the solutions' code cells are gone too
    full = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    kept = {c["id"] for c in nb["cells"]}
    removed = [c for c in full["cells"] if c["id"] not in kept]
    assert any(c["cell_type"] == "code" for c in removed)


def outside_solutions(nb: dict) -> tuple[dict[str, list[str]], set[str]]:
    """What a student notebook must keep: ``({cell id: lines}, code ids)``.

    Lines of markdown cells and code cells outside every solution (between
    ``solution-start`` and ``solution-end``, or inside a ``solution``), the
    solution directives' own lines aside.
    """
    lines: dict[str, list[str]] = {}
    code: set[str] = set()
    inside, fence = False, None
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            if not inside and fence is None:
                code.add(cell["id"])
            continue
        for raw in source(cell).splitlines():
            if fence is not None:  # in a solution directive's own lines
                if raw.strip() and set(raw.strip()) == {fence[0]}:
                    fence = None
                continue
            m = re.match(r"^\s*([`:]{3,})\{(solution(?:-start|-end)?)\}", raw)
            if m:
                fence = m.group(1)
                if m.group(2) == "solution-start":
                    inside = True
                elif m.group(2) == "solution-end":
                    inside = False
                continue
            if not inside and raw.strip():
                lines.setdefault(cell["id"], []).append(raw)
    return lines, code


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_keeps_every_exercise_and_the_rest(chapter):
    full = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    nb = student(chapter)

    def exercises(n: dict) -> int:
        return sum(
            len(EXERCISE.findall(source(c)))
            for c in n["cells"]
            if c["cell_type"] == "markdown"
        )

    assert exercises(nb) == exercises(full) >= 1
    # a cell for the answer after every exercise
    answers = [c for c in nb["cells"] if c["id"].endswith("-answer")]
    assert len(answers) == exercises(full)
    # everything outside the solutions is kept, in its own cell
    lines, code = outside_solutions(full)
    cells = {c["id"]: c for c in nb["cells"]}
    for cell_id, kept in lines.items():
        assert cell_id in cells, f"cell {cell_id} lost"
        text = source(cells[cell_id])
        missing = [line for line in kept if line not in text]
        assert not missing, f"cell {cell_id} lost {missing}"
    first_code = next(c for c in full["cells"] if c["cell_type"] == "code")
    for cell in full["cells"]:
        if cell["id"] in code and cell is not first_code:
            assert " ".join(source(cells[cell["id"]]).split()) == " ".join(
                source(cell).split()
            ), f"code cell {cell['id']} changed"


def colab_cell(nb: dict) -> str:
    return source(next(c for c in nb["cells"] if c["cell_type"] == "code"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_colab_cell_clones_the_student_branch(chapter, monkeypatch):
    code = colab_cell(student(chapter))
    assert run_cell(code, monkeypatch, on_colab=False) == []
    calls = run_cell(code, monkeypatch, on_colab=True)
    clones = [c for c in calls if c[:2] == ["git", "clone"]]
    assert clones, calls
    clone = clones[0]
    assert REPO_URL in clone
    assert clone[clone.index("--branch") + 1] == STUDENT_BRANCH


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_edition_launches_the_student_branch(chapter):
    page = STUDENT_HTML / f"{chapter}.html"
    html = page.read_text(encoding="utf-8")
    notebook = f"{chapter}.ipynb"
    binder = (
        f"https://mybinder.org/v2/gh/{OWNER}/{REPO}/{STUDENT_BRANCH}"
        f"?urlpath=lab/tree/{notebook}"
    )
    colab = (
        f"https://colab.research.google.com/github/{OWNER}/{REPO}/blob/"
        f"{STUDENT_BRANCH}/{notebook}"
    )
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert binder in hrefs and colab in hrefs
    launches = [
        h for h in hrefs if "mybinder.org" in h or "colab.research" in h
    ]
    assert all(f"/{STUDENT_BRANCH}" in h for h in launches), launches
    config = re.search(
        r'<script type="text/x-thebe-config">(.*?)</script>', html, re.S
    )
    assert config and f'ref: "{STUDENT_BRANCH}"' in config.group(1)
    # the download button offers the student notebook, nothing else
    downloads = [h for h in hrefs if h.endswith(".ipynb") and "://" not in h]
    assert downloads == [f"{Path(chapter).name}.ipynb"], downloads
    served = json.loads((page.parent / downloads[0]).read_text())
    assert served == student(chapter)
    assert not [h for h in hrefs if "_sources" in h]


def test_a_student_notebook_runs_top_to_bottom():
    """The first chapter, as a student runs it (a fresh kernel)."""
    chapter = CHAPTERS[0]
    nb = nbformat.reads(json.dumps(student(chapter)), as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    ran = [c for c in nb.cells if c.cell_type == "code" and c.execution_count]
    assert len(ran) == len([c for c in nb.cells if c.cell_type == "code"])
