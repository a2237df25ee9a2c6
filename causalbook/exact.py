"""Closed-form answers for linear-Gaussian structural causal models.

Every exact number in the book comes from here, computed from a model's
structural coefficients and noise scales, never typed in per query. A
linear-Gaussian SCM is

.. math::

    V_i := c_i + \\sum_j B_{ij} V_j + s_i N_i, \\qquad
    N_i \\sim \\mathcal N(0, 1) \\text{ independent},

so the vector of variables is an affine function of the noises,
``V = A (c + S N)`` with ``A = (I - B)^{-1}`` and ``S = diag(s)``. From there:

* the joint distribution is Gaussian with mean ``A c`` and covariance
  ``A S S^T A^T`` (:func:`joint`);
* *seeing* is Gaussian conditioning of that joint (:func:`conditional`);
* *doing* replaces structural equations and recomputes the joint
  (:func:`interventional`);
* *imagining* is abduction (the posterior of the noises given the evidence),
  action (replace equations) and prediction (push the noise posterior through
  the modified model) (:func:`counterfactual`).

Example:
    >>> from causalbook.models import LINEAR
    >>> conditional(LINEAR["M2"], {"x": 3.0}).marginal("y")
    Gaussian(y: mean 4, var 3)
    >>> interventional(LINEAR["M2"], {"x": 3.0}).marginal("y")
    Gaussian(y: mean 1, var 4)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Gaussian",
    "LinearGaussianSCM",
    "joint",
    "conditional",
    "interventional",
    "counterfactual",
]

# Conditioning uses a pseudo-inverse so that degenerate joints (X = Z exactly
# in model 3) work; evidence that the model cannot produce is refused rather
# than silently projected.
_RTOL = 1e-9


def _fmt(v: float) -> str:
    return f"{float(v):.6g}"


def _fmt4(v: float) -> str:
    """A number for text: four significant digits, no spurious minus zero."""
    return f"{round(float(v), 9) + 0.0:.4g}"


@dataclass(frozen=True)
class Gaussian:
    """A (possibly degenerate) multivariate normal over named variables.

    Example:
        >>> g = Gaussian(
        ...     ("x", "y"),
        ...     np.array([0.0, 1.0]),
        ...     np.array([[1.0, 1.0], [1.0, 4.0]]),
        ... )
        >>> g.var("y"), g.cov_of("x", "y")
        (4.0, 1.0)
        >>> g.marginal("y")
        Gaussian(y: mean 1, var 4)
    """

    names: tuple[str, ...]
    mean_vector: np.ndarray
    covariance: np.ndarray

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean_vector, dtype=float).reshape(-1)
        cov = np.asarray(self.covariance, dtype=float).reshape(
            len(mean), len(mean)
        )
        if len(self.names) != len(mean):
            raise ValueError(
                f"{len(self.names)} names for a mean of length {len(mean)}"
            )
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "mean_vector", mean)
        cov = 0.5 * (cov + cov.T)
        cov[np.abs(cov) < 1e-12] = (
            0.0  # round-off of exact zeros (a point mass)
        )
        object.__setattr__(self, "covariance", cov)

    def _index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(
                f"no variable {name!r}; this distribution is over {self.names}"
            ) from None

    def mean(self, name: str) -> float:
        """Mean of one variable."""
        return float(self.mean_vector[self._index(name)])

    def var(self, name: str) -> float:
        """Variance of one variable."""
        i = self._index(name)
        return float(self.covariance[i, i])

    def sd(self, name: str) -> float:
        """Standard deviation of one variable."""
        return float(np.sqrt(max(self.var(name), 0.0)))

    def cov_of(self, a: str, b: str) -> float:
        """Covariance of two variables."""
        return float(self.covariance[self._index(a), self._index(b)])

    def text(self, name: str, math: bool = False) -> str:
        """One variable's marginal as ``N(mean, var)``.

        With ``math=True``, as ``$\\mathcal N(mean, var)$``, for prose math.

        Example:
            >>> g = Gaussian(("y",), np.array([4.0]), np.array([[3.0]]))
            >>> g.text("y"), g.text("y", math=True)
            ('N(4, 3)', '$\\\\mathcal N(4, 3)$')
        """
        body = f"N({_fmt4(self.mean(name))}, {_fmt4(self.var(name))})"
        return f"$\\mathcal {body}$" if math else body

    def marginal(self, *names: str) -> Gaussian:
        """The distribution of some of the variables, in the order given."""
        idx = [self._index(n) for n in names]
        return Gaussian(
            tuple(names),
            self.mean_vector[idx],
            self.covariance[np.ix_(idx, idx)],
        )

    def pdf(self, name: str, values: np.ndarray | float) -> np.ndarray:
        """Density of one variable's marginal at ``values``.

        For plots against draws.
        """
        mu, var = self.mean(name), self.var(name)
        if var <= 0:
            raise ValueError(
                f"{name} is a point mass at {mu}: it has no density"
            )
        v = np.asarray(values, dtype=float)
        return np.exp(-0.5 * (v - mu) ** 2 / var) / np.sqrt(2 * np.pi * var)

    def condition(self, evidence: Mapping[str, float]) -> Gaussian:
        """Gaussian conditioning: the other variables' law given ``evidence``.

        Returns the distribution of the variables not in ``evidence``. Uses a
        pseudo-inverse, so evidence on a degenerate joint (such as X = Z) is
        allowed as long as the model can produce it; impossible evidence
        raises.
        """
        obs = [self._index(n) for n in evidence]
        rest = [i for i in range(len(self.names)) if i not in obs]
        e = np.array([float(evidence[n]) for n in evidence])
        m, c = self.mean_vector, self.covariance
        c_oo = c[np.ix_(obs, obs)]
        c_ro = c[np.ix_(rest, obs)]
        pinv = np.linalg.pinv(c_oo, rcond=_RTOL, hermitian=True)
        resid = e - m[obs]
        # evidence must lie in the support (the range of c_oo) of the
        # evidence's marginal
        off = resid - c_oo @ pinv @ resid
        if np.linalg.norm(off) > 1e-8 * (1 + np.linalg.norm(resid)):
            raise ValueError(
                f"evidence {dict(evidence)} has probability zero "
                "under this model"
            )
        mean = m[rest] + c_ro @ pinv @ resid
        cov = c[np.ix_(rest, rest)] - c_ro @ pinv @ c_ro.T
        return Gaussian(tuple(self.names[i] for i in rest), mean, cov)

    def __repr__(self) -> str:
        if len(self.names) == 1:
            return (
                f"Gaussian({self.names[0]}: "
                f"mean {_fmt(self.mean_vector[0])}, "
                f"var {_fmt(self.covariance[0, 0])})"
            )
        means = ", ".join(_fmt(v) for v in self.mean_vector)
        rows = "; ".join(
            ", ".join(_fmt(v) for v in row) for row in self.covariance
        )
        return (
            f"Gaussian({', '.join(self.names)}: mean [{means}], cov [{rows}])"
        )


@dataclass(frozen=True)
class LinearGaussianSCM:
    """A linear-Gaussian structural causal model.

    Each variable ``V`` has the structural equation::

        V := intercepts[V]
             + sum(coefficients[V][P] * P)
             + noise_scales[V] * N_V

    with independent standard normal noises. Variables are listed in a causal
    (topological) order. A noise scale of zero makes an equation exact
    (model 3's X := Z).

    Example (model 1, X causes Y):
        >>> m1 = LinearGaussianSCM(
        ...     name="M1", order=("x", "y"),
        ...     intercepts={"x": 0.0, "y": 1.0},
        ...     coefficients={"y": {"x": 1.0}},
        ...     noise_scales={"x": 1.0, "y": 3 ** 0.5})
        >>> m1.parents("y"), m1.equation("y")
        (('x',), 'y := 1 + x + 1.73205 N_y')
        >>> joint(m1)
        Gaussian(x, y: mean [0, 1], cov [1, 1; 1, 4])
    """

    name: str
    order: tuple[str, ...]
    intercepts: Mapping[str, float]
    coefficients: Mapping[str, Mapping[str, float]]
    noise_scales: Mapping[str, float]
    observed: tuple[str, ...] = field(default=("x", "y"))

    def __post_init__(self) -> None:
        names = tuple(self.order)
        object.__setattr__(self, "order", names)
        for v in names:
            for p in self.coefficients.get(v, {}):
                if p not in names or names.index(p) >= names.index(v):
                    raise ValueError(
                        f"{self.name}: parent {p!r} of {v!r} "
                        "must come before it in `order`"
                    )
        for key in (*self.intercepts, *self.coefficients, *self.noise_scales):
            if key not in names:
                raise ValueError(f"{self.name}: unknown variable {key!r}")

    def parents(self, v: str) -> tuple[str, ...]:
        """The variables with a non-zero coefficient in ``v``'s equation."""
        return tuple(
            p for p, b in self.coefficients.get(v, {}).items() if b != 0
        )

    def edges(self) -> list[tuple[str, str]]:
        """The causal graph's edges, ``(parent, child)``."""
        return [(p, v) for v in self.order for p in self.parents(v)]

    def equation(self, v: str) -> str:
        """The structural equation of ``v`` as text."""
        terms = []
        c = float(self.intercepts.get(v, 0.0))
        if c != 0:
            terms.append(_fmt(c))
        for p in self.parents(v):
            b = float(self.coefficients[v][p])
            terms.append(p if b == 1 else f"{_fmt(b)} {p}")
        s = float(self.noise_scales.get(v, 0.0))
        if s != 0:
            terms.append(f"N_{v}" if s == 1 else f"{_fmt(s)} N_{v}")
        return f"{v} := " + (" + ".join(terms) if terms else "0")

    def intervene(self, do: Mapping[str, float]) -> LinearGaussianSCM:
        """The mutilated model: each ``v`` in ``do`` gets ``v := value``.

        The edges into ``v`` are removed and its noise no longer enters it;
        every other equation is unchanged.
        """
        for v in do:
            if v not in self.order:
                raise KeyError(
                    f"{self.name} has no variable {v!r} to intervene on; "
                    f"it has {self.order}"
                )
        intercepts = {
            **self.intercepts,
            **{v: float(x) for v, x in do.items()},
        }
        coefficients = {
            v: dict(c) for v, c in self.coefficients.items() if v not in do
        }
        scales = {
            v: (0.0 if v in do else s) for v, s in self.noise_scales.items()
        }
        label = ", ".join(f"{v}={_fmt(x)}" for v, x in do.items())
        return LinearGaussianSCM(
            f"{self.name} under do({label})",
            self.order,
            intercepts,
            coefficients,
            scales,
            self.observed,
        )

    # --- the linear algebra --------------------------------------------------
    def _matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, c, S)`` with ``V = A (c + S N)``."""
        n = len(self.order)
        idx = {v: i for i, v in enumerate(self.order)}
        b = np.zeros((n, n))
        for v, row in self.coefficients.items():
            for p, coef in row.items():
                b[idx[v], idx[p]] = coef
        c = np.array([float(self.intercepts.get(v, 0.0)) for v in self.order])
        s = np.diag([float(self.noise_scales.get(v, 0.0)) for v in self.order])
        a = np.linalg.inv(np.eye(n) - b)
        return a, c, s


def _select(g: Gaussian, names: Sequence[str] | None) -> Gaussian:
    return g if names is None else g.marginal(*names)


def joint(
    scm: LinearGaussianSCM, names: Sequence[str] | None = None
) -> Gaussian:
    """The observational joint distribution of ``names`` (default: all).

    Example:
        >>> from causalbook.models import LINEAR
        >>> joint(LINEAR["M3"], ["x", "y"])
        Gaussian(x, y: mean [0, 1], cov [1, 1; 1, 4])
    """
    a, c, s = scm._matrices()
    return _select(Gaussian(scm.order, a @ c, a @ s @ s.T @ a.T), names)


def conditional(
    scm: LinearGaussianSCM,
    evidence: Mapping[str, float],
    names: Sequence[str] | None = None,
) -> Gaussian:
    """Seeing: ``P(names | evidence)`` by Gaussian conditioning of the joint.

    Example:
        >>> from causalbook.models import LINEAR
        >>> for m in ("M1", "M2", "M3"):
        ...     print(m, conditional(LINEAR[m], {"x": 3.0}).marginal("y"))
        M1 Gaussian(y: mean 4, var 3)
        M2 Gaussian(y: mean 4, var 3)
        M3 Gaussian(y: mean 4, var 3)
    """
    return _select(joint(scm).condition(evidence), names)


def interventional(
    scm: LinearGaussianSCM,
    do: Mapping[str, float],
    names: Sequence[str] | None = None,
) -> Gaussian:
    """Doing: ``P(names | do(v = value, ...))`` by replacing equations.

    The equations of the ``do`` keys are replaced
    (:meth:`LinearGaussianSCM.intervene`) and the joint recomputed.

    Example:
        >>> from causalbook.models import LINEAR
        >>> for m in ("M1", "M2", "M3"):
        ...     print(m, interventional(LINEAR[m], {"x": 3.0}).marginal("y"))
        M1 Gaussian(y: mean 4, var 3)
        M2 Gaussian(y: mean 1, var 4)
        M3 Gaussian(y: mean 1, var 4)
    """
    return _select(joint(scm.intervene(do)), names)


def noise_posterior(
    scm: LinearGaussianSCM, evidence: Mapping[str, float]
) -> Gaussian:
    """Abduction: the posterior of the exogenous noises ``N_v`` given evidence.

    In model 1, having seen X = 1 and Y = 3, the noises are pinned down.

    Example:
        >>> from causalbook.models import LINEAR
        >>> post = noise_posterior(LINEAR["M1"], {"x": 1.0, "y": 3.0})
        >>> round(post.mean("N_x"), 6), round(post.var("N_y"), 6)
        (1.0, 0.0)
    """
    a, c, s = scm._matrices()
    n = len(scm.order)
    # joint of (N, V): N ~ N(0, I), V = A c + A S N
    load = a @ s
    mean = np.concatenate([np.zeros(n), a @ c])
    cov = np.block([[np.eye(n), load.T], [load, load @ load.T]])
    noises = tuple(f"N_{v}" for v in scm.order)
    both = Gaussian(noises + scm.order, mean, cov)
    return both.condition(evidence).marginal(*noises)


def counterfactual(
    scm: LinearGaussianSCM,
    evidence: Mapping[str, float],
    do: Mapping[str, float],
    names: Sequence[str] | None = None,
) -> Gaussian:
    """Imagining: ``P(names had do() held | evidence)``.

    By abduction, action and prediction:

    1. Abduction: the posterior of the noises given the evidence
       (:func:`noise_posterior`).
    2. Action: replace the equations of the ``do`` keys
       (:meth:`LinearGaussianSCM.intervene`).
    3. Prediction: push the noise posterior through the modified equations.

    With all of a model's observed variables as evidence the answer is
    usually a point (variance zero); with partial evidence it is a
    distribution.

    Having seen X = 1 and Y = 3, what would Y have been had X been 3?

    Example:
        >>> from causalbook.models import LINEAR
        >>> seen, had = {"x": 1.0, "y": 3.0}, {"x": 3.0}
        >>> [
        ...     round(counterfactual(LINEAR[m], seen, had).mean("y"), 6)
        ...     for m in ("M1", "M2", "M3")
        ... ]
        [5.0, 3.0, 3.0]
    """
    post = noise_posterior(scm, evidence)
    a, c, s = scm.intervene(do)._matrices()
    load = a @ s
    return _select(
        Gaussian(
            scm.order,
            a @ c + load @ post.mean_vector,
            load @ post.covariance @ load.T,
        ),
        names,
    )
