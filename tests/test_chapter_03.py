"""Chapter 3's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. Every
sampled number is checked against causalbook.exact within 4.5 of its own glued
Monte Carlo standard error; the chapter's seeds are fixed, so the checks are
deterministic.
"""

import pytest

from causalbook import doing, exact
from causalbook.models import LINEAR, MODELS

Z = 4.5
STEM = "03_doing"


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


def close(g, name, truth, max_se=0.1):
    est, se = g[name], g[f"{name}_se"]
    assert 0 < se < max_se, (name, se)
    assert abs(est - truth) < Z * se, (name, est, se, truth)


def do_x(g):
    return {"x": g["ch3_x_do"]}


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
def test_three_ways_agree(g, m, way):
    truth = exact.interventional(LINEAR[m], do_x(g))
    close(g, f"ch3_{m}_{way}_ey", truth.mean("y"))
    close(g, f"ch3_{m}_{way}_vary", truth.var("y"))


def test_three_ways_table_max_z(g):
    assert 0 < g["ch3_three_ways_max_z"] < Z


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_returned_x_is_the_prior(g, m):
    prior = exact.joint(LINEAR[m])
    close(g, f"ch3_gotcha_{m}_ex", prior.mean("x"))
    close(g, f"ch3_gotcha_{m}_varx", prior.var("x"))
    # and it is nowhere near the value set
    assert (
        abs(g[f"ch3_gotcha_{m}_ex"] - g["ch3_x_do"])
        > 100 * g[f"ch3_gotcha_{m}_ex_se"]
    )


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_returned_y_was_computed_from_3(g, m):
    truth = exact.interventional(LINEAR[m], do_x(g))
    close(g, f"ch3_gotcha_{m}_ey", truth.mean("y"))
    close(g, f"ch3_gotcha_{m}_vary", truth.var("y"))


@pytest.mark.parametrize("m", MODELS)
def test_gotcha_covariance_is_the_node_split_models(g, m):
    split = exact.joint(doing.node_split(LINEAR[m], do_x(g)))
    assert g[f"ch3_split_{m}_covxy"] == pytest.approx(split.cov_of("x", "y"))
    close(g, f"ch3_gotcha_{m}_covxy", split.cov_of("x", "y"))


def test_gotcha_prose_values(g):
    assert g["ch3_prior_ex"] == pytest.approx(
        exact.joint(LINEAR["M2"]).mean("x")
    )
    assert g["ch3_prior_varx"] == pytest.approx(
        exact.joint(LINEAR["M2"]).var("x")
    )
    expected = (
        abs(g["ch3_x_do"] - g["ch3_gotcha_M2_ex"]) / g["ch3_gotcha_M2_ex_se"]
    )
    assert g["ch3_x3_in_se"] == pytest.approx(expected, rel=1e-6)
    assert g["ch3_x3_in_se"] > 100


def test_reading_the_intervened_value(g):
    assert g["ch3_cf_value"] == g["ch3_x_do"]
    assert g["ch3_cf_observed"] == "True"
    assert g["ch3_inner_sites"] == "`y`, `x`, `x__CF`"
    assert g["ch3_outer_sites"] == "`y`, `x`"


@pytest.mark.parametrize("m", MODELS)
def test_seeing_by_nuts(g, m):
    truth = exact.conditional(LINEAR[m], do_x(g))
    assert g[f"ch3_exact_see_{m}_ey"] == pytest.approx(truth.mean("y"))
    assert g[f"ch3_exact_see_{m}_vary"] == pytest.approx(truth.var("y"))
    close(g, f"ch3_see_{m}_ey", truth.mean("y"))
    close(g, f"ch3_see_{m}_vary", truth.var("y"), max_se=0.2)


def test_seeing_differs_from_doing_in_models_2_and_3(g):
    for m in ("M2", "M3"):
        gap = g[f"ch3_see_{m}_ey"] - g[f"ch3_{m}_do_ey"]
        se = (
            g[f"ch3_see_{m}_ey_se"] ** 2 + g[f"ch3_{m}_do_ey_se"] ** 2
        ) ** 0.5
        assert gap > 20 * se
    gap = g["ch3_see_M1_ey"] - g["ch3_M1_do_ey"]
    se = (g["ch3_see_M1_ey_se"] ** 2 + g["ch3_M1_do_ey_se"] ** 2) ** 0.5
    assert abs(gap) < Z * se


def test_nuts_had_no_divergences(g):
    assert g["ch3_see_divergences"] == 0


@pytest.mark.parametrize("m", MODELS)
def test_do_y(g, m):
    truth = exact.interventional(LINEAR[m], {"y": g["ch3_y_do"]})
    assert g[f"ch3_exact_doy_{m}_ex"] == pytest.approx(truth.mean("x"))
    assert g[f"ch3_exact_doy_{m}_varx"] == pytest.approx(truth.var("x"))
    close(g, f"ch3_doy_{m}_ex", truth.mean("x"))
    close(g, f"ch3_doy_{m}_varx", truth.var("x"))


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
def test_do_y_sweep_slope(g, m):
    exact_slope = exact.interventional(LINEAR[m], {"y": 1.0}).mean(
        "x"
    ) - exact.interventional(LINEAR[m], {"y": 0.0}).mean("x")
    assert g[f"ch3_exact_sweep_{m}_slope"] == pytest.approx(
        exact_slope, abs=1e-12
    )
    close(g, f"ch3_sweep_{m}_slope", exact_slope, max_se=0.01)


def test_do_y_sweep_points(g):
    assert g["ch3_sweep_points"] >= 10
    assert 0 < g["ch3_sweep_max_z"] < Z
