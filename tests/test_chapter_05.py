"""Chapter 5's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. The
chapter states its tolerance (``ch5_tol_z``): an estimate agrees with its
exact value when it is within that many of its own standard errors. Every
glued estimate is checked against causalbook.exact at that tolerance; the row
"seen X = 1 and Y = 3" of the summary table comes from the softly observed
twin network, so it is checked against that relaxed model's own exact answer
(also from causalbook.exact), and the relaxation is checked to move the
answer by little.
"""

import numpy as np
import pytest
from conftest import far_from_exact, glued_estimates
from scipy.stats import norm

from causalbook import doing, exact
from causalbook.counterfactual import describe_exact, soft_counterfactual
from causalbook.models import LINEAR, MODELS

STEM = "05_imagining"
#: the largest tolerance the chapter may state, in standard errors
MAX_TOL = 4.0


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


@pytest.fixture(scope="module")
def tol(g):
    assert 2.0 <= g["ch5_tol_z"] <= MAX_TOL
    return g["ch5_tol_z"]


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


def check(g, name, truth, max_se, tol):
    est, se = g[name], g[f"{name}_se"]
    assert 0 < se < max_se, f"{name}: standard error {se}"
    assert abs(est - truth) < tol * se, f"{name}: {est} ± {se} against {truth}"


SUMMARY = ["joint_y", "see", "do_x", "do_y", "cf_xy", "cf_x"]


def exact_values(queries) -> dict[str, float]:
    """The exact answer of every estimate the chapter glues."""
    truth: dict[str, float] = {}
    for m in MODELS:
        scm = LINEAR[m]
        soft = soft_counterfactual(
            scm, queries["seen"], queries["had"], queries["obs_scale"]
        )
        cf_x = exact.counterfactual(scm, queries["seen_x"], queries["had"])
        do = exact.interventional(scm, queries["had"])
        for prefix, d in [("twin", soft), ("swig", cf_x), ("pop", do)]:
            truth[f"ch5_{prefix}_{m}_mean"] = d.mean("y")
            truth[f"ch5_{prefix}_{m}_var"] = d.var("y")
        for q in SUMMARY:
            mean, var = exact_answer(q, m, queries)
            truth[f"ch5_tab_{q}_{m}_mean"] = mean
            truth[f"ch5_tab_{q}_{m}_var"] = var
        truth[f"ch5_tab_cov_{m}"] = exact.joint(scm).cov_of("x", "y")
    return truth


def test_every_glued_estimate_agrees_with_its_exact_value(g, queries, tol):
    estimates = glued_estimates(g)
    truth = exact_values(queries)
    unchecked = [n for n in estimates if n not in truth]
    assert not unchecked, (
        f"glued estimates without an exact answer: {unchecked}"
    )
    far = far_from_exact(g, truth, estimates, tol)
    assert not far, far
    assert len(estimates) >= 50


def test_estimates_outside_the_tables_are_not_unusually_far(g, queries):
    """Beyond 2.5 standard errors an estimate would need a sentence.

    The summary tables' estimates have one (their count is glued and checked
    below); every other estimate of the chapter must be closer.
    """
    truth = exact_values(queries)
    far = {
        n: abs(g[n] - truth[n]) / g[f"{n}_se"]
        for n in truth
        if not n.startswith("ch5_tab_")
        and abs(g[n] - truth[n]) > 2.5 * g[f"{n}_se"]
    }
    assert not far, far


def test_the_summary_tables_claims(g, queries, tol):
    """The counts the text quotes, recomputed from the glued estimates."""
    truth = exact_values(queries)
    names = [
        f"ch5_tab_{q}_{m}_{k}"
        for q in SUMMARY
        for m in MODELS
        for k in ("mean", "var")
    ] + [f"ch5_tab_cov_{m}" for m in MODELS]
    zs = np.array([abs(g[n] - truth[n]) / g[f"{n}_se"] for n in names])
    assert g["ch5_tab_n"] == len(names) == 39
    assert g["ch5_tab_max_z"] == pytest.approx(zs.max(), rel=1e-9)
    assert g["ch5_tab_max_z"] < tol
    assert g["ch5_tab_n_far"] == np.sum(zs > 2.5)
    assert g["ch5_tab_expected_far"] == pytest.approx(
        len(names) * 2 * norm.sf(2.5)
    )


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
def test_twin_network(g, queries, tol, m):
    soft = soft_counterfactual(
        LINEAR[m], queries["seen"], queries["had"], queries["obs_scale"]
    )
    assert g[f"ch5_soft_{m}_mean"] == pytest.approx(soft.mean("y"))
    assert g[f"ch5_soft_{m}_var"] == pytest.approx(soft.var("y"))
    check(g, f"ch5_twin_{m}_mean", soft.mean("y"), 0.01, tol)
    check(g, f"ch5_twin_{m}_var", soft.var("y"), 0.01, tol)
    # the relaxation moves the exact point answer by little
    hard = exact.counterfactual(
        LINEAR[m], queries["seen"], queries["had"]
    ).mean("y")
    assert abs(soft.mean("y") - hard) < 0.01


def test_twin_network_diagnostics(g, tol):
    assert g["ch5_twin_divergences"] == 0
    assert g["ch5_twin_max_z"] < tol


@pytest.mark.parametrize("m", MODELS)
def test_single_world_graph(g, queries, tol, m):
    truth = exact.counterfactual(LINEAR[m], queries["seen_x"], queries["had"])
    check(g, f"ch5_swig_{m}_mean", truth.mean("y"), 0.1, tol)
    check(g, f"ch5_swig_{m}_var", truth.var("y"), 0.3, tol)
    assert g["ch5_swig_max_z"] < tol


@pytest.mark.parametrize("m", MODELS)
def test_one_world_is_enough_in_models_2_and_3(g, queries, m):
    """condition(do(m, x=3), {x: 1, y: 3}): right where Y is not below X."""
    truth = exact.counterfactual(LINEAR[m], queries["seen"], queries["had"])
    # the single world's y is the value seen ...
    assert g[f"ch5_one_world_{m}"] == queries["seen"]["y"]
    # ... which is the answer in models 2 and 3 and not in model 1
    right = g[f"ch5_one_world_{m}"] == pytest.approx(truth.mean("y"))
    assert right == (m != "M1")


@pytest.mark.parametrize("m", MODELS)
def test_single_world_quantity_read_off_the_data(g, queries, m):
    """P(Y(3) | X = 1) is a conditional of the observational joint."""
    assert g[f"ch5_sw_data_{m}"] == describe_exact(
        exact.counterfactual(LINEAR[m], queries["seen_x"], queries["had"]), "y"
    )


def test_m4_answers_differently_with_model_3s_data(g, queries):
    m4 = doing.model_3_with_arrow(0.5)
    assert g["ch5_m4_do"] == describe_exact(
        exact.interventional(m4, queries["had"]), "y"
    )
    assert g["ch5_m4_do"] != g["ch5_do_M3"]


@pytest.mark.parametrize("m", MODELS)
def test_population_average_is_the_intervention(g, queries, tol, m):
    truth = exact.interventional(LINEAR[m], queries["had"])
    check(g, f"ch5_pop_{m}_mean", truth.mean("y"), 0.02, tol)
    check(g, f"ch5_pop_{m}_var", truth.var("y"), 0.05, tol)
    assert g["n_pop"] >= 50_000


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
def test_summary_table_estimates(g, queries, tol, q, m):
    mean, var = exact_answer(q, m, queries)
    check(g, f"ch5_tab_{q}_{m}_mean", mean, MAX_SE[q][0], tol)
    check(g, f"ch5_tab_{q}_{m}_var", var, MAX_SE[q][1], tol)


@pytest.mark.parametrize("m", MODELS)
def test_summary_table_covariance(g, tol, m):
    truth = exact.joint(LINEAR[m]).cov_of("x", "y")
    check(g, f"ch5_tab_cov_{m}", truth, 0.02, tol)


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


def test_citations_are_told_apart():
    """No citation label of the built book names two references.

    With author-year citations, Huszár's two posts of 2019 would both read
    "Huszár, 2019"; the chapter cites the second as "Huszár, 2019b".
    """
    import html
    import re

    from conftest import BUILD

    cite = re.compile(r'<span class="bibtex-citation"[^>]*>.*?</span>', re.S)
    link = re.compile(r'<a [^>]*title="([^"]*)"[^>]*>([^<]+)</a>')
    targets: dict[str, set[str]] = {}
    for page in (BUILD / "html").rglob("*.html"):
        for span in cite.findall(page.read_text()):
            for title, label in link.findall(span):
                targets.setdefault(html.unescape(label), set()).add(title)
    assert "Huszár, 2019b" in targets and "Huszár, 2019a" in targets
    shared = {k: v for k, v in targets.items() if len(v) > 1}
    assert not shared, shared
