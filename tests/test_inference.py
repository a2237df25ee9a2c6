"""NUTS by ``condition_nuts``.

The exact posterior, NumPyro's own chains, one compilation. Statistical checks
use 4.5 Monte Carlo standard errors (from the effective sample size) with fixed
seeds, so each test is deterministic and fails only if the code is wrong. No
test here measures time: that is ``make bench``'s job (benchmarks/).
"""

import os
import subprocess
import sys
import textwrap
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer import MCMC, NUTS

from causalbook import exact
from causalbook.handlers import NotASampleSiteError
from causalbook.inference import (
    Posterior,
    clear_compiled,
    compiled_runs,
    condition_nuts,
)
from causalbook.models import (
    LINEAR,
    model_02,
    scm_1,
    scm_2,
    scm_3,
    scm_3_soft,
    scm_3_soft_eps,
)
from causalbook.sampling import unbind
from causalbook.seeing import relax

Z = 4.5
SETTINGS = dict(
    num_warmup=500, num_samples=4000
)  # shared, so tests reuse compiled samplers

#: P(Y | X = 3) for each model, and the evidence that expresses X = 3 in its
#: sample-site form (in M3, X = Z exactly: NUTS conditions on z, with x = z
#: observed too).
CASES = [
    ("M1", scm_1, {"x": 3.0}),
    ("M2", scm_2, {"x": 3.0}),
    ("M3", scm_3, {"z": 3.0, "x": 3.0}),
]


def assert_agrees(post: Posterior, site: str, gaussian, z: float = Z) -> None:
    est = post.moments(site)
    zm, zv = est.z_scores(gaussian.mean(site), gaussian.var(site))
    assert zm < z and zv < z, (site, est, gaussian.marginal(site))


@pytest.mark.parametrize(
    "m, model, evidence", CASES, ids=[c[0] for c in CASES]
)
def test_posterior_of_y_given_x_is_exact(m, model, evidence):
    post = condition_nuts(model, evidence, jax.random.PRNGKey(21), **SETTINGS)
    g = exact.conditional(LINEAR[m], {"x": 3.0})
    assert (g.mean("y"), g.var("y")) == pytest.approx((4.0, 3.0))
    assert_agrees(post, "y", g)
    assert post.samples["y"].shape == (2, SETTINGS["num_samples"])
    assert post.num_divergences() == 0
    assert post.evidence == evidence
    # the effective sample size is a real one: well above a few hundred, at
    # most a few per draw
    assert 1000 < post.moments("y").n < 4 * post.samples["y"].size


def test_soft_m3_matches_its_own_exact_posterior():
    eps = 0.05
    soft = LINEAR["M3"].__class__(
        name="M3 soft",
        order=("z", "x", "y"),
        intercepts={"z": 0.0, "x": 0.0, "y": 1.0},
        coefficients={"x": {"z": 1.0}, "y": {"z": 1.0}},
        noise_scales={"z": 1.0, "x": eps, "y": 3.0**0.5},
    )
    post = condition_nuts(
        scm_3_soft(eps), {"x": 3.0}, jax.random.PRNGKey(22), **SETTINGS
    )
    g = exact.conditional(soft, {"x": 3.0})
    assert g.mean("y") == pytest.approx(1 + 3 / (1 + eps**2))
    assert_agrees(post, "y", g)
    assert_agrees(post, "z", g)


def test_sweep_over_evidence_reuses_one_compiled_sampler():
    grid = np.linspace(-2.0, 3.0, 6)
    before = compiled_runs(scm_2, ["x"], **SETTINGS)
    posts = [
        condition_nuts(
            scm_2,
            {"x": float(x)},
            jax.random.fold_in(jax.random.PRNGKey(23), i),
            **SETTINGS,
        )
        for i, x in enumerate(grid)
    ]
    assert compiled_runs(scm_2, ["x"], **SETTINGS) - before == len(grid)
    for x, post in zip(grid, posts, strict=True):
        assert_agrees(
            post, "y", exact.conditional(LINEAR["M2"], {"x": float(x)})
        )


def test_same_key_same_draws_new_key_new_draws():
    a = condition_nuts(scm_1, {"x": 1.0}, jax.random.PRNGKey(0), **SETTINGS)
    b = condition_nuts(scm_1, {"x": 1.0}, jax.random.PRNGKey(0), **SETTINGS)
    c = condition_nuts(scm_1, {"x": 1.0}, jax.random.PRNGKey(1), **SETTINGS)
    np.testing.assert_array_equal(a.samples["y"], b.samples["y"])
    assert not np.allclose(a.samples["y"], c.samples["y"])
    assert not np.allclose(
        a.samples["y"][0], a.samples["y"][1]
    )  # chains get their own keys


def test_partial_models_share_one_compiled_sampler():
    """partial(scm_3_soft_eps, eps): every eps runs one compiled sampler."""
    key = jax.random.PRNGKey(23)
    condition_nuts(partial(scm_3_soft_eps, 0.5), {"x": 3.0}, key, **SETTINGS)
    before = compiled_runs(partial(scm_3_soft_eps, 0.5), ["x"], **SETTINGS)
    for eps in (0.3, 1.0):
        soft_model = partial(scm_3_soft_eps, eps)
        post = condition_nuts(soft_model, {"x": 3.0}, key, **SETTINGS)
        soft = exact.conditional(relax(LINEAR["M3"], {"x": eps}), {"x": 3.0})
        assert_agrees(post, "y", soft)
    after = compiled_runs(partial(scm_3_soft_eps, 2.0), ["x"], **SETTINGS)
    assert after == before + 2


@pytest.mark.parametrize(
    "model", [scm_2, scm_3_soft(0.1)], ids=["M2", "M3 soft"]
)
def test_same_chains_as_numpyro_mcmc(model):
    """The compiled path drives NumPyro's NUTS exactly as MCMC.run does.

    Same keys, same initialisation, same warm-up.
    """
    key, n = jax.random.PRNGKey(7), 100
    post = condition_nuts(model, {"x": 3.0}, key, num_warmup=n, num_samples=n)
    mcmc = MCMC(
        NUTS(post.mcmc.sampler.model),
        num_warmup=n,
        num_samples=n,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
        # the evidence and a partial's bound numbers are inputs of the
        # compiled run, not constants folded into it
        jit_model_args=True,
    )
    mcmc.run(key, (jnp.asarray(3.0),), unbind(model)[1])
    for site, draws in mcmc.get_samples(group_by_chain=True).items():
        np.testing.assert_allclose(
            post.samples[site], np.asarray(draws), rtol=1e-4, atol=1e-4
        )


def test_mcmc_object_holds_the_draws():
    post = condition_nuts(scm_2, {"x": 3.0}, jax.random.PRNGKey(3), **SETTINGS)
    mcmc = post.mcmc
    assert isinstance(mcmc, MCMC)
    np.testing.assert_array_equal(
        np.asarray(mcmc.get_samples(group_by_chain=True)["y"]),
        post.samples["y"],
    )
    assert mcmc.get_samples()["y"].shape == (2 * SETTINGS["num_samples"],)
    assert post.num_divergences() == int(
        np.sum(np.asarray(mcmc.get_extra_fields()["diverging"]))
    )
    import arviz as az

    tree = az.from_numpyro(mcmc)
    np.testing.assert_array_equal(
        tree["posterior"]["y"].values, post.samples["y"]
    )
    assert float(tree["observed_data"]["x"].values) == 3.0


def test_delta_site_cannot_be_conditioned_on_and_says_so():
    with pytest.raises(
        RuntimeError, match="Cannot find valid initial parameters"
    ):
        condition_nuts(
            scm_3,
            {"x": 3.0},
            jax.random.PRNGKey(0),
            num_warmup=10,
            num_samples=10,
        )


def test_deterministic_site_is_refused():
    with pytest.raises(NotASampleSiteError):
        condition_nuts(
            model_02,
            {"x": 3.0},
            jax.random.PRNGKey(0),
            num_warmup=10,
            num_samples=10,
        )


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        condition_nuts(scm_1, {"x": 3.0}, jax.random.PRNGKey(0), num_samples=0)


def test_clear_compiled_forgets_the_samplers():
    condition_nuts(
        scm_1, {"x": 0.0}, jax.random.PRNGKey(0), num_warmup=10, num_samples=10
    )
    assert compiled_runs(scm_1, ["x"], num_warmup=10, num_samples=10) >= 1
    clear_compiled()
    assert compiled_runs(scm_1, ["x"], num_warmup=10, num_samples=10) == 0


def test_chains_in_parallel_on_two_devices_give_the_same_draws(tmp_path):
    """With two host devices, chains run one per device, with the same draws.

    The chapters set up two host devices.
    """
    code = textwrap.dedent("""
        import numpyro; numpyro.set_host_device_count(2)
        import jax, numpy as np
        from causalbook.inference import condition_nuts, _compiled, _cache_key
        from causalbook.models import scm_2
        post = condition_nuts(
            scm_2, {"x": 3.0}, jax.random.PRNGKey(5),
            num_warmup=500, num_samples=4000,
        )
        c = _compiled(_cache_key(scm_2, ("x",), 500, 4000, 2, 0.8))
        np.save("draws.npy", post.samples["y"])
        print(jax.local_device_count(), c.devices)
    """)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "2"]
    parallel = np.load(tmp_path / "draws.npy")
    here = condition_nuts(scm_2, {"x": 3.0}, jax.random.PRNGKey(5), **SETTINGS)
    np.testing.assert_allclose(
        parallel, here.samples["y"], rtol=1e-4, atol=1e-4
    )
    post = Posterior({"y": parallel}, here.mcmc, {"x": 3.0})
    assert_agrees(post, "y", exact.conditional(LINEAR["M2"], {"x": 3.0}))
