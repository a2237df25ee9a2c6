"""Seeing, P(Y | X = x0): the window estimate from joint draws, and its target.

The estimate a reader tries first keeps the joint draws whose ``x`` falls in a
window ``|x - x0| < h`` and summarises their ``y``. Two things go wrong, in
opposite directions:

* **variance**: few draws land in a narrow window (a handful out of a
  thousand near ``x0 = 3``, three standard deviations out), so the estimate
  is noisy;
* **bias**: a wide window mixes in draws with ``x`` away from ``x0``. In the
  tail of the distribution of X more of them lie on the side of the bulk, so
  the estimate is pulled towards the marginal of Y.

For a Gaussian joint both are known exactly: the draws kept are ``(X, Y)``
with X truncated to the window, and Y given X is linear-Gaussian.
:func:`window_exact` computes the probability of the window and the exact
mean and variance of Y among the draws it keeps; :func:`window_estimate`
computes the estimate from draws, with its Monte Carlo error;
:func:`window_errors` measures the estimate's error over many independent
replicates, as the number of draws and the window width change.

Model 3 (X = Z exactly) cannot be conditioned on ``x`` by NUTS; its soft
relaxation ``x ~ Normal(z, eps)`` can. :func:`relax` gives the relaxed
model's linear specification, so that :mod:`causalbook.exact` computes what
the relaxation changes.

Example:
    >>> import numpy as np
    >>> from causalbook.exact import joint
    >>> from causalbook.models import LINEAR
    >>> w = window_exact(joint(LINEAR["M1"]), 3.0, 0.1)
    >>> round(1000 * w.prob, 2)          # expected draws kept out of 1,000
    0.9
    >>> round(w.mean, 3), round(w.var, 3)  # against the exact N(4, 3)
    (3.99, 3.003)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from causalbook.exact import Gaussian, LinearGaussianSCM
from causalbook.stats import Moments, moments

__all__ = [
    "WindowExact",
    "window_exact",
    "WindowEstimate",
    "window_estimate",
    "WindowErrors",
    "window_errors",
    "relax",
]


def _phi(t: float) -> float:
    return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


def _upper_tail(t: float) -> float:
    """P(N(0, 1) > t), accurate in both tails."""
    return 0.5 * math.erfc(t / math.sqrt(2))


@dataclass(frozen=True)
class WindowExact:
    """What the window estimate targets, exactly, for a Gaussian joint.

    Attributes:
        x0: the centre of the window.
        half_width: ``h``; the window is ``x0 - h < x < x0 + h``.
        prob: the probability that a draw falls in the window.
        mean: the exact mean of Y among the draws in the window.
        var: the exact variance of Y among the draws in the window.
        target_mean: the mean of Y given X = x0 exactly (what the window
            approximates).
        target_var: the variance of Y given X = x0 exactly.
    """

    x0: float
    half_width: float
    prob: float
    mean: float
    var: float
    target_mean: float
    target_var: float

    @property
    def bias(self) -> float:
        """Bias of the window mean of Y as an estimate of E[Y | X = x0].

        That is its error with infinitely many draws.
        """
        return self.mean - self.target_mean

    def expected_count(self, n: int) -> float:
        """Expected number of draws kept out of ``n``.

        Example:
            >>> from causalbook.exact import joint
            >>> from causalbook.models import LINEAR
            >>> w = window_exact(joint(LINEAR["M2"]), 3.0, 0.5)
            >>> round(w.expected_count(1000), 1)
            6.0
        """
        return n * self.prob

    def prob_empty(self, n: int) -> float:
        """Probability that none of ``n`` draws falls in the window.

        Example:
            >>> from causalbook.exact import joint
            >>> from causalbook.models import LINEAR
            >>> w = window_exact(joint(LINEAR["M1"]), 3.0, 0.1)
            >>> round(w.prob_empty(1000), 2)
            0.41
        """
        return math.exp(n * math.log1p(-self.prob))

    def mean_inverse_count(self, n: int) -> float:
        """E[1 / K | K >= 1], K ~ Binomial(n, prob) the number of draws kept.

        Summed over the counts within 12 standard deviations of the mean (and
        at least the first 40), which holds all but a negligible share of the
        probability.
        """
        from scipy.special import gammaln

        p = self.prob
        mean, sd = n * p, math.sqrt(n * p * (1 - p))
        lo = max(1, int(mean - 12 * sd))
        hi = min(int(n), int(mean + 12 * sd) + 40)
        k = np.arange(lo, hi + 1, dtype=np.float64)
        log_pmf = (
            gammaln(n + 1.0)
            - gammaln(k + 1)
            - gammaln(n - k + 1)
            + k * math.log(p)
            + (n - k) * math.log1p(-p)
        )
        return float(
            np.sum(np.exp(log_pmf) / k) / -math.expm1(n * math.log1p(-p))
        )

    def rmse(self, n: int) -> float:
        """Exact root mean squared error (RMSE) of the window mean of Y.

        The window mean is taken over ``n`` joint draws.

        Given that ``k >= 1`` draws fall in the window, they are independent
        draws of the window's distribution, so their mean of Y has mean
        :attr:`mean` and variance :attr:`var` ``/ k``: its mean squared error
        about :attr:`target_mean` is ``bias**2 + var / k``. Averaging over
        ``k ~ Binomial(n, prob)`` given ``k >= 1`` (an empty window gives no
        estimate; see :meth:`prob_empty`):
        ``sqrt(bias**2 + var * E[1/K | K >= 1])``.

        Example:
            >>> from causalbook.exact import joint
            >>> from causalbook.models import LINEAR
            >>> w = window_exact(joint(LINEAR["M1"]), 3.0, 1.0)
            >>> round(w.rmse(1000), 2), round(abs(w.bias), 2)
            (0.73, 0.63)
            >>> round(w.rmse(10**7), 2)  # the bias stays, however many draws
            0.63
        """
        return math.sqrt(self.bias**2 + self.var * self.mean_inverse_count(n))


def window_exact(
    joint: Gaussian, x0: float, half_width: float, x: str = "x", y: str = "y"
) -> WindowExact:
    """Exact probability of the window ``|X - x0| < h`` and moments of Y in it.

    With ``(X, Y)`` jointly Gaussian, ``Y = mu_Y + b (X - mu_X) + e`` with
    ``b = Cov(X, Y) / Var(X)`` and ``e ~ N(0, Var(Y) - b Cov(X, Y))``
    independent of X. Keeping the draws in the window truncates X to it, so
    the mean of Y in the window is ``mu_Y + b (E[X | window] - mu_X)`` and its
    variance ``b**2 Var(X | window) + Var(e)``, with the truncated normal's
    moments.

    Args:
        joint: the joint distribution of (at least) ``x`` and ``y``, e.g.
            ``causalbook.exact.joint(LINEAR["M1"])``.
        x0: the window's centre.
        half_width: the window's half-width ``h > 0``.
        x, y: the names of the conditioning and the target variable.

    Example:
        >>> from causalbook.exact import joint
        >>> from causalbook.models import LINEAR
        >>> w = window_exact(joint(LINEAR["M3"]), 3.0, 1e-4)
        >>> # a tiny window: the exact N(4, 3)
        >>> round(w.mean, 6), round(w.var, 6)
        (4.0, 3.0)
        >>> # a wide one: biased
        >>> window_exact(joint(LINEAR["M3"]), 3.0, 1.0).bias < -0.5
        True
    """
    if not half_width > 0:
        raise ValueError(f"half_width must be positive, got {half_width!r}")
    g = joint.marginal(x, y)
    mu_x, mu_y = g.mean(x), g.mean(y)
    s_xx, s_xy, s_yy = g.var(x), g.cov_of(x, y), g.var(y)
    if not s_xx > 0:
        raise ValueError(
            f"{x} is a point mass: no window around {x0} has a probability "
            "to estimate"
        )
    b = s_xy / s_xx
    resid = s_yy - b * s_xy
    sd = math.sqrt(s_xx)
    lo, hi = (x0 - half_width - mu_x) / sd, (x0 + half_width - mu_x) / sd
    # P(lo < N < hi), from the side where it is not a difference of numbers
    # near 1
    if lo > 0:
        prob = _upper_tail(lo) - _upper_tail(hi)
    elif hi < 0:
        prob = _upper_tail(-hi) - _upper_tail(-lo)
    else:
        prob = 1.0 - _upper_tail(hi) - _upper_tail(-lo)
    if not prob > 0:
        raise ValueError(
            f"the window {x0} ± {half_width} has probability zero "
            "in floating point"
        )
    # moments of the standard normal truncated to (lo, hi)
    z_mean = (_phi(lo) - _phi(hi)) / prob
    z_var = 1.0 + (lo * _phi(lo) - hi * _phi(hi)) / prob - z_mean * z_mean
    ex = mu_x + sd * z_mean
    vx = s_xx * max(z_var, 0.0)
    return WindowExact(
        x0=float(x0),
        half_width=float(half_width),
        prob=float(prob),
        mean=float(mu_y + b * (ex - mu_x)),
        var=float(b * b * vx + resid),
        target_mean=float(mu_y + b * (x0 - mu_x)),
        target_var=float(resid),
    )


@dataclass(frozen=True)
class WindowEstimate:
    """The window estimate of P(Y | X = x0) from joint draws.

    Attributes:
        x0, half_width: the window ``|x - x0| < half_width``.
        n_draws: the number of joint draws looked at.
        kept: the ``y`` of the draws in the window.
        moments: their mean and variance with Monte Carlo errors, or ``None``
            if fewer than two draws were kept.
    """

    x0: float
    half_width: float
    n_draws: int
    kept: np.ndarray
    moments: Moments | None

    @property
    def n_kept(self) -> int:
        """How many draws fell in the window."""
        return int(self.kept.size)


def window_estimate(
    x: np.ndarray, y: np.ndarray, x0: float, half_width: float
) -> WindowEstimate:
    """Keep the draws with ``|x - x0| < half_width`` and summarise their ``y``.

    Args:
        x, y: joint draws (same length).
        x0: the value conditioned on.
        half_width: the window's half-width.

    Example:
        >>> import jax
        >>> from causalbook.models import scm_2
        >>> from causalbook.sampling import sample
        >>> d = sample(scm_2, 1000, jax.random.PRNGKey(0))
        >>> est = window_estimate(d["x"], d["y"], 3.0, 0.1)
        >>> est.n_kept < 10  # a handful of draws out of a thousand, or none
        True
    """
    x = np.asarray(x).reshape(-1)
    y = np.asarray(y).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same length, got {x.size} and {y.size}"
        )
    if not half_width > 0:
        raise ValueError(f"half_width must be positive, got {half_width!r}")
    kept = y[np.abs(x - x0) < half_width]
    return WindowEstimate(
        float(x0),
        float(half_width),
        int(x.size),
        kept,
        moments(kept) if kept.size >= 2 else None,
    )


@dataclass(frozen=True)
class WindowErrors:
    """Errors of the window mean of Y over independent replicates.

    One entry per half-width.

    Attributes:
        half_widths: the half-widths, shape ``(H,)``.
        n: the number of joint draws per replicate.
        replicates: the number of replicates.
        rmse: root mean squared error of the window mean against ``target``
            over the replicates whose window was not empty, shape ``(H,)``
            (NaN if all were empty).
        rmse_se: its Monte Carlo standard error (delta method), shape
            ``(H,)``.
        share_empty: the share of replicates whose window held no draw,
            shape ``(H,)``.
        mean_count: the average number of draws kept, shape ``(H,)``.
    """

    half_widths: np.ndarray
    n: int
    replicates: int
    rmse: np.ndarray
    rmse_se: np.ndarray
    share_empty: np.ndarray
    mean_count: np.ndarray


def window_errors(
    x: np.ndarray,
    y: np.ndarray,
    x0: float,
    half_widths: Sequence[float],
    n: int,
    target: float,
) -> WindowErrors:
    """Measure the window mean's error over replicates of ``n`` joint draws.

    The joint draws are split into replicates of ``n`` draws; each replicate
    is what one reader with ``n`` draws would see. For each half-width, each
    replicate's window mean of ``y`` is compared with ``target`` (the exact
    E[Y | X = x0]); replicates with an empty window have no estimate and are
    counted in :attr:`WindowErrors.share_empty` instead.

    Args:
        x, y: joint draws; the first ``(len(x) // n) * n`` are used.
        x0: the value conditioned on.
        half_widths: the half-widths to try.
        n: draws per replicate.
        target: the exact conditional mean to measure the error against.

    Example:
        >>> import jax
        >>> from causalbook.models import scm_1
        >>> from causalbook.sampling import sample
        >>> d = sample(scm_1, 200_000, jax.random.PRNGKey(0))
        >>> err = window_errors(
        ...     d["x"], d["y"], 3.0, [0.05, 1.0], n=1000, target=4.0
        ... )
        >>> (
        ...     err.replicates,
        ...     bool(err.share_empty[0] > 0.5),
        ...     bool(err.share_empty[1] == 0),
        ... )
        (200, True, True)
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    reps = x.size // n
    if reps < 2:
        raise ValueError(
            f"need at least two replicates of {n} draws, got {x.size} draws"
        )
    hs = np.asarray(half_widths, dtype=np.float64).reshape(-1)
    rmse = np.full(hs.shape, np.nan)
    rmse_se = np.full(hs.shape, np.nan)
    empty = np.zeros(hs.shape)
    mean_count = np.zeros(hs.shape)
    # only the draws inside the widest window matter; remember which
    # replicate each is in
    dist = np.abs(x[: reps * n] - x0)
    near = np.flatnonzero(dist < hs.max())
    dist, y_near, replicate = dist[near], y[near], near // n
    for i, h in enumerate(hs):
        mask = dist < h
        count = np.bincount(replicate[mask], minlength=reps)
        total = np.bincount(
            replicate[mask], weights=y_near[mask], minlength=reps
        )
        ok = count > 0
        empty[i] = 1.0 - ok.mean()
        mean_count[i] = count.mean()
        if ok.sum() >= 2:
            sq = (total[ok] / count[ok] - target) ** 2
            mse = sq.mean()
            rmse[i] = math.sqrt(mse)
            # delta method: se(sqrt(m)) = se(m) / (2 sqrt(m))
            rmse_se[i] = (
                sq.std(ddof=1) / math.sqrt(sq.size) / (2 * rmse[i])
                if mse > 0
                else 0.0
            )
    return WindowErrors(
        hs, int(n), int(reps), rmse, rmse_se, empty, mean_count
    )


def relax(
    scm: LinearGaussianSCM, noise_scales: Mapping[str, float]
) -> LinearGaussianSCM:
    """The same SCM with some noise scales changed.

    For example model 3's exact X := Z made soft:
    ``relax(LINEAR["M3"], {"x": eps})`` is the linear specification of
    :func:`causalbook.models.scm_3_soft`: ``X := Z + eps N_X``. Its exact
    answers, from :mod:`causalbook.exact`, say what the relaxation costs.

    Example:
        >>> from causalbook.exact import conditional
        >>> from causalbook.models import LINEAR
        >>> soft = relax(LINEAR["M3"], {"x": 0.5})
        >>> soft.equation("x")
        'x := z + 0.5 N_x'
        >>> # mean 1 + 3 / 1.25, variance 3 + 0.25 / 1.25
        >>> conditional(soft, {"x": 3.0}).marginal("y")
        Gaussian(y: mean 3.4, var 3.2)
    """
    for v, s in noise_scales.items():
        if v not in scm.order:
            raise KeyError(
                f"{scm.name} has no variable {v!r}; it has {scm.order}"
            )
        if not s >= 0:
            raise ValueError(
                f"noise scale of {v!r} must be non-negative, got {s!r}"
            )
    label = ", ".join(
        f"{v} noise {float(s):g}" for v, s in noise_scales.items()
    )
    return replace(
        scm,
        name=f"{scm.name} with {label}",
        noise_scales={
            **scm.noise_scales,
            **{v: float(s) for v, s in noise_scales.items()},
        },
    )
