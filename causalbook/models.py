"""The book's three structural causal models, in the forms each chapter needs.

All three have the same joint distribution of (X, Y) and differ in their
causal graph:

====  ====================================================  ===========
M1    X := N_X;  Y := X + 1 + sqrt(3) N_Y                   X -> Y
M2    Y := 1 + 2 N_Y;  X := (Y - 1)/4 + (sqrt(3)/2) N_X     Y -> X
M3    Z := N_Z;  Y := Z + 1 + sqrt(3) N_Y;  X := Z          X <- Z -> Y
====  ====================================================  ===========

Three forms of each model live here, each for its own purpose:

* **As posted** (:func:`model_01`, :func:`model_02`, :func:`model_03`): the
  NumPyro code from the forum post, unchanged. The noises ``_x``, ``_y``,
  ``_z`` are sample sites and ``x``, ``y`` are ``numpyro.deterministic``
  sites. Use them to reproduce the surprise of Chapter 4: NumPyro's
  ``condition`` and ``do`` act only on sample sites, so on these models they
  silently do nothing to ``x`` in M2 and M3.
* **Sample-site forms** (:func:`scm_1`, :func:`scm_2`, :func:`scm_3`): the
  same SCMs with each noise folded into its variable's distribution, so
  ``x``, ``y`` (and ``z``) are sample sites that ``condition`` and ``do`` act
  on. Use them for conditioning with an inference algorithm (NUTS) and for
  interventions with ``do``. In M3, ``x`` is a ``Delta(z)`` sample site: fine
  for ``do``, but NUTS cannot condition on ``x`` alone (the density is zero
  unless z = x) nor leave ``x`` latent; for ``P(Y | X = 3)`` in M3 condition
  on ``{"z": 3.0, "x": 3.0}`` (exact, since X = Z means seeing X = 3 is
  seeing Z = 3), or use :func:`scm_3_soft`, which relaxes X = Z to
  ``x ~ Normal(z, eps)``.
* **Linear specifications** (:data:`LINEAR`): the structural coefficients
  and noise scales as :class:`~causalbook.exact.LinearGaussianSCM` objects,
  from which :mod:`causalbook.exact` computes every exact answer.

Example:
    >>> import jax
    >>> from numpyro import handlers
    >>> key = jax.random.PRNGKey(0)
    >>> tr = handlers.trace(handlers.seed(model_02, key)).get_trace()
    >>> types = {name: site["type"] for name, site in tr.items()}
    >>> types  # doctest: +NORMALIZE_WHITESPACE
    {'_y': 'sample', '_x': 'sample',
     'y': 'deterministic', 'x': 'deterministic'}
    >>> tr = handlers.trace(handlers.seed(scm_2, key)).get_trace()
    >>> {name: site["type"] for name, site in tr.items()}
    {'y': 'sample', 'x': 'sample'}
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from causalbook.exact import LinearGaussianSCM

__all__ = [
    "MODELS",
    "DESCRIPTIONS",
    "GRAPHS",
    "model_01",
    "model_02",
    "model_03",
    "POSTED",
    "scm_1",
    "scm_2",
    "scm_3",
    "scm_3_soft",
    "scm_3_soft_eps",
    "SAMPLE_SITE",
    "LINEAR",
]

Model = Callable[..., object]

#: The models' labels, in the book's order.
MODELS: tuple[str, ...] = ("M1", "M2", "M3")

#: One line each, for legends and table headers.
DESCRIPTIONS: dict[str, str] = {
    "M1": "X causes Y",
    "M2": "Y causes X",
    "M3": "Z confounds X and Y",
}

#: The causal graphs as arrows, for text.
GRAPHS: dict[str, str] = {"M1": "X → Y", "M2": "Y → X", "M3": "X ← Z → Y"}


# --- as posted on the forum (deterministic x and y) ------------------------
def model_01():
    """M1 as posted: ``x`` is a sample site, ``y`` a deterministic site.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> x, y = handlers.seed(model_01, jax.random.PRNGKey(0))()
    """
    x = numpyro.sample("x", dist.Normal(0, 1))
    _y = numpyro.sample("_y", dist.Normal(0, 1))
    y = numpyro.deterministic("y", x + 1 + jnp.sqrt(3) * _y)
    return x, y


def model_02():
    """M2 as posted: ``x``, ``y`` are deterministic, driven by ``_x``, ``_y``.

    ``condition`` and ``do`` on ``"x"`` silently do nothing here (Chapter 4).

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> x, y = handlers.seed(model_02, jax.random.PRNGKey(0))()
    """
    _y = numpyro.sample("_y", dist.Normal(0, 1))
    _x = numpyro.sample("_x", dist.Normal(0, 1))
    y = numpyro.deterministic("y", 1 + 2 * _y)
    x = numpyro.deterministic("x", (y - 1) / 4 + jnp.sqrt(3) * _x / 2)
    return x, y


def model_03():
    """M3 as posted: ``x``, ``y`` are deterministic, driven by ``_z``, ``_y``.

    ``condition`` and ``do`` on ``"x"`` silently do nothing here (Chapter 4).

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> x, y = handlers.seed(model_03, jax.random.PRNGKey(0))()
    """
    _z = numpyro.sample("_z", dist.Normal(0, 1))
    _y = numpyro.sample("_y", dist.Normal(0, 1))
    y = numpyro.deterministic("y", _z + 1 + jnp.sqrt(3) * _y)
    x = numpyro.deterministic("x", _z)
    return x, y


#: The posted models by label.
POSTED: dict[str, Model] = {"M1": model_01, "M2": model_02, "M3": model_03}


# --- sample-site forms (noise folded into each variable's distribution) ----
def scm_1():
    """M1 with sample sites: ``x ~ N(0, 1)``, ``y ~ N(x + 1, 3)``.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> from numpyro.infer import Predictive
        >>> intervened = handlers.do(scm_1, {"x": 3.0})
        >>> key = jax.random.PRNGKey(0)
        >>> draws = Predictive(intervened, num_samples=4)(key)
        >>> sorted(draws)
        ['x', 'y']
    """
    x = numpyro.sample("x", dist.Normal(0.0, 1.0))
    y = numpyro.sample("y", dist.Normal(x + 1.0, jnp.sqrt(3.0)))
    return x, y


def scm_2():
    """M2 with sample sites: ``y ~ N(1, 4)``, ``x ~ N((y - 1)/4, 3/4)``.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> x, y = handlers.seed(scm_2, jax.random.PRNGKey(0))()
    """
    y = numpyro.sample("y", dist.Normal(1.0, 2.0))
    x = numpyro.sample("x", dist.Normal((y - 1.0) / 4.0, jnp.sqrt(3.0) / 2.0))
    return x, y


def scm_3():
    """M3 with sample sites ``z``, ``y`` and ``x``.

    ``z ~ N(0, 1)``, ``y ~ N(z + 1, 3)`` and ``x ~ Delta(z)``.

    ``x`` is a point mass at ``z``: ``do`` acts on it, but NUTS cannot
    condition on ``x`` alone (the conditioned model has zero density unless
    z = x), and NumPyro refuses a latent ``Delta`` site. To see
    ``P(Y | X = 3)``, condition on ``{"z": 3.0, "x": 3.0}`` (exact, since
    X = Z) or use :func:`scm_3_soft`.

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> intervened = handlers.do(scm_3, {"x": 3.0})
        >>> x, y = handlers.seed(intervened, jax.random.PRNGKey(0))()
    """
    z = numpyro.sample("z", dist.Normal(0.0, 1.0))
    y = numpyro.sample("y", dist.Normal(z + 1.0, jnp.sqrt(3.0)))
    x = numpyro.sample("x", dist.Delta(z))
    return x, y


def scm_3_soft_eps(eps: float) -> tuple[jax.Array, jax.Array]:
    """The body of :func:`scm_3_soft`, with ``eps`` as its argument."""
    z = numpyro.sample("z", dist.Normal(0.0, 1.0))
    y = numpyro.sample("y", dist.Normal(z + 1.0, jnp.sqrt(3.0)))
    x = numpyro.sample("x", dist.Normal(z, eps))
    return x, y


@cache
def scm_3_soft(eps: float) -> Model:
    """M3 with X = Z relaxed to ``x ~ Normal(z, eps)``, so NUTS can condition.

    Unlike in :func:`scm_3`, NUTS can condition on ``x`` alone here.

    The same ``eps`` gives the same function, so compiled samplers (the
    book's sampler and :func:`causalbook.inference.condition_nuts`) are
    reused across calls; ``eps`` is a constant of what they compile. For one
    compiled sampler serving every ``eps``, pass
    ``functools.partial(scm_3_soft_eps, eps)`` instead: its bound ``eps`` is
    an input (:func:`causalbook.sampling.unbind`).

    The relaxation changes the model: conditioning on X = x gives
    ``Y ~ N(1 + x / (1 + eps**2), 3 + eps**2 / (1 + eps**2))``, which tends to
    the exact N(1 + x, 3) as ``eps -> 0``; a very small ``eps`` makes the
    posterior of ``z`` a thin ridge that NUTS explores slowly (Chapter 2).

    Example:
        >>> import jax
        >>> from numpyro import handlers
        >>> model = scm_3_soft(0.05)
        >>> x, y = handlers.seed(model, jax.random.PRNGKey(0))()
        >>> scm_3_soft(0.05) is model
        True
    """
    if not eps > 0:
        raise ValueError(
            f"eps must be positive, got {eps!r}; for eps = 0 use scm_3"
        )

    def scm_3_soft_model():
        return scm_3_soft_eps(eps)

    scm_3_soft_model.__name__ = f"scm_3_soft_eps_{eps:g}"
    scm_3_soft_model.__qualname__ = scm_3_soft_model.__name__
    return scm_3_soft_model


#: The sample-site forms by label.
SAMPLE_SITE: dict[str, Model] = {"M1": scm_1, "M2": scm_2, "M3": scm_3}


# --- linear specifications: the source of every exact answer --------------
_S3 = 3.0**0.5

#: Structural coefficients and noise scales of the three models.
LINEAR: dict[str, LinearGaussianSCM] = {
    "M1": LinearGaussianSCM(
        name="M1",
        order=("x", "y"),
        intercepts={"x": 0.0, "y": 1.0},
        coefficients={"y": {"x": 1.0}},
        noise_scales={"x": 1.0, "y": _S3},
    ),
    "M2": LinearGaussianSCM(
        name="M2",
        order=("y", "x"),
        intercepts={"y": 1.0, "x": -0.25},
        coefficients={"x": {"y": 0.25}},
        noise_scales={"y": 2.0, "x": _S3 / 2},
    ),
    "M3": LinearGaussianSCM(
        name="M3",
        order=("z", "x", "y"),
        intercepts={"z": 0.0, "x": 0.0, "y": 1.0},
        coefficients={"x": {"z": 1.0}, "y": {"z": 1.0}},
        noise_scales={"z": 1.0, "x": 0.0, "y": _S3},
    ),
}
