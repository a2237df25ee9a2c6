"""LinearGaussianSCM on any DAG, and its NumPyro model (to_numpyro).

The book's three sample-site models must be the same models as the ones
``to_numpyro`` writes from their linear specifications; a variable without
noise must stay reachable by ``do`` and never be conditioned on silently
wrongly; bad specifications must be refused by name.
"""

import math
import pickle

import jax
import numpy as np
import numpyro
import pytest
from numpyro import handlers
from numpyro.infer.inspect import get_model_relations
from numpyro.infer.util import log_density

from causalbook import exact, sampling
from causalbook.exact import CycleError, LinearGaussianSCM, SCMError
from causalbook.handlers import MissingSiteError, SiteError
from causalbook.inference import compiled_runs, condition_nuts
from causalbook.models import LINEAR, MODELS, SAMPLE_SITE
from causalbook.sampling import sample
from causalbook.scm import NoiselessSiteError
from causalbook.seeing import relax

S3 = math.sqrt(3.0)
Z = 4.5  # a few dozen comparisons in this file, each at z = 4.5
N = 200_000
NUTS = {"num_warmup": 500, "num_samples": 4000}


def trace_of(model, key=0):
    return handlers.trace(handlers.seed(model, key)).get_trace()


def assert_draws_match(draws, g, z=Z):
    """Means, variances and covariances of draws within z SEs of ``g``.

    The SEs are those of the estimators under the exact Gaussian ``g``.
    """
    names = g.names
    n = len(draws[names[0]])
    x = np.stack([np.asarray(draws[v], dtype=np.float64) for v in names])
    mean, cov = x.mean(axis=1), np.cov(x)
    cov = np.atleast_2d(cov)
    sd = np.sqrt(np.diag(g.covariance))
    for i, a in enumerate(names):
        se = sd[i] / np.sqrt(n)
        assert abs(mean[i] - g.mean_vector[i]) <= z * se + 1e-5, (a, "mean")
        for j in range(i, len(names)):
            exact_cov = g.covariance[i, j]
            se = np.sqrt((sd[i] ** 2 * sd[j] ** 2 + exact_cov**2) / (n - 1))
            assert abs(cov[i, j] - exact_cov) <= z * se + 1e-5, (a, names[j])


# --- the book's models, from their linear specifications --------------------
@pytest.mark.parametrize("m", MODELS)
def test_one_sample_site_per_variable_in_causal_order(m):
    tr = trace_of(LINEAR[m].to_numpyro())
    assert list(tr) == list(LINEAR[m].order)
    assert all(site["type"] == "sample" for site in tr.values())


@pytest.mark.parametrize("m", MODELS)
def test_same_log_density_as_the_hand_written_model(m):
    # on values drawn from the book's model (so x = z in model 3) and on
    # values off the support (x != z): both give the same log density
    ours = LINEAR[m].to_numpyro()
    for key in range(5):
        values = {
            name: site["value"]
            for name, site in trace_of(SAMPLE_SITE[m], key).items()
        }
        theirs_lp, _ = log_density(SAMPLE_SITE[m], (), {}, values)
        ours_lp, _ = log_density(ours, (), {}, values)
        assert float(ours_lp) == pytest.approx(float(theirs_lp), rel=1e-6)
    if m == "M3":
        off = {"z": 0.5, "x": 0.7, "y": 1.0}
        assert float(log_density(ours, (), {}, off)[0]) == -math.inf
        assert float(log_density(SAMPLE_SITE[m], (), {}, off)[0]) == -math.inf


@pytest.mark.parametrize("do", [None, {"x": 3.0}])
@pytest.mark.parametrize("m", MODELS)
def test_same_draws_in_distribution_as_the_hand_written_model(m, do):
    scm = LINEAR[m]
    key = jax.random.PRNGKey(11)
    exact_g = exact.joint(scm) if do is None else exact.interventional(scm, do)
    for model in (scm.to_numpyro(), SAMPLE_SITE[m]):
        assert_draws_match(sample(model, N, key, do=do), exact_g)


def test_compiled_and_eager_runs_give_the_same_draws():
    # the property tests sample user models eagerly (jax.disable_jit) to
    # avoid compiling a sampler per random model: same code, same draws
    scm = LinearGaussianSCM(
        "eager",
        intercepts={"b": -1.0},
        coefficients={"b": {"a": 0.5}, "c": {"a": 1.0, "b": -2.0}},
        noise_scales={"a": 1.0, "b": 0.5, "c": 0.0},
    )
    key = jax.random.PRNGKey(3)
    compiled = sample(scm.to_numpyro(), 1000, key, do={"b": 2.0})
    with jax.disable_jit():
        eager = sample(scm.to_numpyro(), 1000, key, do={"b": 2.0})
    for v in scm.order:
        np.testing.assert_allclose(eager[v], compiled[v], rtol=1e-5, atol=1e-5)


def test_the_model_is_cached_per_scm_and_compiled_once():
    scm = LINEAR["M2"]
    assert scm.to_numpyro() is scm.to_numpyro()
    soft = relax(LINEAR["M3"], {"x": 0.1})
    assert soft.to_numpyro() is not LINEAR["M3"].to_numpyro()
    model = scm.to_numpyro()
    sample(model, 1000, jax.random.PRNGKey(0))
    before = sampling._compiled.cache_info().misses
    for seed in range(3):
        sample(model, 1000, jax.random.PRNGKey(seed))
    assert sampling._compiled.cache_info().misses == before


def test_an_scm_pickles_after_building_its_model():
    scm = relax(LINEAR["M3"], {"x": 0.2})
    scm.to_numpyro()
    again = pickle.loads(pickle.dumps(scm))
    assert again == scm and again.edges() == scm.edges()
    assert list(trace_of(again.to_numpyro())) == ["z", "x", "y"]


def test_render_model_draws_the_graph():
    relations = get_model_relations(LINEAR["M3"].to_numpyro())
    assert relations["sample_sample"] == {"z": [], "x": ["z"], "y": ["z"]}
    graph = numpyro.render_model(LINEAR["M3"].to_numpyro())
    assert "z -> x" in graph.source and "z -> y" in graph.source
    # x has no noise: a Delta site observed at its own value (shaded)
    assert relations["observed"] == ["x"]


# --- do and condition on a variable without noise ---------------------------
def test_do_reaches_a_variable_without_noise():
    model = LINEAR["M3"].to_numpyro()
    draws = sample(model, N, jax.random.PRNGKey(1), do={"x": 3.0})
    assert_draws_match(
        draws, exact.interventional(LINEAR["M3"], {"x": 3.0}, ["x", "y"])
    )


def test_nuts_with_a_latent_variable_without_noise():
    # the book's scm_3 cannot do this (NumPyro refuses a latent Delta site)
    model = LINEAR["M3"].to_numpyro()
    post = condition_nuts(model, {"y": 2.0}, jax.random.PRNGKey(2), **NUTS)
    g = exact.conditional(LINEAR["M3"], {"y": 2.0})
    assert post.moments("z").agrees_with(g.mean("z"), g.var("z"), z=Z)
    assert g.mean("x") == g.mean("z")  # x = z, not among the draws
    assert "x" not in post.samples


def test_conditioning_on_x_with_its_parent_gives_the_exact_answer():
    model = LINEAR["M3"].to_numpyro()
    post = condition_nuts(
        model, {"z": 3.0, "x": 3.0}, jax.random.PRNGKey(3), **NUTS
    )
    g = exact.conditional(LINEAR["M3"], {"x": 3.0}).marginal("y")
    assert (g.mean("y"), g.var("y")) == pytest.approx((4.0, 3.0))
    assert post.moments("y").agrees_with(4.0, 3.0, z=Z)


def test_conditioning_on_x_alone_says_to_condition_on_z():
    model = LINEAR["M3"].to_numpyro()
    with pytest.raises(NoiselessSiteError) as err:
        condition_nuts(model, {"x": 3.0}, jax.random.PRNGKey(0), **NUTS)
    assert err.value.site == "x" and err.value.parents == ("z",)
    assert isinstance(err.value, SiteError)
    message = str(err.value)
    assert "Condition on 'z' instead" in message
    assert "seeing x = a is seeing z = a" in message
    assert "relax" in message and "exact.conditional" in message


def test_the_guard_follows_chains_of_exact_equations():
    # w := u + v, t := 2 w (both exact), y := t + noise
    scm = LinearGaussianSCM(
        "chain",
        intercepts={"t": 1.0},
        coefficients={
            "w": {"u": 1.0, "v": 1.0},
            "t": {"w": 2.0},
            "y": {"t": 1},
        },
        noise_scales={"u": 1.0, "v": 1.0, "w": 0.0, "t": 0.0, "y": 1.0},
    )
    model = scm.to_numpyro()

    def run(data):
        return handlers.seed(handlers.condition(model, data), 0)()

    with pytest.raises(NoiselessSiteError) as err:
        run({"w": 1.0})
    assert err.value.parents == ("u", "v")
    assert "is seeing" not in str(err.value)  # two parents: no hint
    with pytest.raises(NoiselessSiteError) as err:
        run({"t": 1.0})
    assert err.value.parents == ("w",)
    assert "seeing t = a is seeing w = (a - 1) / 2" in str(err.value)
    # fixed parents (conditioned, or exact with fixed parents) are fine
    assert float(run({"u": 1.0, "v": 2.0, "t": 7.0})["t"]) == 7.0
    assert float(run({"u": 1.0, "v": 2.0, "w": 3.0})["w"]) == 3.0
    # so is an intervened parent
    intervened = handlers.do(model, {"w": 0.5})
    out = handlers.seed(handlers.condition(intervened, {"t": 2.0}), 0)()
    assert float(out["t"]) == 2.0


def test_a_latent_chain_of_exact_equations_under_nuts():
    scm = LinearGaussianSCM(
        "latent chain",
        coefficients={"w": {"u": 1.0, "v": -1.0}, "y": {"w": 0.5}},
        noise_scales={"u": 1.0, "v": 0.5, "w": 0.0, "y": 0.8},
    )
    post = condition_nuts(
        scm.to_numpyro(), {"y": 1.5}, jax.random.PRNGKey(4), **NUTS
    )
    g = exact.conditional(scm, {"y": 1.5})
    for v in ("u", "v"):
        assert post.moments(v).agrees_with(g.mean(v), g.var(v), z=Z)


def test_do_on_an_unknown_name_is_refused():
    with pytest.raises(MissingSiteError, match="Did you mean 'x'"):
        sample(
            LINEAR["M3"].to_numpyro(), 10, jax.random.PRNGKey(0), do={"X": 1}
        )


def test_nuts_reuses_the_compiled_sampler_of_the_scm():
    model = LINEAR["M1"].to_numpyro()
    settings = {"num_warmup": 50, "num_samples": 50}
    before = compiled_runs(model, ["x"], **settings)
    for x in (0.0, 1.0):
        condition_nuts(
            LINEAR["M1"].to_numpyro(),
            {"x": x},
            jax.random.PRNGKey(0),
            **settings,
        )
    assert compiled_runs(model, ["x"], **settings) - before == 2


# --- building a model: any DAG, inferred order, clear errors -----------------
def test_the_existing_positional_constructor_still_works():
    m = LinearGaussianSCM(
        "M1", ("x", "y"), {"y": 1.0}, {"y": {"x": 1.0}}, {"x": 1.0, "y": S3}
    )
    assert m.order == ("x", "y") and m.observed == ("x", "y")
    np.testing.assert_allclose(
        exact.joint(m).covariance, [[1.0, 1.0], [1.0, 4.0]]
    )


def test_order_is_inferred_by_a_topological_sort():
    m = LinearGaussianSCM(
        "five",
        coefficients={
            "y": {"m": 1.0, "c": 0.5},
            "m": {"t": 2.0},
            "t": {"c": 1.0},
        },
        noise_scales={"y": 1.0, "m": 1.0, "t": 1.0, "c": 1.0, "i": 1.0},
    )
    assert m.order == ("c", "t", "m", "y", "i")
    for p, v in m.edges():
        assert m.order.index(p) < m.order.index(v)
    # same model, given the order: the same answers
    given = LinearGaussianSCM(
        "five",
        m.order,
        m.intercepts,
        m.coefficients,
        m.noise_scales,
    )
    np.testing.assert_allclose(
        exact.joint(given).covariance, exact.joint(m).covariance
    )


def test_book_models_keep_their_order_and_observed_variables():
    assert LINEAR["M2"].order == ("y", "x")
    assert LINEAR["M3"].order == ("z", "x", "y")
    assert all(LINEAR[m].observed == ("x", "y") for m in MODELS)


def test_observed_defaults_to_every_variable_without_x_and_y():
    m = LinearGaussianSCM(
        "ab", coefficients={"b": {"a": 1.0}}, noise_scales={"a": 1.0, "b": 1.0}
    )
    assert m.observed == ("a", "b")
    with pytest.raises(SCMError, match="observed variable 'c'"):
        LinearGaussianSCM("ab", noise_scales={"a": 1.0}, observed=("c",))


@pytest.mark.parametrize(
    "coefficients, cycle",
    [
        ({"x": {"x": 0.5}}, ("x", "x")),
        ({"x": {"y": 1.0}, "y": {"x": 1.0}}, ("x", "y", "x")),
        ({"y": {"x": 1.0}, "z": {"y": 1.0}, "x": {"z": 2.0}}, None),
    ],
)
def test_a_cycle_is_refused_and_shown(coefficients, cycle):
    scales = {"x": 1.0, "y": 1.0, "z": 1.0}
    with pytest.raises(CycleError) as err:
        LinearGaussianSCM(
            "loop", coefficients=coefficients, noise_scales=scales
        )
    if cycle is not None:
        assert err.value.cycle == cycle
    found = err.value.cycle
    assert found[0] == found[-1]
    for p, v in zip(found, found[1:], strict=False):
        assert coefficients[v][p] != 0
    assert " -> ".join(found) in str(err.value)
    # with the order given too: the cycle, not the order, is reported
    with pytest.raises(CycleError):
        LinearGaussianSCM("loop", ("x", "y", "z"), {}, coefficients, scales)


def test_a_zero_coefficient_is_not_an_edge():
    m = LinearGaussianSCM(
        "zero",
        coefficients={"x": {"y": 0.0}, "y": {"x": 1.0}},
        noise_scales={"x": 1.0, "y": 1.0},
    )
    assert m.edges() == [("x", "y")]


@pytest.mark.parametrize(
    "kwargs, match, variable",
    [
        (
            {"coefficients": {"y": {"X": 1.0}}},
            r"parent 'X' of 'y' is not a variable.*did you mean 'x'",
            "y",
        ),
        (
            {"coefficients": {"y": {"x": float("nan")}}},
            "coefficient of 'x' in the equation of 'y' is nan",
            "y",
        ),
        (
            {"coefficients": {"y": {"x": float("inf")}}},
            "coefficient of 'x' in the equation of 'y' is inf",
            "y",
        ),
        (
            {"intercepts": {"x": float("-inf")}},
            "intercept of 'x' is -inf",
            "x",
        ),
        (
            {"intercepts": {"x": "one"}},
            "intercept of 'x' must be a number",
            "x",
        ),
        (
            {"noise_scales": {"x": -1.0, "y": 1.0}},
            "noise scale of 'x' is -1.0",
            "x",
        ),
        (
            {"noise_scales": {"x": float("nan"), "y": 1.0}},
            "noise scale of 'x' is nan",
            "x",
        ),
        ({"coefficients": {"y": 2.0}}, r"coefficients\['y'\] must map", "y"),
    ],
)
def test_bad_numbers_and_names_are_refused_by_name(kwargs, match, variable):
    spec = {
        "coefficients": {"y": {"x": 1.0}},
        "noise_scales": {"x": 1.0, "y": 1.0},
        **kwargs,
    }
    with pytest.raises(SCMError, match=match) as err:
        LinearGaussianSCM("bad", **spec)
    assert err.value.variable == variable
    assert isinstance(err.value, ValueError)


def test_a_given_order_is_checked():
    with pytest.raises(SCMError, match="must come before"):
        LinearGaussianSCM(
            "bad", ("y", "x"), {}, {"y": {"x": 1.0}}, {"x": 1.0, "y": 1.0}
        )
    with pytest.raises(SCMError, match="appears twice"):
        LinearGaussianSCM("bad", ("x", "x"), {}, {}, {"x": 1.0})
    with pytest.raises(SCMError, match="unknown variable 'w' in noise_scales"):
        LinearGaussianSCM("bad", ("x",), {}, {}, {"x": 1.0, "w": 1.0})
    with pytest.raises(SCMError, match="no variables"):
        LinearGaussianSCM("empty")


def test_unknown_names_in_queries_suggest_the_right_one():
    with pytest.raises(KeyError, match="did you mean 'x'"):
        LINEAR["M1"].intervene({"X": 1.0})
