"""Looking inside NumPyro's effect handlers, to explain Chapter 4's surprise.

Every NumPyro primitive (``numpyro.sample``, ``numpyro.deterministic``,
``numpyro.param``, ``numpyro.plate``) builds a *message*, a dict with the
site's ``name``, ``type``, ``value`` and more, and passes it through the
stack of active handlers (``apply_stack`` in ``numpyro/primitives.py``).
Each handler's ``process_message`` may change the message; ``condition``
and ``do`` change only messages whose type is ``"sample"``.

* :class:`MessageLog`: a tiny handler that records each message it sees
  (name, type, final value, whether it is observed), to show what a model
  emits and what other handlers did to it.
* :func:`verdict`: the rule by which Chapter 4 marks each cell of the forum
  user's table as right, right only by accident, or wrong.
* :func:`numpyro_source_url`: a link to the lines of NumPyro's source on
  GitHub, at the installed version's tag, for a function or method the
  book quotes.
* :func:`code_without_docstring`: a function's source with its docstring
  left out, to show a model's code in a chapter.

Example:
    >>> from numpyro.handlers import condition, seed
    >>> from causalbook.models import model_02, scm_2
    >>> log = MessageLog(condition(model_02, {"x": 3.0}))
    >>> _ = seed(log, 0)()
    >>> log.types()  # doctest: +NORMALIZE_WHITESPACE
    {'_y': 'sample', '_x': 'sample',
     'y': 'deterministic', 'x': 'deterministic'}
    >>> # condition skipped x:
    >>> log["x"].is_observed, float(log["x"].value) == 3.0
    (False, False)
    >>> log = MessageLog(condition(scm_2, {"x": 3.0}))
    >>> _ = seed(log, 0)()
    >>> log["x"].is_observed, float(log["x"].value)
    (True, 3.0)
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpyro
from numpyro.primitives import Messenger

from causalbook.exact import Gaussian
from causalbook.stats import Moments

__all__ = [
    "LoggedMessage",
    "MessageLog",
    "verdict",
    "VERDICTS",
    "numpyro_source_url",
    "code_without_docstring",
]


class LoggedMessage(NamedTuple):
    """One message as :class:`MessageLog` saw it, after every handler.

    Attributes:
        name: the site's name (``None`` for helper messages without one).
        type: the message type: ``"sample"``, ``"deterministic"``,
            ``"param"``, ``"plate"``...
        value: the site's value after all handlers acted (what the model got
            back).
        is_observed: whether a handler (or ``obs=``) marked the site
            observed.
    """

    name: str | None
    type: str
    value: Any
    is_observed: bool


class MessageLog(Messenger):
    """Record every message that reaches this handler, once it is processed.

    The messages are kept in the order they came. Place the log outside
    other handlers (``MessageLog(condition(model, data))``) to see what they
    did, or inside them (``condition(MessageLog(model), data)``) to see the
    messages as the model emits them; a handler that sets ``msg["stop"]``
    (as ``do`` does for its intervened copy ``name__CF``) hides the message
    from the handlers outside it, and so from an outer log. The record is
    reset each time the model runs.

    Args:
        fn: the model (or any callable with NumPyro primitives); ``None`` to
            use the log as a context manager
            (``with MessageLog() as log: ...``).

    Example:
        >>> from numpyro.handlers import do, seed
        >>> from causalbook.models import scm_1
        >>> # the messages as the model sends them:
        >>> inner = MessageLog(scm_1)
        >>> # what comes out of do:
        >>> outer = MessageLog(do(inner, {"x": 3.0}))
        >>> _ = seed(outer, 0)()
        >>> outer.names(), inner.names()
        (['x', 'y'], ['x', 'x__CF', 'y'])
        >>> float(inner["x__CF"].value), inner["x__CF"].is_observed
        (3.0, True)
        >>> with MessageLog() as log:
        ...     _ = seed(scm_1, 0)()
        >>> log.types()
        {'x': 'sample', 'y': 'sample'}
    """

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        super().__init__(fn)
        self.records: list[LoggedMessage] = []

    def __enter__(self) -> MessageLog:
        self.records = []
        super().__enter__()
        return self

    def postprocess_message(self, msg: dict) -> None:
        self.records.append(
            LoggedMessage(
                name=msg.get("name"),
                type=msg["type"],
                value=msg.get("value"),
                is_observed=bool(msg.get("is_observed", False)),
            )
        )

    def names(self) -> list[str]:
        """The names of the messages seen, in order.

        Helper messages without a name are left out.
        """
        return [r.name for r in self.records if r.name is not None]

    def types(self) -> dict[str, str]:
        """``{site name: message type}`` in the order the messages came."""
        return {r.name: r.type for r in self.records if r.name is not None}

    def __getitem__(self, name: str) -> LoggedMessage:
        """The last message seen with this name."""
        for r in reversed(self.records):
            if r.name == name:
                return r
        raise KeyError(f"no message named {name!r}; seen: {self.names()}")


#: The three marks of a cell in the user's table, from best to worst.
VERDICTS: tuple[str, ...] = ("right", "right by accident", "wrong")


def verdict(
    estimate: Moments,
    target: Gaussian,
    name: str,
    *,
    handler_reached: bool,
    method_answers_query: bool,
    z: float = 4.5,
) -> str:
    """Mark an estimate of ``name``'s distribution against the exact answer.

    The exact answer is that of the estimate's query:

    * ``"wrong"``: the mean or the variance is more than ``z`` Monte Carlo
      standard errors from the exact answer.
    * ``"right"``: within ``z`` standard errors, and obtained for the right
      reason: the handler acted on the site it was given, and the method
      computes the query (forward sampling for ``do``; an inference
      algorithm for ``condition``).
    * ``"right by accident"``: within ``z`` standard errors, but the handler
      did nothing to the site, or the method does not compute that query in
      general (forward sampling a conditioned model only clamps a value; it
      agrees with conditioning only when the clamped variable has no
      causes).

    Args:
        estimate: sample mean and variance with their standard errors
            (:func:`causalbook.stats.moments` or
            :func:`causalbook.stats.mcmc_moments`).
        target: the exact distribution the query asks for (from
            :mod:`causalbook.exact`).
        name: the variable ``estimate`` is about.
        handler_reached: whether the handler acted on the site (it is a
            sample site).
        method_answers_query: whether the method computes this query for any
            model.
        z: tolerance in standard errors.

    Example:
        >>> from causalbook.exact import conditional
        >>> from causalbook.models import LINEAR
        >>> truth = conditional(LINEAR["M2"], {"x": 3.0})  # N(4, 3)
        >>> prior_like = Moments(
        ...     mean=1.0, mean_se=0.01, var=4.0, var_se=0.02, n=1e5
        ... )
        >>> verdict(
        ...     prior_like, truth, "y",
        ...     handler_reached=False, method_answers_query=True,
        ... )
        'wrong'
        >>> good = Moments(
        ...     mean=4.01, mean_se=0.01, var=3.0, var_se=0.02, n=1e5
        ... )
        >>> verdict(
        ...     good, truth, "y",
        ...     handler_reached=True, method_answers_query=True,
        ... )
        'right'
        >>> verdict(
        ...     good, truth, "y",
        ...     handler_reached=True, method_answers_query=False,
        ... )
        'right by accident'
    """
    if not estimate.agrees_with(target.mean(name), target.var(name), z=z):
        return "wrong"
    return (
        "right"
        if (handler_reached and method_answers_query)
        else "right by accident"
    )


_REPO = "https://github.com/pyro-ppl/numpyro/blob"


def numpyro_source_url(obj: Any, version: str | None = None) -> str:
    """A GitHub link to the lines of NumPyro's source that define ``obj``.

    The line numbers are those of the installed NumPyro; the tag is its
    version (or ``version``), so the link shows the same lines as long as the
    installed package is the release.

    Args:
        obj: a function, class or method defined in the ``numpyro`` package.
        version: the git tag to link to; defaults to ``numpyro.__version__``.

    Example:
        >>> url = numpyro_source_url(numpyro.deterministic, version="0.22.0")
        >>> url.startswith(
        ...     "https://github.com/pyro-ppl/numpyro/blob/0.22.0/"
        ...     "numpyro/primitives.py#L"
        ... )
        True
    """
    target = inspect.unwrap(obj)
    path = Path(inspect.getsourcefile(target) or "").resolve()
    root = Path(numpyro.__file__).resolve().parent.parent
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise ValueError(
            f"{obj!r} is not defined in the numpyro package ({path})"
        ) from None
    lines, start = inspect.getsourcelines(target)
    end = start + len(lines) - 1
    tag = version or numpyro.__version__
    return f"{_REPO}/{tag}/{rel.as_posix()}#L{start}-L{end}"


def code_without_docstring(fn: Callable[..., Any]) -> str:
    """The source code of ``fn`` with its docstring left out.

    Everything else is as written.

    Example:
        >>> from causalbook.models import model_03
        >>> print(code_without_docstring(model_03))
        def model_03():
            _z = numpyro.sample("_z", dist.Normal(0, 1))
            _y = numpyro.sample("_y", dist.Normal(0, 1))
            y = numpyro.deterministic("y", _z + 1 + jnp.sqrt(3) * _y)
            x = numpyro.deterministic("x", _z)
            return x, y
    """
    source = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(source).body[0]
    lines = source.splitlines()
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        doc = body[0]
        lines = lines[: doc.lineno - 1] + lines[doc.end_lineno :]
    return "\n".join(lines).rstrip()
