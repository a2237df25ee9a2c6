"""NumPyro's ``condition`` and ``do``, made to refuse what they would ignore.

NumPyro's :class:`numpyro.handlers.condition` and
:class:`numpyro.handlers.do` act only on messages of type ``"sample"``. A
key of ``data`` that names a ``numpyro.deterministic`` site, a ``param``, a
``plate``, or no site at all (a typo) is skipped without a word: the model
runs as if it had not been conditioned or intervened on. That is the
surprise of the forum post this book starts from. Its models write ``x`` as
a deterministic site, so ``condition(model_02, {"x": 3.})`` leaves the
posterior at the prior and ``do(model_02, {"x": 3.})`` leaves everything
downstream of ``x`` unchanged, with no warning and no divergence
(``numpyro.deterministic``'s own docstring says that most effect handlers
do not act on deterministic sites).

:func:`condition` and :func:`do` here are drop-in replacements: subclasses
of NumPyro's handlers that take the same arguments, call NumPyro's own code
and give the same results on everything NumPyro acts on. They differ only
in raising a :class:`SiteError` (a :class:`ValueError`) whose message names
the site, says what kind of site it is and what to do instead:

* :class:`NotASampleSiteError`: a key names a deterministic, param, plate
  or other non-sample site. Raised as soon as the model reaches that site.
* :class:`MissingSiteError`: a key names no site the handler saw while the
  model ran (a typo, or a site hidden by an inner handler). Checked when
  the model has run through, since only then is it known that the site
  never came; close names are suggested.
* :class:`InvalidValueError`: a value is not finite (NaN or inf), or its
  shape does not broadcast to the site's shape
  (``sample_shape + batch_shape + event_shape``, with the enclosing
  plates): a scalar for a site inside a plate of 1000 is fine.
* :class:`SiteError` itself: :func:`do` names a sample site inside
  NumPyro's control flow (``scan``, ``cond``), which NumPyro's ``do`` does
  not reach (apply ``do`` to the body function instead). ``condition``
  does reach it, and is passed through.

Values that are JAX tracers (inside ``jax.jit``, ``jax.vmap``, or an MCMC
kernel when the value is a traced argument) have no concrete entries, so
their finiteness is not checked; their shape is. Keys whose value is
``None`` are passed through unchecked: NumPyro's ``condition`` reads
``None`` as "no value", which is how models with optional data are
written. ``condition(fn, condition_fn=...)`` is passed through unchecked
too, since there are no keys to check.

Example:
    >>> import jax
    >>> from numpyro.handlers import seed, trace
    >>> from causalbook.models import model_02, scm_2
    >>> tr = trace(seed(condition(scm_2, {"x": 3.0}), 0)).get_trace()
    >>> float(tr["x"]["value"]), bool(tr["x"]["is_observed"])
    (3.0, True)
    >>> handled = trace(seed(condition(model_02, {"x": 3.0}), 0))
    >>> handled.get_trace()  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
        ...
    causalbook.handlers.NotASampleSiteError: condition: 'x' is a
    deterministic site, ...
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import jax
import numpy as np
from numpyro import handlers as _numpyro_handlers
from numpyro.primitives import _PYRO_STACK, plate

__all__ = [
    "condition",
    "do",
    "SiteError",
    "NotASampleSiteError",
    "MissingSiteError",
    "InvalidValueError",
]

Model = Callable[..., Any]


# --- errors ------------------------------------------------------------------
class SiteError(ValueError):
    """A key of ``data`` that :func:`condition` or :func:`do` cannot act on.

    At least not as asked.

    Attributes:
        site: the key of ``data`` concerned.
        kind: the kind of site it names (``"deterministic"``, ``"param"``,
            ``"plate"``, ``"sample"``, ...), or ``None`` if it names no site.

    Example:
        >>> issubclass(SiteError, ValueError)
        True
    """

    def __init__(
        self, message: str, *, site: str, kind: str | None = None
    ) -> None:
        super().__init__(message)
        self.site = site
        self.kind = kind


class NotASampleSiteError(SiteError):
    """A key names a site that is not a sample site.

    NumPyro's handler would skip it.

    Example:
        >>> from numpyro.handlers import seed
        >>> from causalbook.models import model_02
        >>> try:
        ...     seed(do(model_02, {"x": 3.0}), 0)()
        ... except NotASampleSiteError as err:
        ...     print(err.site, err.kind)
        x deterministic
    """


class MissingSiteError(SiteError):
    """A key names no site that the handler saw while the model ran.

    Attributes:
        available: the names of the sites the handler saw, by kind.
        suggestions: close names among them (possibly empty).

    Example:
        >>> from numpyro.handlers import seed
        >>> from causalbook.models import scm_2
        >>> try:
        ...     seed(condition(scm_2, {"X": 3.0}), 0)()
        ... except MissingSiteError as err:
        ...     print(err.suggestions)
        ['x']
    """

    def __init__(
        self,
        message: str,
        *,
        site: str,
        available: Mapping[str, list[str]],
        suggestions: list[str],
    ) -> None:
        super().__init__(message, site=site, kind=None)
        self.available = dict(available)
        self.suggestions = list(suggestions)


class InvalidValueError(SiteError):
    """A value is not finite, or its shape does not broadcast to the site's.

    Example:
        >>> from numpyro.handlers import seed
        >>> from causalbook.models import scm_1
        >>> try:
        ...     seed(do(scm_1, {"x": float("nan")}), 0)()
        ... except InvalidValueError as err:
        ...     print(err.site, err.kind)
        x sample
    """


# --- messages ----------------------------------------------------------------
_SAMPLE_EXAMPLE = "numpyro.sample({name!r}, dist.Normal(mean, scale))"


def _not_a_sample_site_message(handler: str, name: str, kind: str) -> str:
    head = (
        f"{handler}: {name!r} is a {kind} site, not a sample site; NumPyro's "
        f"{handler} acts only on sample sites and would silently ignore this "
        f"key"
    )
    example = _SAMPLE_EXAMPLE.format(name=name)
    if kind == "deterministic":
        if handler == "condition":
            return (
                f"{head} (the model would run as if {name!r} had not been "
                f"observed). To condition on {name!r}, make {name!r} a "
                f"sample site with its noise folded into its distribution, "
                f"e.g. {example}, and run an inference algorithm (NUTS) on "
                f"the conditioned model; or, to set the value a "
                f"deterministic site passes downstream (a hard intervention, "
                f"not conditioning), use numpyro.handlers.substitute(model, "
                f"{{{name!r}: value}})."
            )
        return (
            f"{head} (everything downstream would still see the model's own "
            f"value of {name!r}). To intervene on {name!r}, make {name!r} a "
            f"sample site with its noise folded into its distribution, e.g. "
            f"{example}, so that do can split it; or use "
            f"numpyro.handlers.substitute(model, {{{name!r}: value}}), which "
            f"sets the value a deterministic site passes downstream (a hard "
            f"intervention, not conditioning)."
        )
    if kind == "param":
        return (
            f"{head}. To fix a parameter's value, use "
            f"numpyro.handlers.substitute(model, {{{name!r}: value}}); to "
            f"give it a prior and condition on it, make it a sample site, "
            f"e.g. {example}."
        )
    if kind == "plate":
        return (
            f"{head}. A plate indexes a batch of conditionally independent "
            f"sites; it is not a variable. Give values for the sample sites "
            f"inside the plate instead."
        )
    return f"{head}. Give the name of a sample site (numpyro.sample) instead."


def _control_flow_message(handler: str, name: str) -> str:
    return (
        f"{handler}: {name!r} is a sample site inside NumPyro control flow "
        f"(scan or cond); NumPyro's {handler} does not reach inside it, so "
        f"the values computed in the loop would not see the intervention. "
        f"Apply {handler} to the body function instead, e.g. "
        f"scan({handler}(body, {{{name!r}: value}}), init, xs)."
    )


def _missing_site_message(
    handler: str, name: str, seen: Mapping[str, str], suggestions: list[str]
) -> str:
    msg = (
        f"{handler}: no site named {name!r} was seen when the model ran, so "
        f"NumPyro's {handler} would silently ignore this key."
    )
    if suggestions:
        msg += (
            " Did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        )
    if name.endswith("__CF"):
        msg += (
            f" {name!r} is the name NumPyro's do gives the intervened copy of "
            f"{name[:-4]!r}; that copy is hidden from the handlers outside "
            f"do, so use {name[:-4]!r}."
        )
    by_kind = _by_kind(seen)
    if by_kind:
        listing = "; ".join(
            f"{kind}: " + ", ".join(repr(n) for n in names)
            for kind, names in by_kind.items()
        )
        msg += f" The sites this handler saw: {listing}."
    else:
        msg += (
            " This handler saw no sites at all: did the model run inside it?"
        )
    msg += (
        " (A site hidden by an inner handler, such as block or another do, "
        "is not seen either.)"
    )
    return msg


def _by_kind(seen: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, kind in seen.items():
        out.setdefault(kind, []).append(name)
    return out


def _suggest(name: str, candidates: list[str]) -> list[str]:
    """Close names, compared case-insensitively (``"X"`` suggests ``"x"``)."""
    lowered: dict[str, str] = {}
    for c in candidates:
        lowered.setdefault(c.lower(), c)
    close = difflib.get_close_matches(
        name.lower(), list(lowered), n=3, cutoff=0.6
    )
    return [lowered[c] for c in close if lowered[c] != name]


# --- value checks ------------------------------------------------------------
def _is_tracer(value: Any) -> bool:
    return isinstance(value, jax.core.Tracer)


def _site_shape(msg: dict) -> tuple[int, ...] | None:
    """The shape the site's value has once every enclosing plate acted on it.

    The plates on the stack below this handler have not yet expanded
    ``msg["fn"]``, so their frames are added here the way
    :class:`numpyro.plate` adds them. Returns ``None`` if the shape cannot be
    worked out (then no shape check is made).
    """
    try:
        fn = msg["fn"]
        batch = tuple(msg["kwargs"].get("sample_shape", ())) + tuple(
            fn.batch_shape
        )
        event = tuple(fn.event_shape)
        frames = {
            f.name: (f.dim, f.size) for f in msg.get("cond_indep_stack", [])
        }
        blocked = (msg.get("infer") or {}).get("block_plates", ())
        for handler in _PYRO_STACK:
            if (
                isinstance(handler, plate)
                and handler.name not in frames
                and handler.name not in blocked
            ):
                frames[handler.name] = (handler.dim, handler.subsample_size)
        if frames:
            expected = [1] * max(-dim for dim, _ in frames.values())
            for dim, size in frames.values():
                expected[dim] = size
            overlap = max(len(expected) - len(batch), 0)
            batch = tuple(expected[:overlap]) + tuple(
                np.broadcast_shapes(tuple(expected[overlap:]), batch)
            )
        return tuple(int(d) for d in batch + event)
    except Exception:  # noqa: BLE001 - not a NumPyro distribution, or NumPyro will complain
        return None


def _check_value(handler: str, msg: dict, value: Any) -> None:
    name = msg["name"]
    if not _is_tracer(value):
        try:
            arr = np.asarray(value)
            finite = np.isfinite(arr) if arr.dtype.kind in "fc" else None
        except Exception:  # noqa: BLE001 - a tracer in disguise, or not numeric
            finite = None
        if finite is not None and not bool(np.all(finite)):
            n_bad = int(np.size(finite) - np.count_nonzero(finite))
            what = (
                "use them as observed data, making the log density NaN or "
                "infinite"
                if handler == "condition"
                else "pass them to everything downstream"
            )
            raise InvalidValueError(
                f"{handler}: the value for {name!r} is not finite ({n_bad} of "
                f"{np.size(finite)} entries are NaN or infinite); {handler} "
                f"would {what}. Pass finite values (to leave {name!r} as the "
                f"model has it, leave it out of data).",
                site=name,
                kind=msg["type"],
            )
    site_shape = _site_shape(msg)
    try:
        value_shape = tuple(np.shape(value))
    except Exception:  # noqa: BLE001 - let NumPyro deal with it
        return
    if site_shape is None:
        return
    try:
        fits = np.broadcast_shapes(value_shape, site_shape) == site_shape
    except ValueError:
        fits = False
    if not fits:
        raise InvalidValueError(
            f"{handler}: the value for {name!r} has shape {value_shape}, "
            f"which does not broadcast to the site's shape {site_shape} "
            f"(sample_shape + batch_shape, with the enclosing plates, + "
            f"event_shape). Pass an array of shape {site_shape} or one that "
            f"broadcasts to it (a scalar always does); if the extra "
            f"dimensions are independent copies, put the site inside a "
            f"numpyro.plate of that size.",
            site=name,
            kind=msg["type"],
        )


# --- the handlers ------------------------------------------------------------
class _Guard:
    """Shared checks.

    Mixed in before NumPyro's handler class, so ``super()`` is NumPyro's.
    """

    _handler_name: str
    _reaches_control_flow: bool
    data: Mapping[str, Any] | None
    _seen: dict[str, str]
    _depth: int

    def _guarded(self) -> bool:
        return self.data is not None

    def __enter__(self) -> Any:
        # Messenger.__call__ runs each call of the model in its own
        # `with self:`; start a fresh record for each run (a nested re-entry
        # of the same handler shares it).
        if self._depth == 0:
            self._seen = {}
        self._depth += 1
        return super().__enter__()  # type: ignore[misc]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc_value, traceback)  # type: ignore[misc]
        self._depth -= 1
        if exc_type is None and self._depth == 0 and self._guarded():
            self._check_all_seen()

    def _check_all_seen(self) -> None:
        assert self.data is not None
        for key, value in self.data.items():
            if value is not None and key not in self._seen:
                suggestions = _suggest(key, list(self._seen))
                raise MissingSiteError(
                    _missing_site_message(
                        self._handler_name, key, self._seen, suggestions
                    ),
                    site=key,
                    available=_by_kind(self._seen),
                    suggestions=suggestions,
                )

    def process_message(self, msg: dict) -> None:
        if self._guarded():
            name = msg.get("name")
            if name is not None:
                self._seen.setdefault(name, msg["type"])
                if name in self.data and self.data[name] is not None:  # type: ignore[operator]
                    kind = msg["type"]
                    if kind != "sample":
                        raise NotASampleSiteError(
                            _not_a_sample_site_message(
                                self._handler_name, name, kind
                            ),
                            site=name,
                            kind=kind,
                        )
                    if msg.get("_control_flow_done", False):
                        # A site from inside scan/cond, re-sent after the
                        # loop has run. condition reached it inside (through
                        # the control-flow message); do does not, so
                        # intervening now would change nothing.
                        if not self._reaches_control_flow:
                            raise SiteError(
                                _control_flow_message(
                                    self._handler_name, name
                                ),
                                site=name,
                                kind=kind,
                            )
                    else:
                        _check_value(self._handler_name, msg, self.data[name])  # type: ignore[index]
        super().process_message(msg)  # type: ignore[misc]


class condition(_Guard, _numpyro_handlers.condition):
    """:class:`numpyro.handlers.condition`, raising on a key it would ignore.

    Sets each sample site named in ``data`` to its value and marks it
    observed, exactly as NumPyro does (running the conditioned model forward
    only clamps the value; an inference algorithm such as NUTS turns the
    observation into a posterior). Raises :class:`NotASampleSiteError` if a
    key names a deterministic, param, plate or other non-sample site,
    :class:`MissingSiteError` if the model ran through without a site of
    that name, and :class:`InvalidValueError` for a non-finite value or one
    whose shape does not broadcast to the site's. With ``condition_fn``
    nothing is checked.

    Args:
        fn: the model (or other callable with NumPyro primitives); ``None``
            to use the handler as a context manager or decorator.
        data: ``{site name: observed value}``. A ``None`` value leaves its
            site alone, unchecked, as in NumPyro.
        condition_fn: instead of ``data``, a callable that takes a site's
            message and returns its value or ``None``; passed through
            unchecked.

    Raises:
        ValueError: (NumPyro's) unless exactly one of ``data``,
            ``condition_fn`` is given.

    Example:
        >>> from numpyro.handlers import seed, trace
        >>> from causalbook.models import scm_2
        >>> tr = trace(seed(condition(scm_2, {"x": 3.0}), 0)).get_trace()
        >>> float(tr["x"]["value"]), bool(tr["x"]["is_observed"])
        (3.0, True)
        >>> with condition(data={"x": 3.0}):
        ...     x, y = seed(scm_2, 0)()
        >>> float(x)
        3.0
    """

    _handler_name = "condition"
    _reaches_control_flow = True

    def __init__(
        self,
        fn: Model | None = None,
        data: Mapping[str, Any] | None = None,
        condition_fn: Callable[[dict], Any] | None = None,
    ) -> None:
        self._seen = {}
        self._depth = 0
        super().__init__(fn, data=data, condition_fn=condition_fn)


class do(_Guard, _numpyro_handlers.do):
    """:class:`numpyro.handlers.do` that raises instead of ignoring a key.

    Intervenes on each sample site named in ``data`` exactly as NumPyro
    does: the value set is what the rest of the model sees, and a fresh,
    unused draw is kept under the site's own name (the intervened copy,
    ``name__CF``, is hidden from outer handlers, so ``trace`` and
    ``Predictive`` show the fresh draw). Raises :class:`NotASampleSiteError`
    if a key names a deterministic, param, plate or other non-sample site,
    :class:`MissingSiteError` if the model ran through without a site of
    that name, and :class:`InvalidValueError` for a non-finite value or one
    whose shape does not broadcast to the site's.

    Args:
        fn: the model (or other callable with NumPyro primitives); ``None``
            to use the handler as a context manager or decorator.
        data: ``{site name: intervention value}``. A ``None`` value is
            passed through unchecked, as NumPyro gets it.

    Example:
        >>> from numpyro.handlers import seed
        >>> from causalbook.models import scm_1, model_01
        >>> x, y = seed(do(scm_1, {"x": 3.0}), 0)()
        >>> float(x)
        3.0
        >>> run = seed(do(model_01, {"y": 3.0}), 0)
        >>> run()  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
            ...
        causalbook.handlers.NotASampleSiteError: do: 'y' is a
        deterministic site, ...
    """

    _handler_name = "do"
    _reaches_control_flow = False

    def __init__(
        self,
        fn: Model | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self._seen = {}
        self._depth = 0
        super().__init__(fn, data=data)
