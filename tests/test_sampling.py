"""The fast sampler and the models: sampled moments agree with exact answers.

Tolerances are 4.5 Monte Carlo standard errors (a false alarm about once in
150,000 checks), with fixed seeds, so each test is deterministic and can fail
only if the code is wrong.
"""

from functools import partial

import jax
import numpy as np
import pytest

from causalbook import exact, stats
from causalbook.models import (
    LINEAR,
    MODELS,
    POSTED,
    SAMPLE_SITE,
    scm_3_soft,
    scm_3_soft_eps,
)
from causalbook.sampling import sample

Z = 4.5
N = 200_000


def assert_matches(draws, gaussian, name):
    est = stats.moments(draws)
    zm, zv = est.z_scores(gaussian.mean(name), gaussian.var(name))
    assert zm < Z and zv < Z, (name, est, gaussian.marginal(name))


@pytest.mark.parametrize("form", ["posted", "sample-site"])
@pytest.mark.parametrize("m", MODELS)
def test_joint_moments_match_exact(m, form):
    model = (POSTED if form == "posted" else SAMPLE_SITE)[m]
    d = sample(model, N, jax.random.PRNGKey(11))
    g = exact.joint(LINEAR[m], ["x", "y"])
    assert_matches(d["x"], g, "x")
    assert_matches(d["y"], g, "y")
    cov, se = stats.covariance_se(d["x"], d["y"])
    assert abs(cov - g.cov_of("x", "y")) < Z * se


@pytest.mark.parametrize("m", MODELS)
def test_do_x_on_sample_site_forms_matches_exact(m):
    d = sample(SAMPLE_SITE[m], N, jax.random.PRNGKey(12), do={"x": 3.0})
    assert np.all(d["x"] == 3.0)
    assert_matches(d["y"], exact.interventional(LINEAR[m], {"x": 3.0}), "y")


@pytest.mark.parametrize("m", MODELS)
def test_do_y_on_sample_site_forms_matches_exact(m):
    d = sample(SAMPLE_SITE[m], N, jax.random.PRNGKey(13), do={"y": 5.0})
    assert np.all(d["y"] == 5.0)
    assert_matches(d["x"], exact.interventional(LINEAR[m], {"y": 5.0}), "x")


def test_same_key_same_draws_and_new_key_new_draws():
    a = sample(SAMPLE_SITE["M2"], 1000, jax.random.PRNGKey(0))
    b = sample(SAMPLE_SITE["M2"], 1000, jax.random.PRNGKey(0))
    c = sample(SAMPLE_SITE["M2"], 1000, jax.random.PRNGKey(1))
    np.testing.assert_array_equal(a["y"], b["y"])
    assert not np.allclose(a["y"], c["y"])


def test_intervention_values_change_without_recompiling():
    from causalbook.sampling import _compiled

    before = _compiled.cache_info().misses
    for v in (0.0, 1.0, 2.0):
        d = sample(SAMPLE_SITE["M1"], 500, jax.random.PRNGKey(0), do={"x": v})
        assert np.all(d["x"] == v)
    assert _compiled.cache_info().misses - before <= 1


def test_soft_model_3_has_the_shared_joint_up_to_eps():
    d = sample(scm_3_soft(0.05), N, jax.random.PRNGKey(14))
    est = stats.moments(d["x"])
    assert abs(est.var - (1 + 0.05**2)) < Z * est.var_se


def test_soft_models_share_one_compiled_sampler():
    """partial(scm_3_soft_eps, eps): one compile, each eps's variance."""
    from causalbook.sampling import _compiled

    sample(partial(scm_3_soft_eps, 0.9), N, jax.random.PRNGKey(15))
    before = _compiled.cache_info().misses
    for i, eps in enumerate((0.3, 1.0, 2.0)):
        d = sample(partial(scm_3_soft_eps, eps), N, jax.random.PRNGKey(16 + i))
        est = stats.moments(d["x"])
        assert abs(est.var - (1 + eps**2)) < Z * est.var_se
    assert _compiled.cache_info().misses == before


def test_bad_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        sample(SAMPLE_SITE["M1"], 0, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="eps must be positive"):
        scm_3_soft(0.0)
