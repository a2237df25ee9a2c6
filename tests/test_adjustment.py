"""causalbook.adjustment: least squares, randomized experiments, effects."""

import jax
import numpy as np
import pytest

from causalbook import exact
from causalbook.adjustment import effect, ols, randomized
from causalbook.models import LINEAR, MODELS, scm_3_soft
from causalbook.sampling import sample
from causalbook.seeing import relax


def test_ols_recovers_coefficients_within_their_standard_errors():
    rng = np.random.default_rng(11)
    n = 5_000
    z = rng.normal(size=n)
    x = 0.5 * z + rng.normal(size=n)
    y = 2.0 - 1.5 * x + 0.7 * z + 0.5 * rng.normal(size=n)
    fit = ols(y, {"x": x, "z": z})
    for name, truth in (("intercept", 2.0), ("x", -1.5), ("z", 0.7)):
        assert abs(fit[name].value - truth) < 4.5 * fit[name].se, name
        assert 0 < fit[name].se < 0.05


def test_ols_standard_error_is_the_classical_formula():
    # one regressor: se = s / sqrt(sum((x - mean)^2))
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = 1.0 + x + rng.normal(size=200)
    fit = ols(y, {"x": x})
    b, a = np.polyfit(x, y, 1)
    resid = y - a - b * x
    s2 = resid @ resid / (200 - 2)
    assert fit["x"].value == pytest.approx(b)
    assert fit["x"].se == pytest.approx(
        np.sqrt(s2 / np.sum((x - x.mean()) ** 2))
    )


def test_ols_standard_error_matches_the_spread_over_data_sets():
    # soft model 3: sd of the coefficient of x is sqrt(3 / (eps^2 (n - 4)))
    eps, n, reps = 0.5, 50, 400
    d = sample(scm_3_soft(eps), n * reps, jax.random.PRNGKey(5))
    x, z, y = (d[v].reshape(reps, n) for v in ("x", "z", "y"))
    b = np.array(
        [ols(y[r], {"x": x[r], "z": z[r]})["x"].value for r in range(reps)]
    )
    formula = np.sqrt(3.0 / (eps**2 * (n - 4)))
    sd, sd_se = b.std(ddof=1), b.std(ddof=1) / np.sqrt(2 * (reps - 1))
    assert abs(sd - formula) < 4.5 * sd_se


def test_ols_refuses_a_treatment_without_overlap():
    d = sample(LINEAR["M3"].to_numpyro(), 500, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="positivity"):
        ols(d["y"], {"x": d["x"], "z": d["z"]})


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"x": np.ones(5)}, "5 values"),
        ({"intercept": np.arange(10.0)}, "intercept"),
        ({"x": np.r_[np.arange(9.0), np.nan]}, "NaN"),
        ({"x": np.full(10, 2.0)}, "exact linear function"),
    ],
)
def test_ols_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        ols(np.arange(10.0) ** 2, bad)


def test_ols_needs_more_units_than_coefficients():
    with pytest.raises(ValueError, match="units"):
        ols(np.array([1.0, 2.0]), {"x": np.array([0.0, 1.0])})


@pytest.mark.parametrize("m", MODELS)
def test_randomized_experiment_slope_is_the_causal_effect(m):
    scm = LINEAR[m]
    for out, cause in (("y", "x"), ("x", "y")):
        trial = exact.joint(randomized(scm, cause, sd=2.0, mean=1.0))
        assert trial.var(cause) == pytest.approx(4.0)
        assert trial.mean(cause) == pytest.approx(1.0)
        slope = trial.cov_of(cause, out) / trial.var(cause)
        truth = effect(
            lambda v, c=cause: exact.interventional(scm, {c: v}), out
        )
        assert slope == pytest.approx(truth, abs=1e-12)


def test_randomized_cuts_the_arrows_and_keeps_the_rest():
    trial = randomized(LINEAR["M3"], "x")
    assert trial.parents("x") == ()
    assert trial.equation("y") == LINEAR["M3"].equation("y")
    assert trial.equation("z") == LINEAR["M3"].equation("z")


@pytest.mark.parametrize(
    "args, error",
    [
        (("w",), KeyError),
        (("x", 0.0), ValueError),
        (("x", -1.0), ValueError),
        (("x", 1.0, float("nan")), ValueError),
    ],
)
def test_randomized_bad_input(args, error):
    with pytest.raises(error):
        randomized(LINEAR["M1"], *args)


def test_effect_of_adjustment_in_the_soft_model():
    soft = relax(LINEAR["M3"], {"x": 0.3})
    adj = effect(lambda v: exact.adjusted(soft, "x", "y", ["z"], v))
    see = effect(lambda v: exact.conditional(soft, {"x": v}))
    assert adj == pytest.approx(0.0, abs=1e-12)
    assert see == pytest.approx(1 / 1.09)


def test_effect_refuses_a_mean_that_is_not_affine():
    def bent(x):
        return exact.Gaussian(("y",), np.array([x * x]), np.array([[1.0]]))

    with pytest.raises(ValueError, match="not affine"):
        effect(bent)
