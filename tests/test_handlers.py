"""Tests of causalbook.handlers: the guarded ``condition`` and ``do``.

Each bad input raises its own error with a message that names the site, its
kind and the remedy; each good input gives exactly what NumPyro's own handler
gives (same key, identical arrays), alone, composed, under ``jax.jit``, with
``Predictive`` and inside MCMC.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro import handlers as H
from numpyro.contrib.control_flow import scan
from numpyro.diagnostics import effective_sample_size
from numpyro.infer import MCMC, NUTS, Predictive
from numpyro.infer.util import log_density

from causalbook import handlers as G
from causalbook.handlers import (
    InvalidValueError,
    MissingSiteError,
    NotASampleSiteError,
    SiteError,
)
from causalbook.models import model_01, model_02, scm_1, scm_2
from causalbook.sampling import sample

KEY = jax.random.PRNGKey(0)
HANDLERS = {"do": (G.do, H.do), "condition": (G.condition, H.condition)}


def run_trace(model, key=KEY, *args):
    return H.trace(H.seed(model, key)).get_trace(*args)


def assert_same_trace(guarded_model, numpyro_model, *args, key=KEY):
    ours, theirs = (
        run_trace(guarded_model, key, *args),
        run_trace(numpyro_model, key, *args),
    )
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name]["type"] == theirs[name]["type"]
        assert ours[name].get("is_observed") == theirs[name].get("is_observed")
        np.testing.assert_array_equal(
            np.asarray(ours[name]["value"]), np.asarray(theirs[name]["value"])
        )


def assert_same_draws(a, b):
    assert sorted(a) == sorted(b)
    for name in b:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]))


# --- models used below -------------------------------------------------------
def with_param():
    w = numpyro.param("w", 1.0)
    numpyro.sample("y", dist.Normal(w, 1.0))


def in_plate(n=1000):
    def model():
        with numpyro.plate("N", n):
            numpyro.sample("a", dist.Normal(0.0, 1.0))

    return model


def with_event_and_sample_shape():
    numpyro.sample("v", dist.MultivariateNormal(jnp.zeros(2), jnp.eye(2)))
    numpyro.sample("s", dist.Normal(0.0, 1.0), sample_shape=(4,))


def optional_site(flag):
    numpyro.sample("a", dist.Normal(0.0, 1.0))
    if flag:
        numpyro.sample("b", dist.Normal(0.0, 1.0))


def in_draws_plate(fn, n=7):
    """Put a (guarded) model inside a plate, as causalbook.sampling does."""

    def model():
        with numpyro.plate("draws", n):
            return fn()

    return model


# --- the errors --------------------------------------------------------------
@pytest.mark.parametrize(
    "cls",
    [SiteError, NotASampleSiteError, MissingSiteError, InvalidValueError],
)
def test_errors_are_value_errors(cls):
    assert issubclass(cls, ValueError)
    assert issubclass(cls, SiteError)


@pytest.mark.parametrize("which", ["do", "condition"])
def test_deterministic_site_raises(which):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        NotASampleSiteError,
        match=rf"^{which}: 'x' is a deterministic site, not a sample site",
    ) as e:
        run_trace(guarded(model_02, {"x": 3.0}))
    msg = str(e.value)
    assert "numpyro.sample('x', dist.Normal(mean, scale))" in msg
    assert "numpyro.handlers.substitute" in msg
    assert "hard intervention" in msg
    assert e.value.site == "x" and e.value.kind == "deterministic"
    assert isinstance(e.value, ValueError)


def test_numpyro_itself_ignores_the_deterministic_site():
    """What the guard is for.

    NumPyro's own handlers leave model_02's x untouched.
    """
    plain = run_trace(model_02)
    for handler in (H.do, H.condition):
        tr = run_trace(handler(model_02, {"x": 3.0}))
        np.testing.assert_array_equal(tr["x"]["value"], plain["x"]["value"])


def test_deterministic_y_in_model_01_raises():
    with pytest.raises(
        NotASampleSiteError, match="'y' is a deterministic site"
    ):
        run_trace(G.condition(model_01, {"y": 2.0}))


@pytest.mark.parametrize("which", ["do", "condition"])
def test_missing_site_suggests_close_name(which):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        MissingSiteError, match=r"no site named 'X'.*Did you mean 'x'\?"
    ) as e:
        run_trace(guarded(scm_2, {"X": 3.0}))
    assert "sample: 'y', 'x'" in str(e.value)
    assert e.value.suggestions == ["x"]
    assert e.value.available == {"sample": ["y", "x"]}
    with pytest.raises(MissingSiteError, match=r"Did you mean '_x'\?"):
        run_trace(guarded(model_02, {"_xx": 0.0}))
    with pytest.raises(
        MissingSiteError, match=r"'xyz'.*deterministic: 'y', 'x'"
    ):
        run_trace(guarded(model_02, {"xyz": 0.0}))


def test_missing_cf_copy_of_do_is_explained():
    with pytest.raises(
        MissingSiteError, match=r"'x__CF' is the name NumPyro's do gives"
    ):
        run_trace(G.condition(H.do(scm_1, {"x": 3.0}), {"x__CF": 1.0}))


@pytest.mark.parametrize("which", ["do", "condition"])
def test_param_site_raises(which):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        NotASampleSiteError,
        match=r"'w' is a param site.*substitute\(model, \{'w': value\}\)",
    ) as e:
        run_trace(guarded(with_param, {"w": 2.0}))
    assert e.value.kind == "param"


@pytest.mark.parametrize("which", ["do", "condition"])
def test_plate_site_raises(which):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        NotASampleSiteError, match=r"'N' is a plate site.*inside the plate"
    ):
        run_trace(guarded(in_plate(5), {"N": 1.0}))


@pytest.mark.parametrize("which", ["do", "condition"])
@pytest.mark.parametrize("bad", [jnp.nan, np.inf, -np.inf])
def test_non_finite_value_raises(which, bad):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        InvalidValueError, match=r"value for 'x' is not finite \(1 of 1"
    ):
        run_trace(guarded(scm_1, {"x": bad}))


def test_non_finite_entry_in_array_raises():
    value = np.zeros(1000)
    value[[3, 7]] = [np.nan, np.inf]
    with pytest.raises(
        InvalidValueError, match=r"'a' is not finite \(2 of 1000 entries"
    ):
        run_trace(G.condition(in_plate(), {"a": value}))


@pytest.mark.parametrize("which", ["do", "condition"])
def test_wrong_shape_raises(which):
    guarded, _ = HANDLERS[which]
    with pytest.raises(
        InvalidValueError,
        match=r"'x' has shape \(3,\), which does not broadcast to the site's "
        r"shape \(\)",
    ):
        run_trace(guarded(scm_1, {"x": jnp.ones(3)}))
    with pytest.raises(
        InvalidValueError, match=r"shape \(999,\).*site's shape \(1000,\)"
    ):
        run_trace(guarded(in_plate(), {"a": jnp.zeros(999)}))
    with pytest.raises(
        InvalidValueError, match=r"shape \(2, 1000\).*site's shape \(1000,\)"
    ):
        run_trace(guarded(in_plate(), {"a": jnp.zeros((2, 1000))}))


@pytest.mark.parametrize("which", ["do", "condition"])
def test_shapes_that_broadcast_are_accepted(which):
    guarded, plain = HANDLERS[which]
    for value in (3.0, jnp.zeros(1000), jnp.zeros(1), np.float32(1.0)):
        assert_same_trace(
            guarded(in_plate(), {"a": value}), plain(in_plate(), {"a": value})
        )
    for data in ({"v": jnp.ones(2), "s": jnp.ones(4)}, {"v": 1.0, "s": 1.0}):
        assert_same_trace(
            guarded(with_event_and_sample_shape, data),
            plain(with_event_and_sample_shape, data),
        )
    for data in ({"v": jnp.ones(3)}, {"s": jnp.ones(5)}):
        with pytest.raises(InvalidValueError, match="does not broadcast"):
            run_trace(guarded(with_event_and_sample_shape, data))


@pytest.mark.parametrize("which", ["do", "condition"])
def test_shape_includes_plates_outside_the_handler(which):
    """The handler inside a plate still sees the plate's size.

    The sampler in causalbook.sampling runs the handlers inside a plate.
    """
    guarded, plain = HANDLERS[which]
    for value in (3.0, jnp.arange(7.0)):
        assert_same_trace(
            in_draws_plate(guarded(scm_1, {"x": value})),
            in_draws_plate(plain(scm_1, {"x": value})),
        )
    with pytest.raises(
        InvalidValueError, match=r"shape \(6,\).*site's shape \(7,\)"
    ):
        run_trace(in_draws_plate(guarded(scm_1, {"x": jnp.arange(6.0)})))


def test_do_inside_scan_raises_and_body_do_works():
    def body(carry, _):
        x = numpyro.sample("x", dist.Normal(carry, 1.0))
        return x, x

    def loop():
        return scan(body, 0.0, None, length=3)

    with pytest.raises(
        SiteError, match=r"'x' is a sample site inside NumPyro control flow"
    ):
        run_trace(G.do(loop, {"x": 10.0}))
    # NumPyro's own do silently changes nothing inside the loop:
    _, xs = H.seed(H.do(loop, {"x": 10.0}), KEY)()
    assert not np.any(np.asarray(xs) == 10.0)
    # what the message suggests works:
    _, xs = H.seed(
        lambda: scan(G.do(body, {"x": 10.0}), 0.0, None, length=3), KEY
    )()
    np.testing.assert_array_equal(np.asarray(xs), [10.0, 10.0, 10.0])
    # condition reaches inside scan (through the control-flow message): passed
    # through
    assert_same_trace(
        G.condition(loop, {"x": jnp.ones(3)}),
        H.condition(loop, {"x": jnp.ones(3)}),
    )


def test_sampling_sample_refuses_deterministic_site():
    with pytest.raises(
        NotASampleSiteError, match="'x' is a deterministic site"
    ):
        sample(model_02, 1000, KEY, do={"x": 3.0})
    with pytest.raises(MissingSiteError, match=r"Did you mean 'x'\?"):
        sample(scm_1, 1000, KEY, do={"X": 3.0})
    draws = sample(scm_1, 1000, KEY, do={"x": 3.0})
    assert np.all(draws["x"] == 3.0)


# --- good inputs: identical to NumPyro ---------------------------------------
@pytest.mark.parametrize("which", ["do", "condition"])
@pytest.mark.parametrize(
    "model, data",
    [
        (scm_1, {"x": 3.0}),
        (scm_2, {"x": 3.0}),
        (scm_2, {"y": -1.0, "x": 0.5}),
        (model_02, {"_x": 0.3}),
        (model_01, {"x": jnp.asarray(2.0)}),
    ],
)
def test_same_trace_as_numpyro(which, model, data):
    guarded, plain = HANDLERS[which]
    for key in (KEY, jax.random.PRNGKey(1)):
        assert_same_trace(guarded(model, data), plain(model, data), key=key)


@pytest.mark.parametrize("which", ["do", "condition"])
def test_context_manager_and_decorator_forms(which):
    guarded, plain = HANDLERS[which]
    with H.trace() as ours, guarded(data={"x": 3.0}):
        H.seed(scm_1, KEY)()
    with H.trace() as theirs, plain(data={"x": 3.0}):
        H.seed(scm_1, KEY)()
    assert list(ours) == list(theirs)
    for name in theirs:
        np.testing.assert_array_equal(
            ours[name]["value"], theirs[name]["value"]
        )
    assert_same_trace(
        guarded(data={"x": 3.0})(scm_1), plain(data={"x": 3.0})(scm_1)
    )
    with pytest.raises(MissingSiteError, match="'X'"):
        with guarded(data={"X": 3.0}):
            H.seed(scm_1, KEY)()
    assert not numpyro.primitives._PYRO_STACK


def test_same_arguments_as_numpyro():
    with pytest.raises(ValueError, match="Only one of"):
        G.condition(scm_1)
    with pytest.raises(ValueError, match="Only one of"):
        G.condition(scm_1, {"x": 1.0}, condition_fn=lambda msg: None)
    assert isinstance(G.condition(scm_1, {"x": 1.0}), H.condition)
    assert isinstance(G.do(scm_1, {"x": 1.0}), H.do)
    assert_same_trace(
        G.do(scm_1), H.do(scm_1)
    )  # data=None: nothing to do, nothing checked


def test_condition_fn_passes_through_unchecked():
    def fn(msg):
        return 3.0 if msg["name"] == "x" else None

    assert_same_trace(
        G.condition(scm_2, condition_fn=fn),
        H.condition(scm_2, condition_fn=fn),
    )
    # no key check is possible with condition_fn: like NumPyro, model_02's x is
    # untouched
    assert_same_trace(
        G.condition(model_02, condition_fn=fn),
        H.condition(model_02, condition_fn=fn),
    )


@pytest.mark.parametrize("which", ["do", "condition"])
def test_none_value_is_passed_through(which):
    guarded, plain = HANDLERS[which]
    assert_same_trace(guarded(scm_2, {"x": None}), plain(scm_2, {"x": None}))
    assert_same_trace(
        guarded(model_02, {"x": None}), plain(model_02, {"x": None})
    )


def test_handler_reused_over_runs_resets_what_it_saw():
    guarded = G.condition(optional_site, {"b": 1.0})
    assert_same_trace(guarded, H.condition(optional_site, {"b": 1.0}), True)
    with pytest.raises(
        MissingSiteError, match=r"no site named 'b'.*sample: 'a'"
    ):
        run_trace(guarded, KEY, False)
    run_trace(guarded, KEY, True)  # a fresh run: b is seen again
    assert not numpyro.primitives._PYRO_STACK


def test_exception_in_model_propagates_unchanged():
    def broken():
        numpyro.sample("x", dist.Normal(0.0, 1.0))
        raise RuntimeError("boom")

    guarded = G.do(broken, {"x": 1.0, "nowhere": 2.0})
    with pytest.raises(RuntimeError, match="boom"):  # not a MissingSiteError
        run_trace(guarded)
    assert not numpyro.primitives._PYRO_STACK
    with pytest.raises(MissingSiteError, match="'nowhere'"):
        run_trace(G.do(scm_1, {"x": 1.0, "nowhere": 2.0}))


def test_same_handler_entered_twice():
    handler = G.condition(data={"x": 3.0})
    with handler:
        with handler:
            x, _ = H.seed(scm_2, KEY)()
    assert float(x) == 3.0
    with pytest.raises(MissingSiteError):
        with handler:
            with handler:
                pass


# --- composition -------------------------------------------------------------
@pytest.mark.parametrize("model", [scm_1, scm_2])
def test_do_of_condition_and_condition_of_do(model):
    seen, had = {"x": 1.0}, {"x": 3.0}
    assert_same_trace(
        G.do(G.condition(model, seen), had),
        H.do(H.condition(model, seen), had),
    )
    assert_same_trace(
        G.condition(G.do(model, had), seen),
        H.condition(H.do(model, had), seen),
    )
    # mixed with NumPyro's own handlers, both ways
    assert_same_trace(
        G.do(H.condition(model, seen), had),
        H.do(H.condition(model, seen), had),
    )
    assert_same_trace(
        H.condition(G.do(model, had), seen),
        H.condition(H.do(model, had), seen),
    )
    # conditioning on a downstream site of an intervened model
    assert_same_trace(
        G.condition(G.do(model, {"x": 3.0}), {"y": 2.0}),
        H.condition(H.do(model, {"x": 3.0}), {"y": 2.0}),
    )


def test_composition_still_checks_each_handler():
    with pytest.raises(
        NotASampleSiteError, match="do: 'x' is a deterministic site"
    ):
        run_trace(G.do(G.condition(model_02, {"_x": 0.0}), {"x": 3.0}))
    with pytest.raises(
        NotASampleSiteError, match="condition: 'x' is a deterministic site"
    ):
        run_trace(G.condition(G.do(model_02, {"_y": 0.0}), {"x": 3.0}))
    with pytest.raises(MissingSiteError, match="condition: no site named 'Y'"):
        run_trace(G.condition(G.do(scm_1, {"x": 3.0}), {"Y": 2.0}))


# --- jit, Predictive, MCMC ---------------------------------------------------
def test_under_jit_with_traced_value():
    def y_of(handler, model):
        @jax.jit
        def run(key, value):
            return run_trace(handler(model, {"x": value}), key)["y"]["value"]

        return run

    for which, model in (("do", scm_1), ("condition", scm_1)):
        guarded, plain = HANDLERS[which]
        keys = jax.random.split(KEY, 3)
        for key, value in zip(keys, (3.0, -1.0, 0.25), strict=True):
            v = jnp.asarray(value)
            np.testing.assert_array_equal(
                y_of(guarded, model)(key, v), y_of(plain, model)(key, v)
            )
    # finiteness cannot be checked on a tracer: no error, NaN flows through as
    # in NumPyro
    assert np.isnan(y_of(G.do, scm_1)(KEY, jnp.asarray(jnp.nan)))
    # shape can: a traced value of the wrong shape still raises
    with pytest.raises(InvalidValueError, match=r"shape \(3,\)"):
        y_of(G.do, scm_1)(KEY, jnp.ones(3))


def test_log_density_under_jit_matches_numpyro():
    @jax.jit
    def logp(x_obs, y):
        ours = log_density(G.condition(scm_2, {"x": x_obs}), (), {}, {"y": y})[
            0
        ]
        theirs = log_density(
            H.condition(scm_2, {"x": x_obs}), (), {}, {"y": y}
        )[0]
        return ours, theirs

    ours, theirs = logp(jnp.asarray(3.0), jnp.asarray(4.0))
    assert float(ours) == float(theirs)


def test_predictive_matches_numpyro():
    n = 4000
    ours = Predictive(G.do(scm_1, {"x": 3.0}), num_samples=n)(KEY)
    theirs = Predictive(H.do(scm_1, {"x": 3.0}), num_samples=n)(KEY)
    assert_same_draws(ours, theirs)
    y = np.asarray(ours["y"])
    assert abs(y.mean() - 4.0) < 4 * np.sqrt(
        3.0 / n
    )  # P(Y | do(X=3)) = N(4, 3) in M1
    assert_same_draws(
        Predictive(G.condition(scm_2, {"x": 3.0}), num_samples=100)(KEY),
        Predictive(H.condition(scm_2, {"x": 3.0}), num_samples=100)(KEY),
    )
    with pytest.raises(
        NotASampleSiteError, match="'x' is a deterministic site"
    ):
        Predictive(G.do(model_02, {"x": 3.0}), num_samples=10)(KEY)


def _nuts_y(handler):
    mcmc = MCMC(
        NUTS(handler(scm_2, {"x": 3.0})),
        num_warmup=500,
        num_samples=4000,
        num_chains=1,
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(1))
    return np.asarray(mcmc.get_samples()["y"])


def test_nuts_on_guarded_condition():
    """P(Y | X = 3) in M2 is N(4, 3).

    NUTS on the guarded model gets it, as it does on NumPyro's.
    """
    y = _nuts_y(G.condition)
    np.testing.assert_array_equal(y, _nuts_y(H.condition))
    ess = float(effective_sample_size(y[None, :]))
    sq = (y - y.mean()) ** 2
    ess_sq = float(effective_sample_size(sq[None, :]))
    se_mean = np.sqrt(3.0 / ess)
    se_var = sq.std() / np.sqrt(ess_sq)
    assert ess > 500
    assert abs(y.mean() - 4.0) < 4 * se_mean
    assert abs(y.var() - 3.0) < 4 * se_var
    with pytest.raises(
        NotASampleSiteError, match="'x' is a deterministic site"
    ):
        MCMC(
            NUTS(G.condition(model_02, {"x": 3.0})),
            num_warmup=5,
            num_samples=5,
            progress_bar=False,
        ).run(KEY)
