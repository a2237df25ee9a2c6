"""Tests of causalbook.mechanics.

The message log, the verdict rule and its colours, the agreement checks,
source links, and code and errors shown to fit the page.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
import pytest
from numpyro import handlers as H

from causalbook import exact
from causalbook.mechanics import (
    PAGE_WIDTH,
    VERDICT_BACKGROUNDS,
    VERDICT_COLORS,
    VERDICTS,
    Agreement,
    LoggedMessage,
    MessageLog,
    code_without_docstring,
    error_text,
    numpyro_source_url,
    source_to_fit,
    style_verdicts,
    verdict,
)
from causalbook.models import (
    LINEAR,
    model_01,
    model_02,
    model_03,
    scm_1,
    scm_2,
)
from causalbook.stats import Moments

KEY = jax.random.PRNGKey(0)


def run(fn, key=KEY):
    return H.seed(fn, key)()


# --- MessageLog --------------------------------------------------------------
@pytest.mark.parametrize(
    "model, expected",
    [
        (model_01, {"x": "sample", "_y": "sample", "y": "deterministic"}),
        (
            model_02,
            {
                "_y": "sample",
                "_x": "sample",
                "y": "deterministic",
                "x": "deterministic",
            },
        ),
        (
            model_03,
            {
                "_z": "sample",
                "_y": "sample",
                "y": "deterministic",
                "x": "deterministic",
            },
        ),
        (scm_2, {"y": "sample", "x": "sample"}),
    ],
)
def test_log_records_each_site_in_order(model, expected):
    log = MessageLog(model)
    run(log)
    assert log.types() == expected
    assert list(log.types()) == list(expected)  # the order the model sent them
    assert all(isinstance(r, LoggedMessage) for r in log.records)


def test_log_values_are_what_the_model_returned():
    log = MessageLog(model_02)
    x, y = run(log)
    assert float(log["x"].value) == float(x) and float(
        log["y"].value
    ) == float(y)
    assert not any(r.is_observed for r in log.records)


def test_log_outside_condition_shows_what_condition_did():
    log = MessageLog(H.condition(scm_2, {"x": 3.0}))
    run(log)
    assert float(log["x"].value) == 3.0 and log["x"].is_observed
    assert not log["y"].is_observed


def test_log_shows_condition_skipping_a_deterministic_site():
    plain, conditioned = (
        MessageLog(model_02),
        MessageLog(H.condition(model_02, {"x": 3.0})),
    )
    run(plain)
    run(conditioned)
    assert conditioned["x"].type == "deterministic"
    assert not conditioned["x"].is_observed
    # same key, same value as with no handler at all: condition did nothing
    assert float(conditioned["x"].value) == float(plain["x"].value) != 3.0


def test_log_inside_and_outside_do():
    inner = MessageLog(scm_1)
    outer = MessageLog(H.do(inner, {"x": 3.0}))
    x, y = run(outer)
    assert outer.names() == ["x", "y"]  # the intervened copy is stopped by do
    assert inner.names() == ["x", "x__CF", "y"]
    assert float(inner["x__CF"].value) == 3.0 and inner["x__CF"].is_observed
    assert float(x) == 3.0  # what the model got back
    assert float(outer["x"].value) != 3.0  # the fresh draw under the old name


def test_log_as_context_manager_and_reset_between_runs():
    with MessageLog() as log:
        run(scm_1)
    assert isinstance(log, MessageLog) and log.names() == ["x", "y"]
    reused = MessageLog(scm_1)
    run(reused)
    run(reused, jax.random.PRNGKey(1))
    assert reused.names() == ["x", "y"]  # not ['x', 'y', 'x', 'y']
    assert not numpyro.primitives._PYRO_STACK


def test_log_records_plates_and_missing_names_raise():
    def model():
        with numpyro.plate("N", 3):
            numpyro.sample("a", dist.Normal(0.0, 1.0))

    log = MessageLog(model)
    run(log)
    assert log.types() == {"N": "plate", "a": "sample"}
    assert np.shape(log["a"].value) == (3,)
    with pytest.raises(KeyError, match="no message named 'b'"):
        log["b"]


# --- verdict -----------------------------------------------------------------
TARGET = exact.conditional(LINEAR["M2"], {"x": 3.0})  # y ~ N(4, 3)


def est(mean=4.0, var=3.0, se=0.01):
    return Moments(mean=mean, mean_se=se, var=var, var_se=2 * se, n=1e5)


@pytest.mark.parametrize(
    "reached, answers, expected",
    [
        (True, True, "right"),
        (False, True, "right by accident"),
        (True, False, "right by accident"),
        (False, False, "right by accident"),
    ],
)
def test_verdict_when_the_estimate_agrees(reached, answers, expected):
    assert (
        verdict(
            est(),
            TARGET,
            "y",
            handler_reached=reached,
            method_answers_query=answers,
        )
        == expected
    )


@pytest.mark.parametrize(
    "estimate", [est(mean=1.0, var=4.0), est(mean=4.1), est(var=3.2)]
)
def test_verdict_wrong_whatever_the_reason(estimate):
    for reached in (True, False):
        assert (
            verdict(
                estimate,
                TARGET,
                "y",
                handler_reached=reached,
                method_answers_query=True,
            )
            == "wrong"
        )


def test_verdict_threshold_in_standard_errors():
    just_in, just_out = est(mean=4.0 + 4.4 * 0.01), est(mean=4.0 + 4.6 * 0.01)
    kw = {"handler_reached": True, "method_answers_query": True}
    assert verdict(just_in, TARGET, "y", **kw) == "right"
    assert verdict(just_out, TARGET, "y", **kw) == "wrong"
    assert verdict(just_out, TARGET, "y", z=5.0, **kw) == "right"
    assert set(VERDICTS) == {"right", "right by accident", "wrong"}


# --- numpyro_source_url ------------------------------------------------------
@pytest.mark.parametrize(
    "obj, path, first",
    [
        (
            H.condition.process_message,
            "numpyro/handlers.py",
            "def process_message",
        ),
        (H.do.process_message, "numpyro/handlers.py", "def process_message"),
        (numpyro.deterministic, "numpyro/primitives.py", "def deterministic"),
    ],
)
def test_source_url_points_at_the_installed_lines(obj, path, first):
    url = numpyro_source_url(obj)
    prefix = f"https://github.com/pyro-ppl/numpyro/blob/{numpyro.__version__}/{path}#L"
    assert url.startswith(prefix)
    start, end = (int(n) for n in url[len(prefix) :].split("-L"))
    lines = (
        Path(numpyro.__file__)
        .parent.parent.joinpath(path)
        .read_text()
        .splitlines()
    )
    assert lines[start - 1].strip().startswith(first)
    assert "".join(
        line + "\n" for line in lines[start - 1 : end]
    ) == inspect.getsource(obj)
    assert numpyro_source_url(obj, version="9.9.9").startswith(
        f"https://github.com/pyro-ppl/numpyro/blob/9.9.9/{path}#L"
    )


def test_source_url_refuses_code_outside_numpyro():
    with pytest.raises(ValueError, match="not defined in the numpyro package"):
        numpyro_source_url(verdict)


# --- code_without_docstring --------------------------------------------------
def test_code_without_docstring_drops_only_the_docstring():
    code = code_without_docstring(model_02)
    assert '"""' not in code and "M2 as posted" not in code
    tree = ast.parse(code)
    fn = tree.body[0]
    assert (
        fn.name == "model_02"
        and len(fn.body)
        == len(ast.parse(inspect.getsource(model_02)).body[0].body) - 1
    )
    assert code.splitlines()[0] == "def model_02():"
    assert (
        'x = numpyro.deterministic("x", (y - 1) / 4 + jnp.sqrt(3) * _x / 2)'
        in code
    )


def no_docstring(a):
    return a + 1


def test_code_without_docstring_leaves_other_code_alone():
    assert (
        code_without_docstring(no_docstring)
        == inspect.getsource(no_docstring).rstrip()
    )


# --- source_to_fit and error_text --------------------------------------------
@pytest.mark.parametrize(
    "obj",
    [
        H.condition.process_message,
        H.do.process_message,
        H.substitute.process_message,
        MessageLog.postprocess_message,
    ],
)
def test_source_to_fit_changes_only_the_layout(obj):
    code = source_to_fit(obj)
    assert max(len(line) for line in code.splitlines()) <= PAGE_WIDTH == 77
    original = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    assert ast.dump(ast.parse(code)) == ast.dump(original)
    # comments are kept too (ast drops them)
    comments = [
        line.split("#", 1)[1].strip()
        for line in inspect.getsource(obj).splitlines()
        if line.strip().startswith("#")
    ]
    for comment in comments:
        assert comment in code


@pytest.mark.parametrize("model", [model_02, scm_1, scm_2])
def test_source_to_fit_without_the_docstring(model):
    code = source_to_fit(model, docstring=False)
    assert max(len(line) for line in code.splitlines()) <= PAGE_WIDTH
    assert ast.dump(ast.parse(code)) == ast.dump(
        ast.parse(code_without_docstring(model))
    )
    assert '"""' not in code


def a_function_with_a_long_string():
    return "a string far too long to be broken over lines by any formatter"


def test_source_to_fit_refuses_what_cannot_fit():
    assert source_to_fit(a_function_with_a_long_string, width=79)
    with pytest.raises(ValueError, match="still wider than 40 columns"):
        source_to_fit(a_function_with_a_long_string, width=40)


def test_error_text_wraps_every_paragraph():
    err = ValueError(
        "condition: 'x' is a deterministic site, not a sample site; " * 4
        + "\nsecond paragraph"
    )
    text = error_text(err, width=50)
    lines = text.splitlines()
    assert lines[0] == "ValueError:"
    assert all(len(line) <= 50 for line in lines)
    assert lines[-1] == "second paragraph"
    assert " ".join(lines[1:-1]).split() == str(err).split("\n")[0].split()


# --- verdict colours ---------------------------------------------------------
def test_style_verdicts_shades_only_verdict_cells():
    table = pd.DataFrame(
        {"verdict": list(VERDICTS), "note": ["right-ish", "wrong!", "x"]}
    )
    html = style_verdicts(table).to_html()
    for v in VERDICTS:
        assert VERDICT_BACKGROUNDS[v] in html
    # dark text on the light cells, so dark mode keeps them legible
    assert html.count("color: #222222") == len(VERDICTS)
    assert 'class="dataframe"' in html  # laid out like other tables
    assert set(VERDICT_COLORS) == set(VERDICT_BACKGROUNDS) == set(VERDICTS)


# --- Agreement ---------------------------------------------------------------
SEEING = exact.conditional(LINEAR["M1"], {"x": 3.0})  # y ~ N(4, 3)


def test_agreement_records_mean_and_variance_with_their_distance():
    checks = Agreement(z=4.5)
    e = est(mean=4.02, var=2.9, se=0.01)  # var_se = 0.02
    assert checks.check("a", e, SEEING, "y") is e
    (mean, var) = checks.records
    assert (mean.moment, var.moment) == ("mean", "variance")
    assert mean.z == pytest.approx(2.0) and var.z == pytest.approx(5.0)
    assert not checks.all_within()
    assert checks.farthest() is var
    with pytest.raises(ValueError, match="5.0 standard errors"):
        checks.describe()


def test_agreement_flags_the_unusual_and_counts_what_chance_gives():
    checks = Agreement(z=4.5, flag=2.5)
    checks.check("near", est(mean=4.0, var=3.0), SEEING, "y")
    checks.check("far", est(mean=4.03, var=3.0), SEEING, "y")
    checks.check("farther", est(mean=4.04, var=3.0), SEEING, "y")
    assert checks.all_within()
    assert [c.label for c in checks.flagged()] == ["farther", "far"]
    assert checks.expected_beyond_flag() == pytest.approx(
        6 * 0.012419, rel=1e-3
    )
    text = checks.describe()
    assert text.startswith("All 6 sampled means and variances")
    assert "2 lie beyond 2.5: farther (mean, 4.0 standard errors)" in text
    assert list(checks.table()) == [
        "estimate",
        "moment",
        "sampled",
        "exact",
        "SEs away",
    ]


def test_agreement_says_when_nothing_is_unusual():
    checks = Agreement()
    checks.check("near", est(mean=4.001, var=3.0), SEEING, "y")
    assert checks.flagged() == []
    assert "None lies beyond 2.5; the farthest is 0.1" in checks.describe()


def test_agreement_refuses_bad_input():
    with pytest.raises(ValueError, match="must be positive"):
        Agreement(z=0)
    checks = Agreement()
    with pytest.raises(ValueError, match="nothing was checked"):
        checks.describe()
    with pytest.raises(ValueError, match="nothing was checked"):
        checks.farthest()
    checks.check("a", est(), SEEING, "y")
    with pytest.raises(ValueError, match="'a' was already checked"):
        checks.check("a", est(), SEEING, "y")
    with pytest.raises(ValueError, match="standard errors must be positive"):
        checks.check("b", est(se=0.0), SEEING, "y")


def test_agreement_glue_returns_the_estimate_and_checks_it():
    checks = Agreement()
    e = est()
    assert checks.glue("ch0_demo", e, SEEING, "y") is e
    assert checks.glue("ch0_other", e, SEEING, "y", label="M1, NUTS") is e
    assert [c.label for c in checks.records] == [
        "ch0_demo",
        "ch0_demo",
        "M1, NUTS",
        "M1, NUTS",
    ]
