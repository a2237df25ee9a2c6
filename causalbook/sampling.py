"""The book's fast forward sampler: n draws in one vectorized, jitted call.

``numpyro.infer.Predictive`` with its defaults runs the model once per draw
in a loop; for a million draws that costs seconds. :func:`sample` runs the
model body once under a ``numpyro.plate`` over the draws, with one PRNG key,
inside ``jax.jit``, so every site is drawn as a vector of length n. The
compiled function is cached per model, number of draws and set of intervened
sites, so sweeping intervention values or seeds does not recompile. A model
given as a ``functools.partial`` of a model function with numeric arguments
(such as ``partial(causalbook.models.scm_3_soft_eps, eps)``) shares one
compiled function with every other binding of the same function: the bound
numbers are inputs of the compiled function, not constants in it.

Example:
    >>> import jax
    >>> from causalbook.models import scm_2
    >>> draws = sample(
    ...     scm_2, 100_000, jax.random.PRNGKey(0), do={"x": 3.0}
    ... )
    >>> sorted(draws), draws["y"].shape
    (['x', 'y'], (100000,))
    >>> float(draws["x"][0])          # the intervened site holds the value set
    3.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro import handlers

from causalbook import handlers as guarded

__all__ = ["sample", "unbind", "DRAWS_PLATE"]

#: Name of the plate over draws that :func:`sample` wraps around the model.
DRAWS_PLATE = "draws"


def unbind(model: Callable) -> tuple[Callable, tuple[Any, ...]]:
    """``(model function, its bound numeric arguments)``.

    For a ``functools.partial`` of a model function whose bound arguments are
    all numbers or arrays (and no keywords), the function and the arguments
    as floating-point arrays; for any other model, ``(model, ())``. The
    compiled samplers (:func:`sample`,
    :func:`causalbook.inference.condition_nuts`) are cached on the function
    and take the arguments as inputs, so models that differ only in these
    numbers are compiled once.

    Example:
        >>> from functools import partial
        >>> from causalbook.models import scm_1, scm_3_soft_eps
        >>> unbind(scm_1) == (scm_1, ())
        True
        >>> fn, args = unbind(partial(scm_3_soft_eps, 0.1))
        >>> same = fn is unbind(partial(scm_3_soft_eps, 0.5))[0]
        >>> same, [round(float(a), 6) for a in args]
        (True, [0.1])
        >>> unbind(partial(scm_1))[1], unbind(partial(print, "x"))[1]
        ((), ())
    """
    if (
        isinstance(model, partial)
        and model.args
        and not model.keywords
        and all(
            isinstance(a, numbers.Real | np.ndarray | jax.Array)
            for a in model.args
        )
    ):
        float_ = jnp.result_type(float)
        return model.func, tuple(
            jnp.asarray(a, dtype=float_) for a in model.args
        )
    return model, ()


@lru_cache(maxsize=64)
def _compiled(model: Callable, n: int, do_sites: tuple[str, ...]) -> Callable:
    def run(key, do_values, args):
        fn = (
            guarded.do(model, dict(zip(do_sites, do_values, strict=True)))
            if do_sites
            else model
        )

        def batched():
            with numpyro.plate(DRAWS_PLATE, n):
                fn(*args)

        tr = handlers.trace(handlers.seed(batched, key)).get_trace()
        out = {
            name: jnp.broadcast_to(
                site["value"], (n,) + jnp.shape(site["value"])[1:]
            )
            for name, site in tr.items()
            if site["type"] in ("sample", "deterministic")
        }
        for name, value in zip(do_sites, do_values, strict=True):
            # NumPyro's `do` keeps, under the site's own name, a draw given
            # its parents in this run and hides the intervened copy
            # (`name__CF`); report the value the model actually used.
            out[name] = jnp.broadcast_to(
                jnp.asarray(value, dtype=jnp.result_type(float)), (n,)
            )
        return out

    return jax.jit(run)


def sample(
    model: Callable,
    n: int,
    key: jax.Array,
    *,
    do: Mapping[str, float] | None = None,
    as_numpy: bool = True,
) -> dict[str, np.ndarray]:
    """Draw ``n`` samples of every sample and deterministic site of ``model``.

    Args:
        model: a NumPyro model taking no arguments (for example
            :func:`causalbook.models.scm_1` or the posted
            :func:`causalbook.models.model_01`), or a ``functools.partial``
            binding all of a model function's arguments (see
            :func:`unbind`).
        n: the number of draws.
        key: a ``jax.random.PRNGKey``; the same key gives the same draws.
        do: optional intervention, ``{site: value}``, applied with the guarded
            :func:`causalbook.handlers.do` (so a deterministic or missing
            site raises instead of being ignored). The returned array of an
            intervened site holds the value set, not NumPyro's unused prior
            draw under the same name.
        as_numpy: return NumPy arrays (default) rather than JAX arrays.

    Returns:
        ``{site name: array of shape (n, ...)}``.

    Example:
        >>> import jax
        >>> from causalbook.models import model_01
        >>> draws = sample(model_01, 1000, jax.random.PRNGKey(1))
        >>> sorted(draws)
        ['_y', 'x', 'y']
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    do = dict(do or {})
    sites = tuple(sorted(do))
    values = tuple(
        jnp.asarray(do[s], dtype=jnp.result_type(float)) for s in sites
    )
    fn, args = unbind(model)
    out = _compiled(fn, int(n), sites)(key, values, args)
    return {k: np.asarray(v) for k, v in out.items()} if as_numpy else out
