"""The plotting helpers draw what they say they draw."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from causalbook import exact, plots  # noqa: E402
from causalbook.models import LINEAR, MODELS  # noqa: E402


def test_causal_graph_has_the_models_edges():
    src = plots.causal_graph(LINEAR["M3"]).source
    assert "z -> x" in src and "z -> y" in src and "x -> y" not in src


@pytest.mark.parametrize("m", MODELS)
def test_mutilated_graph_has_no_edge_into_the_intervened_variable(m):
    src = plots.causal_graph(LINEAR[m], do={"x": 3.0}).source
    assert "-> x" not in src
    assert "do(x = 3)" in src
    if m == "M1":
        assert "x -> y" in src


def test_joint_panels_draw_points_and_exact_contours():
    rng = np.random.default_rng(0)
    draws = {
        m: {"x": rng.normal(size=500), "y": rng.normal(size=500)}
        for m in MODELS
    }
    fig = plots.joint_panels(
        draws,
        {m: exact.joint(LINEAR[m], ["x", "y"]) for m in MODELS},
        max_points=300,
    )
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert len(ax.collections[0].get_offsets()) == 300
        assert len(ax.collections) > 1  # the contour lines


def test_density_vs_exact_plots_the_exact_density():
    g = exact.interventional(LINEAR["M2"], {"x": 3.0})
    ax = plots.density_vs_exact(np.zeros(10) + 1.0, g, "y")
    line = ax.lines[0]
    x, y = line.get_data()
    np.testing.assert_allclose(y, g.pdf("y", x))
