"""Chapter 1's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book. Each
sampled moment is checked against the exact value computed here from
``causalbook.exact`` (not against the value the chapter glued next to it),
within the tolerance the chapter states, in standard errors.
"""

import math

import pytest

from causalbook import exact
from causalbook.models import LINEAR, MODELS

STEM = "01_three_models"
#: The chapter's "agrees": within this many standard errors.
Z_TOL = 3.0
#: Estimates farther than this from their exact value need a sentence in the
#: text; the chapter has none, so none may be.
Z_COMMENT = 2.5
MOMENTS = {
    "ex": ("mean", "x"),
    "ey": ("mean", "y"),
    "varx": ("var", "x"),
    "vary": ("var", "y"),
}


@pytest.fixture(scope="module")
def g(glued):
    return glued(STEM)


def z_scores(g):
    """|z| of every sampled moment of the table, against exact values."""
    out = {}
    for m in MODELS:
        joint = exact.joint(LINEAR[m])
        for moment, (kind, var) in MOMENTS.items():
            truth = getattr(joint, kind)(var)
            name = f"ch1_{m}_{moment}"
            out[name] = abs(g[name] - truth) / g[f"{name}_se"]
        name = f"ch1_{m}_covxy"
        out[name] = abs(g[name] - joint.cov_of("x", "y")) / g[f"{name}_se"]
    return out


def test_the_stated_tolerance(g):
    assert g["ch1_z_tol"] == Z_TOL
    # P(|N(0, 1)| > 3) = 2.7 in 1,000
    assert g["ch1_z_tol_per_1000"] == pytest.approx(
        1000 * math.erfc(Z_TOL / math.sqrt(2))
    )


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("moment", [*sorted(MOMENTS), "covxy"])
def test_sampled_moments_agree_with_exact(g, m, moment):
    name = f"ch1_{m}_{moment}"
    assert 0 < g[f"{name}_se"] < 0.05
    z = z_scores(g)[name]
    assert z < Z_TOL
    assert z < Z_COMMENT, f"{name} is {z:.2f} SE off and the text is silent"


def test_largest_deviation_in_the_prose(g):
    assert g["ch1_max_z"] == pytest.approx(max(z_scores(g).values()))


def test_exact_values_in_the_prose(g):
    assert g["exact_var_y"] == pytest.approx(4.0)
    assert g["exact_cov_xy"] == pytest.approx(1.0)
    assert g["exact_corr_xy"] == pytest.approx(0.5)
    assert g["same_joint"] == "the same"
    assert g["n_draws"] >= 100_000
    # the share of a 2-D normal within r standard deviations
    assert g["ch1_mass_1sd"] == pytest.approx(1 - math.exp(-1 / 2))
    assert g["ch1_mass_2sd"] == pytest.approx(1 - math.exp(-2))


def test_two_sample_tests(g):
    # the book's models are not told apart; the control with another slope is
    for pair in ("M1_M2", "M1_M3", "M2_M3"):
        assert g[f"ch1_p_{pair}"] > 0.01
    # 200 permutations: the smallest p-value there is
    assert g["ch1_p_M1_M1_ctrl"] == pytest.approx(1 / 201)


REPS = 50  # "take 50 independent samples"
ALPHA = 0.05


@pytest.mark.parametrize(
    "name", ["ch1_power_100", "ch1_power_200", "ch1_power_400", "ch1_null_100"]
)
def test_rejection_rates_are_shares_of_the_stated_samples(g, name):
    rate, se = g[name], g[f"{name}_se"]
    assert 0 <= rate <= 1 and (rate * REPS) == pytest.approx(
        round(rate * REPS)
    )
    assert se == pytest.approx(math.sqrt(rate * (1 - rate) / REPS))


def test_power_grows_with_the_draws_and_answers_the_question(g):
    p100, p200, p400 = (g[f"ch1_power_{n}"] for n in (100, 200, 400))
    target = g["ch1_power_target"]
    assert g["ch1_alpha"] == ALPHA and target == 0.8
    assert p100 < p200 < p400
    # "at 200 draws closer to a coin toss than to a reliable detection"
    assert abs(p200 - 0.5) < abs(p200 - target)
    # "reliable, in more than the usual 80% of samples, only from about 400
    # draws on"
    assert p400 > target > p200


def test_equal_distributions_are_rejected_at_the_level_only(g):
    # a permutation test with 99 permutations rejects equal distributions
    # with probability exactly 5 / 100
    se = math.sqrt(ALPHA * (1 - ALPHA) / REPS)
    assert abs(g["ch1_null_100"] - ALPHA) < Z_TOL * se
