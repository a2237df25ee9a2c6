"""The book's figures, drawn one way everywhere.

* :func:`joint_panels`: each model's joint draws of (X, Y) over the exact
  density contours.
* :func:`density_vs_exact`: a histogram of draws against an exact normal
  density.
* :func:`causal_graph`: a model's causal graph, or its mutilated graph under
  ``do``, with Graphviz.

Colours come from one palette (:data:`COLORS`, colour-blind safe), and
:func:`use_style` sets fonts and sizes that read well on the site, in dark
mode and in print.

Example:
    >>> import numpy as np
    >>> from causalbook.exact import interventional
    >>> from causalbook.models import LINEAR
    >>> use_style()
    >>> ax = density_vs_exact(np.random.default_rng(0).normal(1, 2, 10_000),
    ...                       interventional(LINEAR["M2"], {"x": 3.0}), "y")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from causalbook.exact import Gaussian, LinearGaussianSCM

__all__ = [
    "COLORS",
    "use_style",
    "joint_panels",
    "density_vs_exact",
    "causal_graph",
]

#: One colour per model and per kind of query (Okabe-Ito palette,
#: colour-blind safe).
COLORS: dict[str, str] = {
    "M1": "#0072B2",
    "M2": "#D55E00",
    "M3": "#009E73",
    "seeing": "#0072B2",
    "doing": "#D55E00",
    "exact": "#222222",
}


def use_style() -> None:
    """Set the book's matplotlib style.

    A white figure background (legible in dark mode) and readable sizes.
    """
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "font.size": 10,
        }
    )


def joint_panels(
    draws: Mapping[str, Mapping[str, np.ndarray]],
    exact: Mapping[str, Gaussian],
    titles: Mapping[str, str] | None = None,
    max_points: int = 4000,
) -> Figure:
    """One panel per model: its (x, y) draws over the exact joint contours.

    Args:
        draws: ``{model: {"x": array, "y": array}}``.
        exact: ``{model: Gaussian over (x, y)}``, e.g. from
            :func:`causalbook.exact.joint`.
        titles: panel titles, by model.
        max_points: at most this many points are drawn per panel (the first
            ones), so the figure stays light; the contours are exact whatever
            the number of draws.

    Example:
        >>> import jax
        >>> from causalbook.exact import joint
        >>> from causalbook.models import LINEAR, SAMPLE_SITE
        >>> from causalbook.sampling import sample
        >>> key = jax.random.PRNGKey(0)
        >>> d = {m: sample(SAMPLE_SITE[m], 1000, key) for m in LINEAR}
        >>> ex = {m: joint(LINEAR[m], ["x", "y"]) for m in LINEAR}
        >>> fig = joint_panels(d, ex)
        >>> len(fig.axes)
        3
    """
    models = list(draws)
    fig, axes = plt.subplots(
        1,
        len(models),
        figsize=(3.4 * len(models), 3.4),
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    axes = np.atleast_1d(axes)
    gx, gy = np.meshgrid(np.linspace(-4, 4, 161), np.linspace(-7, 9, 161))
    for ax, m in zip(axes, models, strict=True):
        g = exact[m].marginal("x", "y")
        inv = np.linalg.inv(g.covariance)
        d = np.stack([gx - g.mean_vector[0], gy - g.mean_vector[1]], axis=-1)
        maha = np.einsum("...i,ij,...j->...", d, inv, d)
        ax.scatter(
            np.asarray(draws[m]["x"])[:max_points],
            np.asarray(draws[m]["y"])[:max_points],
            s=3,
            alpha=0.25,
            color=COLORS.get(m, "C0"),
            rasterized=True,
            label="draws",
        )
        # contours of the exact density at 1, 2 and 3 Mahalanobis units
        cs = ax.contour(
            gx,
            gy,
            maha,
            levels=[1, 4, 9],
            colors=COLORS["exact"],
            linewidths=1.0,
        )
        ax.clabel(cs, fmt={1: "1σ", 4: "2σ", 9: "3σ"}, fontsize=8)
        ax.set_title(titles.get(m, m) if titles else m)
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    return fig


def density_vs_exact(
    draws: np.ndarray,
    exact: Gaussian,
    name: str,
    ax: Axes | None = None,
    label: str = "draws",
    color: str | None = None,
    bins: int = 60,
    exact_label: str | None = "exact",
    show_exact: bool = True,
) -> Axes:
    """Density histogram of ``draws``, the exact density of ``name`` on top.

    Example:
        >>> from causalbook.exact import conditional
        >>> from causalbook.models import LINEAR
        >>> ax = density_vs_exact(
        ...     np.random.default_rng(0).normal(4, 3**0.5, 5000),
        ...     conditional(LINEAR["M1"], {"x": 3.0}),
        ...     "y",
        ... )
        >>> ax.get_xlabel()
        'y'
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    g = exact.marginal(name)
    mu, sd = g.mean(name), g.sd(name)
    lo, hi = mu - 4.5 * sd, mu + 4.5 * sd
    ax.hist(
        np.asarray(draws).reshape(-1),
        bins=bins,
        range=(lo, hi),
        density=True,
        alpha=0.45,
        color=color or COLORS["seeing"],
        label=label,
    )
    if show_exact:
        grid = np.linspace(lo, hi, 400)
        ax.plot(
            grid,
            g.pdf(name, grid),
            color=color or COLORS["exact"],
            lw=1.8,
            ls="-" if color is None else "--",
            label=exact_label,
        )
    ax.set_xlabel(name)
    ax.set_ylabel("density")
    return ax


def causal_graph(
    scm: LinearGaussianSCM,
    do: Sequence[str] | Mapping[str, float] | None = None,
    title: str | None = None,
):
    """The causal graph of ``scm`` as a ``graphviz.Digraph``.

    With ``do``, the mutilated graph: intervened variables are drawn as boxes
    with the value set, and the edges into them are removed. Variables not in
    the model's observed pair (model 3's Z) are grey.

    Example:
        >>> from causalbook.models import LINEAR
        >>> g = causal_graph(LINEAR["M2"], do={"x": 3.0})
        >>> "y -> x" in g.source
        False
    """
    import graphviz

    values: dict[str, float | None]
    if do is None:
        values = {}
    elif isinstance(do, Mapping):
        values = dict(do)
    else:
        values = {v: None for v in do}
    scm_used = scm.intervene({v: 0.0 for v in values}) if values else scm
    g = graphviz.Digraph(
        graph_attr={
            "rankdir": "LR",
            "bgcolor": "white",
            "label": title or "",
            "labelloc": "t",
            "fontname": "Helvetica",
        },
        node_attr={
            "fontname": "Helvetica",
            "shape": "circle",
            "style": "filled",
            "fillcolor": "white",
        },
    )
    for v in scm.order:
        attrs: dict[str, str] = {}
        if v in values:
            val = values[v]
            attrs = {
                "shape": "box",
                "fillcolor": "#F5D0B5",
                "label": f"do({v} = {val:g})"
                if val is not None
                else f"do({v})",
            }
        elif v not in scm.observed:
            attrs = {"fillcolor": "#DDDDDD"}
        g.node(v, **attrs)
    for p, c in scm_used.edges():
        g.edge(p, c)
    return g
