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


def test_mcmc_moments_standard_errors_are_arvizs():
    import arviz_stats as azs

    rng = np.random.default_rng(3)
    # two autocorrelated chains (AR(1), rho = 0.7) around 4 with variance 3
    rho, n = 0.7, 4000
    e = rng.normal(size=(2, n))
    s = np.zeros((2, n))
    for t in range(1, n):
        s[:, t] = rho * s[:, t - 1] + np.sqrt(1 - rho**2) * e[:, t]
    s = 4.0 + np.sqrt(3.0) * s
    m = stats.mcmc_moments(s)
    assert m.mean_se == pytest.approx(
        float(azs.mcse(s, method="mean", chain_axis=0, draw_axis=1))
    )
    # ArviZ's MCSE of the standard deviation, by the delta method
    sd_se = float(azs.mcse(s, method="sd", chain_axis=0, draw_axis=1))
    assert m.var_se == pytest.approx(2 * np.sqrt(m.var) * sd_se, rel=1e-3)
    # one chain given as a 1-D array is a chain, not draws of a scalar
    assert stats.mcmc_moments(s[0]).n == pytest.approx(
        float(azs.ess(s[:1], method="mean", chain_axis=0, draw_axis=1))
    )


def test_mcmc_moments_refuse_bad_input():
    with pytest.raises(ValueError, match="chains, draws"):
        stats.mcmc_moments(np.zeros((2, 3, 100)))
    with pytest.raises(ValueError, match="at least 4 draws"):
        stats.mcmc_moments(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        stats.mcmc_moments(np.array([[0.0, 1.0, np.nan, 2.0, 3.0]]))


def test_energy_statistic_is_the_energy_distance():
    # the definition: n m / (n + m) (2 E|A - B| - E|A - A'| - E|B - B'|),
    # with means over all pairs (the zero self-distances included)
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(30, 2)), rng.normal(1.0, 2.0, size=(45, 2))

    def mean_dist(u, v):
        return np.mean(np.linalg.norm(u[:, None, :] - v[None, :, :], axis=-1))

    e = 2 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)
    stat, p = stats.energy_test(a, b, num_permutations=50, seed=1)
    assert stat == pytest.approx(30 * 45 / 75 * e, rel=1e-12)
    # the observed labelling counts as one of the 51: p is at least 1/51
    assert 1 / 51 <= p <= 1
    # 1-D samples are points on the line
    s1, _ = stats.energy_test(a[:, 0], b[:, 0], num_permutations=5)
    e1 = (
        2 * mean_dist(a[:, :1], b[:, :1])
        - mean_dist(a[:, :1], a[:, :1])
        - mean_dist(b[:, :1], b[:, :1])
    )
    assert s1 == pytest.approx(30 * 45 / 75 * e1, rel=1e-12)


def test_energy_test_has_its_level_under_the_null():
    # same distribution: p <= 0.05 in 5% of repetitions (a permutation test
    # is exact); 400 repetitions, binomial standard error about 1.1%
    rng = np.random.default_rng(5)
    reps = 400
    rejected = sum(
        stats.energy_test(
            rng.normal(size=(20, 2)),
            rng.normal(size=(25, 2)),
            num_permutations=99,
            seed=i,
        )[1]
        <= 0.05
        for i in range(reps)
    )
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(rejected / reps - 0.05) < 4.5 * se


def test_energy_test_refuses_bad_input():
    a = np.zeros((10, 2))
    with pytest.raises(ValueError, match="same dimension"):
        stats.energy_test(a, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="at least two points"):
        stats.energy_test(a, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="num_permutations"):
        stats.energy_test(a, a, num_permutations=0)
    with pytest.raises(ValueError, match="finite"):
        stats.energy_test(a, np.full((10, 2), np.nan))


def test_versus_exact_sets_estimates_beside_exact_values():
    import pandas as pd

    a = stats.Moments(4.03, 0.02, 2.9, 0.05, 8000)
    b = stats.Moments(0.99, 0.01, 4.1, 0.04, 9000)
    table = pd.DataFrame.from_dict(
        {
            "M1": stats.versus_exact(a, 4.0, 3.0, label="NUTS"),
            "M2": stats.versus_exact(b, 1.0, 4.0, label="NUTS"),
        },
        orient="index",
    )
    assert table.columns.nlevels == 2
    assert table.loc["M1", ("mean of y", "NUTS")] == "4.03 ± 0.02"
    assert table.loc["M2", ("variance of y", "exact")] == 4.0
    z = table.xs("|z|", axis=1, level=1)
    np.testing.assert_allclose(z.loc["M1"], [1.5, 2.0])
    np.testing.assert_allclose(z.loc["M2"], [1.0, 2.5])
