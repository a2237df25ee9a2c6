"""Sample moments with their Monte Carlo standard errors, and how to show them.

Every sampled number in the book is shown next to its exact value and its
Monte Carlo standard error (MCSE). For independent draws the standard error
of the sample mean is ``sd / sqrt(n)`` and that of the sample variance
``sqrt((m4 - s^4) / n)`` (``m4`` the fourth central moment;
``s^2 sqrt(2 / n)`` for normal draws). For MCMC draws the effective sample
size takes the place of ``n``: :func:`mcmc_moments` uses ArviZ's, so its
standard error of the mean is the ``mcse_mean`` of ArviZ's summary.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> est = moments(rng.normal(4.0, np.sqrt(3.0), size=100_000))
    >>> (
    ...     abs(est.mean - 4.0) < 4 * est.mean_se,
    ...     abs(est.var - 3.0) < 4 * est.var_se,
    ... )
    (True, True)
    >>> est.z_scores(4.0, 3.0)[0] < 4
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Moments",
    "moments",
    "mcmc_moments",
    "fmt_pm",
    "versus_exact",
    "covariance_se",
    "energy_test",
]


@dataclass(frozen=True)
class Moments:
    """Sample mean and variance of one quantity, with their Monte Carlo SEs."""

    mean: float
    mean_se: float
    var: float
    var_se: float
    n: float  # number of draws, or the effective sample size for MCMC

    def z_scores(self, mean: float, var: float) -> tuple[float, float]:
        """How many standard errors the estimates are from exact values.

        Both distances are absolute values.
        """
        return (
            abs(self.mean - mean) / self.mean_se,
            abs(self.var - var) / self.var_se,
        )

    def agrees_with(self, mean: float, var: float, z: float = 4.0) -> bool:
        """Whether both estimates are within ``z`` SEs of the exact values."""
        zm, zv = self.z_scores(mean, var)
        return bool(zm <= z and zv <= z)


def moments(draws: np.ndarray, n_eff: float | None = None) -> Moments:
    """Mean and variance of 1-D ``draws`` with Monte Carlo standard errors.

    Args:
        draws: the sampled values.
        n_eff: effective sample size, for correlated (MCMC) draws; defaults
            to ``len(draws)``.

    Example:
        >>> m = moments(np.array([1.0, 2.0, 3.0, 4.0]))
        >>> m.mean, m.var
        (2.5, 1.6666666666666667)
    """
    x = np.asarray(draws, dtype=np.float64).reshape(-1)
    n = x.size
    if n < 2:
        raise ValueError("need at least two draws")
    neff = float(n if n_eff is None else n_eff)
    mean = float(x.mean())
    var = float(x.var(ddof=1))
    m4 = float(np.mean((x - mean) ** 4))
    var_se = float(np.sqrt(max(m4 - var**2, 0.0) / neff))
    return Moments(mean, float(np.sqrt(var / neff)), var, var_se, neff)


def mcmc_moments(samples: np.ndarray) -> Moments:
    """:func:`moments` of MCMC draws shaped ``(chains, draws)``, using ESS.

    The standard errors are ArviZ's: the effective sample size (ESS) is
    ``arviz_stats.ess(..., method="mean")`` across chains, so ``mean_se`` is
    ArviZ's ``mcse_mean`` (the ``mcse_mean`` column of ``az.summary``). The
    variance's standard error uses the ESS of the squared deviations, as
    ArviZ's ``mcse_sd`` does. ``n`` is the ESS of the mean. A 1-D array is
    one chain.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> m = mcmc_moments(rng.normal(size=(2, 5000)))
        >>> 8000 < m.n < 12000
        True
    """
    from arviz_stats import ess

    s = np.asarray(samples, dtype=np.float64)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2:
        raise ValueError(
            "samples must be shaped (chains, draws) or (draws,), got shape "
            f"{s.shape}"
        )
    if s.shape[1] < 4:
        raise ValueError(
            f"need at least 4 draws per chain for an ESS, got {s.shape[1]}"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError("samples contain NaN or infinite values")

    def ess_mean(a: np.ndarray) -> float:
        return float(ess(a, method="mean", chain_axis=0, draw_axis=1))

    n_eff = ess_mean(s)
    base = moments(s.reshape(-1), n_eff=n_eff)
    # the variance's SE uses the ESS of the squared deviations
    dev2 = (s - s.mean()) ** 2
    var_se = float(
        np.sqrt(max(np.mean(dev2**2) - base.var**2, 0.0) / ess_mean(dev2))
    )
    return Moments(base.mean, base.mean_se, base.var, var_se, n_eff)


def covariance_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sample covariance of ``x`` and ``y`` and its Monte Carlo standard error.

    Example:
        >>> rng = np.random.default_rng(2)
        >>> a = rng.normal(size=10_000)
        >>> c, se = covariance_se(a, a + rng.normal(size=10_000))
        >>> abs(c - 1.0) < 4 * se
        True
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    prod = (x - x.mean()) * (y - y.mean())
    n = x.size
    return float(prod.sum() / (n - 1)), float(prod.std(ddof=1) / np.sqrt(n))


def fmt_pm(value: float, se: float, digits: int | None = None) -> str:
    """``value ± se`` rounded to the SE's first significant digit.

    With ``digits`` given, both are rounded to that many decimals instead.

    Example:
        >>> fmt_pm(4.00213, 0.0057)
        '4.002 ± 0.006'
        >>> fmt_pm(3.01, 0.02, digits=3)
        '3.010 ± 0.020'
    """
    if digits is None:
        digits = max(0, int(-np.floor(np.log10(se))) if se > 0 else 3)
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def versus_exact(
    est: Moments,
    mean: float,
    var: float,
    name: str = "y",
    label: str = "estimate",
) -> dict[tuple[str, str], float | str]:
    """One row of a table that sets sampled moments beside their exact values.

    For the mean and the variance of ``name``: the estimate as
    ``value ± se``, the exact value, and ``|z|``, the distance between them
    in standard errors. The keys are two-level column labels, so that
    ``pandas.DataFrame.from_dict({row: versus_exact(...)}, orient="index")``
    makes a narrow table with a two-row header.

    Example:
        >>> row = versus_exact(Moments(4.03, 0.02, 2.96, 0.05, 8000), 4, 3)
        >>> row[("mean of y", "estimate")]
        '4.03 ± 0.02'
        >>> round(row[("variance of y", "|z|")], 6)
        0.8
    """
    zm, zv = est.z_scores(mean, var)
    return {
        (f"mean of {name}", label): fmt_pm(est.mean, est.mean_se),
        (f"mean of {name}", "exact"): float(mean),
        (f"mean of {name}", "|z|"): zm,
        (f"variance of {name}", label): fmt_pm(est.var, est.var_se),
        (f"variance of {name}", "exact"): float(var),
        (f"variance of {name}", "|z|"): zv,
    }


def energy_test(
    a: np.ndarray, b: np.ndarray, num_permutations: int = 200, seed: int = 0
) -> tuple[float, float]:
    """Two-sample energy test: are ``a`` and ``b`` from the same distribution?

    The energy distance (Székely and Rizzo) is zero exactly when two
    distributions are equal; its permutation p-value is the share of random
    relabellings of the pooled draws whose statistic is at least the observed
    one (the observed labelling counted too). Rows are points.

    The statistic is ``n m / (n + m)`` times
    ``2 E|A - B| - E|A - A'| - E|B - B'|`` with the expectations taken over
    the draws. All relabellings are scored with one product of the matrix of
    pairwise distances, ``O((n + m)^2)`` memory and
    ``O((n + m)^2 num_permutations)`` time.

    Returns:
        ``(statistic, p_value)``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> same = energy_test(
        ...     rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
        ... )
        >>> shifted = energy_test(
        ...     rng.normal(size=(300, 2)), rng.normal(0.5, 1, size=(300, 2))
        ... )
        >>> same[1] > 0.05, shifted[1] < 0.01
        (True, True)
    """
    from scipy.spatial.distance import cdist

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            "a and b must be points in the same dimension, shaped (n, d) and "
            f"(m, d), got {a.shape} and {b.shape}"
        )
    n, m = len(a), len(b)
    if n < 2 or m < 2:
        raise ValueError(f"need at least two points each, got {n} and {m}")
    if num_permutations < 1:
        raise ValueError(
            f"num_permutations must be at least 1, got {num_permutations!r}"
        )
    pooled = np.concatenate([a, b])
    if not np.all(np.isfinite(pooled)):
        raise ValueError("a and b must hold finite numbers only")
    dist = cdist(pooled, pooled)
    # Row 0 labels the observed split, the other rows random relabellings:
    # 1 for the points labelled a. With l such a row, D the distances,
    # r = D 1 and T = 1'D1: the sums of distances within a, between a and b
    # and within b are l'Dl, l'r - l'Dl and T - 2 l'r + l'Dl.
    rng = np.random.default_rng(seed)
    # a uniformly random n-subset per row: the n smallest of uniform keys
    in_a = np.argpartition(rng.random((num_permutations, n + m)), n, axis=1)
    labels = np.zeros((num_permutations + 1, n + m))
    labels[0, :n] = 1.0
    rows = np.arange(1, num_permutations + 1)[:, None]
    labels[rows, in_a[:, :n]] = 1.0
    r = dist.sum(axis=1)
    s_aa = np.einsum("kn,nk->k", labels, dist @ labels.T)
    lr = labels @ r
    s_ab = lr - s_aa
    s_bb = r.sum() - 2 * lr + s_aa
    stat = 2 * s_ab / (n * m) - s_aa / n**2 - s_bb / m**2
    stat *= n * m / (n + m)
    p_value = float((1 + np.sum(stat[1:] >= stat[0])) / (1 + num_permutations))
    return float(stat[0]), p_value
