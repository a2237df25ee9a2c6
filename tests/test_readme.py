"""The README's code runs, and says what it gives.

The Python blocks of the README's "The helper package" section run in order
in one namespace. ``expression  # -> text`` (or ``# -> text`` on the next
line) claims that the expression's ``repr`` is ``text``: each claim is
checked. The NumPyro
estimates of the user-defined model are checked against its exact answers.
"""

import ast
import re

import numpy as np
import pytest
from conftest import ROOT

from causalbook import stats

MARK = "# -> "


def helper_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## The helper package")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def claims(block: str) -> list[tuple[str, str]]:
    """``(expression source, claimed repr)`` for each claim of a block.

    A claim is a ``# -> `` comment at the end of an expression statement's
    last line, or alone on the line right after it.
    """
    lines = block.splitlines()
    found = []
    for stmt in ast.parse(block).body:
        last = lines[stmt.end_lineno - 1]
        after = lines[stmt.end_lineno] if stmt.end_lineno < len(lines) else ""
        if MARK in last:
            claim = last.split(MARK, 1)[1]
        elif after.lstrip().startswith(MARK):
            claim = after.lstrip()[len(MARK) :]
        else:
            continue
        assert isinstance(stmt, ast.Expr), f"a claim on a statement: {last}"
        found.append((ast.get_source_segment(block, stmt), claim.strip()))
    return found


@pytest.fixture(scope="module")
def readme():
    """The namespace after running the blocks, and the claims they make."""
    namespace: dict = {}
    all_claims = []
    for block in python_blocks(helper_section()):
        exec(compile(block, "README.md", "exec"), namespace)
        all_claims += claims(block)
    return namespace, all_claims


def test_the_section_has_the_user_defined_model(readme):
    namespace, found = readme
    assert "scm" in namespace and namespace["scm"].name == "mine"
    assert len(found) >= 8


def test_every_claimed_result_is_what_the_code_gives(readme):
    namespace, found = readme
    for code, claim in found:
        assert repr(eval(code, namespace)) == claim, code


def test_numpyro_agrees_with_the_exact_answers(readme):
    ns, _ = readme
    exact, scm = ns["exact"], ns["scm"]
    want = exact.conditional(scm, {"x": 1.0}).marginal("y")
    assert ns["seen"].agrees_with(want.mean("y"), want.var("y"), z=4.5)
    want = exact.interventional(scm, {"x": 1.0}).marginal("y")
    done = stats.moments(np.asarray(ns["done"]))
    assert done.agrees_with(want.mean("y"), want.var("y"), z=4.5)
    want = exact.counterfactual(scm, {"x": 1.0}, {"x": 0.0}).marginal("y")
    assert ns["imagined"].agrees_with(want.mean("y"), want.var("y"), z=4.5)
