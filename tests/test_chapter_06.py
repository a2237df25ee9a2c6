"""Chapter 6's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. Every
exact number is recomputed here from causalbook.exact (the chapter's own
models are rebuilt from their equations), and every sampled or estimated
number is checked against its exact value within 4.5 of its own glued
standard error (Monte Carlo, least-squares or posterior). The chapter's
seeds are fixed, so the checks are deterministic.
"""

import itertools

import numpy as np
import pytest

from causalbook import exact
from causalbook.adjustment import effect, randomized
from causalbook.models import LINEAR, MODELS
from causalbook.seeing import relax

Z = 4.5
STEM = "06_adjustment"


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


def close(g, name, truth, max_se=0.5):
    est, se = g[name], g[f"{name}_se"]
    assert 0 < se < max_se, (name, se)
    assert abs(est - truth) < Z * se, (name, est, se, truth)


def far(g, name, value, k=10):
    """The estimate is more than k of its standard errors from value."""
    assert abs(g[name] - value) > k * g[f"{name}_se"], (name, g[name], value)


def do_x(g):
    return {"x": g["ch6_x_do"]}


def soft(g):
    return relax(LINEAR["M3"], {"x": g["ch6_eps"]})


def test_settings(g):
    assert g["ch6_x_do"] == 3.0
    assert g["ch6_n"] >= 10_000
    assert 0 < g["ch6_eps"] < 1


@pytest.mark.parametrize("m", ["M1", "M3"])
def test_equivalent_models_answer_differently(g, m):
    truth = exact.interventional(LINEAR[m], do_x(g))
    assert g[f"ch6_do_{m}"] == truth.text("y", math=True)
    close(g, f"ch6_do_{m}_y_mean", truth.mean("y"))
    close(g, f"ch6_do_{m}_y_var", truth.var("y"))


def test_model_3_marginal_is_identified_under_its_graph(g):
    marginal = exact.joint(LINEAR["M3"]).marginal("y")
    assert g["ch6_m3_marginal_y"] == marginal.text("y", math=True)
    assert g["ch6_m3_y_exact_mean"] == pytest.approx(marginal.mean("y"))
    close(g, "ch6_m3_y_mean", marginal.mean("y"))
    # and it is the interventional answer of model 3
    do = exact.interventional(LINEAR["M3"], do_x(g))
    assert do.mean("y") == pytest.approx(marginal.mean("y"))


def test_model_4_same_joint_other_answer(g):
    m4 = exact.LinearGaussianSCM(
        "M4",
        intercepts={"y": 1.0},
        coefficients={"x": {"z": 1.0}, "y": {"x": 0.5, "z": 0.5}},
        noise_scales={"z": 1.0, "x": 0.0, "y": np.sqrt(3.0)},
    )
    j3 = exact.joint(LINEAR["M3"], ["x", "y", "z"])
    j4 = exact.joint(m4, ["x", "y", "z"])
    np.testing.assert_allclose(j3.covariance, j4.covariance, atol=1e-12)
    truth = exact.interventional(m4, do_x(g))
    assert g["ch6_do_M4"] == truth.text("y", math=True)
    assert g["ch6_do_M4"] != g["ch6_do_M3"]


def test_soft_model_exact_answers(g):
    s = soft(g)
    adj = exact.adjusted(s, "x", "y", ["z"], g["ch6_x_do"])
    do = exact.interventional(s, do_x(g)).marginal("y")
    see = exact.conditional(s, do_x(g)).marginal("y")
    assert (adj.mean("y"), adj.var("y")) == pytest.approx(
        (do.mean("y"), do.var("y"))
    )
    assert g["ch6_soft_adj"] == adj.text("y", math=True)
    assert g["ch6_soft_see"] == see.text("y", math=True)
    assert g["ch6_soft_do_exact_mean"] == pytest.approx(do.mean("y"))
    eps2 = g["ch6_eps"] ** 2
    assert g["ch6_soft_effect_doing"] == pytest.approx(0.0, abs=1e-12)
    assert g["ch6_soft_effect_adjusting"] == pytest.approx(0.0, abs=1e-12)
    assert g["ch6_soft_effect_seeing"] == pytest.approx(1 / (1 + eps2))


@pytest.mark.parametrize("way", ["nuts", "ols"])
def test_adjusted_estimates_agree_with_doing(g, way):
    s = soft(g)
    truth = effect(lambda v: exact.interventional(s, {"x": v}))
    close(g, f"ch6_{way}_effect", truth)
    close(
        g,
        f"ch6_{way}_do_mean",
        exact.interventional(s, do_x(g)).mean("y"),
        max_se=1.0,
    )


def test_the_two_adjusted_estimates_agree(g):
    # flat-ish priors, 2,000 units: posterior sd ~ least-squares se
    assert g["ch6_nuts_effect_se"] == pytest.approx(
        g["ch6_ols_effect_se"], rel=0.15
    )


def test_conditioning_estimates_seeing_not_doing(g):
    s = soft(g)
    see = effect(lambda v: exact.conditional(s, {"x": v}))
    close(g, "ch6_see_effect", see)
    close(g, "ch6_see_mean", exact.conditional(s, do_x(g)).mean("y"))
    far(g, "ch6_see_effect", 0.0)


def test_nuts_diagnostics(g):
    assert g["ch6_nuts_divergences"] == 0
    assert g["ch6_nuts_max_rhat"] < 1.01
    assert g["ch6_nuts_min_ess"] > 1000


def test_sigma2_is_the_residual_variance(g):
    s = soft(g)
    assert g["ch6_sigma2"] == pytest.approx(
        exact.conditional(s, {"x": 0.0, "z": 0.0}).var("y")
    )


@pytest.mark.parametrize("eps", [1.0, 0.3, 0.1, 0.03])
def test_spread_matches_the_exact_formula(g, eps):
    lab = f"{eps:g}".replace(".", "p")
    n, sigma2 = g["ch6_n_small"], g["ch6_sigma2"]
    formula = np.sqrt(sigma2 / (eps**2 * (n - 4)))
    assert g[f"ch6_spread_{lab}_exact"] == pytest.approx(formula)
    close(g, f"ch6_spread_{lab}", formula, max_se=1.0)


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("out, cause", [("y", "x"), ("x", "y")])
def test_randomized_experiments(g, m, out, cause):
    name = f"ch6_rct_{m}_{out}_on_{cause}"
    truth = effect(lambda v: exact.interventional(LINEAR[m], {cause: v}), out)
    trial = exact.joint(randomized(LINEAR[m], cause))
    assert trial.cov_of(cause, out) / trial.var(cause) == pytest.approx(
        truth, abs=1e-12
    )
    assert g[f"{name}_exact"] == pytest.approx(truth, abs=1e-12)
    close(g, f"{name}_trial", truth)
    seen = exact.joint(LINEAR[m])
    seen_slope = seen.cov_of(cause, out) / seen.var(cause)
    assert g[f"{name}_seen_exact"] == pytest.approx(seen_slope)
    close(g, f"{name}_seen", seen_slope)


def test_experiments_separate_the_models(g):
    # the book's numbers: slopes 1, 0, 0 for X; 0, 1/4, 0 for Y
    exact_x = [g[f"ch6_rct_{m}_y_on_x_exact"] for m in MODELS]
    exact_y = [g[f"ch6_rct_{m}_x_on_y_exact"] for m in MODELS]
    assert exact_x == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)
    assert exact_y == pytest.approx([0.0, 0.25, 0.0], abs=1e-12)
    far(g, "ch6_rct_M1_y_on_x_trial", 0.0)
    far(g, "ch6_rct_M2_x_on_y_trial", 0.0)
    for m in MODELS:  # the observational slope is 1 in all three
        far(g, f"ch6_rct_{m}_y_on_x_seen", 0.0)


MEDIATED = exact.LinearGaussianSCM(
    "mediated",
    coefficients={
        "x": {"z": 1.0},
        "m": {"x": 0.5},
        "y": {"m": 2.0, "z": 1.0},
    },
    noise_scales={"z": 1.0, "x": 1.0, "m": 1.0, "y": 1.0},
)
M_BIAS = exact.LinearGaussianSCM(
    "M-bias",
    coefficients={
        "x": {"u": 1.0},
        "c": {"u": 1.0, "v": 1.0},
        "y": {"x": 1.0, "v": 1.0},
    },
    noise_scales={"u": 1.0, "v": 1.0, "x": 1.0, "c": 1.0, "y": 1.0},
)


def candidate_sets(scm):
    others = [v for v in scm.order if v not in ("x", "y")]
    for k in range(len(others) + 1):
        yield from itertools.combinations(others, k)


@pytest.mark.parametrize(
    "scm, tag", [(MEDIATED, "mediated"), (M_BIAS, "m_bias")]
)
def test_every_adjustment_set(g, scm, tag):
    truth = effect(lambda v: exact.interventional(scm, {"x": v}))
    assert truth == pytest.approx(1.0)
    for w in candidate_sets(scm):
        name = f"ch6_{tag}_{''.join(w) or 'none'}"
        adj = effect(lambda v, w=w: exact.adjusted(scm, "x", "y", w, v))
        assert g[f"{name}_exact"] == pytest.approx(adj, abs=1e-9), name
        close(g, name, adj)
        # a back-door set gives the true effect, and here only one does
        backdoor = exact.is_backdoor_set(scm, "x", "y", w)
        assert backdoor == (abs(adj - truth) < 1e-9), name


def test_wrong_adjustments_are_visibly_wrong(g):
    far(g, "ch6_mediated_none", 1.0)  # confounded
    far(g, "ch6_mediated_zm", 1.0)  # the mediator blocks the effect
    far(g, "ch6_m_bias_c", 1.0)  # the collider opens a path
    close(g, "ch6_m_bias_none", 1.0)


def test_exercise_numbers(g):
    s3 = relax(LINEAR["M3"], {"x": 0.5})
    m4 = exact.LinearGaussianSCM(
        "M4",
        intercepts={"y": 1.0},
        coefficients={"x": {"z": 1.0}, "y": {"x": 0.5, "z": 0.5}},
        noise_scales={"z": 1.0, "x": 0.0, "y": np.sqrt(3.0)},
    )
    s4 = relax(m4, {"x": 0.5})
    assert g["ch6_ex_cov3"] == pytest.approx(exact.joint(s3).cov_of("x", "y"))
    assert g["ch6_ex_cov4"] == pytest.approx(exact.joint(s4).cov_of("x", "y"))
    s = soft(g)
    assert g["ch6_ex_avg_seen"] == pytest.approx(
        exact.conditional(s, do_x(g)).mean("y")
    )
    assert g["ch6_ex_avg_all"] == pytest.approx(
        exact.interventional(s, do_x(g)).mean("y")
    )
    sigma2 = g["ch6_sigma2"]
    assert g["ch6_ex_n_obs"] == np.ceil(4 + sigma2 / (0.05**2 * 0.05**2))
    assert g["ch6_ex_n_exp"] == np.ceil(4 + sigma2 / (1.0 * 0.05**2))
    assert g["ch6_ex_total"] == pytest.approx(1.0)
    assert g["ch6_ex_direct"] == pytest.approx(0.0, abs=1e-9)
