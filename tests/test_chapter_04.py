"""Chapter 4's published numbers and claims, checked against the exact answers.

The numbers and claims are those the chapter glued into the built book. Every
sampled number is compared with ``causalbook.exact`` within ``Z`` Monte Carlo
standard errors; every "wrong" cell must be far from the right answer and sit
on the prior instead.
"""

import numpyro
import pytest
from numpyro import handlers

from causalbook import exact
from causalbook.mechanics import numpyro_source_url
from causalbook.models import LINEAR, MODELS

Z = 4.5
#: A "wrong" cell must be at least this many standard errors from the right
#: answer.
FAR = 20.0
STEM = "04_the_surprise"
X3 = {"x": 3.0}


def prior(m):
    return exact.joint(LINEAR[m]).marginal("y")


def seeing(m):
    return exact.conditional(LINEAR[m], X3).marginal("y")


def doing(m):
    return exact.interventional(LINEAR[m], X3).marginal("y")


#: What the chapter claims about each cell of the user's table: (exact answer
#: asked for, verdict).
USER_TABLE = {
    ("M1", "prior"): (prior, "right"),
    ("M1", "do"): (doing, "right"),
    ("M1", "cond"): (seeing, "right by accident"),
    ("M1", "nuts"): (seeing, "right"),
    **{(m, "prior"): (prior, "right") for m in ("M2", "M3")},
    **{(m, "do"): (doing, "right by accident") for m in ("M2", "M3")},
    **{(m, "cond"): (seeing, "wrong") for m in ("M2", "M3")},
    **{(m, "nuts"): (seeing, "wrong") for m in ("M2", "M3")},
}


def agrees(g, prefix, target, name="y", z=Z):
    """The glued mean and variance are both within z standard errors of target.

    ``target`` is the exact answer.
    """
    for moment in ("mean", "var"):
        est, se = g[f"{prefix}_{moment}"], g[f"{prefix}_{moment}_se"]
        assert 0 < se < 0.15, (
            f"{prefix}_{moment}: implausible standard error {se}"
        )
        truth = getattr(target, moment)(name)
        if abs(est - truth) >= z * se:
            return False
    return True


def test_versions_and_sizes(glued):
    g = glued(STEM)
    assert g["ch4_numpyro_version"] == numpyro.__version__
    assert g["ch4_n"] >= 100_000
    assert g["ch4_z_tol"] == Z


def test_exact_values_in_the_prose(glued):
    g = glued(STEM)
    assert g["ch4_exact_prior_mean"] == pytest.approx(prior("M1").mean("y"))
    assert g["ch4_exact_prior_var"] == pytest.approx(prior("M1").var("y"))
    assert (
        g["ch4_exact_cond_mean"],
        g["ch4_exact_cond_var"],
    ) == pytest.approx((4.0, 3.0))
    assert g["ch4_N_prior"] == "N(1, 4)"
    assert g["ch4_N_cond"] == "N(4, 3)"
    assert [g[f"ch4_N_do_{m}"] for m in MODELS] == [
        "N(4, 3)",
        "N(1, 4)",
        "N(1, 4)",
    ]
    assert g["ch4_N_prior_x"] == "N(0, 1)"


@pytest.mark.parametrize("cell", sorted(USER_TABLE), ids=lambda c: "-".join(c))
def test_user_table_cell(glued, cell):
    g = glued(STEM)
    m, col = cell
    answer, claimed = USER_TABLE[cell]
    prefix = f"ch4_{m}_{col}"
    assert g[f"{prefix}_verdict"] == claimed
    if claimed == "wrong":
        # far from the right answer, and exactly the prior: the handler did
        # nothing
        truth, se = answer(m).mean("y"), g[f"{prefix}_mean_se"]
        assert abs(g[f"{prefix}_mean"] - truth) > FAR * se
        assert agrees(g, prefix, prior(m))
    else:
        assert agrees(g, prefix, answer(m))


@pytest.mark.parametrize("m", ["M2", "M3"])
def test_models_2_and_3_every_column_is_the_prior(glued, m):
    g = glued(STEM)
    for col in ("prior", "do", "cond", "nuts"):
        assert agrees(g, f"ch4_{m}_{col}", prior(m))


@pytest.mark.parametrize("m", ["M2", "M3"])
def test_nuts_on_the_posted_model_does_not_complain(glued, m):
    g = glued(STEM)
    assert g[f"ch4_{m}_nuts_divergences"] == 0
    assert abs(g[f"ch4_{m}_nuts_rhat"] - 1.0) < 0.01
    assert g[f"ch4_{m}_nuts_mean_z"] > FAR


def test_site_types(glued):
    g = glued(STEM)
    assert [g[f"ch4_{m}_x_type"] for m in MODELS] == [
        "sample",
        "deterministic",
        "deterministic",
    ]
    assert g["ch4_M1_types"] == "x: sample, _y: sample, y: deterministic"
    assert (
        g["ch4_M2_types"]
        == "_y: sample, _x: sample, y: deterministic, x: deterministic"
    )
    assert (
        g["ch4_M3_types"]
        == "_z: sample, _y: sample, y: deterministic, x: deterministic"
    )


def test_logged_messages_under_condition(glued):
    g = glued(STEM)
    assert g["ch4_M1_logged_x"] == 3.0
    assert g["ch4_M2_logged_x"] != 3.0
    assert g["ch4_M2_logged_x_observed"] == "False"


@pytest.mark.parametrize(
    "name, obj, path",
    [
        (
            "condition",
            handlers.condition.process_message,
            "numpyro/handlers.py",
        ),
        ("do", handlers.do.process_message, "numpyro/handlers.py"),
        (
            "substitute",
            handlers.substitute.process_message,
            "numpyro/handlers.py",
        ),
        ("deterministic", numpyro.deterministic, "numpyro/primitives.py"),
    ],
)
def test_source_links(glued, name, obj, path):
    link = glued(STEM)[f"ch4_link_{name}"]
    url = numpyro_source_url(obj)
    assert link.endswith(f"({url})")
    assert f"/blob/{numpyro.__version__}/{path}#L" in url


def test_clamping_is_not_conditioning(glued):
    g = glued(STEM)
    assert g["ch4_clamp_M2_x_share3"] == 1.0
    assert agrees(g, "ch4_clamp_M2_y", prior("M2"))
    assert (
        abs(g["ch4_clamp_M2_y_mean"] - seeing("M2").mean("y"))
        > FAR * g["ch4_clamp_M2_y_mean_se"]
    )


@pytest.mark.parametrize("m", MODELS)
def test_substitute_is_a_hard_intervention(glued, m):
    g = glued(STEM)
    assert agrees(g, f"ch4_subst_{m}_y", doing(m))
    assert g[f"ch4_subst_{m}_agrees_do"] == "True"
    if (
        m != "M1"
    ):  # where seeing and doing differ, substitute is not conditioning
        assert not agrees(g, f"ch4_subst_{m}_y", seeing(m))


@pytest.mark.parametrize("m", MODELS)
def test_fixed_models(glued, m):
    g = glued(STEM)
    assert agrees(g, f"ch4_fix_{m}_cond", seeing(m))
    assert agrees(g, f"ch4_fix_{m}_do", doing(m))
    assert g[f"ch4_fix_{m}_cond_verdict"] == "right"
    assert g[f"ch4_fix_{m}_do_verdict"] == "right"
    assert g[f"ch4_fix_{m}_divergences"] == 0


def test_fixed_models_separate_doing_from_seeing(glued):
    g = glued(STEM)
    se = g["ch4_fix_M2_do_mean_se"]
    assert abs(g["ch4_fix_M2_do_mean"] - g["ch4_fix_M2_cond_mean"]) > FAR * se


def test_guarded_handlers_fail_loudly(glued):
    g = glued(STEM)
    assert g["ch4_guard_condition_error"] == "NotASampleSiteError"
    for handler in ("condition", "do"):
        msg = g[f"ch4_guard_{handler}_message"]
        assert msg.startswith(
            f"{handler}: 'x' is a deterministic site, not a sample site"
        )
        assert "numpyro.sample('x', dist.Normal(mean, scale))" in msg
        assert "numpyro.handlers.substitute" in msg


def test_exercise_which_handlers_reach_a_deterministic_site(glued):
    g = glued(STEM)
    assert g["ch4_ex1_substitute_x"] == 3.0
    assert g["ch4_ex1_condition_x"] != 3.0 and g["ch4_ex1_do_x"] != 3.0
    assert g["ch4_ex1_reaching"] == "`substitute`"


def test_exercise_local_variable(glued):
    g = glued(STEM)
    assert agrees(g, "ch4_ex2_y", prior("M1"))
    assert not agrees(g, "ch4_ex2_y", doing("M1"))


def test_exercise_condition_on_y(glued):
    g = glued(STEM)
    truth = exact.conditional(LINEAR["M1"], {"y": 5.0}).marginal("x")
    assert (g["ch4_ex3_exact_mean"], g["ch4_ex3_exact_var"]) == pytest.approx(
        (truth.mean("x"), truth.var("x"))
    )
    assert agrees(g, "ch4_ex3_x", truth, name="x")


def test_exercise_own_guard(glued):
    g = glued(STEM)
    assert (
        g["ch4_ex4_message"]
        == "'x' is a deterministic site, not a sample site"
    )
    assert g["ch4_ex4_scm2_x"] == 3.0
    assert (
        g["ch4_ex4_typo_observed"] == "False"
    )  # the typo goes through unnoticed
