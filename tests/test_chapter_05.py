"""Chapter 5's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. Every
sampled estimate is checked against causalbook.exact within Z standard errors;
the row "seen X = 1 and Y = 3" of the summary table comes from the softly
observed twin network, so it is checked against that relaxed model's own exact
answer (also from causalbook.exact), and the relaxation is checked to move the
answer by little.
"""

import pytest

from causalbook import exact
from causalbook.counterfactual import describe_exact, soft_counterfactual
from causalbook.models import LINEAR, MODELS

Z = 4.5
STEM = "05_imagining"


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


@pytest.fixture(scope="module")
def queries(g):
    """The chapter's queries, as it glued them."""
    seen = {"x": g["ch5_seen_x"], "y": g["ch5_seen_y"]}
    return {
        "seen": seen,
        "seen_x": {"x": seen["x"]},
        "had": {"x": g["ch5_had_x"]},
        "see_x": g["ch5_see_x"],
        "do_y": g["ch5_do_y"],
        "obs_scale": g["ch5_obs_scale"],
    }


def exact_answer(q, m, queries):
    """(mean, variance) of each summary-table query, from causalbook.exact."""
    scm = LINEAR[m]
    if q == "joint_y":
        d, v = exact.joint(scm), "y"
    elif q == "see":
        d, v = exact.conditional(scm, {"x": queries["see_x"]}), "y"
    elif q == "do_x":
        d, v = exact.interventional(scm, queries["had"]), "y"
    elif q == "do_y":
        d, v = exact.interventional(scm, {"y": queries["do_y"]}), "x"
    elif q == "cf_xy":  # the softly observed twin network
        d, v = (
            soft_counterfactual(
                scm, queries["seen"], queries["had"], queries["obs_scale"]
            ),
            "y",
        )
    elif q == "cf_x":
        d, v = (
            exact.counterfactual(scm, queries["seen_x"], queries["had"]),
            "y",
        )
    else:
        raise KeyError(q)
    return d.mean(v), d.var(v)


def check(g, name, truth, max_se):
    est, se = g[name], g[f"{name}_se"]
    assert 0 < se < max_se, f"{name}: standard error {se}"
    assert abs(est - truth) < Z * se, f"{name}: {est} ± {se} against {truth}"


def test_the_queries_are_the_books(queries):
    assert queries["seen"] == {"x": 1.0, "y": 3.0}
    assert queries["had"] == {"x": 3.0}
    assert 0 < queries["obs_scale"] <= 0.1


@pytest.mark.parametrize("m", MODELS)
def test_exact_counterfactuals_in_the_prose(g, queries, m):
    truth = exact.counterfactual(LINEAR[m], queries["seen"], queries["had"])
    assert g[f"ch5_cf_{m}"] == pytest.approx(truth.mean("y"))
    assert g[f"ch5_cf_{m}_var"] == pytest.approx(0.0, abs=1e-9)
    post = exact.noise_posterior(LINEAR[m], queries["seen"])
    assert g[f"ch5_abd_{m}_N_y"] == pytest.approx(post.mean("N_y"))
    # the exactly observed twin network solved for the noises and got the exact
    # answer
    assert g[f"ch5_solved_{m}"] == pytest.approx(truth.mean("y"), abs=1e-5)


def test_five_three_three(g):
    assert [g[f"ch5_cf_{m}"] for m in MODELS] == pytest.approx([5.0, 3.0, 3.0])


@pytest.mark.parametrize("m", MODELS)
def test_exact_distributions_in_the_prose(g, queries, m):
    scm = LINEAR[m]
    assert g[f"ch5_cfx_{m}"] == describe_exact(
        exact.counterfactual(scm, queries["seen_x"], queries["had"]), "y"
    )
    assert g[f"ch5_do_{m}"] == describe_exact(
        exact.interventional(scm, queries["had"]), "y"
    )
    assert g[f"ch5_see_{m}"] == describe_exact(
        exact.conditional(scm, {"x": 3.0}), "y"
    )


@pytest.mark.parametrize("m", MODELS)
def test_twin_network(g, queries, m):
    soft = soft_counterfactual(
        LINEAR[m], queries["seen"], queries["had"], queries["obs_scale"]
    )
    assert g[f"ch5_soft_{m}_mean"] == pytest.approx(soft.mean("y"))
    assert g[f"ch5_soft_{m}_var"] == pytest.approx(soft.var("y"))
    check(g, f"ch5_twin_{m}_mean", soft.mean("y"), 0.01)
    check(g, f"ch5_twin_{m}_var", soft.var("y"), 0.01)
    # the relaxation moves the exact point answer by little
    hard = exact.counterfactual(
        LINEAR[m], queries["seen"], queries["had"]
    ).mean("y")
    assert abs(soft.mean("y") - hard) < 0.01


def test_twin_network_diagnostics(g):
    assert g["ch5_twin_divergences"] == 0
    assert g["ch5_twin_max_z"] < Z


@pytest.mark.parametrize("m", MODELS)
def test_single_world_graph(g, queries, m):
    truth = exact.counterfactual(LINEAR[m], queries["seen_x"], queries["had"])
    check(g, f"ch5_swig_{m}_mean", truth.mean("y"), 0.1)
    check(g, f"ch5_swig_{m}_var", truth.var("y"), 0.3)
    assert g["ch5_swig_max_z"] < Z


@pytest.mark.parametrize("m", MODELS)
def test_population_average_is_the_intervention(g, queries, m):
    truth = exact.interventional(LINEAR[m], queries["had"])
    check(g, f"ch5_pop_{m}_mean", truth.mean("y"), 0.02)
    check(g, f"ch5_pop_{m}_var", truth.var("y"), 0.05)
    assert g["n_pop"] >= 50_000


SUMMARY = ["joint_y", "see", "do_x", "do_y", "cf_xy", "cf_x"]
MAX_SE = {
    "joint_y": (0.02, 0.05),
    "see": (0.1, 0.3),
    "do_x": (0.02, 0.05),
    "do_y": (0.02, 0.05),
    "cf_xy": (0.01, 0.01),
    "cf_x": (0.1, 0.3),
}


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("q", SUMMARY)
def test_summary_table_estimates(g, queries, q, m):
    mean, var = exact_answer(q, m, queries)
    check(g, f"ch5_tab_{q}_{m}_mean", mean, MAX_SE[q][0])
    check(g, f"ch5_tab_{q}_{m}_var", var, MAX_SE[q][1])


@pytest.mark.parametrize("m", MODELS)
def test_summary_table_covariance(g, m):
    check(g, f"ch5_tab_cov_{m}", exact.joint(LINEAR[m]).cov_of("x", "y"), 0.02)


def test_the_rungs_separate_the_models(g):
    """What the table shows: rung 1 agrees, the others split the models.

    do(X) and the counterfactuals split M1 from M2 and M3.
    """
    see = [g[f"ch5_tab_see_{m}_mean"] for m in MODELS]
    do_x = {m: g[f"ch5_tab_do_x_{m}_mean"] for m in MODELS}
    cf = {m: g[f"ch5_tab_cf_xy_{m}_mean"] for m in MODELS}
    assert max(see) - min(see) < 0.3
    assert do_x["M1"] - do_x["M2"] > 2.5 and abs(do_x["M2"] - do_x["M3"]) < 0.1
    assert cf["M1"] - cf["M2"] > 1.5 and abs(cf["M2"] - cf["M3"]) < 0.01
