"""causalbook.seeing: the window estimate, its exact target and error.

Also the relaxed model 3.
"""

import math

import numpy as np
import pytest

from causalbook import exact, seeing
from causalbook.exact import Gaussian
from causalbook.models import LINEAR, MODELS

Z = 4.5
# a joint that is not the book's, so that no coefficient happens to be 0 or 1
OTHER = Gaussian(
    ("x", "y"), np.array([0.5, -1.0]), np.array([[2.0, 0.7], [0.7, 1.5]])
)


def _quadrature(
    g: Gaussian, x0: float, h: float
) -> tuple[float, float, float]:
    """Probability of the window and moments of Y in it.

    By brute-force numerical integration.
    """
    mx, my = g.mean("x"), g.mean("y")
    sxx, sxy, syy = g.var("x"), g.cov_of("x", "y"), g.var("y")
    b = sxy / sxx
    xs = np.linspace(x0 - h, x0 + h, 400_001)
    dens = np.exp(-0.5 * (xs - mx) ** 2 / sxx) / math.sqrt(2 * math.pi * sxx)
    dx = xs[1] - xs[0]
    w = np.full(xs.size, dx)
    w[0] = w[-1] = dx / 2  # trapezoid
    prob = float(np.sum(w * dens))
    ey_x = my + b * (xs - mx)  # E[Y | X = x]
    mean = float(np.sum(w * dens * ey_x) / prob)
    second = float(np.sum(w * dens * (ey_x**2 + syy - b * sxy)) / prob)
    return prob, mean, second - mean**2


@pytest.mark.parametrize(
    "g", [exact.joint(LINEAR["M1"]), OTHER], ids=["book", "other"]
)
@pytest.mark.parametrize(
    "x0, h", [(3.0, 0.1), (3.0, 1.0), (0.2, 0.5), (-2.5, 0.3), (1.0, 4.0)]
)
def test_window_exact_matches_numerical_integration(g, x0, h):
    w = seeing.window_exact(g, x0, h)
    prob, mean, var = _quadrature(g, x0, h)
    assert w.prob == pytest.approx(prob, rel=1e-6)
    assert w.mean == pytest.approx(mean, abs=1e-7)
    assert w.var == pytest.approx(var, abs=1e-6)


@pytest.mark.parametrize("m", MODELS)
def test_window_exact_targets_the_exact_conditional(m):
    g = exact.joint(LINEAR[m])
    truth = exact.conditional(LINEAR[m], {"x": 3.0}).marginal("y")
    w = seeing.window_exact(g, 3.0, 0.5)
    assert w.target_mean == pytest.approx(truth.mean("y"))
    assert w.target_var == pytest.approx(truth.var("y"))
    # a vanishing window has no bias; in the upper tail a wide one is biased
    # downwards
    tiny = seeing.window_exact(g, 3.0, 1e-5)
    assert tiny.mean == pytest.approx(truth.mean("y"), abs=1e-8)
    assert tiny.var == pytest.approx(truth.var("y"), abs=1e-8)
    assert w.bias < 0
    assert seeing.window_exact(g, -3.0, 0.5).bias > 0
    # the bias grows with the width
    biases = [
        abs(seeing.window_exact(g, 3.0, h).bias)
        for h in (0.05, 0.2, 0.5, 1.0, 2.0)
    ]
    assert biases == sorted(biases)


def test_window_exact_far_tail_is_accurate():
    # P(2.9 < X < 3.1) computed without cancellation between numbers close to 1
    w = seeing.window_exact(exact.joint(LINEAR["M1"]), 8.0, 0.01)
    prob, _, _ = _quadrature(exact.joint(LINEAR["M1"]), 8.0, 0.01)
    assert w.prob == pytest.approx(prob, rel=1e-5)
    assert w.prob < 1e-15


def test_window_exact_refuses_bad_input():
    with pytest.raises(ValueError, match="half_width"):
        seeing.window_exact(OTHER, 0.0, 0.0)
    point = Gaussian(
        ("x", "y"), np.zeros(2), np.array([[0.0, 0.0], [0.0, 1.0]])
    )
    with pytest.raises(ValueError, match="point mass"):
        seeing.window_exact(point, 0.0, 1.0)


def test_expected_count_and_empty_window():
    w = seeing.window_exact(OTHER, 2.0, 0.2)
    assert w.expected_count(5000) == pytest.approx(5000 * w.prob)
    assert w.prob_empty(5000) == pytest.approx((1 - w.prob) ** 5000)


def test_mean_inverse_count_against_direct_sum():
    w = seeing.window_exact(exact.joint(LINEAR["M1"]), 3.0, 0.25)
    for n in (50, 1000, 20_000):
        p = w.prob
        # every count, no truncation; pmf in log space so that large n does not
        # overflow
        direct = sum(
            math.exp(
                math.lgamma(n + 1)
                - math.lgamma(k + 1)
                - math.lgamma(n - k + 1)
                + k * math.log(p)
                + (n - k) * math.log1p(-p)
            )
            / k
            for k in range(1, n + 1)
        )
        assert w.mean_inverse_count(n) == pytest.approx(
            direct / (1 - (1 - p) ** n), rel=1e-9
        )


def test_window_estimate_agrees_with_its_exact_target():
    rng = np.random.default_rng(0)
    g = OTHER
    d = rng.multivariate_normal(g.mean_vector, g.covariance, size=400_000)
    est = seeing.window_estimate(d[:, 0], d[:, 1], 2.0, 0.3)
    w = seeing.window_exact(g, 2.0, 0.3)
    n = est.n_draws
    assert n == 400_000
    assert abs(est.n_kept - n * w.prob) < Z * math.sqrt(
        n * w.prob * (1 - w.prob)
    )
    assert est.moments.agrees_with(w.mean, w.var, z=Z)
    assert np.all(np.abs(d[:, 0][np.abs(d[:, 0] - 2.0) < 0.3] - 2.0) < 0.3)


def test_window_estimate_with_too_few_draws():
    x = np.array([0.0, 3.05, 5.0])
    y = np.array([1.0, 4.0, 2.0])
    est = seeing.window_estimate(x, y, 3.0, 0.1)
    assert est.n_kept == 1 and est.moments is None
    assert est.kept.tolist() == [4.0]
    with pytest.raises(ValueError, match="same length"):
        seeing.window_estimate(x, y[:2], 3.0, 0.1)
    with pytest.raises(ValueError, match="half_width"):
        seeing.window_estimate(x, y, 3.0, -1.0)


def _errors_by_loop(x, y, x0, hs, n, target):
    reps = x.size // n
    out = []
    for h in hs:
        errs, empty = [], 0
        for r in range(reps):
            xs, ys = x[r * n : (r + 1) * n], y[r * n : (r + 1) * n]
            keep = np.abs(xs - x0) < h
            if keep.any():
                errs.append(ys[keep].mean() - target)
            else:
                empty += 1
        out.append((math.sqrt(np.mean(np.square(errs))), empty / reps))
    return out


def test_window_errors_match_a_plain_loop():
    rng = np.random.default_rng(1)
    x = rng.normal(size=30_007)
    y = x + 1 + math.sqrt(3) * rng.normal(size=x.size)
    hs = [0.2, 0.6, 1.5]
    err = seeing.window_errors(x, y, 2.0, hs, n=1000, target=3.0)
    assert err.replicates == 30 and err.n == 1000
    for i, (rmse, empty) in enumerate(
        _errors_by_loop(x, y, 2.0, hs, 1000, 3.0)
    ):
        assert err.rmse[i] == pytest.approx(rmse, rel=1e-9)
        assert err.share_empty[i] == pytest.approx(empty)
    with pytest.raises(ValueError, match="two replicates"):
        seeing.window_errors(x[:1500], y[:1500], 2.0, hs, n=1000, target=3.0)


def test_window_errors_agree_with_the_exact_rmse():
    # the book's joint, the book's question: the measured RMSE and share of
    # empty windows agree with the exact ones within their Monte Carlo errors
    rng = np.random.default_rng(2)
    x = rng.normal(size=2_000_000)
    y = x + 1 + math.sqrt(3) * rng.normal(size=x.size)
    g = exact.joint(LINEAR["M1"])
    hs = np.array([0.1, 0.25, 0.7, 1.5])
    n = 1000
    err = seeing.window_errors(x, y, 3.0, hs, n=n, target=4.0)
    for i, h in enumerate(hs):
        w = seeing.window_exact(g, 3.0, h)
        p_empty = w.prob_empty(n)
        assert (
            abs(err.share_empty[i] - p_empty)
            <= Z * math.sqrt(p_empty * (1 - p_empty) / err.replicates) + 1e-12
        )
        assert abs(err.rmse[i] - w.rmse(n)) < Z * err.rmse_se[i]
        assert err.mean_count[i] == pytest.approx(
            w.expected_count(n), rel=0.05
        )


@pytest.mark.parametrize("eps", [1e-3, 0.05, 0.3, 1.0, 2.0])
def test_relax_gives_the_soft_model_3_answer(eps):
    soft = seeing.relax(LINEAR["M3"], {"x": eps})
    post = exact.conditional(soft, {"x": 3.0})
    # facts.md: N(1 + 3/(1 + eps^2), 3 + eps^2/(1 + eps^2))
    assert post.mean("y") == pytest.approx(1 + 3 / (1 + eps**2))
    assert post.var("y") == pytest.approx(3 + eps**2 / (1 + eps**2))
    assert post.mean("z") == pytest.approx(3 / (1 + eps**2))
    assert soft.noise_scales["x"] == eps and soft.equation("x").endswith("N_x")
    # the original is untouched, and the rest of the model is the same
    assert LINEAR["M3"].noise_scales["x"] == 0.0
    assert (
        soft.coefficients == LINEAR["M3"].coefficients
        and soft.order == LINEAR["M3"].order
    )


def test_relax_refuses_bad_input():
    with pytest.raises(KeyError):
        seeing.relax(LINEAR["M3"], {"w": 0.1})
    with pytest.raises(ValueError):
        seeing.relax(LINEAR["M3"], {"x": -0.1})
