"""causalbook.doing: the node-split model, the surgery figure, sweeps, slopes.

The node-split model is the one NumPyro's do runs. Statistical tolerances are
4.5 Monte Carlo standard errors with fixed seeds.
"""

import warnings

import jax
import matplotlib
import numpy as np
import pytest
from numpyro import handlers
from numpyro.infer import Predictive

from causalbook import doing, exact, stats
from causalbook.models import LINEAR, MODELS, SAMPLE_SITE

matplotlib.use("Agg")
Z = 4.5


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("site", ["x", "y"])
def test_node_split_marginals(m, site):
    """The split model keeps the intervened variable's prior.

    It gives the others their interventional law.
    """
    scm, do = LINEAR[m], {site: 3.0}
    split = exact.joint(doing.node_split(scm, do))
    prior, after = exact.joint(scm), exact.interventional(scm, do)
    assert split.mean(site) == pytest.approx(prior.mean(site))
    assert split.var(site) == pytest.approx(prior.var(site))
    assert split.mean(site + doing.CF_SUFFIX) == pytest.approx(3.0)
    assert split.var(site + doing.CF_SUFFIX) == pytest.approx(0.0)
    for v in scm.order:
        if v != site:
            assert split.mean(v) == pytest.approx(after.mean(v))
            assert split.var(v) == pytest.approx(after.var(v))


def test_node_split_rewires_only_the_children():
    split = doing.node_split(LINEAR["M1"], {"x": 3.0})
    assert split.order == ("x", "x__CF", "y")
    assert split.parents("y") == ("x__CF",)
    assert split.equation("x") == LINEAR["M1"].equation("x")
    assert ("x", "y") not in split.edges()


def test_node_split_unknown_variable():
    with pytest.raises(KeyError, match="no variable 'w'"):
        doing.node_split(LINEAR["M1"], {"w": 1.0})


@pytest.mark.parametrize("m", MODELS)
def test_node_split_is_what_predictive_of_do_returns(m):
    """Predictive's (x, y) pairs under do(x = 3) follow the split model.

    They follow its joint law, covariance included.
    """
    draws = Predictive(
        handlers.do(SAMPLE_SITE[m], data={"x": 3.0}),
        num_samples=100_000,
        parallel=True,
    )(jax.random.PRNGKey(31))
    x, y = np.asarray(draws["x"]), np.asarray(draws["y"])
    g = exact.joint(doing.node_split(LINEAR[m], {"x": 3.0}), ["x", "y"])
    assert stats.moments(x).agrees_with(g.mean("x"), g.var("x"), Z)
    assert stats.moments(y).agrees_with(g.mean("y"), g.var("y"), Z)
    cov, se = stats.covariance_se(x, y)
    assert abs(cov - g.cov_of("x", "y")) < Z * se
    assert (
        abs(np.mean(x) - 3.0) > 100 * stats.moments(x).mean_se
    )  # the gotcha: x is not 3


def test_pretty_equation():
    assert doing.pretty_equation(LINEAR["M1"], "y") == "y := 1 + x + √3 N_y"
    assert (
        doing.pretty_equation(LINEAR["M2"], "x")
        == "x := -0.25 + 0.25 y + √3/2 N_x"
    )
    assert (
        doing.pretty_equation(LINEAR["M2"], "y") == "y := 1 + 2 N_y"
    )  # integer scales stay
    assert doing.pretty_equation(LINEAR["M3"], "x") == "x := z"
    assert (
        doing.pretty_equation(LINEAR["M1"].intervene({"x": 3.0}), "x")
        == "x := 3"
    )
    odd = exact.LinearGaussianSCM("odd", ("x",), {"x": 0.0}, {}, {"x": 0.3})
    assert (
        doing.pretty_equation(odd, "x") == "x := 0.3 N_x"
    )  # not a root: left as is


@pytest.mark.parametrize("m", MODELS)
def test_surgery_figure(m):
    import matplotlib.pyplot as plt

    fig = doing.surgery_figure(LINEAR[m], {"x": 3.0}, title=m)
    try:
        left, right = fig.axes
        assert (
            left.get_title() == m
            and right.get_title() == f"{m} under do(x = 3)"
        )
        assert len(left.images) == 1 and len(right.images) == 1
        texts = [t.get_text() for t in right.texts]
        assert "x := 3" in texts
        assert [t.get_text() for t in left.texts] == [
            doing.pretty_equation(LINEAR[m], v) for v in LINEAR[m].order
        ]
        highlighted = [
            t.get_text() for t in right.texts if t.get_fontweight() == "bold"
        ]
        assert highlighted == ["x := 3"]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("m", MODELS)
def test_sweep_matches_exact(m):
    values = [-2.0, 1.0, 4.0]
    est = doing.sweep(
        SAMPLE_SITE[m], "y", values, "x", 50_000, jax.random.PRNGKey(32)
    )
    assert len(est) == len(values)
    for v, e in zip(values, est, strict=True):
        g = exact.interventional(LINEAR[m], {"y": v})
        assert e.agrees_with(g.mean("x"), g.var("x"), Z), (m, v, e)
    # a different value per draw set: the sweep does not reuse one key
    assert len({e.mean for e in est}) == len(values)


def test_slope():
    b, se = doing.slope([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0])
    assert b == pytest.approx(2.0) and se == 0.0
    b, se = doing.slope([0.0, 2.0], [0.0, 1.0], [0.1, 0.1])
    assert b == pytest.approx(0.5)
    assert se == pytest.approx(np.sqrt(2 * 0.1**2) / 2)  # (m2 - m1) / 2
    with pytest.raises(ValueError):
        doing.slope([1.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError):
        doing.slope([1.0], [0.0])


def test_slope_se_is_calibrated():
    """The slope's spread matches its standard error.

    The spread is measured across repeated noisy means.
    """
    rng = np.random.default_rng(0)
    xs = np.linspace(-5, 7, 13)
    ses = np.full(xs.shape, 0.01)
    slopes = [
        doing.slope(xs, 0.25 * xs + rng.normal(0, 0.01, xs.shape), ses)[0]
        for _ in range(4000)
    ]
    _, se = doing.slope(xs, 0.25 * xs, ses)
    assert np.mean(slopes) == pytest.approx(0.25, abs=4 * se / np.sqrt(4000))
    assert np.std(slopes) == pytest.approx(se, rel=0.05)


# --- model 3 with an arrow X -> Y ------------------------------------------
@pytest.mark.parametrize("a", [0.0, 0.5, 1.0, -2.0])
def test_model_3_with_arrow_has_model_3s_joint_and_its_own_effect(a):
    m = doing.model_3_with_arrow(a)
    assert m.parents("y") == (
        ("z", "x") if a not in (0.0, 1.0) else (("z",) if a == 0.0 else ("x",))
    )
    same, m3 = exact.joint(m), exact.joint(LINEAR["M3"])
    assert same.names == m3.names
    np.testing.assert_allclose(same.mean_vector, m3.mean_vector, atol=1e-12)
    np.testing.assert_allclose(same.covariance, m3.covariance, atol=1e-12)
    for x in (-1.0, 3.0):
        g = exact.interventional(m, {"x": x})
        assert (g.mean("y"), g.var("y")) == pytest.approx(
            (1 + a * x, 3 + (1 - a) ** 2)
        )


def test_model_3_with_arrow_at_zero_is_model_3():
    m0, m3 = doing.model_3_with_arrow(0.0), LINEAR["M3"]
    for v in m3.order:
        assert m0.equation(v) == m3.equation(v)


def test_model_3_with_arrow_sampled_agrees():
    """Forward draws of the arrow model under do(X = 3) match exact."""
    from causalbook.sampling import sample

    scm = doing.model_3_with_arrow(0.5)

    def model():
        import numpyro
        import numpyro.distributions as dist

        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
        x = numpyro.sample("x", dist.Delta(z))
        numpyro.sample("y", dist.Normal(0.5 * x + 0.5 * z + 1, np.sqrt(3.0)))

    for do in (None, {"x": 3.0}):
        y = sample(model, 100_000, jax.random.PRNGKey(8), do=do)["y"]
        g = exact.joint(scm) if do is None else exact.interventional(scm, do)
        assert stats.moments(y).agrees_with(g.mean("y"), g.var("y"), Z)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "half", None])
def test_model_3_with_arrow_rejects_bad_strengths(bad):
    with pytest.raises(ValueError, match="strength a"):
        doing.model_3_with_arrow(bad)


# --- printing a handler's source --------------------------------------------
def test_source_eliding_warnings_of_numpyros_do():
    import inspect
    import textwrap

    text = doing.source_eliding_warnings(handlers.do.process_message)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 77  # fits the page column
    elided = [ln.strip() for ln in lines if "warnings.warn" in ln]
    assert elided == ["warnings.warn(...)  # message elided"]
    original = textwrap.dedent(
        inspect.getsource(handlers.do.process_message)
    ).splitlines()
    # every other line is NumPyro's own, in order
    kept = [ln for ln in lines if "warnings.warn(...)" not in ln]
    it = iter(original)
    assert all(any(ln == o for o in it) for ln in kept)
    assert "multiple times" not in text


def test_source_eliding_warnings_leaves_other_code_alone():
    def f(a):
        """Doc."""
        warnings.warn("short", stacklevel=2)
        return a + 1

    text = doing.source_eliding_warnings(f)
    # a one-line call is kept as is
    assert 'warnings.warn("short", stacklevel=2)' in text
    assert text.splitlines()[0] == "def f(a):"
