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
  the modified model) (:func:`counterfactual`);
* *adjusting* answers a do-question from the observational joint alone, by
  the back-door formula (:func:`adjusted`), which is right when the
  adjustment set satisfies the back-door criterion in the model's graph
  (:func:`is_backdoor_set`, :func:`backdoor_sets`) and positivity holds.

:class:`LinearGaussianSCM` takes any DAG (its causal order is inferred with
``networkx`` when not given) and refuses cycles, unknown parents and numbers
that are not finite; :meth:`LinearGaussianSCM.to_numpyro` turns it into a
NumPyro model (:mod:`causalbook.scm`).

Example:
    >>> from causalbook.models import LINEAR
    >>> conditional(LINEAR["M2"], {"x": 3.0}).marginal("y")
    Gaussian(y: mean 4, var 3)
    >>> interventional(LINEAR["M2"], {"x": 3.0}).marginal("y")
    Gaussian(y: mean 1, var 4)
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "Gaussian",
    "LinearGaussianSCM",
    "SCMError",
    "CycleError",
    "joint",
    "conditional",
    "interventional",
    "counterfactual",
    "noise_posterior",
    "adjusted",
    "is_backdoor_set",
    "backdoor_sets",
    "PositivityError",
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


class SCMError(ValueError):
    """A structural causal model that cannot be built as given.

    Raised by :class:`LinearGaussianSCM` for a cycle, an unknown parent, a
    number that is not finite or a negative noise scale; the message names
    the variable concerned.

    Attributes:
        variable: the variable concerned (``None`` if none in particular).

    Example:
        >>> try:
        ...     LinearGaussianSCM(
        ...         "typo", coefficients={"y": {"X": 1.0}},
        ...         noise_scales={"x": 1.0, "y": 1.0},
        ...     )
        ... except SCMError as err:
        ...     print(err.variable)
        y
    """

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class CycleError(SCMError):
    """The equations make a variable depend on itself.

    Attributes:
        cycle: the variables along the cycle, the first one repeated last.

    Example:
        >>> try:
        ...     LinearGaussianSCM(
        ...         "loop", coefficients={"x": {"y": 1.0}, "y": {"x": 0.5}},
        ...         noise_scales={"x": 1.0, "y": 1.0},
        ...     )
        ... except CycleError as err:
        ...     print(err.cycle)
        ('x', 'y', 'x')
    """

    def __init__(self, message: str, cycle: tuple[str, ...]) -> None:
        super().__init__(message, cycle[0])
        self.cycle = cycle


def _number(model: str, what: str, variable: str, value: object) -> float:
    """``value`` as a finite float, or an error naming what it is for."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SCMError(
            f"{model}: the {what} must be a number, got {value!r}",
            variable,
        ) from None
    if not np.isfinite(x):
        raise SCMError(
            f"{model}: the {what} is {x}; it must be a finite number",
            variable,
        )
    return x


def _suggestion(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    lowered = [n for n in names if n.lower() == name.lower()]
    best = lowered or close
    return f" (did you mean {best[0]!r}?)" if best else ""


@dataclass(frozen=True)
class LinearGaussianSCM:
    """A linear-Gaussian structural causal model, on any DAG.

    Each variable ``V`` has the structural equation::

        V := intercepts[V]
             + sum(coefficients[V][P] * P)
             + noise_scales[V] * N_V

    with independent standard normal noises N_V. A missing intercept is 0, a
    missing noise scale is 0 (an exact equation, like model 3's X := Z), and
    a parent is any variable with a non-zero coefficient in ``V``'s equation.
    Every variable must appear in at least one of ``intercepts``,
    ``coefficients`` (as a key) or ``noise_scales`` (give a root variable its
    noise scale); a parent that is not a variable is refused, so a typo
    cannot add a variable.

    ``order`` is a causal (topological) order of the variables. Leave it out
    and it is worked out from the equations by a topological sort of the
    graph (``networkx``), ties broken by the order in which the variables
    first appear in ``noise_scales``, ``intercepts`` and ``coefficients``.
    ``observed`` names the variables an observer sees (the softly observed
    twin network of :mod:`causalbook.counterfactual` measures them); by
    default ``("x", "y")`` when the model has both, and every variable
    otherwise.

    Raises:
        CycleError: the equations form a cycle (the message shows it).
        SCMError: an unknown parent or variable, a coefficient or intercept
            that is not a finite number, a noise scale that is negative or
            not finite, or a given ``order`` in which a parent comes after
            its child; the message names the variable.

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

    Example (a model of your own; the order is inferred):
        >>> mine = LinearGaussianSCM(
        ...     "mine",
        ...     coefficients={"y": {"t": 2.0, "u": 1.0}, "t": {"u": 0.5}},
        ...     noise_scales={"y": 1.0, "t": 1.0, "u": 1.0},
        ... )
        >>> mine.order, mine.observed
        (('u', 't', 'y'), ('u', 't', 'y'))
        >>> sorted(mine.graph().edges)
        [('t', 'y'), ('u', 't'), ('u', 'y')]
    """

    name: str
    order: tuple[str, ...] | None = None
    intercepts: Mapping[str, float] = field(default_factory=dict)
    coefficients: Mapping[str, Mapping[str, float]] = field(
        default_factory=dict
    )
    noise_scales: Mapping[str, float] = field(default_factory=dict)
    observed: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        name = str(self.name)
        for label, value in (
            ("intercepts", self.intercepts),
            ("coefficients", self.coefficients),
            ("noise_scales", self.noise_scales),
        ):
            if not isinstance(value, Mapping):
                raise SCMError(
                    f"{name}: {label} must be a mapping from variable names, "
                    f"got {type(value).__name__}"
                )
        intercepts = {
            str(v): _number(name, f"intercept of {v!r}", v, c)
            for v, c in self.intercepts.items()
        }
        scales = {
            str(v): _number(name, f"noise scale of {v!r}", v, s)
            for v, s in self.noise_scales.items()
        }
        for v, s in scales.items():
            if s < 0:
                raise SCMError(
                    f"{name}: the noise scale of {v!r} is {s}; a scale (a "
                    "standard deviation) must be >= 0 (0 makes the equation "
                    "exact)",
                    v,
                )
        coefficients: dict[str, dict[str, float]] = {}
        for v, row in self.coefficients.items():
            if not isinstance(row, Mapping):
                raise SCMError(
                    f"{name}: coefficients[{v!r}] must map the parents of "
                    f"{v!r} to their coefficients, e.g. {{'x': 2.0}}; got "
                    f"{row!r}",
                    v,
                )
            coefficients[str(v)] = {
                str(p): _number(
                    name,
                    f"coefficient of {p!r} in the equation of {v!r}",
                    v,
                    b,
                )
                for p, b in row.items()
            }
        # the variables: as ordered, or in order of first appearance
        if self.order is None:
            names = tuple(dict.fromkeys([*scales, *intercepts, *coefficients]))
        else:
            if isinstance(self.order, str):
                raise SCMError(
                    f"{name}: order must be a sequence of variable names, "
                    f"got the string {self.order!r}"
                )
            names = tuple(str(v) for v in self.order)
            dup = [v for v in names if names.count(v) > 1]
            if dup:
                raise SCMError(
                    f"{name}: {dup[0]!r} appears twice in order {names}",
                    dup[0],
                )
            for what, keys in (
                ("intercepts", intercepts),
                ("coefficients", coefficients),
                ("noise_scales", scales),
            ):
                for key in keys:
                    if key not in names:
                        raise SCMError(
                            f"{name}: unknown variable {key!r} in {what}; "
                            f"order lists {names}{_suggestion(key, names)}",
                            key,
                        )
        if not names:
            raise SCMError(
                f"{name}: the model has no variables; give each one a noise "
                "scale (noise_scales={'x': 1.0, ...}) or an equation"
            )
        for v, row in coefficients.items():
            for p in row:
                if p not in names:
                    raise SCMError(
                        f"{name}: parent {p!r} of {v!r} is not a variable of "
                        f"the model{_suggestion(p, names)}; its variables are "
                        f"{names}. Give every variable an equation, e.g. a "
                        f"root its noise scale: noise_scales={{{p!r}: 1.0}}",
                        v,
                    )
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        graph.add_edges_from(
            (p, v, {"coefficient": b})
            for v, row in coefficients.items()
            for p, b in row.items()
            if b != 0
        )
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle is not None:
            path = tuple(u for u, _ in cycle) + (cycle[0][0],)
            raise CycleError(
                f"{name}: the equations form a cycle, "
                f"{' -> '.join(path)}; a structural causal model's graph "
                "must be acyclic (drop or zero one of these coefficients)",
                path,
            )
        if self.order is None:
            first = {v: i for i, v in enumerate(names)}
            names = tuple(
                nx.lexicographical_topological_sort(graph, key=first.get)
            )
        else:
            for p, v in graph.edges:
                if names.index(p) >= names.index(v):
                    raise SCMError(
                        f"{name}: parent {p!r} of {v!r} must come before it "
                        f"in `order` {names} (or leave `order` out to infer "
                        "it)",
                        v,
                    )
        if self.observed is None:
            observed = ("x", "y") if {"x", "y"} <= set(names) else tuple(names)
        else:
            observed = tuple(str(v) for v in self.observed)
            for v in observed:
                if v not in names:
                    raise SCMError(
                        f"{name}: observed variable {v!r} is not a variable "
                        f"of the model{_suggestion(v, names)}; its variables "
                        f"are {names}",
                        v,
                    )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "order", names)
        object.__setattr__(self, "intercepts", intercepts)
        object.__setattr__(self, "coefficients", coefficients)
        object.__setattr__(self, "noise_scales", scales)
        object.__setattr__(self, "observed", observed)
        object.__setattr__(self, "_graph", graph)

    def __getstate__(self) -> dict[str, Any]:
        # the cached NumPyro model is a closure: rebuilt after unpickling
        state = dict(self.__dict__)
        state.pop("_numpyro_model", None)
        return state

    def _check(self, v: str, what: str = "variable") -> None:
        if v not in self.order:
            raise KeyError(
                f"{self.name} has no {what} {v!r}"
                f"{_suggestion(v, self.order)}; it has {self.order}"
            )

    def parents(self, v: str) -> tuple[str, ...]:
        """The variables with a non-zero coefficient in ``v``'s equation."""
        return tuple(
            p for p, b in self.coefficients.get(v, {}).items() if b != 0
        )

    def edges(self) -> list[tuple[str, str]]:
        """The causal graph's edges, ``(parent, child)``."""
        return [(p, v) for v in self.order for p in self.parents(v)]

    def graph(self) -> nx.DiGraph:
        """The causal graph as a ``networkx.DiGraph`` (a fresh copy).

        Nodes are the variables in causal order; each edge ``(p, v)`` has
        its structural ``coefficient``. Draw it with ``networkx.draw`` or ask
        it graph questions (``nx.ancestors(g, "y")``, ``nx.is_d_separator``).

        Example:
            >>> from causalbook.models import LINEAR
            >>> g = LINEAR["M3"].graph()
            >>> list(g.nodes), sorted(g.edges)
            (['z', 'x', 'y'], [('z', 'x'), ('z', 'y')])
            >>> g.edges["z", "y"]["coefficient"]
            1.0
        """
        g = nx.DiGraph()
        g.add_nodes_from(self.order)
        g.add_edges_from(self._graph.edges(data=True))  # type: ignore[attr-defined]
        return g

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

    def to_numpyro(self) -> Callable[[], dict[str, Any]]:
        """This SCM as a NumPyro model: one sample site per variable.

        Each variable is a sample site named after it, in causal order, with
        its noise folded into its distribution: ``Normal(mean given the
        parents, noise scale)``, or, for an equation without noise,
        ``Delta(mean)`` observed at its own value (so that NUTS accepts it;
        ``do`` still reaches it). The model takes no arguments and returns
        ``{variable: value}``; :func:`causalbook.sampling.sample`, the
        guarded :func:`causalbook.handlers.do` and
        :func:`~causalbook.handlers.condition`,
        :func:`causalbook.inference.condition_nuts` and
        ``numpyro.render_model`` work on it. Conditioning on a variable
        without noise whose parents are not all observed raises
        :class:`causalbook.scm.NoiselessSiteError`, naming the parents to
        condition on instead. The same SCM object always returns the same
        function, so compiled samplers are reused. See :mod:`causalbook.scm`.

        Example:
            >>> import jax
            >>> from causalbook.models import LINEAR
            >>> from causalbook.sampling import sample
            >>> model = LINEAR["M2"].to_numpyro()
            >>> model is LINEAR["M2"].to_numpyro()
            True
            >>> draws = sample(
            ...     model, 100_000, jax.random.PRNGKey(0), do={"x": 3.0}
            ... )
            >>> interventional(LINEAR["M2"], {"x": 3.0}).marginal("y")
            Gaussian(y: mean 1, var 4)
            >>> bool(abs(draws["y"].mean() - 1.0) < 4 * 2.0 / 100_000**0.5)
            True
        """
        cached = self.__dict__.get("_numpyro_model")
        if cached is None:
            from causalbook.scm import to_numpyro

            cached = to_numpyro(self)
            object.__setattr__(self, "_numpyro_model", cached)
        return cached

    def intervene(self, do: Mapping[str, float]) -> LinearGaussianSCM:
        """The mutilated model: each ``v`` in ``do`` gets ``v := value``.

        The edges into ``v`` are removed and its noise no longer enters it;
        every other equation is unchanged.
        """
        for v in do:
            if v not in self.order:
                raise KeyError(
                    f"{self.name} has no variable {v!r} to intervene on"
                    f"{_suggestion(v, self.order)}; it has {self.order}"
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


# --- adjustment: a do-question answered from the observational joint -------
class PositivityError(ValueError):
    """The treatment has no variation left once the adjustment set is known.

    The back-door formula averages ``P(outcome | treatment, adjust)`` over
    ``P(adjust)``; where the treatment is a function of the adjustment set
    (``Var(treatment | adjust) = 0``), the data never show the treatment at
    other values for the same ``adjust``, so ``P(outcome | treatment = x,
    adjust)`` is undefined there and the formula has nothing to average.
    This is a failure of positivity (overlap), not of the graph.

    Attributes:
        treatment: the treatment variable.
        adjust: the adjustment set.

    Example:
        >>> from causalbook.models import LINEAR
        >>> try:
        ...     adjusted(LINEAR["M3"], "x", "y", ["z"], 3.0)
        ... except PositivityError as err:
        ...     print(err.treatment, err.adjust)
        x ('z',)
    """

    def __init__(
        self, message: str, treatment: str, adjust: tuple[str, ...]
    ) -> None:
        super().__init__(message)
        self.treatment = treatment
        self.adjust = adjust


def _names_of(
    scm: LinearGaussianSCM, names: str | Sequence[str], what: str
) -> tuple[str, ...]:
    out = (names,) if isinstance(names, str) else tuple(names)
    for v in out:
        scm._check(v, what)
    return tuple(dict.fromkeys(out))


def _query(
    scm: LinearGaussianSCM,
    treatment: str,
    outcome: str | Sequence[str],
    adjust: Sequence[str],
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Checked ``(treatment, outcomes, adjustment set)``."""
    if not isinstance(treatment, str):
        raise TypeError(
            f"treatment must be one variable's name, got {treatment!r}"
        )
    scm._check(treatment, "treatment variable")
    outcomes = _names_of(scm, outcome, "outcome variable")
    if isinstance(adjust, str):
        raise TypeError(
            f"adjust must be a collection of variable names, e.g. "
            f"[{adjust!r}], got the string {adjust!r}"
        )
    zs = _names_of(scm, adjust, "adjustment variable")
    if treatment in outcomes:
        raise ValueError(f"{treatment!r} is both the treatment and an outcome")
    for v in (treatment, *outcomes):
        if v in zs:
            role = "treatment" if v == treatment else "outcome"
            raise ValueError(
                f"the {role} {v!r} cannot be in the adjustment set {zs}"
            )
    return treatment, outcomes, zs


def is_backdoor_set(
    scm: LinearGaussianSCM,
    treatment: str,
    outcome: str | Sequence[str],
    adjust: Sequence[str],
) -> bool:
    """Whether ``adjust`` satisfies the back-door criterion for the effect.

    The criterion (Pearl), relative to the model's causal graph:

    1. no variable in ``adjust`` is a descendant of the treatment; and
    2. ``adjust`` blocks every back-door path between the treatment and the
       outcome (every path that starts with an arrow *into* the treatment).

    Condition 2 is d-separation of treatment and outcome given ``adjust`` in
    the graph with the treatment's outgoing edges removed (where only the
    back-door paths remain); ``networkx.is_d_separator`` decides it. When
    the criterion holds, :func:`adjusted` gives ``P(outcome | do(treatment =
    x))`` from the observational joint alone, provided positivity holds.

    The answer is relative to the assumed graph: a different graph with the
    same joint can give a different answer. The criterion is sufficient, not
    necessary: in model 2 no set satisfies it (the edge Y -> X is a back-door
    path nothing can block), yet ``P(Y | do(X)) = P(Y)``, because Y is not a
    descendant of X.

    Args:
        scm: the model (its graph is what counts).
        treatment: the intervened variable.
        outcome: one variable, or several.
        adjust: the candidate adjustment set (may be empty).

    Raises:
        KeyError: a name that is not a variable of ``scm``.
        ValueError: the treatment or an outcome is in ``adjust``, or the
            treatment is an outcome.

    Example:
        >>> from causalbook.models import LINEAR
        >>> is_backdoor_set(LINEAR["M3"], "x", "y", ["z"])
        True
        >>> is_backdoor_set(LINEAR["M3"], "x", "y", [])  # X <- Z -> Y open
        False
        >>> is_backdoor_set(LINEAR["M1"], "x", "y", [])
        True
        >>> is_backdoor_set(LINEAR["M2"], "x", "y", [])  # Y -> X
        False
    """
    t, outcomes, zs = _query(scm, treatment, outcome, adjust)
    g = scm.graph()
    if set(zs) & nx.descendants(g, t):
        return False
    g.remove_edges_from(list(g.out_edges(t)))
    return bool(nx.is_d_separator(g, {t}, set(outcomes), set(zs)))


def backdoor_sets(
    scm: LinearGaussianSCM,
    treatment: str,
    outcome: str | Sequence[str],
) -> list[tuple[str, ...]]:
    """Every set of variables that satisfies the back-door criterion.

    Candidates are the variables other than the treatment, the outcomes and
    the treatment's descendants; each subset is checked with
    :func:`is_backdoor_set`. Smallest sets first, each in causal order
    (meant for small models: a model with k candidates has 2**k subsets).

    Example (model 3, and a model where Z confounds and M mediates):
        >>> from causalbook.models import LINEAR
        >>> backdoor_sets(LINEAR["M3"], "x", "y")
        [('z',)]
        >>> med = LinearGaussianSCM(
        ...     "mediated",
        ...     coefficients={"x": {"z": 1.0}, "m": {"x": 1.0},
        ...                   "y": {"m": 1.0, "z": 1.0}},
        ...     noise_scales={"z": 1.0, "x": 1.0, "m": 1.0, "y": 1.0},
        ... )
        >>> backdoor_sets(med, "x", "y")  # never the mediator m
        [('z',)]
    """
    t, outcomes, _ = _query(scm, treatment, outcome, [])
    excluded = {t, *outcomes} | nx.descendants(scm.graph(), t)
    candidates = [v for v in scm.order if v not in excluded]
    found = [
        subset
        for k in range(len(candidates) + 1)
        for subset in itertools.combinations(candidates, k)
        if is_backdoor_set(scm, t, outcomes, subset)
    ]
    return found


def adjusted(
    scm: LinearGaussianSCM,
    treatment: str,
    outcome: str | Sequence[str],
    adjust: Sequence[str],
    value: float,
) -> Gaussian:
    """The back-door adjustment formula, computed from the joint alone.

    For the treatment ``X``, outcome ``Y`` and adjustment set ``W``:

    .. math::

        P_{adj}(Y \\mid x) = \\int P(Y \\mid X = x, W = w)\\, P(w)\\, dw,

    which equals ``P(Y | do(X = x))`` when ``W`` satisfies the back-door
    criterion (:func:`is_backdoor_set`) and positivity holds. Only the
    observational joint of ``(Y, X, W)`` enters: the function would give the
    same answer for any model with that joint, whatever its graph.

    For Gaussians it is Gaussian. Regressing ``Y`` on ``(X, W)`` gives
    ``P(Y | X = x, W = w) = N(m(x, w), R)`` with a mean linear in ``(x, w)``,
    ``m(x, w) = E[Y] + K_x (x - E[X]) + K_W (w - E[W])``
    (``(K_x, K_W) = Cov(Y, (X, W)) Var((X, W))^{-1}``), and a residual
    (co)variance ``R = Var(Y | X, W)`` that depends on neither. Averaging
    over ``W ~ P(W)`` (the marginal of ``W``, not ``P(W | X = x)``: that
    would be plain conditioning):

    * mean: ``E_W[m(x, W)] = E[Y] + K_x (x - E[X])`` (total expectation,
      since ``E_W[W - E[W]] = 0``);
    * variance: ``R + K_W Var(W) K_W^T``, the average conditional variance
      plus the variance of the conditional mean over ``W`` (total variance).

    With ``W`` empty this is ``P(Y | X = x)``, the conditional.

    Args:
        scm: the model whose observational joint is used.
        treatment: the variable ``X`` set to ``value``.
        outcome: one variable, or several (then their joint).
        adjust: the adjustment set ``W`` (any collection of names, possibly
            empty; not only back-door sets, so that wrong adjustments can be
            shown to be wrong).
        value: the treatment value ``x``.

    Returns:
        a :class:`Gaussian` over the outcome(s).

    Raises:
        PositivityError: ``Var(X | W) = 0``: the treatment is a function of
            the adjustment set (model 3 with ``W = {z}``, where X = Z).
        KeyError, ValueError: unknown names, overlapping roles, or a value
            that is not a finite number.

    Example (model 3: {z} is a back-door set, but X = Z leaves no overlap;
    its soft version X := Z + eps N_X gives P(Y | do(X)) exactly, where
    conditioning does not):
        >>> from causalbook.models import LINEAR
        >>> from causalbook.seeing import relax
        >>> is_backdoor_set(LINEAR["M3"], "x", "y", ["z"])
        True
        >>> adjusted(LINEAR["M3"], "x", "y", ["z"], 3.0)
        ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
            ...
        causalbook.exact.PositivityError: positivity fails: 'x' has no
        variation given ('z',) ...
        >>> soft = relax(LINEAR["M3"], {"x": 0.05})
        >>> adjusted(soft, "x", "y", ["z"], 3.0)
        Gaussian(y: mean 1, var 4)
        >>> interventional(soft, {"x": 3.0}).marginal("y")
        Gaussian(y: mean 1, var 4)
        >>> conditional(soft, {"x": 3.0}).marginal("y")
        Gaussian(y: mean 3.99252, var 3.00249)
        >>> adjusted(soft, "x", "y", [], 3.0)  # no adjustment: conditioning
        Gaussian(y: mean 3.99252, var 3.00249)
    """
    t, outcomes, zs = _query(scm, treatment, outcome, adjust)
    x = _number(scm.name, f"value of the treatment {t!r}", t, value)
    g = joint(scm, (*outcomes, t, *zs))
    k = len(outcomes)
    mu, cov = g.mean_vector, g.covariance
    ys, tw, ws = slice(0, k), slice(k, None), slice(k + 1, None)
    # positivity: the treatment must vary given the adjustment set
    s_tt = cov[k, k]
    s_tw, s_ww = cov[k, ws], cov[ws, ws]
    var_t_given_w = (
        s_tt - s_tw @ np.linalg.pinv(s_ww, rcond=_RTOL, hermitian=True) @ s_tw
        if zs
        else s_tt
    )
    if not (s_tt > 0 and var_t_given_w > _RTOL * s_tt):
        given = ", ".join(zs) or "nothing"
        ys_text = ", ".join(outcomes)
        raise PositivityError(
            f"positivity fails: {t!r} has no variation given {zs} in "
            f"{scm.name} (Var({t} | {given}) = 0): the data never show {t} "
            f"at another value for the same {given}, so P({ys_text} | {t}, "
            f"{given}) is undefined away from the value the model forces "
            "and the adjustment formula has nothing to average. "
            f"Observational data from this model cannot answer "
            f"P({ys_text} | do({t})) this way; an experiment (setting {t}) "
            "can",
            t,
            zs,
        )
    # regression of the outcomes on (treatment, adjustment set)
    gain = cov[ys, tw] @ np.linalg.pinv(
        cov[tw, tw], rcond=_RTOL, hermitian=True
    )
    residual = cov[ys, ys] - gain @ cov[tw, ys]
    k_t, k_w = gain[:, 0], gain[:, 1:]
    mean = mu[ys] + k_t * (x - mu[k])
    covariance = residual + k_w @ s_ww @ k_w.T
    return Gaussian(outcomes, mean, covariance)
