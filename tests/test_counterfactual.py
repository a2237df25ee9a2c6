"""causalbook.counterfactual: twin networks and their exact answers.

Also the ladder's bookkeeping.
"""

from itertools import pairwise

import jax
import matplotlib
import numpy as np
import pytest
from numpyro import handlers
from numpyro.infer import MCMC, NUTS

from causalbook import counterfactual as cf
from causalbook import exact, stats
from causalbook.inference import condition_nuts
from causalbook.models import LINEAR, MODELS, SAMPLE_SITE
from causalbook.sampling import sample

matplotlib.use("Agg")

Z = 4.5
SEEN = {"x": 1.0, "y": 3.0}


def trace_of(model, key=0):
    return handlers.trace(handlers.seed(model, key)).get_trace()


def full_evidence(m, evidence):
    """Model 3's x is Delta(z): seeing X is seeing Z."""
    return dict(evidence) | (
        {"z": evidence["x"]} if m == "M3" and "x" in evidence else {}
    )


# --- structural_values -------------------------------------------------------
@pytest.mark.parametrize("m", MODELS)
def test_structural_values_is_the_affine_map_of_the_noises(m):
    scm = LINEAR[m]
    a, c, s = scm._matrices()
    rng = np.random.default_rng(0)
    for _ in range(5):
        n = rng.normal(size=len(scm.order))
        values = cf.structural_values(
            scm, dict(zip(scm.order, n, strict=True))
        )
        np.testing.assert_allclose(
            [values[v] for v in scm.order], a @ (c + s @ n), atol=1e-12
        )


def test_structural_values_replaces_only_the_intervened_equation():
    scm = LINEAR["M1"]
    noise = {"x": 0.3, "y": -1.2}
    factual = cf.structural_values(scm, noise)
    intervened = cf.structural_values(scm, noise, {"x": 3.0})
    assert intervened["x"] == 3.0
    # y's equation is kept, and sees the new x with the same noise
    assert intervened["y"] - factual["y"] == pytest.approx(3.0 - factual["x"])


# --- exactly observed twin networks ------------------------------------------
CASES = [  # (evidence, antecedent, variable asked about)
    ({"x": 1.0, "y": 3.0}, {"x": 3.0}, "y"),
    ({"x": 1.0, "y": 3.0}, {"y": 5.0}, "x"),
    ({"x": -0.4, "y": 2.2}, {"x": 0.5}, "y"),
    ({"x": 2.0, "y": -1.0}, {"y": 0.0}, "x"),
]


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("evidence, do, name", CASES)
def test_exact_twin_solves_for_the_noises(m, evidence, do, name):
    """With X and Y seen, abduction is solving the equations.

    So the twin network's answer is exact.
    """
    model = handlers.condition(
        cf.twin_network(LINEAR[m], do), full_evidence(m, evidence)
    )
    tr = trace_of(model)
    unobserved = [
        n
        for n, site in tr.items()
        if site["type"] == "sample" and not site["is_observed"]
    ]
    assert unobserved == []
    truth = exact.counterfactual(LINEAR[m], evidence, do)
    assert truth.var(name) == pytest.approx(0.0, abs=1e-9)
    assert float(tr[f"{name}_cf"]["value"]) == pytest.approx(
        truth.mean(name), abs=1e-5
    )


def test_book_example_five_three_three():
    answers = []
    for m in MODELS:
        tr = trace_of(
            handlers.condition(
                cf.twin_network(LINEAR[m], {"x": 3.0}), full_evidence(m, SEEN)
            )
        )
        answers.append(float(tr["y_cf"]["value"]))
    np.testing.assert_allclose(answers, [5.0, 3.0, 3.0], atol=1e-5)


def test_exact_twin_sites():
    tr = trace_of(cf.twin_network(LINEAR["M2"], {"x": 3.0}))
    kinds = {name: site["type"] for name, site in tr.items()}
    assert kinds == {
        "y": "sample",
        "n_y": "deterministic",
        "x": "sample",
        "n_x": "deterministic",
        "y_cf": "deterministic",
        "x_cf": "deterministic",
    }
    assert float(tr["x_cf"]["value"]) == 3.0
    # the counterfactual world reuses the factual noise: y is upstream of x,
    # so y_cf = y in M2
    assert float(tr["y_cf"]["value"]) == pytest.approx(float(tr["y"]["value"]))


@pytest.mark.parametrize("m", MODELS)
def test_population_average_of_counterfactuals_is_the_intervention(m):
    draws = sample(
        cf.twin_network(LINEAR[m], {"x": 3.0}), 200_000, jax.random.PRNGKey(11)
    )
    g = exact.interventional(LINEAR[m], {"x": 3.0})
    assert stats.moments(draws["y_cf"]).agrees_with(
        g.mean("y"), g.var("y"), z=Z
    )
    # the factual copy is the model's own joint
    j = exact.joint(LINEAR[m])
    assert stats.moments(draws["y"]).agrees_with(j.mean("y"), j.var("y"), z=Z)


# --- softly observed twin networks -------------------------------------------
def test_soft_twin_sites():
    tr = trace_of(cf.twin_network(LINEAR["M3"], {"x": 3.0}, obs_scale=0.1))
    kinds = {name: site["type"] for name, site in tr.items()}
    assert kinds == {
        "n_z": "sample",
        "n_y": "sample",
        "z": "deterministic",
        "x": "sample",
        "y": "sample",
        "z_cf": "deterministic",
        "x_cf": "deterministic",
        "y_cf": "deterministic",
    }
    assert float(tr["x"]["value"]) != float(
        tr["z"]["value"]
    )  # measured with error
    assert float(tr["z_cf"]["value"]) == float(
        tr["z"]["value"]
    )  # the same noise in both worlds


@pytest.mark.parametrize(
    "m, do, name, key",
    [
        ("M1", {"x": 3.0}, "y", 1),
        ("M3", {"x": 3.0}, "y", 2),
        ("M2", {"y": 5.0}, "x", 3),
    ],
)
def test_soft_twin_nuts_agrees_with_its_exact_answer(m, do, name, key):
    obs_scale = 0.05
    post = condition_nuts(
        cf.twin_network(LINEAR[m], do, obs_scale=obs_scale),
        SEEN,
        jax.random.PRNGKey(key),
        num_samples=3000,
    )
    assert post.num_divergences() == 0
    g = cf.soft_counterfactual(LINEAR[m], SEEN, do, obs_scale)
    est = post.moments(f"{name}_cf")
    assert est.agrees_with(g.mean(name), g.var(name), z=Z)
    # and the relaxed answer is close to the exact point
    assert (
        abs(
            g.mean(name) - exact.counterfactual(LINEAR[m], SEEN, do).mean(name)
        )
        < 0.01
    )


@pytest.mark.parametrize("m", MODELS)
def test_soft_counterfactual_tends_to_the_exact_one(m):
    truth = exact.counterfactual(LINEAR[m], SEEN, {"x": 3.0})
    errors = [
        abs(
            cf.soft_counterfactual(LINEAR[m], SEEN, {"x": 3.0}, s).mean("y")
            - truth.mean("y")
        )
        for s in (0.3, 0.1, 0.03, 0.01)
    ]
    variances = [
        cf.soft_counterfactual(LINEAR[m], SEEN, {"x": 3.0}, s).var("y")
        for s in (0.3, 0.1, 0.03, 0.01)
    ]
    assert all(a > b for a, b in pairwise(errors))
    assert all(a > b for a, b in pairwise(variances))
    assert errors[-1] < 1e-3 and variances[-1] < 1e-3


@pytest.mark.parametrize("m", MODELS)
def test_uninformative_measurement_gives_the_intervention(m):
    """Measured with a huge error, the evidence says nothing.

    The counterfactual is then the intervention.
    """
    g = cf.soft_counterfactual(LINEAR[m], SEEN, {"x": 3.0}, 1e4)
    do = exact.interventional(LINEAR[m], {"x": 3.0})
    assert g.mean("y") == pytest.approx(do.mean("y"), abs=1e-6)
    assert g.var("y") == pytest.approx(do.var("y"), abs=1e-6)


def test_with_measurement_error_adds_the_error_variance():
    scm = cf.with_measurement_error(LINEAR["M2"], 0.2)
    j = exact.joint(scm)
    assert j.var("x_obs") == pytest.approx(1.0 + 0.04)
    assert j.cov_of("x_obs", "y_obs") == pytest.approx(1.0)
    assert scm.observed == ("x_obs", "y_obs")


def test_twin_network_is_cached_and_checks_its_arguments():
    a = cf.twin_network(LINEAR["M1"], {"x": 3.0}, obs_scale=0.05)
    assert a is cf.twin_network(LINEAR["M1"], {"x": 3}, obs_scale=0.05)
    assert a is not cf.twin_network(LINEAR["M1"], {"x": 3.0}, obs_scale=0.1)
    assert a is not cf.twin_network(LINEAR["M1"], {"x": 3.0})
    with pytest.raises(ValueError, match="obs_scale"):
        cf.twin_network(LINEAR["M1"], {"x": 3.0}, obs_scale=0.0)
    with pytest.raises(KeyError, match="'w'"):
        cf.twin_network(LINEAR["M1"], {"w": 3.0})
    with pytest.raises(ValueError):
        cf.with_measurement_error(LINEAR["M1"], -1.0)


# --- do composed with condition: the single-world graph ----------------------
@pytest.mark.parametrize("order", ["condition(do(.))", "do(condition(.))"])
def test_do_composed_with_condition_is_the_counterfactual_given_x(order):
    """NUTS on NumPyro's own handlers, composed either way, is right.

    In model 2 it gives P(Y had X been 3 | X = 1).
    """
    if order == "condition(do(.))":
        model = handlers.condition(
            handlers.do(SAMPLE_SITE["M2"], data={"x": 3.0}), data={"x": 1.0}
        )
    else:
        model = handlers.do(
            handlers.condition(SAMPLE_SITE["M2"], data={"x": 1.0}),
            data={"x": 3.0},
        )
    mcmc = MCMC(
        NUTS(model),
        num_warmup=500,
        num_samples=4000,
        num_chains=2,
        progress_bar=False,
        chain_method="sequential",
    )
    mcmc.run(jax.random.PRNGKey(7))
    est = stats.mcmc_moments(
        np.asarray(mcmc.get_samples(group_by_chain=True)["y"])
    )
    g = exact.counterfactual(LINEAR["M2"], {"x": 1.0}, {"x": 3.0})
    assert (g.mean("y"), g.var("y")) == pytest.approx((2.0, 3.0))
    assert est.agrees_with(g.mean("y"), g.var("y"), z=Z)
    # neither the intervention P(Y | do(X = 3)) nor the conditional
    # P(Y | X = 3)
    for other in (
        exact.interventional(LINEAR["M2"], {"x": 3.0}),
        exact.conditional(LINEAR["M2"], {"x": 3.0}),
    ):
        assert not est.agrees_with(other.mean("y"), other.var("y"), z=Z)


# --- side_by_side ------------------------------------------------------------
def test_side_by_side_prefixes_and_keeps_models_independent():
    both = cf.side_by_side(
        {
            m: handlers.condition(
                cf.twin_network(LINEAR[m], {"x": 3.0}), full_evidence(m, SEEN)
            )
            for m in MODELS
        }
    )
    tr = trace_of(both)
    assert {n.split(":")[0] for n in tr} == set(MODELS)
    np.testing.assert_allclose(
        [float(tr[f"{m}:y_cf"]["value"]) for m in MODELS],
        [5.0, 3.0, 3.0],
        atol=1e-5,
    )


def test_side_by_side_nuts_gives_each_posterior():
    models = {
        m: handlers.condition(SAMPLE_SITE[m], full_evidence(m, {"x": 3.0}))
        for m in MODELS
    }
    mcmc = MCMC(
        NUTS(cf.side_by_side(models)),
        num_warmup=500,
        num_samples=3000,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(3))
    samples = mcmc.get_samples(group_by_chain=True)
    assert sorted(samples) == ["M1:y", "M2:y", "M3:y"]
    for m in MODELS:
        g = exact.conditional(LINEAR[m], {"x": 3.0})
        assert stats.mcmc_moments(np.asarray(samples[f"{m}:y"])).agrees_with(
            g.mean("y"), g.var("y"), z=Z
        )


def test_side_by_side_posterior_goes_to_arviz():
    """ArviZ's data tree rejects '/' in names: the ':' divider passes."""
    models = {m: handlers.do(SAMPLE_SITE[m], {"x": 3.0}) for m in ("M1", "M2")}
    post = condition_nuts(
        cf.side_by_side(models),
        {"M1:x": 1.0, "M2:x": 1.0},
        jax.random.PRNGKey(4),
        num_samples=500,
    )
    table = post.summary()
    assert list(table.index) == ["M1:y", "M2:y"]
    assert {"ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)


def test_side_by_side_checks_its_arguments():
    with pytest.raises(ValueError, match="'/'"):
        cf.side_by_side({"M1": SAMPLE_SITE["M1"]}, divider="/")
    with pytest.raises(ValueError, match="divider"):
        cf.side_by_side({"M1": SAMPLE_SITE["M1"]}, divider="")
    with pytest.raises(ValueError, match="at least one model"):
        cf.side_by_side({})
    tr = trace_of(cf.side_by_side({"M1": SAMPLE_SITE["M1"]}, divider="."))
    assert sorted(tr) == ["M1.x", "M1.y"]


# --- one world or two --------------------------------------------------------
def test_descendants():
    assert cf.descendants(LINEAR["M1"], "x") == {"y"}
    assert cf.descendants(LINEAR["M2"], "y") == {"x"}
    assert cf.descendants(LINEAR["M3"], "z") == {"x", "y"}
    assert cf.descendants(LINEAR["M3"], "y") == set()
    with pytest.raises(KeyError, match="'w'"):
        cf.descendants(LINEAR["M1"], "w")


def test_single_world_suffices_checks_its_arguments():
    with pytest.raises(KeyError, match="'w'"):
        cf.single_world_suffices(LINEAR["M1"], {"w": 3.0}, ["x"])
    with pytest.raises(KeyError, match="'w'"):
        cf.single_world_suffices(LINEAR["M1"], {"x": 3.0}, ["w"])
    # do(Y): X is downstream of Y in model 2 only
    assert [
        cf.single_world_suffices(LINEAR[m], {"y": 5.0}, SEEN) for m in MODELS
    ] == [True, False, True]


def single_world(m, evidence, do=None):
    """condition(do(scm_m, do), evidence), traced once.

    Returns the trace and the names of the sample sites left unobserved.
    """
    model = handlers.condition(
        handlers.do(SAMPLE_SITE[m], data=do or {"x": 3.0}),
        data=full_evidence(m, evidence),
    )
    tr = trace_of(model, 5)
    latent = [
        n
        for n, s in tr.items()
        if s["type"] == "sample" and not s["is_observed"]
    ]
    return tr, latent


@pytest.mark.parametrize("m", MODELS)
def test_single_world_answers_the_joint_evidence_question_iff_it_suffices(m):
    """Seen X = 1 and Y = 3, had X been 3: one world is right in M2, M3.

    Every sample site is observed, so the conditioned program's one run is
    its posterior; its y is the factual Y in models 2 and 3 (not downstream
    of X), which there equals Y had X been 3, and Y(3) itself in model 1.
    """
    tr, latent = single_world(m, SEEN)
    assert latent == []
    answer = float(tr["y"]["value"])
    truth = exact.counterfactual(LINEAR[m], SEEN, {"x": 3.0}).mean("y")
    right = answer == pytest.approx(truth)
    assert right == cf.single_world_suffices(LINEAR[m], {"x": 3.0}, SEEN)
    assert (answer, truth) == pytest.approx(
        (3.0, 5.0) if m == "M1" else (3.0, 3.0)
    )


def test_single_world_is_wrong_when_evidence_is_downstream():
    """Model 1, seen only Y = 3: the single world observes Y(3), not Y.

    The true counterfactual is N(5.5, 0.75); the single world pins Y(3) at
    the value seen.
    """
    assert not cf.single_world_suffices(LINEAR["M1"], {"x": 3.0}, ["y"])
    tr, latent = single_world("M1", {"y": 3.0})
    assert latent == ["x"] and float(tr["y"]["value"]) == 3.0
    g = exact.counterfactual(LINEAR["M1"], {"y": 3.0}, {"x": 3.0})
    assert (g.mean("y"), g.var("y")) == pytest.approx((5.5, 0.75))


# --- comparing answers -------------------------------------------------------
def test_partitions_of_the_ladder():
    seen, had = SEEN, {"x": 3.0}
    assert cf.partition(
        {m: exact.joint(LINEAR[m]) for m in MODELS}, ["x", "y"]
    ) == [["M1", "M2", "M3"]]
    assert cf.partition(
        {m: exact.conditional(LINEAR[m], {"x": 3.0}) for m in MODELS}, "y"
    ) == [["M1", "M2", "M3"]]
    assert cf.partition(
        {m: exact.interventional(LINEAR[m], had) for m in MODELS}, "y"
    ) == [["M1"], ["M2", "M3"]]
    assert cf.partition(
        {m: exact.interventional(LINEAR[m], {"y": 3.0}) for m in MODELS}, "x"
    ) == [["M1", "M3"], ["M2"]]
    assert cf.partition(
        {m: exact.counterfactual(LINEAR[m], seen, had) for m in MODELS}, "y"
    ) == [["M1"], ["M2", "M3"]]
    assert cf.partition(
        {m: exact.counterfactual(LINEAR[m], {"x": 1.0}, had) for m in MODELS},
        "y",
    ) == [["M1"], ["M2", "M3"]]
    assert cf.partition(
        {m: exact.counterfactual(LINEAR[m], seen, {"y": 5.0}) for m in MODELS},
        "x",
    ) == [["M1", "M3"], ["M2"]]


def test_separated_pairs():
    assert cf.separated_pairs([["M1", "M2", "M3"]]) == []
    assert cf.separated_pairs([["M1", "M3"], ["M2"]]) == [
        ("M1", "M2"),
        ("M2", "M3"),
    ]
    assert cf.separated_pairs([["M1"], ["M2"], ["M3"]]) == [
        ("M1", "M2"),
        ("M1", "M3"),
        ("M2", "M3"),
    ]


def test_describe():
    assert (
        cf.describe_exact(
            exact.counterfactual(LINEAR["M2"], {"x": 1.0}, {"x": 3.0}), "y"
        )
        == "N(2, 3)"
    )
    assert (
        cf.describe_exact(
            exact.counterfactual(LINEAR["M2"], SEEN, {"y": 5.0}), "x"
        )
        == "1.5 (a point)"
    )
    assert (
        cf.describe_exact(exact.interventional(LINEAR["M2"], {"y": 3.0}), "x")
        == "N(0.5, 0.75)"
    )
    assert (
        cf.describe_estimate(stats.Moments(2.0123, 0.04, 3.1, 0.1, 1000.0))
        == "N(2.01 ± 0.04, 3.1 ± 0.1)"
    )


def test_plot_ladder_draws_every_query_and_model():
    import matplotlib.pyplot as plt

    rungs = [
        ("seeing", [("q1", [["M1", "M2", "M3"]])]),
        (
            "doing",
            [("q2", [["M1"], ["M2", "M3"]]), ("q3", [["M1", "M3"], ["M2"]])],
        ),
    ]
    fig = cf.plot_ladder(rungs)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"q1", "q2", "q3"} <= set(texts)
    assert texts.count("M1") == 3 and texts.count("M2") == 3
    assert any("seeing" in t for t in texts) and any(
        "doing" in t for t in texts
    )
    # the pairs each query tells apart
    assert (
        "none" in texts and "M1–M2, M1–M3" in texts and "M1–M2, M2–M3" in texts
    )
    plt.close(fig)
