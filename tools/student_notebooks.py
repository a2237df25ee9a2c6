"""The chapters without solutions, for students: ``make student-notebooks``.

Writes every chapter of the table of contents to
``_build/student-notebooks/<same path>.ipynb`` with each exercise's solution
removed, its text and its code: everything from a ``solution-start`` directive
to its ``solution-end`` (both included), and every ``solution`` directive. The
exercises stay. Cells left empty are dropped; the others keep their ids. The
first code cell, which on Colab clones the repository, clones its ``student``
branch instead, where the Pages workflow publishes these notebooks: the
student edition's Binder, Colab and Thebe buttons point there.

The output is formatted with ruff, like the chapters.

Usage: ``python tools/student_notebooks.py [--out _build/student-notebooks]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters  # noqa: E402

#: The branch that holds the student notebooks (the Pages workflow writes it).
STUDENT_BRANCH = "student"
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{([\w-]+)\}")


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def answer_cell(after: dict, n: int) -> dict:
    """An empty code cell for the answer to an exercise."""
    cell_id = after.get("id") or "exercise"
    suffix = "-answer" if n == 0 else f"-answer-{n + 1}"
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"{cell_id}{suffix}",
        "metadata": {},
        "outputs": [],
        "source": ["# Your answer"],
    }


def strip_solutions(cells: list[dict]) -> list[dict]:
    """The cells without the solutions (a copy), exercises kept.

    Where a solution was, an empty code cell waits for the student's answer.

    >>> md = "markdown"
    >>> cells = [
    ...     {"cell_type": md, "id": "a", "source": "```{exercise}\\nDo it.\\n"
    ...      "```\\n```{solution-start} ex\\n:class: dropdown\\n```\\n"
    ...      "How.\\n"},
    ...     {"cell_type": "code", "source": "answer = 42"},
    ...     {"cell_type": md, "source": "```{solution-end}\\n```\\nAfter."},
    ...     {"cell_type": md, "id": "b", "source": ":::{solution} ex\\nGone."
    ...      "\\n:::\\n"},
    ... ]
    >>> [(c.get("id"), _source(c)) for c in strip_solutions(cells)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('a', '```{exercise}\\nDo it.\\n```'), ('a-answer', '# Your answer'),
     (None, 'After.'), ('b-answer', '# Your answer')]
    """
    out: list[dict] = []
    inside = False  # between solution-start and solution-end
    skip_to: str | None = None  # the closing fence of a skipped directive
    ends_solution = False
    for cell in cells:
        kept: list[str] = []
        opened = 0  # solutions that start in this cell
        is_code = cell["cell_type"] == "code"
        for line in [] if is_code else _lines(_source(cell)):
            if skip_to is not None:
                if re.fullmatch(
                    rf"\s*{re.escape(skip_to[0])}{{{len(skip_to)},}}\s*", line
                ):
                    skip_to = None
                    if ends_solution:
                        inside, ends_solution = False, False
                continue
            m = FENCE.match(line)
            name = m.group(2) if m else None
            if name in ("solution-start", "solution"):
                skip_to = m.group(1)
                inside = inside or name == "solution-start"
                opened += 1
                continue
            if name == "solution-end":
                skip_to, ends_solution = m.group(1), True
                continue
            if not inside:
                kept.append(line)
        if cell["cell_type"] == "code":
            if not inside:
                out.append(copy.deepcopy(cell))
            continue
        text = "".join(kept).strip("\n")
        if text.strip():
            new = copy.deepcopy(cell)
            new["source"] = _lines(text)
            out.append(new)
        for n in range(opened):
            out.append(answer_cell(cell, n))
    if inside or skip_to is not None:
        raise ValueError("a solution is not closed (solution-end missing)")
    return out


def student_colab_cell(source: str, branch: str = STUDENT_BRANCH) -> str:
    """The Colab cell, cloning the student branch.

    >>> student_colab_cell('subprocess.run(["git", "clone", repo, where])')
    'subprocess.run(["git", "clone", "--branch", "student", repo, where])'
    """
    new, count = re.subn(
        r'"git",\s*"clone",',
        f'"git", "clone", "--branch", "{branch}",',
        source,
    )
    if count != 1:
        raise ValueError(
            'the Colab cell has no single ["git", "clone", ...] command to '
            "point at the student branch"
        )
    return new


def student_notebook(nb: dict) -> dict:
    """A chapter for students: no solutions, no outputs, the student branch."""
    nb = copy.deepcopy(nb)
    nb["cells"] = strip_solutions(nb["cells"])
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if not code or "google.colab" not in _source(code[0]):
        raise ValueError("the first code cell is not the Colab set-up cell")
    code[0]["source"] = student_colab_cell(_source(code[0]))
    for cell in code:
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def write(out: Path, root: Path = ROOT) -> list[Path]:
    """Write every chapter's student notebook under ``out``."""
    if out.exists():
        shutil.rmtree(out)
    written = []
    for chapter in chapters(root):
        source = root / f"{chapter}.ipynb"
        nb = student_notebook(json.loads(source.read_text()))
        target = out / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run(
        [
            str(ruff) if ruff.exists() else "ruff",
            "format",
            "--quiet",
            str(out),
        ],
        check=True,
        cwd=root,
    )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "_build/student-notebooks"
    )
    args = parser.parse_args(argv)
    try:
        written = write(args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
