"""The plotting helpers draw what they say they draw.

seaborn draws the statistics from tidy tables; the exact densities and
contours on top are the book's own and are checked against
:mod:`causalbook.exact`.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from causalbook import exact, plots  # noqa: E402
from causalbook.models import LINEAR, MODELS  # noqa: E402

JOINT = {m: exact.joint(LINEAR[m], ["x", "y"]) for m in MODELS}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _normal_draws(n, seed=0):
    """Draws of (x, y) from the book's joint N((0, 1), [[1, 1], [1, 4]])."""
    rng = np.random.default_rng(seed)
    g = JOINT["M1"]
    return {
        m: dict(
            zip(
                ("x", "y"),
                rng.multivariate_normal(g.mean_vector, g.covariance, n).T,
                strict=True,
            )
        )
        for m in MODELS
    }


def _step_histogram(ax):
    """The filled step outline seaborn drew: its vertices, area and colour."""
    (poly,) = [
        c
        for c in ax.collections
        if isinstance(c, matplotlib.collections.PolyCollection)
    ]
    v = poly.get_paths()[0].vertices
    x, y = v[:, 0], v[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    return v, area, poly.get_facecolor()[0]


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


def test_use_style_sets_the_palette_and_a_white_background():
    plots.use_style()
    rc = matplotlib.rcParams
    assert rc["figure.facecolor"] == rc["axes.facecolor"] == "white"
    assert rc["savefig.facecolor"] == "white"
    cycle = [
        matplotlib.colors.to_hex(c)
        for c in rc["axes.prop_cycle"].by_key()["color"]
    ]
    assert cycle == [c.lower() for c in plots.PALETTE]
    # models 1 to 3 are matplotlib's C0, C1, C2
    assert cycle[:3] == [plots.COLORS[m].lower() for m in MODELS]


def test_tidy_has_one_row_per_draw():
    d = {
        "M1": {"x": np.arange(6.0).reshape(2, 3), "y": np.ones(6), "z": 0},
        "M2": {"x": np.arange(4.0), "y": np.zeros(4)},
    }
    t = plots.tidy(d)
    assert t.columns.tolist() == ["model", "draw", "x", "y"]
    assert t["model"].cat.categories.tolist() == ["M1", "M2"]
    assert (t["model"] == "M1").sum() == 6 and (t["model"] == "M2").sum() == 4
    # (chains, draws) are pooled chain after chain
    assert t.loc[t["model"] == "M1", "x"].tolist() == [0, 1, 2, 3, 4, 5]
    assert t.loc[t["model"] == "M2", "draw"].tolist() == [0, 1, 2, 3]
    assert len(plots.tidy(d, ["x"], max_draws=3)) == 6
    assert plots.tidy(d, ["y"], by="run").columns[0] == "run"


def test_tidy_refuses_bad_input():
    with pytest.raises(ValueError, match="non-empty mapping"):
        plots.tidy({})
    with pytest.raises(TypeError, match="mapping"):
        plots.tidy({"M1": np.zeros(3)})
    with pytest.raises(KeyError, match="no site 'z'"):
        plots.tidy({"M1": {"x": [0.0]}, "M2": {"z": [0.0]}}, ["z"])
    with pytest.raises(ValueError, match="different numbers of draws"):
        plots.tidy({"M1": {"x": [0.0, 1.0], "y": [0.0]}})
    with pytest.raises(ValueError, match="no site in common"):
        plots.tidy({"M1": {"x": [0.0]}, "M2": {"y": [0.0]}})
    with pytest.raises(ValueError, match="taken"):
        plots.tidy({"M1": {"model": [0.0]}})


def test_exact_contours_are_the_ellipses_at_one_two_three_sigma():
    _, ax = plt.subplots()
    g = JOINT["M1"]
    cs = plots.exact_contours(ax, g, sigmas=(1, 2, 3))
    inv = np.linalg.inv(g.covariance)
    for level, r in zip(cs.levels, (1, 2, 3), strict=True):
        assert level == pytest.approx(r**2)
    # every vertex of the 2-sigma contour is 2 Mahalanobis units out
    path = cs.allsegs[1][0]
    d = path - g.mean_vector
    maha = np.sqrt(np.einsum("ni,ij,nj->n", d, inv, d))
    np.testing.assert_allclose(maha, 2.0, atol=0.02)
    degenerate = exact.joint(LINEAR["M3"], ["x", "z"])  # X = Z exactly
    with pytest.raises(ValueError, match="degenerate"):
        plots.exact_contours(ax, degenerate, "x", "z")


def test_mass_levels_match_the_normal_ellipses():
    # the normal ellipse r sd out holds 1 - exp(-r^2/2) of the probability
    rng = np.random.default_rng(1)
    z = rng.normal(size=(200_000, 2))
    r2 = np.sum(z**2, axis=1)
    for r, q in zip((1, 2), plots._mass_levels((1, 2))[::-1], strict=True):
        assert np.mean(r2 > r**2) == pytest.approx(q, abs=0.005)


def test_joint_panels_draw_points_and_exact_contours():
    fig = plots.joint_panels(_normal_draws(500), JOINT, max_points=300)
    assert len(fig.axes) == 3
    for ax, m in zip(fig.axes, MODELS, strict=True):
        points = ax.collections[0]
        assert len(points.get_offsets()) == 300
        assert matplotlib.colors.same_color(
            points.get_facecolor()[0][:3], plots.COLORS[m]
        )
        assert len(ax.collections) > 1  # the contour lines
        assert ax.get_title() == m


def test_joint_panels_density_contours_hold_their_share_of_draws():
    fig = plots.joint_panels(
        _normal_draws(4000), JOINT, max_points=4000, kde_sigmas=(1,)
    )
    ax = fig.axes[0]
    # the estimate's contour (after the points) encloses about 39% of the
    # draws, as the exact 1-sigma ellipse does
    kde = ax.collections[1]
    (path,) = [p for p in kde.get_paths() if len(p.vertices) > 10]
    pts = ax.collections[0].get_offsets()
    inside = path.contains_points(pts).mean()
    assert inside == pytest.approx(1 - np.exp(-0.5), abs=0.05)


def test_joint_overlay_draws_each_model_and_the_exact_margins():
    data = plots.tidy(_normal_draws(800), ["x", "y"])
    grid = plots.joint_overlay(data, JOINT["M1"])
    # three density estimates and the exact one in each margin
    assert len(grid.ax_marg_x.lines) == 4
    assert len(grid.ax_marg_y.lines) == 4
    x, pdf = grid.ax_marg_x.lines[-1].get_data()
    np.testing.assert_allclose(pdf, JOINT["M1"].pdf("x", x))
    pdf_y, y = grid.ax_marg_y.lines[-1].get_data()
    np.testing.assert_allclose(pdf_y, JOINT["M1"].pdf("y", y))
    labels = [t.get_text() for t in grid.ax_joint.get_legend().get_texts()]
    assert labels == [*MODELS, "exact"]
    with pytest.raises(KeyError, match="no column"):
        plots.joint_overlay(data, JOINT["M1"], hue="run")


def test_density_vs_exact_plots_the_exact_density():
    g = exact.interventional(LINEAR["M2"], {"x": 3.0})
    ax = plots.density_vs_exact(np.zeros(10) + 1.0, g, "y")
    line = ax.lines[0]
    x, y = line.get_data()
    np.testing.assert_allclose(y, g.pdf("y", x))


def test_density_vs_exact_histogram_is_a_density_of_the_draws():
    g = exact.conditional(LINEAR["M1"], {"x": 3.0})
    draws = np.random.default_rng(2).normal(4, np.sqrt(3), size=(2, 5000))
    _, ax = plt.subplots()
    plots.density_vs_exact(draws, g, "y", ax=ax, label="NUTS", bins=40)
    vertices, area, _ = _step_histogram(ax)
    # 40 bins: 41 edges, the outermost at the mean +- 4.5 sd
    edges = np.unique(vertices[:, 0])
    assert len(edges) == 41
    assert (edges[0], edges[-1]) == pytest.approx(
        (4 - 4.5 * np.sqrt(3), 4 + 4.5 * np.sqrt(3))
    )
    # all draws fall within mean +- 4.5 sd, so the outline's area is one
    assert area == pytest.approx(1.0)
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["NUTS", "exact"]
    # a tidy table works as well as an array: the same outline
    _, ax2 = plt.subplots()
    plots.density_vs_exact(
        pd.DataFrame({"y": draws.ravel()}), g, "y", ax=ax2, bins=40
    )
    np.testing.assert_allclose(_step_histogram(ax2)[0], vertices)


def test_density_vs_exact_refuses_bad_draws():
    g = exact.joint(LINEAR["M1"])
    with pytest.raises(ValueError, match="no draws"):
        plots.density_vs_exact(np.array([]), g, "y")
    with pytest.raises(ValueError, match="NaN"):
        plots.density_vs_exact(np.array([1.0, np.nan]), g, "y")
    with pytest.raises(KeyError, match="no column"):
        plots.density_vs_exact(pd.DataFrame({"x": [1.0]}), g, "y")


def test_facet_vs_exact_one_panel_per_model_with_its_exact_densities():
    rng = np.random.default_rng(3)
    data = plots.tidy(
        {m: {"y": rng.normal(4, np.sqrt(3), 3000)} for m in MODELS}
    )
    seen = {m: exact.conditional(LINEAR[m], {"x": 3.0}) for m in MODELS}
    prior = exact.joint(LINEAR["M1"])
    grid = plots.facet_vs_exact(
        data,
        "y",
        {m: {"P(Y | X = 3)": seen[m], "P(Y)": prior} for m in MODELS},
        label="draws",
    )
    axes = list(grid.axes.flat)
    assert len(axes) == 3
    for ax, m in zip(axes, MODELS, strict=True):
        solid, dashed = ax.lines
        t, pdf = solid.get_data()
        np.testing.assert_allclose(pdf, seen[m].pdf("y", t))
        assert dashed.get_linestyle() == "--"
        _, area, color = _step_histogram(ax)
        assert matplotlib.colors.same_color(color[:3], plots.COLORS[m])
        assert area == pytest.approx(1.0)
        assert ax.get_title() == m
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels == ["draws", "P(Y | X = 3)", "P(Y)"]
    with pytest.raises(KeyError, match="no exact density"):
        plots.facet_vs_exact(data, "y", {"M1": prior})
