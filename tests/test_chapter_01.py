"""Chapter 1's published numbers agree with the exact answers.

The published numbers are those the chapter glued into the built book.
"""

import pytest

from causalbook import exact
from causalbook.models import LINEAR, MODELS

Z = 4.5
STEM = "01_three_models"
MOMENTS = {
    "ex": ("mean", "x"),
    "ey": ("mean", "y"),
    "varx": ("var", "x"),
    "vary": ("var", "y"),
}


@pytest.mark.parametrize("m", MODELS)
@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_sampled_moments_agree_with_exact(glued, m, moment):
    g = glued(STEM)
    kind, var = MOMENTS[moment]
    truth = getattr(exact.joint(LINEAR[m]), kind)(var)
    est, se = g[f"ch1_{m}_{moment}"], g[f"ch1_{m}_{moment}_se"]
    assert 0 < se < 0.05
    assert abs(est - truth) < Z * se


@pytest.mark.parametrize("m", MODELS)
def test_sampled_covariance_agrees_with_exact(glued, m):
    g = glued(STEM)
    assert abs(g[f"ch1_{m}_covxy"] - 1.0) < Z * g[f"ch1_{m}_covxy_se"]


def test_exact_values_in_the_prose(glued):
    g = glued(STEM)
    assert g["exact_var_y"] == pytest.approx(4.0)
    assert g["exact_cov_xy"] == pytest.approx(1.0)
    assert g["same_joint"] == "the same"
    assert g["n_draws"] >= 100_000


def test_two_sample_tests(glued):
    g = glued(STEM)
    # the book's models are not told apart; the control with another slope is
    for pair in ("M1_M2", "M1_M3", "M2_M3"):
        assert g[f"ch1_p_{pair}"] > 0.01
    assert g["ch1_p_M1_M1_ctrl"] < 0.01
