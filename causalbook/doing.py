"""Helpers for Chapter 3 (doing).

The model NumPyro's ``do`` runs, graph surgery, intervention sweeps:

* :func:`node_split`: the linear-Gaussian SCM that ``numpyro.handlers.do``
  actually simulates. NumPyro splits an intervened node: a fresh draw from
  the node's own equation stays under its name, and a copy ``name__CF``
  holding the value set feeds the node's children. Its exact joint is the
  law of what ``Predictive`` returns.
* :func:`pretty_equation`: a structural equation as text, with square-root
  noise scales written as roots (``√3 N_y`` rather than ``1.73205 N_y``).
* :func:`surgery_figure`: a model's causal graph next to its mutilated graph
  under an intervention, each with its structural equations underneath.
* :func:`sweep` and :func:`slope`: the sampled effect of an intervention
  over a grid of values, and the slope of the sampled means with its
  standard error.
* :func:`model_3_with_arrow`: model 3 plus an arrow X -> Y. Every strength
  of the arrow gives the same observational P(X, Y, Z), and a different
  P(Y | do(X = x)): the data cannot test the arrow (identifiability is
  relative to the assumed graph).
* :func:`source_eliding_warnings`: the source of a function (for example
  NumPyro's ``do`` handler) with the messages of its warnings elided, so
  that it fits the page.

Example:
    >>> from causalbook import exact
    >>> from causalbook.models import LINEAR
    >>> split = node_split(LINEAR["M1"], {"x": 3.0})
    >>> # x: fresh draws from its own equation; y: computed from 3
    >>> exact.joint(split, ["x", "y"])
    Gaussian(x, y: mean [0, 4], cov [1, 0; 0, 3])
"""

from __future__ import annotations

import ast
import inspect
import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import jax
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from causalbook import stats
from causalbook.exact import LinearGaussianSCM
from causalbook.plots import COLORS, causal_graph
from causalbook.sampling import sample

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "CF_SUFFIX",
    "node_split",
    "pretty_equation",
    "surgery_figure",
    "sweep",
    "slope",
    "model_3_with_arrow",
    "source_eliding_warnings",
]

#: The suffix NumPyro's ``do`` gives the renamed, intervened copy of a site.
CF_SUFFIX = "__CF"


def node_split(
    scm: LinearGaussianSCM, do: Mapping[str, float]
) -> LinearGaussianSCM:
    """The model that ``numpyro.handlers.do(model, do)`` runs, as an SCM.

    The result is a linear-Gaussian SCM. For each intervened variable ``v``,
    ``v`` keeps its own structural equation (NumPyro's fresh draw, which
    nothing downstream uses) and a new variable ``v__CF := value`` takes its
    place as a parent of ``v``'s children. Every other equation is unchanged.
    The joint of the original variables in this model is the law of the draws
    that ``Predictive(do(model, do))`` reports; the joint of the
    non-intervened variables is the interventional distribution
    (:func:`causalbook.exact.interventional`).

    Args:
        scm: the model.
        do: ``{variable: value}``.

    Returns:
        the split model, with each ``v__CF`` placed right after ``v`` in the
        causal order.

    Raises:
        KeyError: if a key of ``do`` is not a variable of ``scm``.

    Example:
        >>> from causalbook import exact
        >>> from causalbook.models import LINEAR
        >>> split = node_split(LINEAR["M2"], {"x": 3.0})
        >>> split.equation("x"), split.equation("x__CF")
        ('x := -0.25 + 0.25 y + 0.866025 N_x', 'x__CF := 3')
        >>> # x still depends on y: Cov = Var(Y)/4 = 1
        >>> exact.joint(split, ["x", "y"])
        Gaussian(x, y: mean [0, 1], cov [1, 1; 1, 4])
    """
    for v in do:
        if v not in scm.order:
            raise KeyError(
                f"{scm.name} has no variable {v!r} to intervene on; "
                f"it has {scm.order}"
            )
    order: list[str] = []
    for v in scm.order:
        order.append(v)
        if v in do:
            order.append(v + CF_SUFFIX)
    intercepts = {
        **scm.intercepts,
        **{v + CF_SUFFIX: float(x) for v, x in do.items()},
    }
    coefficients = {
        child: {(p + CF_SUFFIX if p in do else p): b for p, b in row.items()}
        for child, row in scm.coefficients.items()
    }
    scales = {**scm.noise_scales, **{v + CF_SUFFIX: 0.0 for v in do}}
    label = ", ".join(f"{v}={float(x):g}" for v, x in do.items())
    return LinearGaussianSCM(
        f"{scm.name} as numpyro do({label}) runs it",
        tuple(order),
        intercepts,
        coefficients,
        scales,
        scm.observed,
    )


def _root(s: float) -> str | None:
    """``s`` as ``√n`` or ``√n/d`` (d in 2, 4) if it is one, else ``None``."""
    for d in (1, 2, 4):
        n = (d * s) ** 2
        k = round(n)
        if (
            k > 0
            and abs(n - k) < 1e-9
            and abs(np.sqrt(k) - round(np.sqrt(k))) > 1e-9
        ):
            return f"√{k}" if d == 1 else f"√{k}/{d}"
    return None


def pretty_equation(scm: LinearGaussianSCM, v: str) -> str:
    """``scm.equation(v)`` with a square-root noise scale written as a root.

    Example:
        >>> from causalbook.models import LINEAR
        >>> (
        ...     pretty_equation(LINEAR["M1"], "y"),
        ...     pretty_equation(LINEAR["M2"], "x"),
        ... )
        ('y := 1 + x + √3 N_y', 'x := -0.25 + 0.25 y + √3/2 N_x')
        >>> pretty_equation(LINEAR["M2"].intervene({"x": 3.0}), "x")
        'x := 3'
    """
    text = scm.equation(v)
    s = float(scm.noise_scales.get(v, 0.0))
    root = _root(abs(s)) if s != 0 else None
    if root is not None:
        text = text.replace(f"{s:.6g} N_{v}", f"{root} N_{v}")
    return text


def _graph_image(graph: graphviz.Digraph, dpi: int) -> np.ndarray:
    """``graph`` rendered by Graphviz's ``dot`` as an RGBA image array."""
    g = graph.copy()
    g.graph_attr["dpi"] = str(dpi)
    return plt.imread(io.BytesIO(g.pipe(format="png")), format="png")


def surgery_figure(
    scm: LinearGaussianSCM,
    do: Mapping[str, float],
    title: str | None = None,
    dpi: int = 160,
) -> Figure:
    """A model's causal graph (left) next to its graph under ``do`` (right).

    The right panel shows the mutilated graph. Both graphs are drawn by
    :func:`causalbook.plots.causal_graph` (Graphviz's ``dot`` must be
    installed); each panel lists its structural equations underneath, and the
    equations replaced by the intervention are highlighted in the right panel.

    Args:
        scm: the model.
        do: the intervention, ``{variable: value}``.
        title: the left panel's title (default: the model's name).
        dpi: resolution at which the graphs are rendered.

    Example:
        >>> from causalbook.models import LINEAR
        >>> fig = surgery_figure(LINEAR["M2"], {"x": 3.0})
        >>> [ax.get_title() for ax in fig.axes]
        ['M2', 'M2 under do(x = 3)']
        >>> plt.close(fig)
    """
    after = scm.intervene(do)
    label = ", ".join(f"{v} = {float(x):g}" for v, x in do.items())
    panels = [
        (scm, causal_graph(scm), title or scm.name),
        (
            after,
            causal_graph(scm, do=do),
            f"{title or scm.name} under do({label})",
        ),
    ]
    images = [_graph_image(g, dpi) for _, g, _ in panels]
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(7.6, 3.0),
        layout="constrained",
        gridspec_kw={"width_ratios": [max(im.shape[1], 1) for im in images]},
    )
    for i, (ax, (model, _, name), im) in enumerate(
        zip(axes, panels, images, strict=True)
    ):
        ax.imshow(im, interpolation="lanczos")
        ax.set_axis_off()
        ax.set_title(name)
        for row, v in enumerate(model.order):
            replaced = i == 1 and v in do
            ax.annotate(
                pretty_equation(model, v),
                xy=(0.5, 0.0),
                xycoords="axes fraction",
                xytext=(0, -6 - 15 * row),
                textcoords="offset points",
                ha="center",
                va="top",
                family="monospace",
                fontsize=10,
                color=COLORS["doing"] if replaced else COLORS["exact"],
                fontweight="bold" if replaced else "normal",
            )
    return fig


def sweep(
    model: Callable,
    site: str,
    values: Sequence[float],
    read: str,
    n: int,
    key: jax.Array,
) -> list[stats.Moments]:
    """Moments of ``read`` under ``do(site = v)`` for each ``v`` in ``values``.

    The moments are estimated by sampling: each value gets its own key (split
    from ``key``) and ``n`` draws from :func:`causalbook.sampling.sample`,
    which compiles once per model and intervened site, so the sweep does not
    recompile per value.

    Example:
        >>> import jax
        >>> from causalbook.models import scm_2
        >>> key = jax.random.PRNGKey(0)
        >>> est = sweep(scm_2, "y", [1.0, 5.0], "x", 20_000, key)
        >>> [e.agrees_with(m, 0.75) for e, m in zip(est, [0.0, 1.0])]
        [True, True]
    """
    keys = jax.random.split(key, len(values))
    return [
        stats.moments(sample(model, n, k, do={site: float(v)})[read])
        for v, k in zip(values, keys, strict=True)
    ]


def slope(
    xs: Sequence[float],
    means: Sequence[float],
    ses: Sequence[float] | None = None,
) -> tuple[float, float]:
    """Least-squares slope of ``means`` against ``xs``, and its standard error.

    The estimates are taken as independent with standard errors ``ses``, so
    the slope's standard error is ``sqrt(sum(c_i^2 se_i^2)) / sum(c_i^2)``
    with ``c_i = x_i - mean(x)`` (zero when ``ses`` is omitted, e.g. for exact
    means).

    Example:
        >>> slope([0.0, 1.0, 2.0], [1.0, 1.25, 1.5])
        (0.25, 0.0)
        >>> slope([0.0, 2.0], [0.0, 1.0], [0.1, 0.1])
        (0.5, 0.07071067811865477)
    """
    x = np.asarray(xs, dtype=float)
    m = np.asarray(means, dtype=float)
    if x.shape != m.shape or x.size < 2:
        raise ValueError("need at least two (x, mean) pairs of equal length")
    c = x - x.mean()
    ss = float(np.sum(c**2))
    if ss == 0:
        raise ValueError("the xs are all equal: the slope is undefined")
    se = np.zeros_like(m) if ses is None else np.asarray(ses, dtype=float)
    return float(np.sum(c * m) / ss), float(np.sqrt(np.sum(c**2 * se**2)) / ss)


def model_3_with_arrow(a: float) -> LinearGaussianSCM:
    """Model 3 with an extra arrow X -> Y of strength ``a``.

    The equations are ``Z := N_Z``, ``X := Z`` and
    ``Y := a X + (1 - a) Z + 1 + sqrt(3) N_Y``. Since X equals Z in every
    unit, Y is ``Z + 1 + sqrt(3) N_Y`` whatever ``a`` is: every ``a`` gives
    exactly model 3's observational distribution of (X, Y, Z). Under
    ``do(X = x)`` X no longer equals Z, and
    ``P(Y | do(X = x)) = N(1 + a x, 3 + (1 - a)^2)``. ``a = 0`` is model 3;
    ``a = 1/2`` is Exercise 1.2's model M4.

    So observational data cannot test the missing arrow of model 3, and
    under a graph that allows the arrow the effect of X is not identified
    (X never varies apart from Z: positivity fails).

    Args:
        a: the strength of the direct effect of X on Y (a finite number).

    Raises:
        ValueError: if ``a`` is not a finite number.

    Example:
        >>> from causalbook import exact
        >>> from causalbook.models import LINEAR
        >>> m4 = model_3_with_arrow(0.5)
        >>> m4.equation("y")
        'y := 1 + 0.5 z + 0.5 x + 1.73205 N_y'
        >>> exact.joint(m4)  # model 3's observational joint
        Gaussian(z, x, y: mean [0, 0, 1], cov [1, 1, 1; 1, 1, 1; 1, 1, 4])
        >>> exact.joint(LINEAR["M3"])
        Gaussian(z, x, y: mean [0, 0, 1], cov [1, 1, 1; 1, 1, 1; 1, 1, 4])
        >>> exact.interventional(m4, {"x": 3.0}).marginal("y")
        Gaussian(y: mean 2.5, var 3.25)
    """
    try:
        a = float(a)
    except (TypeError, ValueError):
        raise ValueError(
            f"the strength a must be a number, got {a!r}"
        ) from None
    if not math.isfinite(a):
        raise ValueError(f"the strength a must be finite, got {a!r}")
    return LinearGaussianSCM(
        name=f"M3 with an arrow X -> Y of strength {a:g}",
        order=("z", "x", "y"),
        intercepts={"y": 1.0},
        coefficients={"x": {"z": 1.0}, "y": {"z": 1.0 - a, "x": a}},
        noise_scales={"z": 1.0, "x": 0.0, "y": math.sqrt(3.0)},
    )


def _is_warning_call(node: ast.AST) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "warn"
        and isinstance(func.value, ast.Name)
        and func.value.id == "warnings"
    )


def source_eliding_warnings(obj: Callable) -> str:
    """The source of ``obj``, dedented, with its warnings' messages elided.

    Each call ``warnings.warn(...)`` that spans several lines is shown on
    one line as ``warnings.warn(...)  # message elided``; every other line
    is the installed source, unchanged. Used to print NumPyro's ``do``
    handler within the page's width.

    Args:
        obj: a function, method or class whose source is available.

    Example:
        >>> from numpyro import handlers
        >>> text = source_eliding_warnings(handlers.do.process_message)
        >>> text.splitlines()[0]
        'def process_message(self, msg: Message) -> None:'
        >>> "warnings.warn(...)  # message elided" in text
        True
        >>> 'msg["name"] = msg["name"] + "__CF"' in text
        True
    """
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    spans = sorted(
        (node.lineno, node.end_lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _is_warning_call(node)
        and node.end_lineno is not None
        and node.end_lineno > node.lineno
    )
    for start, end in reversed(spans):
        first = lines[start - 1]
        indent = first[: len(first) - len(first.lstrip())]
        lines[start - 1 : end] = [
            f"{indent}warnings.warn(...)  # message elided"
        ]
    return "\n".join(lines).rstrip()
