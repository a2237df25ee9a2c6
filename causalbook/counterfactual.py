"""Imagining: counterfactuals of the book's models as twin networks.

A counterfactual query, "having seen X = 1 and Y = 3, what would Y have
been had X been 3?", is answered in three steps (Pearl's abduction, action,
prediction):

1. **abduction**: infer the exogenous noises from what was seen;
2. **action**: replace the structural equation of X by X := 3;
3. **prediction**: run the modified equations on the inferred noises.

A **twin network** does the three steps in one probabilistic program (here
in NumPyro): the exogenous noises are sample sites shared by two copies of
the structural equations, a *factual* copy (which is observed) and a
*counterfactual* copy (in which the intervened equations are replaced).
Conditioning the factual copy on the evidence and running an inference
algorithm on the noises is abduction; the counterfactual copy, evaluated on
the same noises, is action and prediction. :func:`twin_network` builds it
for any :class:`~causalbook.exact.LinearGaussianSCM`, in two forms:

* **softly observed** (``obs_scale > 0``): the noises ``n_v`` are sample
  sites, and each observed variable ``v`` is a sample site
  ``v ~ Normal(factual v, obs_scale)``. This relaxes "seen exactly" to
  "seen with a small measurement error", so NUTS can condition on any
  evidence, in every model. The relaxed model's exact answer is
  :func:`soft_counterfactual`; it tends to the exact one as
  ``obs_scale -> 0``.
* **exactly observed** (``obs_scale=None``): the factual variables are
  sample sites with their noise folded into their distribution (as in
  :data:`causalbook.models.SAMPLE_SITE`), and the noises are recovered from
  them by inverting each equation,
  ``n_v = (v - mean of v given its parents) / scale``: abduction by
  solving. An equation without noise (model 3's X := Z) becomes a
  ``Delta`` site, which NUTS cannot condition on; condition on Z instead
  (X = Z exactly).

Example (model 1, seen X = 1 and Y = 3, had X been 3; exactly observed, no
inference is needed because the two equations pin both noises down):
    >>> import jax
    >>> from numpyro import handlers
    >>> from causalbook.models import LINEAR
    >>> twin = twin_network(LINEAR["M1"], {"x": 3.0})
    >>> seen = handlers.condition(twin, {"x": 1.0, "y": 3.0})
    >>> tr = handlers.trace(handlers.seed(seen, 0)).get_trace()
    >>> round(float(tr["y_cf"]["value"]), 6)
    5.0
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from causalbook.exact import Gaussian, LinearGaussianSCM, counterfactual

__all__ = [
    "structural_values",
    "twin_network",
    "soft_twin",
    "exact_twin",
    "with_measurement_error",
    "soft_counterfactual",
    "side_by_side",
    "descendants",
    "single_world_suffices",
    "same_answer",
    "partition",
    "separated_pairs",
    "describe_exact",
    "describe_estimate",
    "plot_ladder",
]

Model = Callable[[], Any]

_CACHE: dict[tuple, tuple[LinearGaussianSCM, Model]] = {}


def structural_values(
    scm: LinearGaussianSCM,
    noise: Mapping[str, Any],
    do: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Run the structural equations of ``scm`` on given noise values.

    The equations run in causal order:
    ``v := intercept + sum(coefficient * parent) + scale * noise[v]``, except
    that each variable in ``do`` takes its intervened value (its equation is
    replaced). A noise missing from ``noise`` counts as zero (equations
    without noise need none).

    Args:
        scm: the model.
        noise: ``{variable: value of its standard normal noise N_v}``
            (numbers or arrays).
        do: ``{variable: value}``, the equations replaced (the action step).

    Returns:
        ``{variable: value}`` for every variable of ``scm``.

    Example (model 2 with N_Y = 1, N_X = 0: the factual world, then do(X = 3)):
        >>> from causalbook.models import LINEAR
        >>> structural_values(LINEAR["M2"], {"y": 1.0, "x": 0.0})
        {'y': 3.0, 'x': 0.5}
        >>> structural_values(
        ...     LINEAR["M2"], {"y": 1.0, "x": 0.0}, do={"x": 3.0}
        ... )
        {'y': 3.0, 'x': 3.0}
    """
    do = dict(do or {})
    values: dict[str, Any] = {}
    for v in scm.order:
        if v in do:
            values[v] = do[v]
            continue
        value = float(scm.intercepts.get(v, 0.0))
        for p in scm.parents(v):
            value = value + float(scm.coefficients[v][p]) * values[p]
        scale = float(scm.noise_scales.get(v, 0.0))
        if scale != 0:
            value = value + scale * noise[v]
        values[v] = value
    return values


def _check_do(scm: LinearGaussianSCM, do: Mapping[str, float]) -> None:
    for v in do:
        if v not in scm.order:
            raise KeyError(
                f"{scm.name} has no variable {v!r} to intervene on; "
                f"it has {scm.order}"
            )


def twin_network(
    scm: LinearGaussianSCM,
    do: Mapping[str, float],
    obs_scale: float | None = None,
) -> Model:
    """A twin-network model of ``scm`` for counterfactuals under ``do``.

    Sites of the returned model (no arguments):

    * ``n_v`` for each variable with a noise: the exogenous noise N_v,
      shared by both copies (a sample site when softly observed, a
      deterministic site recovered from the factual values when exactly
      observed);
    * ``v`` for each variable: the factual world. When softly observed, the
      observed variables (``scm.observed``, e.g. ``x`` and ``y``) are sample
      sites ``Normal(factual value, obs_scale)`` and the others (model 3's
      ``z``) deterministic sites; when exactly observed, they are sample
      sites with their noise folded in (``Delta`` for an equation without
      noise);
    * ``v_cf`` for each variable: the counterfactual world, the same
      equations on the same noises with the equations in ``do`` replaced
      (deterministic sites).

    Condition on the factual sites (``numpyro.handlers.condition``) and run
    NUTS (for example :func:`causalbook.inference.condition_nuts`): the
    posterior of ``y_cf`` is the counterfactual distribution. This function
    builds the model with :func:`soft_twin` or :func:`exact_twin`; calls
    with equal arguments return the same function object, so compiled
    samplers are reused.

    Args:
        scm: the model (e.g. ``causalbook.models.LINEAR["M1"]``).
        do: the counterfactual antecedent, ``{variable: value}``.
        obs_scale: ``None`` to observe the factual variables exactly, or the
            standard deviation of the small measurement error of a softly
            observed twin network.

    Example (model 2, seen X = 1 and Y = 3, had X been 3; softly observed,
    by NUTS):
        >>> import jax
        >>> from causalbook.inference import condition_nuts
        >>> from causalbook.models import LINEAR
        >>> twin = twin_network(LINEAR["M2"], {"x": 3.0}, obs_scale=0.05)
        >>> twin is twin_network(LINEAR["M2"], {"x": 3.0}, obs_scale=0.05)
        True
        >>> post = condition_nuts(
        ...     twin, {"x": 1.0, "y": 3.0}, jax.random.PRNGKey(0),
        ...     num_samples=1000,
        ... )
        >>> sorted(post.samples)
        ['n_x', 'n_y', 'x_cf', 'y_cf']
        >>> exact_soft = soft_counterfactual(
        ...     LINEAR["M2"], {"x": 1.0, "y": 3.0}, {"x": 3.0}, 0.05
        ... )
        >>> post.moments("y_cf").agrees_with(
        ...     exact_soft.mean("y"), exact_soft.var("y"), z=4.5
        ... )
        True
    """
    key = (
        id(scm),
        tuple(sorted((v, float(x)) for v, x in do.items())),
        obs_scale,
    )
    if key not in _CACHE:
        model = (
            exact_twin(scm, do)
            if obs_scale is None
            else soft_twin(scm, do, obs_scale)
        )
        _CACHE[key] = (scm, model)  # keeping scm alive keeps its id unique
    return _CACHE[key][1]


def _name(
    scm: LinearGaussianSCM, do: Mapping[str, float], suffix: str = ""
) -> str:
    label = "_".join(f"{v}{float(x):g}" for v, x in do.items())
    return "".join(
        c if c.isalnum() else "_"
        for c in f"twin_{scm.name}_do_{label}{suffix}"
    )


def _has_noise(scm: LinearGaussianSCM, v: str) -> bool:
    return float(scm.noise_scales.get(v, 0.0)) != 0


def soft_twin(
    scm: LinearGaussianSCM, do: Mapping[str, float], obs_scale: float
) -> Model:
    """The softly observed twin network.

    See :func:`twin_network`, which caches it.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> from causalbook.models import LINEAR
        >>> twin = soft_twin(LINEAR["M3"], {"x": 3.0}, 0.1)
        >>> tr = handlers.trace(handlers.seed(twin, 0)).get_trace()
        >>> types = {name: site["type"] for name, site in tr.items()}
        >>> types  # doctest: +NORMALIZE_WHITESPACE
        {'n_z': 'sample', 'n_y': 'sample', 'z': 'deterministic',
         'x': 'sample', 'y': 'sample',
         'z_cf': 'deterministic', 'x_cf': 'deterministic',
         'y_cf': 'deterministic'}
    """
    _check_do(scm, do)
    if not obs_scale > 0:
        raise ValueError(
            f"obs_scale must be positive, got {obs_scale!r} "
            f"(for exact observation use exact_twin)"
        )
    do = {v: float(x) for v, x in do.items()}

    def twin():
        # the exogenous noises, shared by both worlds
        noise = {
            v: numpyro.sample(f"n_{v}", dist.Normal(0.0, 1.0))
            for v in scm.order
            if _has_noise(scm, v)
        }
        # the factual world, observed with a small measurement error
        factual = structural_values(scm, noise)
        for v in scm.order:
            if v in scm.observed:
                numpyro.sample(v, dist.Normal(factual[v], obs_scale))
            else:
                numpyro.deterministic(v, factual[v])
        # the counterfactual world: same noises, equations in `do` replaced
        for v, value in structural_values(scm, noise, do).items():
            numpyro.deterministic(
                f"{v}_cf", jnp.asarray(value, dtype=jnp.result_type(float))
            )

    twin.__name__ = twin.__qualname__ = _name(scm, do, f"_soft{obs_scale:g}")
    return twin


def exact_twin(scm: LinearGaussianSCM, do: Mapping[str, float]) -> Model:
    """The exactly observed twin network.

    See :func:`twin_network`, which caches it.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> from causalbook.models import LINEAR
        >>> twin = exact_twin(LINEAR["M3"], {"x": 3.0})
        >>> tr = handlers.trace(handlers.seed(twin, 0)).get_trace()
        >>> types = {name: site["type"] for name, site in tr.items()}
        >>> types  # doctest: +NORMALIZE_WHITESPACE
        {'z': 'sample', 'n_z': 'deterministic',
         'x': 'sample', 'y': 'sample', 'n_y': 'deterministic',
         'z_cf': 'deterministic', 'x_cf': 'deterministic',
         'y_cf': 'deterministic'}
    """
    _check_do(scm, do)
    do = {v: float(x) for v, x in do.items()}

    def twin():
        factual: dict[str, Any] = {}
        noise: dict[str, Any] = {}
        for v in scm.order:
            # the factual world, each noise folded into its variable's
            # distribution ...
            mean = float(scm.intercepts.get(v, 0.0)) + sum(
                float(scm.coefficients[v][p]) * factual[p]
                for p in scm.parents(v)
            )
            scale = float(scm.noise_scales.get(v, 0.0))
            if scale == 0:
                factual[v] = numpyro.sample(v, dist.Delta(mean))
                continue
            factual[v] = numpyro.sample(v, dist.Normal(mean, scale))
            # ... and recovered from it by solving the equation for the noise
            # (abduction)
            noise[v] = numpyro.deterministic(
                f"n_{v}", (factual[v] - mean) / scale
            )
        # the counterfactual world: same noises, equations in `do` replaced
        for v, value in structural_values(scm, noise, do).items():
            numpyro.deterministic(
                f"{v}_cf", jnp.asarray(value, dtype=jnp.result_type(float))
            )

    twin.__name__ = twin.__qualname__ = _name(scm, do)
    return twin


def with_measurement_error(
    scm: LinearGaussianSCM, obs_scale: float
) -> LinearGaussianSCM:
    """``scm`` plus a noisy measurement of each observed variable.

    The measurement of ``v`` is ``v_obs := v + obs_scale N``. This is the
    softly observed twin network's factual world as a linear-Gaussian SCM,
    so :mod:`causalbook.exact` can answer its queries exactly.

    Example:
        >>> from causalbook.models import LINEAR
        >>> m = with_measurement_error(LINEAR["M1"], 0.1)
        >>> m.order, m.equation("y_obs")
        (('x', 'y', 'x_obs', 'y_obs'), 'y_obs := y + 0.1 N_y_obs')
    """
    if not obs_scale > 0:
        raise ValueError(f"obs_scale must be positive, got {obs_scale!r}")
    proxies = [f"{v}_obs" for v in scm.observed]
    return LinearGaussianSCM(
        name=f"{scm.name} measured with error {obs_scale:g}",
        order=scm.order + tuple(proxies),
        intercepts=dict(scm.intercepts),
        coefficients={
            **{v: dict(c) for v, c in scm.coefficients.items()},
            **{f"{v}_obs": {v: 1.0} for v in scm.observed},
        },
        noise_scales={
            **scm.noise_scales,
            **{p: float(obs_scale) for p in proxies},
        },
        observed=tuple(proxies),
    )


def soft_counterfactual(
    scm: LinearGaussianSCM,
    evidence: Mapping[str, float],
    do: Mapping[str, float],
    obs_scale: float,
) -> Gaussian:
    """Exact counterfactual distribution of the softly observed twin network.

    Evidence ``{"x": 1.0}`` means that the measurement ``x_obs`` of ``x`` was
    1. Returns a Gaussian over the variables of ``scm`` in the
    counterfactual world.

    Example (the relaxed answer tends to the exact 5 as obs_scale shrinks):
        >>> from causalbook.models import LINEAR
        >>> def y_cf(obs_scale):
        ...     return soft_counterfactual(
        ...         LINEAR["M1"], {"x": 1.0, "y": 3.0}, {"x": 3.0}, obs_scale
        ...     ).mean("y")
        >>> [round(y_cf(s), 5) for s in (0.1, 0.01)]
        [5.00325, 5.00003]
    """
    measured = with_measurement_error(scm, obs_scale)
    ev = {f"{v}_obs": float(value) for v, value in evidence.items()}
    return counterfactual(measured, ev, do).marginal(*scm.order)


def side_by_side(
    models: Mapping[str, Callable[[], Any]], divider: str = ":"
) -> Model:
    """One program that runs several models, their sites prefixed by label.

    Each model's site names are prefixed by its label and ``divider``. The
    models share nothing, so the joint distribution (and any posterior, when
    each is conditioned) is the product of theirs: one NUTS run, or one
    compiled sampler, serves all of them. Site ``"y"`` of the model labelled
    ``"M2"`` is called ``"M2:y"``. (NumPyro's ``scope`` handler, which does
    the prefixing, divides with ``"/"`` by default; ArviZ stores draws in an
    ``xarray.DataTree``, whose variable names cannot hold ``"/"``, hence
    ``":"``.) Apply ``do`` and ``condition`` to each model before passing it
    here, with unprefixed names: a ``do`` outside would send its fresh copy
    of the site through the prefixing twice.

    Raises:
        ValueError: if ``divider`` is empty or contains ``"/"``, or if there
            are no models.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> from causalbook.models import SAMPLE_SITE
        >>> from causalbook.sampling import sample
        >>> both = side_by_side({
        ...     m: handlers.do(SAMPLE_SITE[m], {"x": 3.0})
        ...     for m in ("M1", "M2")
        ... })
        >>> draws = sample(both, 100_000, jax.random.PRNGKey(0))
        >>> sorted(draws)
        ['M1:x', 'M1:y', 'M2:x', 'M2:y']
        >>> [round(float(draws[f"{m}:y"].mean()), 1) for m in ("M1", "M2")]
        [4.0, 1.0]
    """
    from numpyro import handlers

    if not divider or "/" in divider:
        raise ValueError(
            f"divider must be a non-empty string without '/', got {divider!r}"
            " (ArviZ cannot store variable names that contain '/')"
        )
    models = dict(models)
    if not models:
        raise ValueError("side_by_side needs at least one model")

    def together():
        for label, model in models.items():
            handlers.scope(model, prefix=label, divider=divider)()

    together.__name__ = together.__qualname__ = "side_by_side_" + "_".join(
        models
    )
    return together


def descendants(scm: LinearGaussianSCM, v: str) -> set[str]:
    """The variables downstream of ``v`` in the causal graph of ``scm``.

    Those with a directed path from ``v``, ``v`` itself excluded (computed
    with networkx).

    Raises:
        KeyError: if ``v`` is not a variable of ``scm``.

    Example:
        >>> from causalbook.models import LINEAR
        >>> [sorted(descendants(LINEAR[m], "x")) for m in ("M1", "M2", "M3")]
        [['y'], [], []]
    """
    import networkx as nx

    if v not in scm.order:
        raise KeyError(f"{scm.name} has no variable {v!r}; it has {scm.order}")
    graph = nx.DiGraph(scm.edges())
    graph.add_nodes_from(scm.order)
    return set(nx.descendants(graph, v))


def single_world_suffices(
    scm: LinearGaussianSCM,
    do: Mapping[str, float],
    evidence: Mapping[str, float] | Sequence[str],
) -> bool:
    """Whether one world can hold a counterfactual query's evidence.

    In a single-world intervention graph of ``do`` (NumPyro's
    ``condition(do(model, do), evidence)``), each intervened variable ``v``
    is split: a random half, which is the factual ``v`` and can be observed,
    and the value set, which feeds ``v``'s children. Every variable
    downstream of ``v`` then stands for its potential outcome under ``do``,
    not for its factual value. The factual evidence fits in that one world
    if and only if no evidence variable is downstream of an intervened one;
    otherwise the query is cross-world and needs a twin network.

    Args:
        scm: the model, for its causal graph.
        do: the counterfactual antecedent, ``{variable: value}``.
        evidence: the variables seen (a mapping or a list of names).

    Raises:
        KeyError: if a variable of ``do`` or ``evidence`` is not in ``scm``.

    Example (seen X = 1 and Y = 3; had X been 3):
        >>> from causalbook.models import LINEAR
        >>> [
        ...     single_world_suffices(LINEAR[m], {"x": 3.0}, ["x", "y"])
        ...     for m in ("M1", "M2", "M3")
        ... ]
        [False, True, True]
        >>> single_world_suffices(LINEAR["M1"], {"x": 3.0}, ["x"])
        True
    """
    _check_do(scm, do)
    seen = list(evidence)
    for v in seen:
        if v not in scm.order:
            raise KeyError(
                f"{scm.name} has no variable {v!r} to observe; "
                f"it has {scm.order}"
            )
    downstream = set().union(*(descendants(scm, v) for v in do))
    return not downstream.intersection(seen)


# --- comparing the models' answers -------------------------------------------
def same_answer(
    a: Gaussian, b: Gaussian, names: str | Sequence[str], tol: float = 1e-9
) -> bool:
    """Whether two exact answers give ``names`` the same distribution.

    The same means and covariances.

    Example:
        >>> from causalbook.exact import interventional, joint
        >>> from causalbook.models import LINEAR
        >>> g = {m: interventional(LINEAR[m], {"x": 3.0}) for m in LINEAR}
        >>> same_answer(g["M2"], g["M3"], "y")
        True
        >>> same_answer(g["M1"], g["M2"], "y")
        False
        >>> same_answer(joint(LINEAR["M1"]), joint(LINEAR["M3"]), ["x", "y"])
        True
    """
    names = [names] if isinstance(names, str) else list(names)
    ga, gb = a.marginal(*names), b.marginal(*names)
    return bool(
        np.allclose(ga.mean_vector, gb.mean_vector, rtol=0, atol=tol)
        and np.allclose(ga.covariance, gb.covariance, rtol=0, atol=tol)
    )


def partition(
    answers: Mapping[str, Gaussian], names: str | Sequence[str]
) -> list[list[str]]:
    """Group the models whose exact answers for ``names`` agree.

    Groups, and models in them, come in first-seen order.

    One group means that the query cannot tell the models apart; models in
    different groups are separated by it.

    Example:
        >>> from causalbook.exact import conditional, interventional
        >>> from causalbook.models import LINEAR
        >>> seen = {m: conditional(LINEAR[m], {"x": 3.0}) for m in LINEAR}
        >>> partition(seen, "y")
        [['M1', 'M2', 'M3']]
        >>> done = {m: interventional(LINEAR[m], {"x": 3.0}) for m in LINEAR}
        >>> partition(done, "y")
        [['M1'], ['M2', 'M3']]
    """
    groups: list[list[str]] = []
    for m, g in answers.items():
        for group in groups:
            if same_answer(answers[group[0]], g, names):
                group.append(m)
                break
        else:
            groups.append([m])
    return groups


def separated_pairs(groups: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """The pairs of models that a :func:`partition` puts in different groups.

    Example:
        >>> separated_pairs([["M1"], ["M2", "M3"]])
        [('M1', 'M2'), ('M1', 'M3')]
    """
    where = {m: i for i, group in enumerate(groups) for m in group}
    return [
        (a, b)
        for a, b in itertools.combinations(sorted(where), 2)
        if where[a] != where[b]
    ]


# --- how the chapter prints answers ------------------------------------------
def _num(v: float) -> str:
    return f"{v:.4g}" if abs(v - round(v)) > 1e-9 else f"{round(v):d}"


def describe_exact(g: Gaussian, name: str) -> str:
    """An exact answer as text: ``N(mean, var)``, or the value of a point mass.

    Example:
        >>> from causalbook.exact import counterfactual, interventional
        >>> from causalbook.models import LINEAR
        >>> describe_exact(interventional(LINEAR["M2"], {"y": 3.0}), "x")
        'N(0.5, 0.75)'
        >>> cf = counterfactual(
        ...     LINEAR["M1"], {"x": 1.0, "y": 3.0}, {"x": 3.0}
        ... )
        >>> describe_exact(cf, "y")
        '5 (a point)'
    """
    if abs(g.var(name)) < 1e-12:
        return f"{_num(g.mean(name))} (a point)"
    return g.text(name)


def describe_estimate(est: Any) -> str:
    """A sampled estimate as ``N(mean ± se, var ± se)``.

    The estimate is a :class:`causalbook.stats.Moments`.

    Example:
        >>> from causalbook.stats import Moments
        >>> describe_estimate(Moments(4.012, 0.011, 2.98, 0.04, 20000))
        'N(4.01 ± 0.01, 2.98 ± 0.04)'
    """
    from causalbook.stats import fmt_pm

    return f"N({fmt_pm(est.mean, est.mean_se)}, {fmt_pm(est.var, est.var_se)})"


# --- the ladder figure -------------------------------------------------------
def plot_ladder(
    rungs: Sequence[tuple[str, Sequence[tuple[str, Sequence[Sequence[str]]]]]],
    colors: Mapping[str, str] | None = None,
):
    """Draw the causal ladder.

    One rung per level, one row per query, models grouped by answer. Models
    in one box give the same answer to that query; separate boxes are models
    the query tells apart, and the last column lists those pairs
    (:func:`separated_pairs`).

    Args:
        rungs: ``[(rung title, [(query label, groups of models), ...]), ...]``,
            bottom rung first (seeing, then doing, then imagining); groups as
            from :func:`partition`.
        colors: a colour per model (default :data:`causalbook.plots.COLORS`).

    Returns:
        the matplotlib Figure.

    Example:
        >>> fig = plot_ladder([
        ...     ("seeing", [("P(Y | X = 3)", [["M1", "M2", "M3"]])]),
        ...     ("doing", [("P(Y | do(X = 3))", [["M1"], ["M2", "M3"]])]),
        ... ])
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if colors is None:
        from causalbook.plots import COLORS as colors  # noqa: N811

    n_rows = sum(len(queries) for _, queries in rungs)
    fig, ax = plt.subplots(
        figsize=(9.0, 0.62 * n_rows + 0.5 * len(rungs) + 0.6),
        layout="constrained",
    )
    y = 0.0
    for r, (title, queries) in enumerate(rungs):
        top = y + len(queries) + 0.35
        ax.add_patch(
            FancyBboxPatch(
                (0.02, y + 0.08),
                10.2,
                len(queries) + 0.2,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                facecolor=("#F3F3F3" if r % 2 == 0 else "#FFFFFF"),
                edgecolor="#999999",
                lw=1.0,
            )
        )
        ax.text(
            0.2,
            y + 0.18 + len(queries) / 2,
            f"rung {r + 1}\n{title}",
            ha="left",
            va="center",
            fontsize=11,
            fontweight="bold",
        )
        for i, (label, groups) in enumerate(reversed(list(queries))):
            yc = y + 0.7 + i
            ax.text(1.75, yc, label, ha="left", va="center", fontsize=9.5)
            x = 5.0
            for group in groups:
                width = 0.62 * len(group) + 0.14
                ax.add_patch(
                    FancyBboxPatch(
                        (x, yc - 0.27),
                        width,
                        0.54,
                        boxstyle="round,pad=0.02,rounding_size=0.12",
                        facecolor="white",
                        edgecolor="#444444",
                        lw=1.0,
                    )
                )
                for j, m in enumerate(group):
                    ax.text(
                        x + 0.38 + 0.62 * j,
                        yc,
                        m,
                        ha="center",
                        va="center",
                        fontsize=9.5,
                        color=colors.get(m, "black"),
                        fontweight="bold",
                    )
                x += width + 0.22
            pairs = separated_pairs(groups)
            ax.text(
                7.95,
                yc,
                ", ".join(f"{a}–{b}" for a, b in pairs) if pairs else "none",
                ha="left",
                va="center",
                fontsize=9,
                color="#333333",
            )
        y = top
    ax.text(
        1.75,
        y + 0.3,
        "query",
        ha="left",
        va="center",
        fontsize=10,
        fontstyle="italic",
    )
    ax.text(
        5.0,
        y + 0.3,
        "models (one box: one answer)",
        ha="left",
        va="center",
        fontsize=10,
        fontstyle="italic",
    )
    ax.text(
        7.95,
        y + 0.3,
        "pairs told apart",
        ha="left",
        va="center",
        fontsize=10,
        fontstyle="italic",
    )
    ax.set_xlim(0, 10.3)
    ax.set_ylim(0, y + 0.6)
    ax.axis("off")
    return fig
