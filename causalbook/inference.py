"""Conditioning as inference: NUTS on a conditioned model, compiled once.

``numpyro.handlers.condition`` only fixes a value; turning an observation
into a posterior takes an inference algorithm. :func:`condition_nuts`
conditions a model with the guarded :func:`causalbook.handlers.condition` and
runs NumPyro's NUTS on it, with no progress bar and two chains by default.

Why not just ``MCMC(NUTS(...)).run``? ``MCMC.run`` traces and compiles its
sampler again on every call (about a second for the book's models, whatever
the number of draws), so a chapter that sweeps ``E[Y | X = x]`` over ten
values of ``x`` would spend ten seconds compiling. Here the whole run
(initialisation, warm-up, sampling, the transform back to constrained space)
is one compiled function of ``(key, evidence values)``, built once per model
and set of evidence sites (and settings) and cached, so later calls with new
evidence values or new seeds only run it (milliseconds). A model given as a
``functools.partial`` with numeric arguments (such as
``partial(causalbook.models.scm_3_soft_eps, eps)``) passes them as inputs too
(:func:`causalbook.sampling.unbind`): a sweep over them compiles once. The
NUTS kernel, its warm-up adaptation and its key handling are NumPyro's own
(``NUTS.init``, ``NUTS.sample``), exactly as ``MCMC`` drives them: ``MCMC``
with the same key gives the same chains up to floating-point round-off. Chains
run in parallel, one per device, when ``numpyro.set_host_device_count`` made
devices for them (call it before anything touches JAX), and one after another
otherwise.

Example:
    >>> import jax
    >>> from causalbook.models import scm_2
    >>> post = condition_nuts(
    ...     scm_2, {"x": 3.0}, jax.random.PRNGKey(0), num_samples=2000
    ... )
    >>> post.samples["y"].shape
    (2, 2000)
    >>> est = post.moments("y")
    >>> est.agrees_with(4.0, 3.0)
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from numpyro.infer import MCMC, NUTS

from causalbook import handlers as guarded
from causalbook import stats
from causalbook.sampling import unbind

__all__ = ["Posterior", "condition_nuts", "compiled_runs", "clear_compiled"]

#: NumPyro's own message when no initial point has a finite log density
#: (kept word for word).
_INIT_ERROR = (
    "Cannot find valid initial parameters. Please check your model again."
)


@dataclass
class Posterior:
    """NUTS draws of a conditioned model.

    Attributes:
        samples: ``{site: array of shape (chains, draws)}`` (plus the site's
            own shape).
        mcmc: a ``numpyro.infer.MCMC`` object holding these draws, e.g. for
            ``az.from_numpyro(post.mcmc)``, ``post.mcmc.print_summary()`` or
            ``post.mcmc.get_samples()``.
        evidence: the values conditioned on.
        diverging: whether each transition diverged, shape ``(chains, draws)``.
    """

    samples: dict[str, np.ndarray]
    mcmc: MCMC
    evidence: dict[str, Any]
    diverging: np.ndarray | None = field(default=None, repr=False)

    def moments(self, site: str) -> stats.Moments:
        """Posterior mean and variance of ``site``, with Monte Carlo errors.

        The standard errors use the effective sample size.
        """
        return stats.mcmc_moments(self.samples[site])

    def to_arviz(self) -> Any:
        """These draws as ArviZ data: ``az.from_numpyro(self.mcmc)``.

        An ``xarray.DataTree`` with the posterior (chains and draws) and
        the sampler's statistics, divergences included, for ArviZ's
        summaries and diagnostic plots.
        """
        import arviz as az

        return az.from_numpyro(self.mcmc)

    def summary(self, var_names: list[str] | None = None, **kwargs: Any):
        """ArviZ's summary table of these draws (a ``pandas.DataFrame``).

        Per site: posterior mean and standard deviation, an equal-tailed
        interval, Monte Carlo standard errors, bulk and tail effective
        sample sizes and R-hat (``az.summary``; ``kwargs`` are passed on).

        Example:
            >>> import jax
            >>> from causalbook.models import scm_1
            >>> post = condition_nuts(
            ...     scm_1, {"x": 3.0}, jax.random.PRNGKey(2), num_samples=500
            ... )
            >>> table = post.summary()
            >>> list(table.index), "ess_bulk" in table, "r_hat" in table
            (['y'], True, True)
        """
        import arviz as az

        return az.summary(self.to_arviz(), var_names=var_names, **kwargs)

    def num_divergences(self) -> int:
        """Number of divergent transitions over all chains."""
        if self.diverging is not None:
            return int(np.sum(self.diverging))
        return int(
            np.sum(np.asarray(self.mcmc.get_extra_fields()["diverging"]))
        )


class _Run(NamedTuple):
    samples: dict  # site -> (chains, draws, ...)
    diverging: jax.Array  # (chains, draws)
    last_state: Any  # HMCState, leading axis chains
    # (chains,) finite log density and gradient at the initial point
    init_ok: jax.Array


def _layout(num_chains: int) -> tuple[int, int]:
    """``(devices, chains per device)``: as many devices as divide the chains.

    The chains are split evenly over the devices.
    """
    devices = max(
        d
        for d in range(1, min(num_chains, jax.local_device_count()) + 1)
        if num_chains % d == 0
    )
    return devices, num_chains // devices


class _Compiled:
    """One model and set of evidence sites; its NUTS run, compiled once."""

    def __init__(
        self,
        model: Callable,
        names: tuple[str, ...],
        num_warmup: int,
        num_samples: int,
        num_chains: int,
        target_accept_prob: float,
    ) -> None:
        self.model, self.names = model, names
        self.num_warmup, self.num_samples, self.num_chains = (
            num_warmup,
            num_samples,
            num_chains,
        )
        self.target_accept_prob = target_accept_prob
        # how many runs this compiled sampler has served (for tests and notes)
        self.calls = 0

        def conditioned(values, args):
            evidence = dict(zip(names, values, strict=True))
            return guarded.condition(model, evidence)(*args)

        conditioned.__name__ = (
            f"condition_{getattr(model, '__name__', 'model')}"
        )
        self.conditioned = conditioned
        self.devices, self.per_device = _layout(num_chains)
        self._fn = self._build()

    def kernel(self) -> NUTS:
        return NUTS(
            self.conditioned, target_accept_prob=self.target_accept_prob
        )

    def _one_chain(self, key: jax.Array, values: tuple, bound: tuple) -> _Run:
        # What MCMC.run does for one chain, with model_args=(values, bound):
        # NUTS.init (it splits the key, initialises the model, starts the
        # warm-up adaptation), then num_warmup + num_samples calls of
        # NUTS.sample in one loop, keeping the draws after warm-up,
        # transformed to constrained space with the deterministic sites added.
        kernel = self.kernel()
        args: tuple = (values, bound)
        state = kernel.init(
            key, self.num_warmup, model_args=args, model_kwargs={}
        )
        # what NumPyro's init checks
        init_ok = jnp.isfinite(state.potential_energy)
        for g in jax.tree.leaves(state.z_grad):
            init_ok = init_ok & jnp.all(jnp.isfinite(g))
        postprocess = kernel.postprocess_fn(args, {})

        def keep(s):
            return postprocess(s.z), s.diverging

        shapes = jax.eval_shape(keep, state)
        buffers = jax.tree.map(
            lambda a: jnp.zeros((self.num_samples,) + a.shape, a.dtype), shapes
        )

        def body(i, carry):
            s, bufs = carry
            s = kernel.sample(s, args, {})
            # warm-up draws are overwritten
            j = jnp.maximum(i - self.num_warmup, 0)
            bufs = jax.tree.map(
                lambda b, v: lax.dynamic_update_index_in_dim(b, v, j, 0),
                bufs,
                keep(s),
            )
            return s, bufs

        state, (z, div) = lax.fori_loop(
            0, self.num_warmup + self.num_samples, body, (state, buffers)
        )
        return _Run(z, div, state, init_ok)

    def _build(self) -> Callable:
        def on_device(keys, values, bound):  # keys: (chains on this device,)
            if self.per_device == 1:
                return jax.tree.map(
                    lambda a: a[None], self._one_chain(keys[0], values, bound)
                )
            return lax.map(lambda k: self._one_chain(k, values, bound), keys)

        if self.devices > 1:
            return jax.pmap(on_device, in_axes=(0, None, None))
        return jax.jit(
            lambda keys, values, bound: jax.tree.map(
                lambda a: a[None], on_device(keys[0], values, bound)
            )
        )

    def __call__(self, key: jax.Array, values: tuple, bound: tuple) -> _Run:
        keys = jax.random.split(key, self.num_chains)  # as MCMC.run splits it
        keys = keys.reshape((self.devices, self.per_device) + keys.shape[1:])
        out = self._fn(keys, values, bound)
        self.calls += 1
        # (devices, per device, ...) -> (chains, ...)
        return jax.tree.map(
            lambda a: a.reshape((self.num_chains,) + a.shape[2:]), out
        )


#: Compiled samplers by (model, evidence sites, settings, devices), oldest
#: first.
_CACHE: dict[tuple, _Compiled] = {}
_CACHE_SIZE = 64


def _cache_key(
    model: Callable,
    names: tuple[str, ...],
    num_warmup: int,
    num_samples: int,
    num_chains: int,
    target_accept_prob: float,
) -> tuple:
    return (
        model,
        tuple(sorted(names)),
        int(num_warmup),
        int(num_samples),
        int(num_chains),
        float(target_accept_prob),
        jax.local_device_count(),
    )


def _compiled(key: tuple) -> _Compiled:
    c = _CACHE.get(key)
    if c is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        c = _CACHE[key] = _Compiled(*key[:6])
    return c


def compiled_runs(
    model: Callable,
    evidence_sites: tuple[str, ...] | list[str],
    *,
    num_warmup: int = 500,
    num_samples: int = 5000,
    num_chains: int = 2,
    target_accept_prob: float = 0.8,
) -> int:
    """How many runs the compiled sampler for these settings has served.

    0 if none is built. It shows that :func:`condition_nuts` compiles once and
    reuses the compiled sampler across evidence values and seeds.

    Example:
        >>> import jax
        >>> from causalbook.models import scm_1
        >>> before = compiled_runs(scm_1, ["x"], num_samples=500)
        >>> key = jax.random.PRNGKey(0)
        >>> for x in (1.0, 2.0, 3.0):
        ...     _ = condition_nuts(scm_1, {"x": x}, key, num_samples=500)
        >>> compiled_runs(scm_1, ["x"], num_samples=500) - before
        3
    """
    c = _CACHE.get(
        _cache_key(
            unbind(model)[0],
            tuple(evidence_sites),
            num_warmup,
            num_samples,
            num_chains,
            target_accept_prob,
        )
    )
    return 0 if c is None else c.calls


def clear_compiled() -> None:
    """Forget every compiled sampler.

    The next call of :func:`condition_nuts` compiles again.

    Example:
        >>> clear_compiled()
    """
    _CACHE.clear()


def _holder(c: _Compiled, args: tuple, run: _Run) -> MCMC:
    """A ``numpyro.infer.MCMC`` object holding the draws of ``run``.

    It looks as if it had run them itself.
    """
    mcmc = MCMC(
        c.kernel(),
        num_warmup=c.num_warmup,
        num_samples=c.num_samples,
        num_chains=c.num_chains,
        chain_method="vectorized",
        progress_bar=False,
        jit_model_args=True,
    )
    mcmc._args, mcmc._kwargs = args, {}
    mcmc._states = {
        mcmc._sample_field: run.samples,
        "diverging": run.diverging,
    }
    mcmc._states_flat = None
    mcmc._last_state = run.last_state
    return mcmc


def condition_nuts(
    model: Callable,
    evidence: Mapping[str, Any],
    key: jax.Array,
    *,
    num_warmup: int = 500,
    num_samples: int = 5000,
    num_chains: int = 2,
    target_accept_prob: float = 0.8,
) -> Posterior:
    """Posterior of ``model`` given ``evidence``, by NUTS, compiled once.

    The first call for a model, a set of evidence sites and these settings
    compiles the whole run (about a second); later calls with other evidence
    values or keys reuse it.

    Args:
        model: a NumPyro model without arguments whose evidence sites are
            sample sites (the guarded ``condition`` raises otherwise), or a
            ``functools.partial`` binding all of a model function's
            arguments.
        evidence: ``{site: observed value}``.
        key: a ``jax.random.PRNGKey``; the same key and evidence give the
            same draws.
        num_warmup, num_samples, num_chains: NUTS settings (per chain).
        target_accept_prob: NUTS step-size adaptation target; raise it for
            hard geometry.

    Returns:
        a :class:`Posterior` with draws of every latent and deterministic site.

    Raises:
        RuntimeError: NumPyro's "Cannot find valid initial parameters" when
            no initial point has a finite log density (e.g. conditioning on a
            ``Delta`` site).

    Example:
        >>> import jax
        >>> from causalbook.models import scm_1
        >>> post = condition_nuts(
        ...     scm_1, {"x": 3.0}, jax.random.PRNGKey(1), num_samples=1000
        ... )
        >>> sorted(post.samples)
        ['y']
        >>> post.num_divergences()
        0
    """
    names = tuple(sorted(evidence))
    if int(num_samples) < 1 or int(num_chains) < 1 or int(num_warmup) < 0:
        raise ValueError(
            "need num_samples >= 1, num_chains >= 1 and num_warmup >= 0, got "
            f"{num_samples!r}, {num_chains!r}, {num_warmup!r}"
        )
    fn, bound = unbind(model)
    compiled = _compiled(
        _cache_key(
            fn,
            names,
            num_warmup,
            num_samples,
            num_chains,
            target_accept_prob,
        )
    )
    values = tuple(
        jnp.asarray(evidence[n], dtype=jnp.result_type(float)) for n in names
    )
    run = compiled(key, values, bound)
    if not bool(np.all(np.asarray(run.init_ok))):
        raise RuntimeError(
            f"{_INIT_ERROR} (condition_nuts: the model conditioned on "
            f"{sorted(evidence)} has no finite log density at any initial "
            "point tried; a site observed at a value it cannot take, such as "
            "a Delta site, does this: condition on its parent instead, or "
            "relax it, e.g. causalbook.models.scm_3_soft)"
        )
    samples = {k: np.asarray(v) for k, v in run.samples.items()}
    return Posterior(
        samples,
        _holder(compiled, (values, bound), run),
        {n: _plain(evidence[n]) for n in names},
        np.asarray(run.diverging),
    )


def _plain(value: Any) -> Any:
    arr = np.asarray(value)
    return float(arr) if arr.ndim == 0 else arr
