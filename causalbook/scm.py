"""From a linear-Gaussian SCM to a NumPyro model, one sample site a variable.

:meth:`causalbook.exact.LinearGaussianSCM.to_numpyro` (which calls
:func:`to_numpyro` here, once per SCM) writes each structural equation
``V := c + sum_P b_P P + s N_V`` as one NumPyro sample site named ``V``, in
causal order, with the noise folded into the site's distribution:

* ``s > 0``: ``V ~ Normal(c + sum_P b_P P, s)``;
* ``s = 0`` (an exact equation, like model 3's ``X := Z``):
  ``V ~ Delta(c + sum_P b_P P)``, *observed at its own value*.

Why observed: a variable without noise is a function of its parents, so
there is nothing to infer about it, and NumPyro's NUTS refuses a latent
``Delta`` site ("Sample site 'x' has a delta distribution"), which would
rule out inference on every model with an exact equation (model 3 given Y
alone, for one). Observed at its own value, the site adds log 1 = 0 to the
log density and NUTS leaves it alone, while :func:`causalbook.sampling.sample`
reports its value and ``do`` still replaces it (NumPyro's ``do`` splits any
sample site, observed or not). The price: it is not among NUTS's draws
(compute it from its parents), and ``numpyro.render_model`` shades it as it
shades every observed site.

Conditioning on a variable without noise is another matter. In model 3,
conditioning on X = 3 alone leaves Z latent with X = Z forced: the
conditioned model has density zero except on a set of volume zero, and NUTS
cannot even start (NumPyro's "Cannot find valid initial parameters"). So
the model checks, when a ``condition`` handler gives a value for such a
variable, that each of its parents is fixed too (conditioned on, intervened
on, or itself without noise with fixed parents). If one is not, it raises
:class:`NoiselessSiteError`, naming the parents to condition on instead. With
the parents fixed (model 3 conditioned on ``{"z": 3.0, "x": 3.0}``), the
``Delta`` site only checks that the values agree, and NUTS gives the exact
answer.

Example (model 3, the book's ``scm_3``, from its linear specification):
    >>> import jax
    >>> from numpyro import handlers
    >>> from causalbook.models import LINEAR
    >>> model = LINEAR["M3"].to_numpyro()
    >>> tr = handlers.trace(handlers.seed(model, 0)).get_trace()
    >>> [(name, type(site["fn"]).__name__) for name, site in tr.items()]
    [('z', 'Normal'), ('x', 'Delta'), ('y', 'Normal')]
    >>> seen = handlers.condition(model, {"x": 3.0})
    >>> handlers.seed(seen, 0)()  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
        ...
    causalbook.scm.NoiselessSiteError: condition: 'x' has no noise in its
    equation (x := z)... Condition on 'z' instead (seeing x = a is seeing
    z = a)...
    >>> seen = handlers.condition(model, {"z": 3.0, "x": 3.0})
    >>> handlers.seed(seen, 0)()["y"].shape
    ()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro import handlers as _numpyro_handlers
from numpyro.primitives import _PYRO_STACK

from causalbook.handlers import SiteError

if TYPE_CHECKING:
    from causalbook.exact import LinearGaussianSCM

__all__ = ["to_numpyro", "NoiselessSiteError"]

Model = Callable[[], dict[str, Any]]


class NoiselessSiteError(SiteError):
    """Conditioning on a variable without noise whose parents are not fixed.

    NUTS cannot sample such a posterior (it lives on a set of volume zero);
    the message names the parents to condition on instead.

    Attributes:
        site: the variable conditioned on.
        kind: ``"sample"``.
        parents: its parents that are neither conditioned on nor intervened
            on.

    Example:
        >>> from numpyro import handlers
        >>> from causalbook.models import LINEAR
        >>> model = handlers.condition(LINEAR["M3"].to_numpyro(), {"x": 3.0})
        >>> try:
        ...     handlers.seed(model, 0)()
        ... except NoiselessSiteError as err:
        ...     print(err.site, err.parents)
        x ('z',)
    """

    def __init__(
        self, message: str, *, site: str, parents: Sequence[str]
    ) -> None:
        super().__init__(message, site=site, kind="sample")
        self.parents = tuple(parents)


def _fixed_by_handler(name: str) -> str | None:
    """``"do"`` or ``"condition"`` if an active handler gives ``name`` a
    value (the innermost such handler), else ``None``."""
    for handler in reversed(_PYRO_STACK):
        data = getattr(handler, "data", None)
        if not isinstance(data, Mapping) or data.get(name) is None:
            continue
        if isinstance(handler, _numpyro_handlers.do):
            return "do"
        if isinstance(handler, _numpyro_handlers.condition):
            return "condition"
    return None


def _affine(intercept: Any, terms: Sequence[tuple[Any, Any]]) -> Any:
    """``intercept + sum(b * x)``, without multiplying by 1 or adding 0.

    (So that the compiled model is the one a person would write by hand.)
    """
    total = None
    for b, x in terms:
        term = x if isinstance(b, float) and b == 1.0 else b * x
        total = term if total is None else total + term
    if total is None:
        return intercept
    if isinstance(intercept, float) and intercept == 0.0:
        return total
    return total + intercept


def run_equations(
    order: Sequence[str],
    parents: Mapping[str, Sequence[str]],
    intercepts: Mapping[str, Any],
    coefficients: Mapping[str, Mapping[str, Any]],
    scales: Mapping[str, Any],
    noiseless: frozenset[str] | set[str],
    explain: Callable[[str, tuple[str, ...]], str] | None = None,
) -> dict[str, Any]:
    """Run linear structural equations as NumPyro sample sites.

    The body of every :func:`to_numpyro` model; the numbers may be Python
    floats or JAX arrays (traced values, so that one compiled sampler can
    serve many coefficient values). Call it inside a NumPyro model.

    Args:
        order: the variables, in causal order.
        parents: each variable's parents.
        intercepts, coefficients, scales: each equation's numbers
            (``coefficients[v][p]`` for every parent ``p`` of ``v``).
        noiseless: the variables without noise (``Delta`` sites).
        explain: ``explain(v, loose_parents)``, the message of the
            :class:`NoiselessSiteError` raised when ``v`` is conditioned on
            while ``loose_parents`` are not fixed.

    Returns:
        ``{variable: value}``.

    Example:
        >>> from numpyro import handlers
        >>> def model():
        ...     return run_equations(
        ...         ["z", "x"], {"z": [], "x": ["z"]}, {"z": 0.0, "x": 1.0},
        ...         {"x": {"z": 2.0}}, {"z": 1.0, "x": 0.0}, {"x"},
        ...     )
        >>> v = handlers.seed(model, 0)()
        >>> bool(v["x"] == 1.0 + 2.0 * v["z"])
        True
    """
    values: dict[str, Any] = {}
    fixed: dict[str, bool] = {}
    for v in order:
        mean = _affine(
            intercepts[v],
            [(coefficients[v][p], values[p]) for p in parents[v]],
        )
        how = _fixed_by_handler(v)
        if v in noiseless:
            loose = tuple(p for p in parents[v] if not fixed[p])
            if how == "condition" and loose:
                message = (
                    explain(v, loose)
                    if explain is not None
                    else f"condition: {v!r} has no noise and its parents "
                    f"{loose} are not fixed; condition on them instead"
                )
                raise NoiselessSiteError(message, site=v, parents=loose)
            mean = jnp.asarray(mean, dtype=jnp.result_type(float))
            values[v] = numpyro.sample(v, dist.Delta(mean), obs=mean)
            fixed[v] = how is not None or not loose
        else:
            values[v] = numpyro.sample(v, dist.Normal(mean, scales[v]))
            fixed[v] = how is not None
    return values


def _fmt(x: float) -> str:
    return f"{float(x):.6g}"


def _explainer(
    scm: LinearGaussianSCM,
) -> Callable[[str, tuple[str, ...]], str]:
    def explain(v: str, loose: tuple[str, ...]) -> str:
        parents = scm.parents(v)
        hint = ""
        if len(parents) == 1:
            (p,) = parents
            c = float(scm.intercepts.get(v, 0.0))
            b = float(scm.coefficients[v][p])
            value = "a" if c == 0 else f"a - {_fmt(c)}"
            if b != 1:
                value = f"({value}) / {_fmt(b)}"
            hint = f" (seeing {v} = a is seeing {p} = {value})"
        names = ", ".join(repr(p) for p in loose)
        all_parents = ", ".join(repr(p) for p in parents)
        whose = "its parent" if len(loose) == 1 else "its parents"
        return (
            f"condition: {v!r} has no noise in its equation "
            f"({scm.equation(v)}), so it is a fixed function of {whose} "
            f"{names}; conditioning on it while {names} "
            f"{'is' if len(loose) == 1 else 'are'} not observed leaves a "
            "posterior on a set of volume zero, which NUTS cannot sample "
            "(NumPyro would stop with 'Cannot find valid initial "
            f"parameters'). Condition on {names} instead{hint}, or on "
            f"{v!r} together with {all_parents}, which only checks that the "
            f"values agree; or give {v!r} a small noise "
            f"(causalbook.seeing.relax(scm, {{{v!r}: 0.05}}).to_numpyro()) "
            "and condition on that. The exact answer needs none of this: "
            f"causalbook.exact.conditional(scm, {{{v!r}: a}})."
        )

    return explain


def to_numpyro(scm: LinearGaussianSCM) -> Model:
    """A new NumPyro model of ``scm`` (see the module docstring).

    Prefer :meth:`~causalbook.exact.LinearGaussianSCM.to_numpyro`, which
    returns the same function for the same SCM, so that compiled samplers
    (:func:`causalbook.sampling.sample`,
    :func:`causalbook.inference.condition_nuts`) are reused.

    Example:
        >>> import numpyro
        >>> from causalbook.models import LINEAR
        >>> model = to_numpyro(LINEAR["M2"])
        >>> model.__name__
        'scm_M2'
        >>> sorted(numpyro.handlers.seed(model, 0)())
        ['x', 'y']
    """
    order = scm.order
    parents = {v: scm.parents(v) for v in order}
    coefficients = {
        v: {p: float(scm.coefficients[v][p]) for p in parents[v]}
        for v in order
    }
    intercepts = {v: float(scm.intercepts.get(v, 0.0)) for v in order}
    scales = {v: float(scm.noise_scales.get(v, 0.0)) for v in order}
    noiseless = frozenset(v for v in order if scales[v] == 0)
    explain = _explainer(scm)

    def model() -> dict[str, Any]:
        return run_equations(
            order,
            parents,
            intercepts,
            coefficients,
            scales,
            noiseless,
            explain,
        )

    name = "".join(c if c.isalnum() else "_" for c in f"scm_{scm.name}")
    model.__name__ = model.__qualname__ = name
    model.__doc__ = f"NumPyro model of the SCM {scm.name!r}:\n\n" + "\n".join(
        f"    {scm.equation(v)}" for v in order
    )
    return model
