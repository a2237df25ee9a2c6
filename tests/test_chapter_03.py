"""Chapter 3's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. The
chapter states its tolerance (``ch3_tol_z``): an estimate agrees with its
exact value when it is within that many of its own glued Monte Carlo
standard errors. Every glued estimate (every number glued with a standard
error) is checked against its exact answer from causalbook.exact at that
tolerance; the chapter's seeds are fixed, so the checks are deterministic.
"""

import numpy as np
import pytest
from conftest import far_from_exact, glued_estimates

from causalbook import doing, exact
from causalbook.models import LINEAR, MODELS

STEM = "03_doing"
#: the largest tolerance the chapter may state, in standard errors
MAX_TOL = 4.0


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


@pytest.fixture(scope="module")
def tol(g):
    assert 2.0 <= g["ch3_tol_z"] <= MAX_TOL
    return g["ch3_tol_z"]


def close(g, tol, name, truth, max_se=0.1):
    est, se = g[name], g[f"{name}_se"]
    assert 0 < se < max_se, (name, se)
    assert abs(est - truth) < tol * se, (name, est, se, truth)


def do_x(g):
    return {"x": g["ch3_x_do"]}


def exact_values(g) -> dict[str, float]:
    """The exact answer of every estimate the chapter glues."""
    truth: dict[str, float] = {}
    for m in MODELS:
        scm = LINEAR[m]
        do = exact.interventional(scm, do_x(g))
        see = exact.conditional(scm, do_x(g))
        split = exact.joint(doing.node_split(scm, do_x(g)))
        doy = exact.interventional(scm, {"y": g["ch3_y_do"]})
        for way in ("hand", "do"):
            truth[f"ch3_{m}_{way}_ey"] = do.mean("y")
            truth[f"ch3_{m}_{way}_vary"] = do.var("y")
        for v in ("x", "y"):
            truth[f"ch3_gotcha_{m}_{v}_mean"] = split.mean(v)
            truth[f"ch3_gotcha_{m}_{v}_var"] = split.var(v)
        truth[f"ch3_gotcha_{m}_covxy"] = split.cov_of("x", "y")
        truth[f"ch3_see_{m}_ey"] = see.mean("y")
        truth[f"ch3_see_{m}_vary"] = see.var("y")
        truth[f"ch3_doy_{m}_ex"] = doy.mean("x")
        truth[f"ch3_doy_{m}_varx"] = doy.var("x")
        truth[f"ch3_sweep_{m}_slope"] = exact.interventional(
            scm, {"y": 1.0}
        ).mean("x") - exact.interventional(scm, {"y": 0.0}).mean("x")
    # model 3's observational Y: its P(Y | do(X = 3)) under its own graph
    truth["ch3_m3_obs_y_mean"] = exact.joint(LINEAR["M3"]).mean("y")
    truth["ch3_m3_obs_y_var"] = exact.joint(LINEAR["M3"]).var("y")
    return truth


def test_every_glued_estimate_agrees_with_its_exact_value(g, tol):
    estimates = glued_estimates(g)
    truth = exact_values(g)
    unchecked = [n for n in estimates if n not in truth]
    assert not unchecked, (
        f"glued estimates without an exact answer: {unchecked}"
    )
    far = far_from_exact(g, truth, estimates, tol)
    assert not far, far
    assert len(estimates) >= 44


def test_no_estimate_is_unusually_far_from_its_exact_value(g):
    """Beyond 2.5 standard errors an estimate would need a sentence.

    The chapter has no such sentence, so every estimate must be closer.
    """
    truth = exact_values(g)
    far = {
        n: abs(g[n] - truth[n]) / g[f"{n}_se"]
        for n in truth
        if abs(g[n] - truth[n]) > 2.5 * g[f"{n}_se"]
    }
    assert not far, far


def test_intervention_values(g):
    assert g["ch3_x_do"] == 3.0
    assert g["ch3_n"] >= 100_000


@pytest.mark.parametrize("m", MODELS)
def test_exact_interventional_values_in_the_prose(g, m):
    truth = exact.interventional(LINEAR[m], do_x(g))
    assert g[f"ch3_exact_do_{m}_ey"] == pytest.approx(truth.mean("y"))
    assert g[f"ch3_exact_do_{m}_vary"] == pytest.approx(truth.var("y"))
    assert (
        g[f"ch3_exact_do_{m}"]
        == f"$\\mathcal N({truth.mean('y'):.4g}, {truth.var('y'):.4g})$"
    )


def test_exact_answers_are_the_books():
    # N(4, 3), N(1, 4), N(1, 4): the table in the notes, from the coefficients
    answers = [
        exact.interventional(LINEAR[m], {"x": 3.0}).marginal("y")
        for m in MODELS
    ]
    assert [(a.mean("y"), a.var("y")) for a in answers] == [
        pytest.approx((4, 3)),
        pytest.approx((1, 4)),
        pytest.approx((1, 4)),
    ]


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("way", ["hand", "do"])
def test_three_ways_agree(g, tol, m, way):
    truth = exact.interventional(LINEAR[m], do_x(g))
    close(g, tol, f"ch3_{m}_{way}_ey", truth.mean("y"))
    close(g, tol, f"ch3_{m}_{way}_vary", truth.var("y"))


def test_three_ways_table_max_z(g, tol):
    assert 0 < g["ch3_three_ways_max_z"] < tol


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_returned_x_is_the_prior(g, tol, m):
    prior = exact.joint(LINEAR[m])
    close(g, tol, f"ch3_gotcha_{m}_x_mean", prior.mean("x"))
    close(g, tol, f"ch3_gotcha_{m}_x_var", prior.var("x"))
    # and it is nowhere near the value set
    assert (
        abs(g[f"ch3_gotcha_{m}_x_mean"] - g["ch3_x_do"])
        > 100 * g[f"ch3_gotcha_{m}_x_mean_se"]
    )


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_returned_y_was_computed_from_3(g, tol, m):
    truth = exact.interventional(LINEAR[m], do_x(g))
    close(g, tol, f"ch3_gotcha_{m}_y_mean", truth.mean("y"))
    close(g, tol, f"ch3_gotcha_{m}_y_var", truth.var("y"))


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_covariance_is_the_node_split_models(g, tol, m):
    split = exact.joint(doing.node_split(LINEAR[m], do_x(g)))
    assert g[f"ch3_split_{m}_covxy"] == pytest.approx(split.cov_of("x", "y"))
    close(g, tol, f"ch3_gotcha_{m}_covxy", split.cov_of("x", "y"))


def test_gotcha_prose_values(g):
    expected = (
        abs(g["ch3_x_do"] - g["ch3_gotcha_M2_x_mean"])
        / g["ch3_gotcha_M2_x_mean_se"]
    )
    assert g["ch3_x3_in_se"] == pytest.approx(expected, rel=1e-6)
    assert g["ch3_x3_in_se"] > 100


def test_reading_the_intervened_value(g):
    assert g["ch3_cf_value"] == g["ch3_x_do"]
    assert g["ch3_cf_observed"] == "True"
    assert g["ch3_inner_sites"] == "`y`, `x`, `x__CF`"
    assert g["ch3_outer_sites"] == "`y`, `x`"


@pytest.mark.parametrize("m", MODELS)
def test_seeing_by_nuts(g, tol, m):
    truth = exact.conditional(LINEAR[m], do_x(g))
    assert g[f"ch3_exact_see_{m}_ey"] == pytest.approx(truth.mean("y"))
    assert g[f"ch3_exact_see_{m}_vary"] == pytest.approx(truth.var("y"))
    close(g, tol, f"ch3_see_{m}_ey", truth.mean("y"))
    close(g, tol, f"ch3_see_{m}_vary", truth.var("y"), max_se=0.2)


def test_seeing_differs_from_doing_in_models_2_and_3(g, tol):
    for m in ("M2", "M3"):
        gap = g[f"ch3_see_{m}_ey"] - g[f"ch3_{m}_do_ey"]
        se = (
            g[f"ch3_see_{m}_ey_se"] ** 2 + g[f"ch3_{m}_do_ey_se"] ** 2
        ) ** 0.5
        assert gap > 20 * se
    gap = g["ch3_see_M1_ey"] - g["ch3_M1_do_ey"]
    se = (g["ch3_see_M1_ey_se"] ** 2 + g["ch3_M1_do_ey_se"] ** 2) ** 0.5
    assert abs(gap) < tol * se


def test_seeing_versus_doing_table(g, tol):
    assert 0 < g["ch3_see_vs_do_max_z"] < tol


def test_nuts_diagnostics_from_arviz(g):
    assert g["ch3_see_divergences"] == 0
    # two chains of 5000 draws each: effective sizes in the thousands
    assert g["ch3_see_min_ess"] > 2000
    assert 0.99 < g["ch3_see_max_rhat"] < 1.01


def test_model_3_is_identified_under_its_graph(g, tol):
    """P(Y | do(X = 3)) = P(Y): Y's observational marginal, estimated."""
    do_m3 = exact.interventional(LINEAR["M3"], do_x(g))
    close(g, tol, "ch3_m3_obs_y_mean", do_m3.mean("y"))
    close(g, tol, "ch3_m3_obs_y_var", do_m3.var("y"))


def test_m4_has_model_3s_data_and_another_effect(g):
    m4 = doing.model_3_with_arrow(g["ch3_m4_a"])
    assert g["ch3_m4_a"] == 0.5  # Exercise 1.2's M4
    do_m4 = exact.interventional(m4, do_x(g))
    assert (do_m4.mean("y"), do_m4.var("y")) == pytest.approx((2.5, 3.25))
    assert g["ch3_m4_do"] == do_m4.text("y", math=True)
    assert g["ch3_m4_do"] == "$\\mathcal N(2.5, 3.25)$"
    # the same P(X, Y, Z) as model 3 ...
    assert g["ch3_m4_joint_gap"] == pytest.approx(0.0, abs=1e-12)
    j3, j4 = exact.joint(LINEAR["M3"]), exact.joint(m4)
    np.testing.assert_allclose(j3.covariance, j4.covariance, atol=1e-12)
    # ... because X - Z never varies (positivity fails under M4's graph)
    assert g["ch3_var_x_minus_z"] == pytest.approx(0.0, abs=1e-12)
    # and a different answer from model 3's
    assert abs(do_m4.mean("y") - g["ch3_exact_do_M3_ey"]) > 1


@pytest.mark.parametrize("m", MODELS)
def test_do_y(g, tol, m):
    truth = exact.interventional(LINEAR[m], {"y": g["ch3_y_do"]})
    assert g[f"ch3_exact_doy_{m}_ex"] == pytest.approx(truth.mean("x"))
    assert g[f"ch3_exact_doy_{m}_varx"] == pytest.approx(truth.var("x"))
    close(g, tol, f"ch3_doy_{m}_ex", truth.mean("x"))
    close(g, tol, f"ch3_doy_{m}_varx", truth.var("x"))


def test_do_y_separates_model_2_from_model_3(g):
    # the point of the section: M2's X moves, M3's (and M1's) does not
    assert g["ch3_y_do"] != 1.0  # at y' = 1 model 2's X would not move either
    for m in ("M1", "M3"):
        gap = g["ch3_doy_M2_ex"] - g[f"ch3_doy_{m}_ex"]
        assert (
            abs(gap)
            > 20
            * (g["ch3_doy_M2_ex_se"] ** 2 + g[f"ch3_doy_{m}_ex_se"] ** 2)
            ** 0.5
        )


@pytest.mark.parametrize("m", MODELS)
def test_do_y_sweep_slope(g, tol, m):
    exact_slope = exact.interventional(LINEAR[m], {"y": 1.0}).mean(
        "x"
    ) - exact.interventional(LINEAR[m], {"y": 0.0}).mean("x")
    assert g[f"ch3_exact_sweep_{m}_slope"] == pytest.approx(
        exact_slope, abs=1e-12
    )
    close(g, tol, f"ch3_sweep_{m}_slope", exact_slope, max_se=0.01)


def test_do_y_sweep_points(g, tol):
    assert g["ch3_sweep_points"] >= 10
    assert 0 < g["ch3_sweep_max_z"] < tol
