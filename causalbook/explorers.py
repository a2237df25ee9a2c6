"""Interactive explorers: move a slider, watch seeing and doing part ways.

Two explorers, each a Vega-Lite chart built with Altair whose slider is a
Vega-Lite parameter, so that it runs in a static page without a kernel:

* :func:`seeing_vs_doing` (explorer A): for each model, the densities of
  P(Y | X = x) and P(Y | do(X = x)) for x on a slider, with their means and
  variances as text beside the plot, and a toggle that adds Chapter 5's
  counterfactual "Y had X been x, having seen (X, Y) = (1, 3)" (a point);
* :func:`intervening_on_y` (explorer B): X's distribution under
  do(Y = y') for y' on a slider, beside X's distribution with no
  intervention.

Computed, never typed: in these linear-Gaussian models every answer is
N(intercept + slope * s, variance) with s the slider's value. The three
numbers come from :mod:`causalbook.exact` when the explorer is built
(:func:`fit_line`, which checks the answer is affine in s on the whole
slider and refuses it otherwise) and travel in the chart's data. The
browser computes only ``intercept + slope * s`` and Vega's own normal
density, ``densityNormal``.

An :class:`Explorer` displays itself as Altair's chart in JupyterLab or
Colab; on the book's site it is drawn by the site's own copy of Vega
(:mod:`causalbook.explorer_site`).

Example:
    >>> a = seeing_vs_doing()
    >>> [a.answer(m, "doing", 3.0) for m in ("M1", "M2", "M3")]
    [(4.0, 3.0), (1.0, 4.0), (1.0, 4.0)]
    >>> a.line("M2", "seeing")
    Line(M2 seeing: y ~ N(1 + 1 s, 3))
    >>> b = intervening_on_y()
    >>> [b.answer(m, "doing", 5.0) for m in ("M1", "M2", "M3")]
    [(0.0, 1.0), (1.0, 0.75), (0.0, 1.0)]
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np

from causalbook import exact
from causalbook.explorer_site import MIME_TYPE, render_html
from causalbook.models import GRAPHS, LINEAR, MODELS
from causalbook.plots import COLORS

__all__ = [
    "Slider",
    "Line",
    "Explorer",
    "fit_line",
    "seeing_vs_doing",
    "intervening_on_y",
    "NUMBER_FORMAT",
]

#: How the explorers print a number (d3-format, as Vega's ``format``): at
#: most three decimals, trailing zeros dropped (4, 0.75, 1.025).
NUMBER_FORMAT = ".3~f"
#: Plotting positions of the density curves, in standard deviations from
#: the mean.
Z_GRID = tuple(float(z) for z in np.linspace(-4.0, 4.0, 81))
# Each curve is drawn over mean +- this many standard deviations; the axes
# are wide enough for that at every slider position.
_SPAN = 3.5
_TEXT = "#222222"
_DATASET = "lines"
_IMAGINING = "#CC79A7"  # Okabe-Ito reddish purple, beside COLORS
_GREY = "#666666"


def _num(v: float) -> str:
    """A number for prose: four significant digits, never minus zero."""
    return f"{round(float(v), 9) + 0.0:.4g}"


def _normal(mean: float, var: float) -> str:
    return f"N({_num(mean)}, {_num(var)})"


@dataclass(frozen=True)
class Slider:
    """A slider: its parameter name, its label, range, step and start.

    Example:
        >>> s = Slider("x_value", "x", -3.0, 5.0, 0.1, 3.0)
        >>> v = s.values()
        >>> len(v), float(v[0]), float(v[30]), float(v[-1])
        (81, -3.0, 0.0, 5.0)
        >>> Slider("x_value", "x", -3.0, 5.0, 0.1, 7.0)
        Traceback (most recent call last):
        ...
        ValueError: slider x: start 7.0 is outside [-3.0, 5.0]
    """

    param: str
    label: str
    lo: float
    hi: float
    step: float
    start: float

    def __post_init__(self) -> None:
        where = f"slider {self.label}"
        if not self.param.isidentifier():
            raise ValueError(f"{where}: {self.param!r} is not a name")
        for name in ("lo", "hi", "step", "start"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{where}: {name} = {value!r} is no number")
            object.__setattr__(self, name, float(value))
        if not self.lo < self.hi:
            raise ValueError(f"{where}: empty range [{self.lo}, {self.hi}]")
        if not 0 < self.step <= self.hi - self.lo:
            raise ValueError(f"{where}: step {self.step} does not fit")
        if not self.lo <= self.start <= self.hi:
            raise ValueError(
                f"{where}: start {self.start} is outside "
                f"[{self.lo}, {self.hi}]"
            )
        for name, span in (
            ("the range", self.hi - self.lo),
            ("the start", self.start - self.lo),
        ):
            steps = span / self.step
            if abs(steps - round(steps)) > 1e-6:
                raise ValueError(
                    f"{where}: {name} is not a whole number of steps "
                    f"of {self.step}"
                )

    def values(self) -> np.ndarray:
        """Every value the slider can take, from ``lo`` to ``hi``."""
        n = round((self.hi - self.lo) / self.step)
        return np.round(self.lo + self.step * np.arange(n + 1), 10)


@dataclass(frozen=True)
class Line:
    """One answer along a slider: ``variable ~ N(intercept + slope s, var)``.

    ``variance == 0`` is a point mass at the mean (a counterfactual given
    everything observed).

    Example:
        >>> line = Line("M1", "doing", "y", 1.0, 1.0, 3.0)
        >>> line.mean(3.0), line.variance
        (4.0, 3.0)
    """

    model: str
    query: str
    variable: str
    intercept: float
    slope: float
    variance: float

    def mean(self, s: float) -> float:
        """The mean at slider value ``s``."""
        return self.intercept + self.slope * float(s)

    def __repr__(self) -> str:
        return (
            f"Line({self.model} {self.query}: {self.variable} ~ "
            f"N({_num(self.intercept)} + {_num(self.slope)} s, "
            f"{_num(self.variance)}))"
        )


def fit_line(
    answer: Callable[[float], exact.Gaussian],
    variable: str,
    slider: Slider,
    *,
    model: str,
    query: str,
) -> Line:
    """Intercept, slope and variance of ``answer(s)`` for ``variable``.

    Read off at s = 0 and s = 1, then checked against ``answer`` at both
    ends of the slider, its start and its middle: the explorer draws
    ``intercept + slope * s``, so an answer that is not affine in s, or
    whose variance changes with s, is refused.

    Example:
        >>> s = Slider("x_value", "x", -3.0, 5.0, 0.1, 3.0)
        >>> fit_line(lambda x: exact.interventional(LINEAR["M1"], {"x": x}),
        ...          "y", s, model="M1", query="doing")
        Line(M1 doing: y ~ N(1 + 1 s, 3))
        >>> bent = lambda x: exact.Gaussian(("y",), [x * x], [[1.0]])
        >>> fit_line(bent, "y", s, model="M1", query="bent")
        Traceback (most recent call last):
        ...
        ValueError: M1 bent: the mean of y is not affine in the slider \
value (at -3: 9, the line gives -3)
    """
    g0, g1 = answer(0.0), answer(1.0)
    intercept = g0.mean(variable)
    slope = g1.mean(variable) - intercept
    variance = g0.var(variable)
    line = Line(model, query, variable, intercept, slope, variance)
    for s in (slider.lo, slider.hi, slider.start, (slider.lo + slider.hi) / 2):
        g = answer(s)
        for what, got, want in (
            ("mean", g.mean(variable), line.mean(s)),
            ("variance", g.var(variable), variance),
        ):
            if abs(got - want) > 1e-9 * (1 + abs(want)):
                raise ValueError(
                    f"{model} {query}: the {what} of {variable} is not "
                    f"{'affine in' if what == 'mean' else 'constant over'} "
                    f"the slider value (at {_num(s)}: {_num(got)}, the line "
                    f"gives {_num(want)})"
                )
    return line


@dataclass(frozen=True)
class _Look:
    """How one query is drawn and named."""

    legend: str  # in the legend
    word: str  # before its mean and variance, beside the plot
    color: str
    dash: tuple[int, ...]  # () for a solid line


@dataclass(frozen=True)
class Explorer:
    """An explorer: slider, exact answers along it, chart, text alternative.

    Shown in a notebook, it displays Altair's chart (JupyterLab, Colab) and
    carries :data:`causalbook.explorer_site.MIME_TYPE` data, which the
    book's build draws with the site's own Vega.
    """

    name: str
    title: str
    slider: Slider
    lines: tuple[Line, ...]
    description: str
    vega_lite: dict[str, Any] = field(repr=False)

    @property
    def chart(self) -> alt.VConcatChart:
        """The explorer as an Altair chart (to save, or to change)."""
        return alt.VConcatChart.from_dict(self.spec(), validate=False)

    def line(self, model: str, query: str) -> Line:
        """The line of one model and query."""
        for line in self.lines:
            if (line.model, line.query) == (model, query):
                return line
        known = sorted({(ln.model, ln.query) for ln in self.lines})
        raise KeyError(
            f"{self.name} has no line for {(model, query)}; it has {known}"
        )

    def answer(self, model: str, query: str, s: float) -> tuple[float, float]:
        """``(mean, variance)`` shown at slider value ``s``."""
        if not self.slider.lo <= s <= self.slider.hi:
            raise ValueError(
                f"{s} is outside the slider's range "
                f"[{self.slider.lo}, {self.slider.hi}]"
            )
        line = self.line(model, query)
        return round(line.mean(s), 12) + 0.0, round(line.variance, 12) + 0.0

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite specification (what the page draws), a copy."""
        return json.loads(json.dumps(self.vega_lite))

    def payload(self) -> dict[str, Any]:
        """The explorer as :data:`MIME_TYPE` data, for the site."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "spec": self.spec(),
        }

    def to_html(self) -> str:
        """The explorer's HTML on the site (it needs the site's Vega)."""
        return render_html(self.payload())

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, Any]:
        # Altair's active renderer, as a chart's own display would use
        bundle = alt.renderers.get()(self.spec())
        if isinstance(bundle, tuple):  # (data, metadata) renderers
            bundle = bundle[0]
        return {
            **bundle,
            MIME_TYPE: self.payload(),
            "text/plain": self.description,
        }


def _lines(
    queries: Mapping[str, Callable[[exact.LinearGaussianSCM, float], Any]],
    variable: str,
    slider: Slider,
) -> tuple[Line, ...]:
    return tuple(
        fit_line(
            lambda s, q=q, m=m: queries[q](LINEAR[m], s),
            variable,
            slider,
            model=m,
            query=q,
        )
        for m in MODELS
        for q in queries
    )


def _model_title(m: str) -> str:
    return f"model {MODELS.index(m) + 1}: {GRAPHS[m]}"


def _model_named(m: str) -> str:
    return f"model {MODELS.index(m) + 1} ({GRAPHS[m]})"


def _domains(
    lines: Sequence[Line], slider: Slider
) -> tuple[list[float], list[float]]:
    """Fixed axes: every curve fits at every slider position."""
    lows, highs, peaks = [], [], []
    for line in lines:
        sd = math.sqrt(line.variance)
        ends = (line.mean(slider.lo), line.mean(slider.hi))
        lows.append(min(ends) - _SPAN * sd)
        highs.append(max(ends) + _SPAN * sd)
        if sd > 0:
            peaks.append(1 / (sd * math.sqrt(2 * math.pi)))
    return (
        [float(math.floor(min(lows))), float(math.ceil(max(highs)))],
        [0.0, round(1.08 * max(peaks), 3)],
    )


def _chart(
    lines: Sequence[Line],
    slider: Slider,
    looks: Mapping[str, _Look],
    *,
    axis_title: str,
    description: str,
    toggle: tuple[str, str, str] | None,
    plot_height: int,
    plot_width: int = 330,
    text_width: int = 235,
) -> dict[str, Any]:
    """The chart's spec: per model, the densities and, beside them, text.

    ``toggle`` is ``(param, label, query)``: a checkbox that shows the
    query's line only when ticked.
    """
    queries = list(looks)
    rows = [
        {
            "model": ln.model,
            "query": ln.query,
            "legend": looks[ln.query].legend,
            "word": looks[ln.query].word,
            "order": queries.index(ln.query),
            "intercept": ln.intercept,
            "slope": ln.slope,
            "variance": ln.variance,
            "z": list(Z_GRID) if ln.variance > 0 else [],
        }
        for ln in lines
    ]
    s = alt.param(
        name=slider.param,
        value=slider.start,
        bind=alt.binding_range(
            min=slider.lo, max=slider.hi, step=slider.step, name=slider.label
        ),
    )
    params = [s]
    shown = "true"
    if toggle is not None:
        param, label, query = toggle
        params.append(
            alt.param(
                name=param, value=False, bind=alt.binding_checkbox(name=label)
            )
        )
        shown = f"datum.query != '{query}' || {param}"
    x_domain, y_domain = _domains(lines, slider)
    legends = [looks[q].legend for q in queries]
    color = alt.Color(
        "legend:N",
        title=None,
        scale=alt.Scale(domain=legends, range=[looks[q].color for q in looks]),
        legend=alt.Legend(
            orient="top", direction="vertical", labelLimit=0, symbolSize=300
        ),
    )
    dash = alt.StrokeDash(
        "legend:N",
        title=None,
        scale=alt.Scale(
            domain=legends, range=[list(looks[q].dash) for q in looks]
        ),
    )
    base = (
        # the rows live once, at the top, under a name: Altair copies
        # every sub-chart's inline data as it assembles the layout
        alt.Chart(alt.NamedData(name=_DATASET))
        .transform_filter(shown)
        .transform_calculate(
            mean=f"datum.intercept + datum.slope * {slider.param}",
            sd="sqrt(datum.variance)",
        )
    )
    fmt = NUMBER_FORMAT
    text = (
        f"datum.word + ': ' + (datum.variance > 0"
        f" ? 'mean ' + format(datum.mean, '{fmt}')"
        f" + ', variance ' + format(datum.variance, '{fmt}')"
        f" : 'a point at ' + format(datum.mean, '{fmt}'))"
    )
    rows_of_charts = []
    for m in MODELS:
        last = m == MODELS[-1]
        here = base.transform_filter(f"datum.model == '{m}'")
        curves = (
            here.transform_filter("datum.variance > 0")
            .transform_flatten(["z"])
            .transform_calculate(
                value="datum.mean + datum.sd * datum.z",
                density="densityNormal(datum.z) / datum.sd",
            )
            .mark_line(strokeWidth=2.5, clip=True)
            .encode(
                x=alt.X(
                    "value:Q",
                    title=axis_title if last else None,
                    scale=alt.Scale(domain=x_domain, nice=False),
                ),
                y=alt.Y(
                    "density:Q",
                    title="density",
                    scale=alt.Scale(domain=y_domain),
                    axis=alt.Axis(tickCount=3),
                ),
                color=color,
                strokeDash=dash,
                detail="query:N",
            )
        )
        points = (
            here.transform_filter("datum.variance == 0")
            # aria=False: no name of its own (axe's svg-img-alt); the text
            # beside the plot states the point for screen readers
            .mark_rule(strokeWidth=2.5, aria=False)
            .encode(x="mean:Q", color=color, strokeDash=dash)
        )
        plot = alt.layer(curves, points).properties(
            width=plot_width, height=plot_height, title=_model_title(m)
        )
        words = (
            here.transform_calculate(text=text)
            .mark_text(align="left", baseline="middle", fontSize=13)
            .encode(
                x=alt.value(4),
                y=alt.Y(
                    "order:O",
                    axis=None,
                    scale=alt.Scale(domain=list(range(len(queries)))),
                ),
                text="text:N",
                color=alt.value(_TEXT),
                description="text:N",
            )
            .properties(width=text_width, height=plot_height, title=" ")
        )
        rows_of_charts.append(
            {"hconcat": [_view(plot), _view(words)], "spacing": 8}
        )
    # Assembled here rather than with alt.vconcat/alt.hconcat/add_params,
    # which copy every sub-chart at each level, and left unvalidated:
    # checking it against the Vega-Lite schema takes seconds (the tests do).
    spec = {
        "$schema": alt.SCHEMA_URL,
        "description": description,
        "params": [p.param.to_dict() for p in params],
        "datasets": {_DATASET: rows},
        "vconcat": rows_of_charts,
        "spacing": 12,
        "background": "white",
        "config": {
            "font": "sans-serif",
            "view": {"strokeWidth": 0},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "grid": False},
            "legend": {"labelFontSize": 13},
            "title": {"fontSize": 14, "anchor": "start", "color": _TEXT},
        },
    }
    return spec


def _view(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """A sub-chart as a view of the explorer's spec."""
    view = chart.to_dict(validate=False)
    for key in ("$schema", "config", "datasets"):
        view.pop(key, None)
    return view


def _in_models(values: Mapping[str, str]) -> str:
    """``{"M1": "N(4, 3)", ...}`` as prose, grouping equal answers."""
    if len(set(values.values())) == 1:
        return f"{next(iter(values.values()))} in all three models"
    parts = [f"{v} in model {MODELS.index(m) + 1}" for m, v in values.items()]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def seeing_vs_doing(
    start: float = 3.0,
    *,
    seen: Mapping[str, float] | None = None,
    lo: float = -3.0,
    hi: float = 5.0,
    step: float = 0.1,
    compact: bool = False,
) -> Explorer:
    """Explorer A: P(Y | X = x) against P(Y | do(X = x)), x on a slider.

    For each of the three models, the two densities of Y drawn together,
    their means and variances beside the plot; a checkbox adds the
    counterfactual "Y had X been x, having seen ``seen``", a point (a
    vertical rule).

    Args:
        start: the slider's first value (the printed page shows it).
        seen: the factual observation of the counterfactual; Chapter 5's
            ``{"x": 1.0, "y": 3.0}`` by default.
        lo, hi, step: the slider's range and step.
        compact: shorter plots (the intro's opening picture).

    Example:
        >>> a = seeing_vs_doing()
        >>> [a.answer(m, "imagining", 3.0) for m in ("M1", "M2", "M3")]
        [(5.0, 0.0), (3.0, 0.0), (3.0, 0.0)]
        >>> a.line("M1", "seeing").slope, a.line("M3", "doing").slope
        (1.0, 0.0)
    """
    seen = dict(seen or {"x": 1.0, "y": 3.0})
    if set(seen) != {"x", "y"}:
        raise ValueError(f"seen must give x and y, not {sorted(seen)}")
    slider = Slider(
        "x_value", "x, the value seen or set for X:", lo, hi, step, start
    )
    seen_text = f"(X, Y) = ({_num(seen['x'])}, {_num(seen['y'])})"
    queries = {
        "seeing": lambda scm, x: exact.conditional(scm, {"x": x}),
        "doing": lambda scm, x: exact.interventional(scm, {"x": x}),
        "imagining": lambda scm, x: exact.counterfactual(scm, seen, {"x": x}),
    }
    lines = _lines(queries, "y", slider)
    looks = {
        "seeing": _Look(
            "seeing: P(Y | X = x)", "seeing", COLORS["seeing"], ()
        ),
        "doing": _Look(
            "doing: P(Y | do(X = x))", "doing", COLORS["doing"], (7, 4)
        ),
        "imagining": _Look(
            f"imagining: Y had X been x, having seen {seen_text}",
            "imagining",
            _IMAGINING,
            (2, 2),
        ),
    }
    x0 = slider.start
    by = {(ln.model, ln.query): ln for ln in lines}
    seeing = _in_models(
        {
            m: _normal(by[m, "seeing"].mean(x0), by[m, "seeing"].variance)
            for m in MODELS
        }
    )
    doing = _in_models(
        {
            m: _normal(by[m, "doing"].mean(x0), by[m, "doing"].variance)
            for m in MODELS
        }
    )
    imagining = _in_models(
        {m: _num(by[m, "imagining"].mean(x0)) for m in MODELS}
    )
    slopes = {
        q: _in_models({m: _num(by[m, q].slope) for m in MODELS})
        for q in ("seeing", "doing")
    }
    description = (
        f"Interactive figure. A slider sets x from {_num(lo)} to {_num(hi)} "
        f"(it starts at {_num(x0)}); a checkbox adds imagining. For each "
        "of the three models ("
        + "; ".join(_model_title(m) for m in MODELS)
        + ") it draws the density of Y having seen X = x (seeing, "
        "P(Y | X = x)) and having set X = x (doing, P(Y | do(X = x))), and "
        f"states their means and variances beside the plot. At x = "
        f"{_num(x0)}, seeing gives {seeing}; doing gives {doing}. "
        f"Imagining, Y had X been {_num(x0)} having seen {seen_text}, is a "
        f"point: {imagining}. As x moves, the mean of seeing moves with "
        f"slope {slopes['seeing']}; the mean of doing with slope "
        f"{slopes['doing']}."
    )
    name = "explorer-opening" if compact else "explorer-seeing-vs-doing"
    title = (
        "Seeing versus doing, for every x. Move the slider (or focus it and "
        "use the arrow keys): the solid curve is P(Y | X = x), the dashed "
        "one P(Y | do(X = x)); the checkbox adds imagining."
    )
    chart = _chart(
        lines,
        slider,
        looks,
        axis_title="y",
        description=description,
        toggle=(
            "show_imagining",
            f"imagining, having seen {seen_text}",
            "imagining",
        ),
        plot_height=70 if compact else 110,
    )
    return Explorer(name, title, slider, lines, description, chart)


def intervening_on_y(
    start: float = 5.0,
    *,
    lo: float = -5.0,
    hi: float = 7.0,
    step: float = 0.1,
) -> Explorer:
    """Explorer B: X's distribution under do(Y = y'), y' on a slider.

    For each model, the density of X under do(Y = y') and, dotted, X's
    distribution with no intervention, with means and variances beside the
    plot: X follows y' only where Y causes X (model 2).

    Example:
        >>> b = intervening_on_y()
        >>> [b.line(m, "doing").slope for m in ("M1", "M2", "M3")]
        [0.0, 0.25, 0.0]
        >>> b.answer("M2", "no intervention", 5.0)
        (0.0, 1.0)
    """
    slider = Slider("y_value", "y′, the value set for Y:", lo, hi, step, start)
    queries = {
        "doing": lambda scm, y: exact.interventional(scm, {"y": y}),
        "no intervention": lambda scm, y: exact.joint(scm),
    }
    lines = _lines(queries, "x", slider)
    looks = {
        "doing": _Look(
            "doing: P(X | do(Y = y′))", "do(Y = y′)", COLORS["doing"], ()
        ),
        "no intervention": _Look(
            "no intervention: P(X)", "no intervention", _GREY, (2, 3)
        ),
    }
    y0 = slider.start
    by = {(ln.model, ln.query): ln for ln in lines}
    doing = _in_models(
        {
            m: _normal(by[m, "doing"].mean(y0), by[m, "doing"].variance)
            for m in MODELS
        }
    )
    moving = [m for m in MODELS if abs(by[m, "doing"].slope) > 1e-12]
    moves = (
        "X moves in no model"
        if not moving
        else "X moves only in " + " and ".join(_model_named(m) for m in moving)
    )
    description = (
        f"Interactive figure. A slider sets y′ from {_num(lo)} to "
        f"{_num(hi)} (it starts at {_num(y0)}). For each of the three "
        "models it draws the density of X under do(Y = y′) and, dotted, "
        "the distribution of X with no intervention, and states their means "
        f"and variances beside the plot. At y′ = {_num(y0)}, X is {doing}. "
        f"As y′ moves, the mean of X moves with slope "
        + _in_models({m: _num(by[m, "doing"].slope) for m in MODELS})
        + f": {moves}."
    )
    title = (
        "Intervening on Y. Move the slider (or focus it and use the arrow "
        "keys): the solid curve is X under do(Y = y′), the dotted one X "
        "with no intervention."
    )
    chart = _chart(
        lines,
        slider,
        looks,
        axis_title="x",
        description=description,
        toggle=None,
        plot_height=90,
    )
    return Explorer(
        "explorer-intervening-on-y", title, slider, lines, description, chart
    )
