"""Notebook hygiene: outputs, table of contents, seeds, chapter structure.

Notebooks are stored without outputs, all in the table of contents, seeded, and
the chapters are well-formed.
"""

import json
import re

import pytest
from conftest import CHAPTERS, PAGES, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cells(nb):
    return json.loads(nb.read_text())["cells"]


def source(cell):
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(nb):
    for c in cells(nb):
        if c["cell_type"] == "code":
            assert not c.get("outputs"), f"{nb.name} has stored outputs"
            assert c.get("execution_count") is None, (
                f"{nb.name} has execution counts"
            )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_in_the_table_of_contents(nb):
    assert f"notebooks/{nb.stem}" in CHAPTERS


def test_toc_lists_only_existing_files():
    for f in PAGES:
        assert any(
            (ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")
        ), f


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_structure(nb):
    cs = cells(nb)
    md = "\n".join(source(c) for c in cs if c["cell_type"] == "markdown")
    code = "\n".join(source(c) for c in cs if c["cell_type"] == "code")
    titles = [line for line in md.splitlines() if line.startswith("# ")]
    assert len(titles) == 1, (
        f"{nb.name}: one title expected, found {len(titles)} level-1 headings"
    )
    assert re.match(
        r"\((ch-[a-z0-9-]+)\)=\n# ",
        source(next(c for c in cs if c["cell_type"] == "markdown")),
    ), "the first cell opens with the chapter's label and title"
    assert "you will learn" in md, (
        "chapters open with what the reader will learn"
    )
    assert "Prerequisites" in md
    assert "## Summary" in md
    n_ex = md.count("```{exercise}")
    assert n_ex >= 2, f"{nb.name} has {n_ex} exercises"
    assert md.count("```{solution-start}") == n_ex, (
        "every exercise has a solution"
    )
    assert md.count(":class: dropdown") >= n_ex, "solutions are collapsed"
    # randomness flows from explicit keys: no global NumPy or Python RNG state
    assert "PRNGKey" in code
    assert not re.search(
        r"np\.random\.(seed|normal|rand|randn|uniform)\(", code
    )
    assert "progress_bar=True" not in code
    last_code = source([c for c in cs if c["cell_type"] == "code"][-1])
    assert "report.versions()" in last_code, (
        "chapters close with the versions they ran with"
    )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_figures_have_captions_and_alt_text(nb):
    for c in cells(nb):
        if c["cell_type"] != "code":
            continue
        src = source(c)
        makes_figure = (
            "plt.show()" in src
            or "render_model(" in src
            or "plots.causal_graph(" in src
        )
        if makes_figure and "remove-output" not in c["metadata"].get(
            "tags", []
        ):
            meta = c["metadata"].get("mystnb", {})
            assert meta.get("figure", {}).get("caption"), (
                f"{nb.name}: figure without caption:\n{src[:200]}"
            )
            assert meta.get("image", {}).get("alt"), (
                f"{nb.name}: figure without alt text:\n{src[:200]}"
            )
