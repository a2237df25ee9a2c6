"""The book's figures: seaborn for the statistics, plus what is the book's own.

seaborn draws the statistical figures from tidy data (one row per draw):
:func:`tidy` turns ``{model: {site: draws}}`` into such a table, and
:func:`use_style` sets the book's seaborn theme. What seaborn does not know,
the exact answers of :mod:`causalbook.exact` and the causal graphs, this
module adds:

* :func:`joint_panels`: one panel per model, its joint draws of (X, Y) with
  their kernel density estimate (seaborn) over the exact density contours;
* :func:`joint_overlay`: the models' density estimates overlaid in one
  seaborn joint plot, with the exact contours and marginal densities;
* :func:`density_vs_exact`: a seaborn histogram of draws against an exact
  normal density; :func:`facet_vs_exact` the same in one panel per model;
* :func:`exact_contours`: contours of an exact bivariate normal density;
* :func:`causal_graph`: a model's causal graph, or its mutilated graph under
  ``do``, with Graphviz.

Colours come from one palette (:data:`COLORS`, :data:`PALETTE`: Okabe-Ito,
colour-blind safe), on a white figure background that stays legible when
the site is read in dark mode.

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
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from causalbook.exact import Gaussian, LinearGaussianSCM

__all__ = [
    "COLORS",
    "PALETTE",
    "use_style",
    "tidy",
    "exact_contours",
    "joint_panels",
    "joint_overlay",
    "density_vs_exact",
    "facet_vs_exact",
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

#: The colour cycle of every figure: the Okabe-Ito colours, models 1 to 3
#: first (so that matplotlib's "C0", "C1", "C2" are their colours).
PALETTE: list[str] = [
    "#0072B2",  # blue: model 1, seeing
    "#D55E00",  # vermillion: model 2, doing
    "#009E73",  # bluish green: model 3
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
]

#: Mahalanobis radii of the contours drawn by default: 1, 2 and 3 standard
#: deviations.
SIGMAS: tuple[float, ...] = (1.0, 2.0, 3.0)


def use_style() -> None:
    """Set the book's seaborn theme for every figure that follows.

    ``seaborn.set_theme`` with the "ticks" style, the Okabe-Ito
    :data:`PALETTE` as colour cycle, a white figure background (legible in
    dark mode), no top and right spines, no legend frame and the book's
    font sizes.

    Example:
        >>> import matplotlib as mpl
        >>> use_style()
        >>> mpl.rcParams["figure.facecolor"], mpl.rcParams["axes.spines.top"]
        ('white', False)
    """
    sns.set_theme(
        context="notebook",
        style="ticks",
        palette=PALETTE,
        rc={
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 9,
            "legend.title_fontsize": 9,
            "legend.frameon": False,
            "font.size": 10,
        },
    )


def tidy(
    draws: Mapping[str, Mapping[str, Any]],
    sites: Sequence[str] | None = None,
    *,
    by: str = "model",
    max_draws: int | None = None,
) -> pd.DataFrame:
    """Draws as a tidy table: one row per draw, one column per site.

    Args:
        draws: ``{model: {site: draws}}``, e.g. ``{m: sample(...)}`` for
            each model. Arrays of any shape are flattened (NUTS draws shaped
            ``(chains, draws)`` are pooled, chain after chain).
        sites: the sites to keep; by default those every model has, in the
            first model's order.
        by: the name of the column that holds the outer key.
        max_draws: keep at most this many draws per model (the first ones).

    Returns:
        a ``pandas.DataFrame`` with columns ``by`` (categorical, in the
        order of ``draws``), ``draw`` (the draw's index within its model)
        and the sites, ready for seaborn's ``data=``, ``hue=by`` or
        ``col=by``.

    Example:
        >>> t = tidy({"M1": {"x": [0.1, 0.2], "y": [1.0, 2.0]},
        ...           "M2": {"x": [0.3, 0.4], "y": [3.0, 4.0]}})
        >>> t.columns.tolist(), len(t)
        (['model', 'draw', 'x', 'y'], 4)
        >>> t.groupby("model", observed=True)["y"].mean().tolist()
        [1.5, 3.5]
    """
    if not isinstance(draws, Mapping) or not draws:
        raise ValueError(
            "draws must be a non-empty mapping {model: {site: draws}}"
        )
    for key, d in draws.items():
        if not isinstance(d, Mapping):
            raise TypeError(
                f"draws[{key!r}] must be a mapping {{site: draws}}, got "
                f"{type(d).__name__}"
            )
    if sites is None:
        first = next(iter(draws.values()))
        sites = [s for s in first if all(s in d for d in draws.values())]
        if not sites:
            raise ValueError("the models have no site in common")
    sites = list(sites)
    if by in sites or by == "draw":
        raise ValueError(f"the column name by={by!r} is taken by a site")
    if max_draws is not None and max_draws < 1:
        raise ValueError(f"max_draws must be at least 1, got {max_draws!r}")
    frames = []
    for key, d in draws.items():
        missing = [s for s in sites if s not in d]
        if missing:
            raise KeyError(
                f"{by} {key!r} has no site {missing[0]!r}; it has {sorted(d)}"
            )
        columns = {
            s: np.asarray(d[s], dtype=np.float64).ravel() for s in sites
        }
        sizes = {s: c.size for s, c in columns.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(
                f"the sites of {by} {key!r} have different numbers of draws: "
                f"{sizes}"
            )
        n = next(iter(sizes.values()))
        if max_draws is not None:
            n = min(n, max_draws)
        frames.append(
            pd.DataFrame(
                {by: key, "draw": np.arange(n)}
                | {s: c[:n] for s, c in columns.items()}
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out[by] = pd.Categorical(out[by], categories=list(draws))
    return out


def _palette(keys: Sequence[str]) -> dict[str, str]:
    """A colour per key: :data:`COLORS` where it has one, else the cycle."""
    spare = iter(c for c in PALETTE if c not in COLORS.values())
    return {k: COLORS[k] if k in COLORS else next(spare) for k in keys}


def _mahalanobis_grid(
    g: Gaussian, x: str, y: str, n: int = 161, width: float = 4.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid around the mean of ``g`` and each point's squared distance."""
    g = g.marginal(x, y)
    mu, cov = g.mean_vector, g.covariance
    sd = np.sqrt(np.diag(cov))
    if not np.all(sd > 0) or np.linalg.matrix_rank(cov) < 2:
        raise ValueError(
            f"the joint of {x} and {y} is degenerate (covariance "
            f"{cov.tolist()}): it has no density to draw contours of"
        )
    gx, gy = np.meshgrid(
        np.linspace(mu[0] - width * sd[0], mu[0] + width * sd[0], n),
        np.linspace(mu[1] - width * sd[1], mu[1] + width * sd[1], n),
    )
    d = np.stack([gx - mu[0], gy - mu[1]], axis=-1)
    maha2 = np.einsum("...i,ij,...j->...", d, np.linalg.inv(cov), d)
    return gx, gy, maha2


def exact_contours(
    ax: Axes,
    exact: Gaussian,
    x: str = "x",
    y: str = "y",
    sigmas: Sequence[float] = SIGMAS,
    label: bool = True,
    **kwargs: Any,
):
    """Contours of the exact joint density of ``x`` and ``y`` on ``ax``.

    One contour per Mahalanobis radius in ``sigmas``: the ellipse ``r``
    standard deviations out, which holds a share ``1 - exp(-r**2 / 2)`` of
    the probability (39%, 86% and 99% for 1, 2 and 3). ``kwargs`` go to
    ``ax.contour`` (black solid lines by default).

    Example:
        >>> from causalbook.exact import joint
        >>> from causalbook.models import LINEAR
        >>> _, ax = plt.subplots()
        >>> cs = exact_contours(ax, joint(LINEAR["M1"]))
        >>> len(cs.levels)
        3
    """
    gx, gy, maha2 = _mahalanobis_grid(exact, x, y)
    levels = sorted(float(r) ** 2 for r in sigmas)
    kwargs.setdefault("colors", COLORS["exact"])
    kwargs.setdefault("linewidths", 1.0)
    cs = ax.contour(gx, gy, maha2, levels=levels, **kwargs)
    if label:
        ax.clabel(
            cs, fmt={lv: f"{np.sqrt(lv):g}σ" for lv in levels}, fontsize=8
        )
    return cs


def _mass_levels(sigmas: Sequence[float]) -> list[float]:
    """seaborn's iso-proportion levels of the contours ``sigmas`` out.

    A seaborn density contour at level ``q`` encloses a share ``1 - q`` of
    the estimated probability; the normal ellipse ``r`` standard
    deviations out encloses ``1 - exp(-r**2 / 2)``.
    """
    return sorted(float(np.exp(-(r**2) / 2)) for r in sigmas)


def joint_panels(
    draws: Mapping[str, Mapping[str, np.ndarray]],
    exact: Mapping[str, Gaussian],
    titles: Mapping[str, str] | None = None,
    max_points: int = 4000,
    kde_sigmas: Sequence[float] = (),
    kde_gridsize: int = 60,
) -> Figure:
    """One panel per model: its (x, y) draws over the exact density.

    seaborn draws each panel from the tidy table of draws (:func:`tidy`): the
    draws (points, in the model's colour) and the exact density's contours at
    1, 2 and 3 standard deviations (black, dashed, from
    :func:`exact_contours`); with ``kde_sigmas``, also seaborn's kernel
    density estimate of the draws (contours holding the shares of the draws
    that the exact ellipses at ``kde_sigmas`` hold).

    Args:
        draws: ``{model: {"x": array, "y": array}}``.
        exact: ``{model: Gaussian over (x, y)}``, e.g. from
            :func:`causalbook.exact.joint`.
        titles: panel titles, by model.
        max_points: at most this many draws per panel (the first ones) are
            drawn and go into the density estimate, so that the figure stays
            light; the exact contours hold whatever the number of draws.
        kde_sigmas: the density estimate's contours (none by default; see
            :func:`joint_overlay` for the estimates of all models in one
            plot).
        kde_gridsize: points per axis of the density estimate's grid.

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
    missing = [m for m in models if m not in exact]
    if missing:
        raise KeyError(f"no exact joint for {missing}")
    data = tidy(draws, ["x", "y"], max_draws=max_points)
    colors = _palette(models)
    fig, axes = plt.subplots(
        1,
        len(models),
        figsize=(3.4 * len(models), 3.4),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    for m, ax in zip(models, axes.flat, strict=True):
        panel = data[data["model"] == m]
        sns.scatterplot(
            panel,
            x="x",
            y="y",
            color=colors[m],
            s=4,
            alpha=0.25,
            linewidth=0,
            rasterized=True,
            ax=ax,
        )
        if kde_sigmas:
            sns.kdeplot(
                panel,
                x="x",
                y="y",
                levels=_mass_levels(kde_sigmas),
                gridsize=kde_gridsize,
                color=colors[m],
                linewidths=1.4,
                ax=ax,
            )
        exact_contours(ax, exact[m], linestyles="--")
        ax.set_title(titles.get(m, m) if titles else m)
        ax.set_xlabel("x")
    axes.flat[0].set_ylabel("y")
    return fig


def joint_overlay(
    data: pd.DataFrame,
    exact: Gaussian,
    x: str = "x",
    y: str = "y",
    hue: str = "model",
    sigmas: Sequence[float] = (1.0, 2.0),
    height: float = 4.6,
    kde_gridsize: int = 50,
) -> sns.JointGrid:
    """The models' joint densities overlaid in one seaborn joint plot.

    seaborn's kernel density estimates from the tidy table ``data``, one
    colour per value of ``hue``: in the joint panel the contours holding
    the shares of the draws that the exact ellipses at ``sigmas`` hold, in
    the margins the densities of ``x`` and ``y`` (each group normalised on
    its own). On top, the one exact density ``exact``: its ellipses (black,
    dashed) and its marginal densities (black, dashed).

    Example:
        >>> import jax
        >>> from causalbook.exact import joint
        >>> from causalbook.models import LINEAR, SAMPLE_SITE
        >>> from causalbook.sampling import sample
        >>> key = jax.random.PRNGKey(0)
        >>> t = tidy({m: sample(SAMPLE_SITE[m], 500, key) for m in LINEAR})
        >>> g = joint_overlay(t, joint(LINEAR["M1"]))
        >>> len(g.ax_marg_x.lines)  # one density per model, and the exact
        4
    """
    for col in (x, y, hue):
        if col not in data:
            raise KeyError(f"data has no column {col!r}: {list(data)}")
    keys = list(
        data[hue].cat.categories
        if isinstance(data[hue].dtype, pd.CategoricalDtype)
        else pd.unique(data[hue])
    )
    grid = sns.JointGrid(
        data=data,
        x=x,
        y=y,
        hue=hue,
        hue_order=keys,
        palette=_palette(keys),
        height=height,
        space=0.1,
    )
    grid.plot_joint(
        sns.kdeplot,
        levels=_mass_levels(sigmas),
        gridsize=kde_gridsize,
        linewidths=1.4,
    )
    grid.plot_marginals(
        sns.kdeplot, common_norm=False, linewidth=1.4, legend=False
    )
    exact_contours(grid.ax_joint, exact, x, y, sigmas=sigmas, linestyles="--")
    g = exact.marginal(x, y)
    for name, ax, vertical in (
        (x, grid.ax_marg_x, False),
        (y, grid.ax_marg_y, True),
    ):
        mu, sd = g.mean(name), g.sd(name)
        t = np.linspace(mu - 4.2 * sd, mu + 4.2 * sd, 300)
        pdf = g.pdf(name, t)
        ax.plot(
            *((pdf, t) if vertical else (t, pdf)),
            color=COLORS["exact"],
            ls="--",
            lw=1.2,
        )
    handles = [
        Line2D([], [], color=c, lw=1.4) for c in _palette(keys).values()
    ]
    handles.append(Line2D([], [], color=COLORS["exact"], ls="--", lw=1.2))
    legend = grid.ax_joint.get_legend()
    if legend is not None:
        legend.remove()
    grid.ax_joint.legend(
        handles, [*map(str, keys), "exact"], loc="upper left", title=None
    )
    return grid


def _checked_draws(draws: Any, name: str) -> np.ndarray:
    if isinstance(draws, pd.DataFrame):
        if name not in draws:
            raise KeyError(f"the table has no column {name!r}: {list(draws)}")
        draws = draws[name]
    values = np.asarray(draws, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError(f"no draws of {name!r} to plot")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"the draws of {name!r} hold NaN or infinite values")
    return values


def density_vs_exact(
    draws: np.ndarray | pd.DataFrame,
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

    The histogram is seaborn's ``histplot`` (``stat="density"``, drawn as one
    filled step outline) over the exact distribution's mean ± 4.5 standard
    deviations; the exact density
    is a solid black line, or a dashed line in ``color`` when one is given
    (so that two histograms can share a panel).

    Args:
        draws: the draws of ``name``, any shape (flattened), or a tidy table
            with a column ``name``.
        exact: a Gaussian over (at least) ``name``.
        name: the variable drawn; also the x-axis label.
        ax: the axes to draw on (a new figure if ``None``).
        label, exact_label: legend labels of the histogram and the density
            (``exact_label=None``: no legend entry).
        color: the histogram's colour (default :data:`COLORS` ``["seeing"]``).
        bins: number of bins.
        show_exact: draw the exact density.

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
    values = _checked_draws(draws, name)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    g = exact.marginal(name)
    mu, sd = g.mean(name), g.sd(name)
    lo, hi = mu - 4.5 * sd, mu + 4.5 * sd
    sns.histplot(
        pd.DataFrame({name: values}),
        x=name,
        stat="density",
        bins=bins,
        binrange=(lo, hi),
        element="step",  # one filled outline: cheaper than a patch per bar
        color=color or COLORS["seeing"],
        alpha=0.45,
        linewidth=0,
        label=label,
        ax=ax,
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


def facet_vs_exact(
    data: pd.DataFrame,
    name: str,
    exact: Mapping[str, Gaussian | Mapping[str, Gaussian]],
    col: str = "model",
    label: str = "draws",
    titles: Mapping[str, str] | None = None,
    bins: int = 60,
    height: float = 3.2,
    aspect: float = 1.0,
) -> sns.FacetGrid:
    """One panel per value of ``col``: a histogram of ``name``, exact on top.

    seaborn's ``displot`` of the tidy table ``data`` (one density histogram
    per panel, in the panel's model colour), with the exact densities of
    each panel drawn over it: ``exact[panel]`` is a Gaussian (drawn solid,
    labelled "exact"), or ``{label: Gaussian}`` whose first density is
    drawn solid and the others dashed. All panels share the bins: from the
    lowest to the highest mean ± 4.5 standard deviations of the exact
    densities. The legend is in the first panel.

    Example:
        >>> from causalbook.exact import conditional, joint
        >>> from causalbook.models import LINEAR
        >>> rng = np.random.default_rng(0)
        >>> t = tidy({m: {"y": rng.normal(4, 3**0.5, 2000)} for m in LINEAR})
        >>> seen = {
        ...     m: {
        ...         "P(Y | X = 3)": conditional(LINEAR[m], {"x": 3.0}),
        ...         "P(Y)": joint(LINEAR[m]),
        ...     }
        ...     for m in LINEAR
        ... }
        >>> g = facet_vs_exact(t, "y", seen)
        >>> [len(ax.lines) for ax in g.axes.flat]
        [2, 2, 2]
    """
    for c in (name, col):
        if c not in data:
            raise KeyError(f"data has no column {c!r}: {list(data)}")
    _checked_draws(data[name], name)
    panels = list(
        data[col].cat.categories
        if isinstance(data[col].dtype, pd.CategoricalDtype)
        else pd.unique(data[col])
    )
    curves: dict[Any, dict[str, Gaussian]] = {}
    for p in panels:
        if p not in exact:
            raise KeyError(f"no exact density for panel {p!r}")
        e = exact[p]
        curves[p] = {"exact": e} if isinstance(e, Gaussian) else dict(e)
    bounds = [
        (g.mean(name) + s * 4.5 * g.sd(name))
        for c in curves.values()
        for g in c.values()
        for s in (-1, 1)
    ]
    lo, hi = min(bounds), max(bounds)
    colors = _palette([str(p) for p in panels])
    grid = sns.displot(
        data,
        x=name,
        col=col,
        hue=col,
        col_order=panels,
        hue_order=panels,
        palette=[colors[str(p)] for p in panels],
        stat="density",
        common_norm=False,
        bins=bins,
        binrange=(lo, hi),
        element="step",
        alpha=0.45,
        linewidth=0,
        legend=False,
        height=height,
        aspect=aspect,
        facet_kws={"sharex": True, "sharey": True},
    )
    t = np.linspace(lo, hi, 400)
    for p, ax in grid.axes_dict.items():
        for i, (lab, g) in enumerate(curves[p].items()):
            ax.plot(
                t,
                g.pdf(name, t),
                color=COLORS["exact"],
                lw=1.6,
                ls="-" if i == 0 else "--",
                label=lab,
            )
        ax.set_title(titles.get(p, p) if titles else str(p))
    first = grid.axes.flat[0]
    handles, labels = first.get_legend_handles_labels()
    patch = Patch(color=colors[str(panels[0])], alpha=0.45)
    first.legend([patch, *handles], [label, *labels], loc="upper left")
    grid.set_axis_labels(name, "density")
    return grid


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
