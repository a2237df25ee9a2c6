"""Helpers for Chapter 6: estimating a causal effect from data.

* :func:`ols`: least squares of an outcome on named regressors (with an
  intercept), each coefficient with its classical standard error. In a
  linear-Gaussian model the coefficient of the treatment, with the
  adjustment set among the regressors, is the plug-in estimate of the slope
  of the back-door formula (:func:`causalbook.exact.adjusted`). A design in
  which a regressor is an exact function of the others (model 3's X = Z) is
  refused with a clear error, not silently solved.
* :func:`randomized`: a model's randomized experiment: the treatment's
  equation replaced by an independent random assignment, ``T := mean + sd
  N_T``. Its exact joint (:func:`causalbook.exact.joint`) is the law of the
  data an experiment produces.
* :func:`effect`: the slope in ``x`` of the mean of ``answer(x)``, for the
  exact answers of :mod:`causalbook.exact` (all affine in ``x``).

Example:
    >>> import numpy as np
    >>> from causalbook import exact
    >>> from causalbook.models import LINEAR
    >>> trial = randomized(LINEAR["M2"], "x")
    >>> trial.equation("x"), trial.parents("x")
    ('x := N_x', ())
    >>> g = exact.joint(trial)
    >>> g.cov_of("x", "y") / g.var("x")  # the experiment's regression slope
    0.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from causalbook.exact import Gaussian, LinearGaussianSCM

__all__ = ["Coefficient", "ols", "randomized", "effect"]


class Coefficient(NamedTuple):
    """One least-squares coefficient and its standard error."""

    value: float
    se: float


def ols(
    outcome: np.ndarray, regressors: Mapping[str, np.ndarray]
) -> dict[str, Coefficient]:
    """Least squares of ``outcome`` on an intercept and ``regressors``.

    Returns ``{name: Coefficient(value, se)}`` for ``"intercept"`` and each
    regressor, with the classical standard errors ``sqrt(s^2 [(D^T D)^-1]
    _jj)``, where ``D`` is the design matrix and ``s^2`` the residual
    variance on ``n - p`` degrees of freedom.

    Raises:
        ValueError: arrays of different lengths, no more units than
            coefficients, values that are not finite, or a regressor that is
            (numerically) an exact linear function of the others; then its
            coefficient is not determined by the data: with the treatment
            among them, this is a failure of positivity.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=10_000)
        >>> x = z + rng.normal(size=10_000)
        >>> y = 1 + 2 * x - z + rng.normal(size=10_000)
        >>> fit = ols(y, {"x": x, "z": z})
        >>> bool(abs(fit["x"].value - 2) < 4 * fit["x"].se)
        True
        >>> ols(y, {"x": z, "z": z})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: ols: the regressor 'x' is an exact linear function of ...
    """
    y = np.asarray(outcome, dtype=float).reshape(-1)
    names = list(regressors)
    if "intercept" in names:
        raise ValueError("ols: 'intercept' is added for you; rename it")
    cols = [np.ones_like(y)]
    for name in names:
        col = np.asarray(regressors[name], dtype=float).reshape(-1)
        if col.shape != y.shape:
            raise ValueError(
                f"ols: the regressor {name!r} has {col.size} values, the "
                f"outcome {y.size}"
            )
        cols.append(col)
    d = np.column_stack(cols)
    n, p = d.shape
    if n <= p:
        raise ValueError(
            f"ols: {n} units for {p} coefficients; need more units"
        )
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(y))):
        raise ValueError("ols: the data hold NaN or infinite values")
    # a regressor with (almost) no variation left given the others
    for j, name in enumerate(names, start=1):
        others = np.delete(d, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, d[:, j], rcond=None)
        left = np.sum((d[:, j] - others @ coef) ** 2)
        total = np.sum((d[:, j] - d[:, j].mean()) ** 2)
        if total == 0 or left <= 1e-10 * total:
            rest = ", ".join(["intercept", *(m for m in names if m != name)])
            raise ValueError(
                f"ols: the regressor {name!r} is an exact linear function of "
                f"the others ({rest}): the data never show it vary with them "
                "fixed, so its coefficient is not determined (if it is the "
                "treatment, positivity fails)"
            )
    gram_inv = np.linalg.inv(d.T @ d)
    beta = gram_inv @ d.T @ y
    resid = y - d @ beta
    s2 = float(resid @ resid) / (n - p)
    se = np.sqrt(s2 * np.diag(gram_inv))
    return {
        name: Coefficient(float(b), float(s))
        for name, b, s in zip(["intercept", *names], beta, se, strict=True)
    }


def randomized(
    scm: LinearGaussianSCM, treatment: str, sd: float = 1.0, mean: float = 0.0
) -> LinearGaussianSCM:
    """The randomized experiment on ``treatment``: ``T := mean + sd N_T``.

    The treatment's equation is replaced by an independent random
    assignment (a coin, a random number generator): the arrows into it are
    cut, as under ``do``, and every other equation is kept. Each unit gets
    its own value, so the experiment's data show the whole response
    ``E[Y | do(T = t)]`` at once.

    Raises:
        KeyError: ``treatment`` is not a variable of ``scm``.
        ValueError: ``sd`` is not positive or ``mean`` not finite.

    Example:
        >>> from causalbook import exact
        >>> from causalbook.models import LINEAR
        >>> trial = randomized(LINEAR["M3"], "x", sd=2.0)
        >>> trial.equation("x"), exact.joint(trial).cov_of("x", "y")
        ('x := 2 N_x', 0.0)
    """
    if treatment not in scm.order:
        raise KeyError(
            f"{scm.name} has no variable {treatment!r} to randomize; it has "
            f"{scm.order}"
        )
    if not (np.isfinite(sd) and sd > 0):
        raise ValueError(f"sd must be a positive number, got {sd!r}")
    if not np.isfinite(mean):
        raise ValueError(f"mean must be a finite number, got {mean!r}")
    cut = scm.intervene({treatment: float(mean)})
    return replace(
        cut,
        name=f"{scm.name} with {treatment} randomized",
        noise_scales={**cut.noise_scales, treatment: float(sd)},
    )


def effect(answer: Callable[[float], Gaussian], outcome: str = "y") -> float:
    """The slope in ``x`` of the mean of ``outcome`` under ``answer(x)``.

    ``answer`` is one of the exact answers as a function of the treatment
    value, e.g. ``lambda x: exact.interventional(scm, {"x": x})``. In a
    linear-Gaussian model these means are affine in ``x`` (checked at
    ``x = 2``), so the slope is the average causal effect of a unit change
    when ``answer`` is the interventional distribution.

    Raises:
        ValueError: the mean is not affine in ``x``.

    Example:
        >>> from causalbook import exact
        >>> from causalbook.models import LINEAR
        >>> effect(lambda x: exact.interventional(LINEAR["M1"], {"x": x}))
        1.0
        >>> effect(lambda x: exact.conditional(LINEAR["M3"], {"x": x}))
        1.0
    """
    m0, m1, m2 = (answer(x).mean(outcome) for x in (0.0, 1.0, 2.0))
    slope = m1 - m0
    if abs(m2 - (m0 + 2 * slope)) > 1e-9 * (1 + abs(m2)):
        raise ValueError(
            f"the mean of {outcome} is not affine in x: {m0}, {m1}, {m2} at "
            "x = 0, 1, 2"
        )
    return float(slope)
