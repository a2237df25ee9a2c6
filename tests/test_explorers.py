"""The explorers' data: what the page draws is causalbook.exact's answer.

The chart carries, per model and query, an intercept, a slope and a
variance; the page shows ``intercept + slope * s`` and the variance for the
slider's value ``s``. Here those exported numbers, read back from the
Vega-Lite spec exactly as the page gets it, are compared with
``causalbook.exact`` at every position of every slider.
"""

from __future__ import annotations

import json
import re

import altair as alt
import numpy as np
import pytest
from conftest import ROOT

from causalbook import exact
from causalbook.explorer_site import (
    MARKER,
    MIME_TYPE,
    SCRIPTS,
    MystNbPlugin,
    render_html,
)
from causalbook.explorers import (
    NUMBER_FORMAT,
    Explorer,
    Slider,
    fit_line,
    intervening_on_y,
    seeing_vs_doing,
)
from causalbook.models import LINEAR, MODELS

SEEN = {"x": 1.0, "y": 3.0}  # Chapter 5's unit

#: The exact answer of each query at slider value s, straight from
#: causalbook.exact (not through the explorers module).
EXACT_A = {
    "seeing": lambda m, s: exact.conditional(LINEAR[m], {"x": s}).marginal(
        "y"
    ),
    "doing": lambda m, s: exact.interventional(LINEAR[m], {"x": s}).marginal(
        "y"
    ),
    "imagining": lambda m, s: exact.counterfactual(
        LINEAR[m], SEEN, {"x": s}
    ).marginal("y"),
}
EXACT_B = {
    "doing": lambda m, s: exact.interventional(LINEAR[m], {"y": s}).marginal(
        "x"
    ),
    "no intervention": lambda m, s: exact.joint(LINEAR[m]).marginal("x"),
}
TOL = 1e-9


@pytest.fixture(scope="module")
def explorers() -> dict[str, tuple[Explorer, dict]]:
    return {
        "A": (seeing_vs_doing(), EXACT_A),
        "A compact": (seeing_vs_doing(compact=True), EXACT_A),
        "A from -1": (seeing_vs_doing(start=-1.0), EXACT_A),
        "B": (intervening_on_y(), EXACT_B),
    }


def exported_rows(spec: dict) -> list[dict]:
    """The rows with intercept, slope and variance in a spec's data.

    Wherever Altair put them: inline ``data.values`` or named ``datasets``.
    """
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("values", "datasets"):
                    tables = value.values() if key == "datasets" else [value]
                    found.extend(
                        t
                        for t in tables
                        if isinstance(t, list) and t and "intercept" in t[0]
                    )
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    assert len(found) == 1, "expected one table of lines in the spec"
    return found[0]


def slider_param(spec: dict, input_: str = "range") -> dict:
    params = [
        p for p in spec["params"] if p.get("bind", {}).get("input") == input_
    ]
    assert len(params) == 1
    return params[0]


@pytest.mark.parametrize("which", ["A", "A compact", "A from -1", "B"])
def test_exported_data_is_the_exact_answer_at_every_slider_value(
    explorers, which
):
    explorer, queries = explorers[which]
    spec = json.loads(json.dumps(explorer.spec()))  # as the page gets it
    rows = exported_rows(spec)
    param = slider_param(spec)
    values = explorer.slider.values()
    assert len(values) >= 60
    assert param["bind"]["min"] == values[0]
    assert param["bind"]["max"] == values[-1]
    assert {(r["model"], r["query"]) for r in rows} == {
        (m, q) for m in MODELS for q in queries
    }
    for row in rows:
        for s in values:
            want = queries[row["query"]](row["model"], float(s))
            got_mean = row["intercept"] + row["slope"] * s
            assert abs(got_mean - want.mean(want.names[0])) < TOL, (row, s)
            assert abs(row["variance"] - want.var(want.names[0])) < TOL


@pytest.mark.parametrize("which", ["A", "A compact", "B"])
def test_spec_is_valid_vega_lite(explorers, which):
    """The spec is assembled by hand from Altair's views: check it whole."""
    explorer = explorers[which][0]
    alt.VConcatChart.validate(explorer.spec())
    assert isinstance(explorer.chart, alt.VConcatChart)
    again = explorer.chart.to_dict(validate=False)
    for key in ("vconcat", "params", "datasets", "description"):
        assert again[key] == explorer.spec()[key]


@pytest.mark.parametrize("which", ["A", "A compact", "A from -1", "B"])
def test_explorer_answer_is_the_exact_answer(explorers, which):
    explorer, queries = explorers[which]
    for m in MODELS:
        for q, answer in queries.items():
            for s in explorer.slider.values()[::7]:
                mean, var = explorer.answer(m, q, float(s))
                want = answer(m, float(s))
                name = want.names[0]
                assert abs(mean - want.mean(name)) < TOL
                assert abs(var - want.var(name)) < TOL


def test_seeing_and_doing_at_x_3_are_the_books_answers(explorers):
    a = explorers["A"][0]
    assert a.slider.start == 3.0
    for m in MODELS:
        assert a.answer(m, "seeing", 3.0) == (4.0, 3.0)
    assert [a.answer(m, "doing", 3.0) for m in MODELS] == [
        (4.0, 3.0),
        (1.0, 4.0),
        (1.0, 4.0),
    ]
    # Chapter 5: seen (X, Y) = (1, 3), had X been 3: a point
    assert [a.answer(m, "imagining", 3.0) for m in MODELS] == [
        (5.0, 0.0),
        (3.0, 0.0),
        (3.0, 0.0),
    ]


def test_slopes_seeing_everywhere_doing_only_in_model_1(explorers):
    a, b = explorers["A"][0], explorers["B"][0]
    assert [a.line(m, "seeing").slope for m in MODELS] == pytest.approx(
        [1, 1, 1]
    )
    assert [a.line(m, "doing").slope for m in MODELS] == pytest.approx(
        [1, 0, 0]
    )
    # do(Y) moves X in model 2 only: model 2 moves, model 3 does not
    assert [b.line(m, "doing").slope for m in MODELS] == pytest.approx(
        [0, 0.25, 0]
    )
    assert b.answer("M2", "doing", 5.0) == (1.0, 0.75)


def test_the_browser_computes_only_the_line_and_the_density(explorers):
    """Nothing hand-typed in the chart's JavaScript.

    Its expressions hold no number: they combine the exported fields
    (intercept, slope, variance, z), the slider and Vega's own
    ``densityNormal``; the only digits are the number format's.
    """
    for which, (explorer, _) in explorers.items():
        text = json.dumps(explorer.spec())
        expressions = re.findall(
            r'"(?:calculate|filter|expr)": "((?:[^"\\]|\\.)*)"', text
        )
        assert expressions, which
        for expr in expressions:
            # zero tells a point mass (variance 0) from a density
            bare = re.sub(
                r"(?<![\w.])0(?![\w.])", "", expr.replace(NUMBER_FORMAT, "")
            )
            assert not re.search(r"(?<![\w.])\d", bare), (which, expr)
        assert "densityNormal(datum.z)" in text


def test_the_slider_starts_at_the_printed_frame_and_has_a_checkbox(
    explorers,
):
    spec = explorers["A"][0].spec()
    assert slider_param(spec)["value"] == 3.0
    assert slider_param(spec)["bind"]["step"] == pytest.approx(0.1)
    assert slider_param(spec, "checkbox")["value"] is False
    assert slider_param(intervening_on_y(start=2.0).spec())["value"] == 2.0
    assert not [
        p
        for p in explorers["B"][0].spec()["params"]
        if p.get("bind", {}).get("input") == "checkbox"
    ]


def test_text_alternative_states_the_exact_answers(explorers):
    a = explorers["A"][0].description
    for m in MODELS:
        for q in ("seeing", "doing"):
            assert EXACT_A[q](m, 3.0).text("y") in a
    assert "a point" in a
    assert "model 2 (Y → X)" in explorers["B"][0].description
    assert "$" not in a  # plain text, not TeX


def test_notebook_output_carries_altair_html_and_the_site_data(explorers):
    explorer = explorers["B"][0]
    bundle = explorer._repr_mimebundle_()
    assert bundle[MIME_TYPE] == explorer.payload()
    assert bundle["text/plain"] == explorer.description
    # JupyterLab and Colab draw Altair's own HTML
    assert "vegaEmbed" in bundle["text/html"]


def test_site_html_is_a_figure_with_caption_text_and_spec(explorers):
    explorer = explorers["A"][0]
    html = explorer.to_html()
    assert MARKER in html and f'id="{explorer.name}"' in html
    assert f'aria-describedby="{explorer.name}-text"' in html
    assert "<figcaption>" in html
    spec_json = re.search(
        r'<script type="application/json" class="cb-explorer-spec">'
        r"(.*?)</script>",
        html,
        re.S,
    ).group(1)
    assert json.loads(spec_json) == json.loads(json.dumps(explorer.spec()))
    assert "cdn" not in html.lower() and "http" not in spec_json.replace(
        "https://vega.github.io/schema/", ""
    )


def test_site_html_escapes_script_ends():
    html = render_html(
        {
            "name": "explorer-x",
            "title": "<b>",
            "description": "a < b",
            "spec": {"title": "</script><script>alert(1)</script>"},
        }
    )
    assert "</script><script>alert" not in html
    assert "&lt;b&gt;" in html and "a &lt; b" in html


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"name": "x"}, "without"),
        (
            {"name": "Bad Name", "title": "t", "description": "d", "spec": {}},
            "not of the form",
        ),
        (
            {
                "name": "explorer-a",
                "title": " ",
                "description": "d",
                "spec": {},
            },
            "title",
        ),
        (
            {
                "name": "explorer-a",
                "title": "t",
                "description": "d",
                "spec": [],
            },
            "spec",
        ),
    ],
)
def test_site_html_refuses_bad_data(payload, message):
    with pytest.raises(ValueError, match=message):
        render_html(payload)


def test_myst_nb_draws_explorers_with_the_plugin(explorers):
    from docutils import nodes
    from myst_nb.core.render import (
        MimeData,
        get_mime_priority,
        load_mime_renders,
    )

    assert MystNbPlugin in load_mime_renders(), (
        "entry point missing: reinstall causalbook (`make setup`)"
    )
    priority = get_mime_priority("html", ())
    assert priority.index(MIME_TYPE) < priority.index("text/html")
    assert MIME_TYPE not in get_mime_priority("latex", ())
    payload = explorers["B"][0].payload()
    out = MystNbPlugin.handle_mime(None, MimeData(MIME_TYPE, payload), False)
    assert len(out) == 1 and isinstance(out[0], nodes.raw)
    assert MARKER in out[0].astext()
    as_text = MimeData(MIME_TYPE, json.dumps(payload))
    assert (
        out[0].astext()
        == MystNbPlugin.handle_mime(None, as_text, False)[0].astext()
    )
    assert (
        MystNbPlugin.handle_mime(None, MimeData("text/html", ""), False)
        is None
    )


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        ((-3.0, 5.0, 0.1, 7.0), "outside"),
        ((5.0, -3.0, 0.1, 3.0), "empty range"),
        ((-3.0, 5.0, 0.0, 3.0), "does not fit"),
        ((-3.0, 5.0, 0.3, 3.0), "whole number of steps"),
        ((-3.0, 5.0, 0.5, 3.2), "whole number of steps"),
        ((-3.0, 5.0, 0.1, float("nan")), "no number"),
    ],
)
def test_slider_refuses_bad_settings(args, message):
    with pytest.raises(ValueError, match=message):
        Slider("x_value", "x", *args)


def test_explorer_refuses_values_off_the_slider(explorers):
    with pytest.raises(ValueError, match="outside the slider"):
        explorers["A"][0].answer("M1", "seeing", 9.0)
    with pytest.raises(KeyError, match="no line"):
        explorers["A"][0].line("M4", "seeing")
    with pytest.raises(ValueError, match="outside"):
        seeing_vs_doing(start=6.0)
    with pytest.raises(ValueError, match="seen must give x and y"):
        seeing_vs_doing(seen={"x": 1.0})


def test_fit_line_refuses_answers_that_are_not_lines():
    slider = Slider("s", "s", -3.0, 5.0, 0.1, 3.0)

    def widening(s):
        return exact.Gaussian(("y",), np.array([s]), np.array([[1 + s * s]]))

    with pytest.raises(ValueError, match="variance of y is not constant"):
        fit_line(widening, "y", slider, model="M1", query="q")
    line = fit_line(
        lambda s: exact.conditional(LINEAR["M2"], {"x": s}),
        "y",
        slider,
        model="M2",
        query="seeing",
    )
    assert (line.model, line.query, line.variable) == ("M2", "seeing", "y")
    assert (line.intercept, line.slope, line.variance) == pytest.approx(
        (1.0, 1.0, 3.0)
    )


# --- the vendored Vega is the one Altair writes for --------------------------


def makefile_version(name: str) -> str:
    text = (ROOT / "Makefile").read_text()
    return re.search(rf"^{name}\s*:=\s*(\S+)", text, re.M).group(1)


def test_vendored_vega_matches_altair():
    assert makefile_version("VEGALITE_VERSION") == alt.VEGALITE_VERSION
    assert (
        makefile_version("VEGA_VERSION").split(".")[0]
        == alt.VEGA_VERSION.split(".")[0]
    )
    assert (
        makefile_version("VEGAEMBED_VERSION").split(".")[0]
        == alt.VEGAEMBED_VERSION.split(".")[0]
    )
    schema = seeing_vs_doing().spec()["$schema"]
    assert schema.endswith(f"/v{alt.VEGALITE_VERSION}.json")
    assert SCRIPTS == ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
