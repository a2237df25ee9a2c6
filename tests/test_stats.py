"""Monte Carlo standard errors are right.

Their coverage is checked on repeated experiments.
"""

import numpy as np
import pytest

from causalbook import stats


def test_standard_errors_cover_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    reps, n = 2000, 400
    x = rng.normal(4.0, np.sqrt(3.0), size=(reps, n))
    inside_mean = inside_var = 0
    for row in x:
        est = stats.moments(row)
        inside_mean += abs(est.mean - 4.0) < 1.96 * est.mean_se
        inside_var += abs(est.var - 3.0) < 1.96 * est.var_se
    # 95% nominal coverage; with 2000 repetitions the binomial SE is 0.5%
    assert inside_mean / reps == pytest.approx(0.95, abs=0.02)
    assert inside_var / reps == pytest.approx(0.95, abs=0.025)


def test_mcmc_moments_use_the_effective_sample_size():
    rng = np.random.default_rng(1)
    # an AR(1) chain with rho = 0.9 has ESS about n (1 - rho) / (1 + rho)
    rho, n = 0.9, 20_000
    e = rng.normal(size=(2, n))
    s = np.zeros((2, n))
    for t in range(1, n):
        s[:, t] = rho * s[:, t - 1] + np.sqrt(1 - rho**2) * e[:, t]
    m = stats.mcmc_moments(s)
    assert m.n == pytest.approx(2 * n * (1 - rho) / (1 + rho), rel=0.2)


def test_energy_test_detects_a_difference_and_not_an_equality():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(400, 2))
    _, p_same = stats.energy_test(a, rng.normal(size=(400, 2)), seed=0)
    _, p_diff = stats.energy_test(
        a, rng.normal(size=(400, 2)) + [0.0, 0.4], seed=0
    )
    assert p_same > 0.05
    assert p_diff < 0.01


def test_fmt_pm():
    assert stats.fmt_pm(1.23456, 0.012) == "1.23 ± 0.01"
    assert stats.fmt_pm(-0.00096, 0.0032) == "-0.001 ± 0.003"
