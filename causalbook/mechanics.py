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
* :func:`source_to_fit`: a function's source re-wrapped by ruff to fit the
  page column, to print NumPyro's own code; :func:`error_text`: an error's
  name and message wrapped to the same width.
* :func:`style_verdicts` and :data:`VERDICT_COLORS`: a table's verdict cells
  shaded, and the colours the figures use for the three verdicts.
* :class:`Agreement`: every sampled estimate a chapter says agrees with an
  exact answer, glued and checked, and how far each one is (in standard
  errors) from its exact value.

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
import math
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpyro
from numpyro.primitives import Messenger

from causalbook.exact import Gaussian
from causalbook.stats import Moments, fmt_pm

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = [
    "LoggedMessage",
    "MessageLog",
    "verdict",
    "VERDICTS",
    "VERDICT_COLORS",
    "VERDICT_BACKGROUNDS",
    "style_verdicts",
    "Agreement",
    "AgreementCheck",
    "numpyro_source_url",
    "code_without_docstring",
    "source_to_fit",
    "error_text",
    "PAGE_WIDTH",
]

#: The widest line, in characters, that a printed output or a code block
#: shows without scrolling in the book's page column at a 1280-px window.
PAGE_WIDTH = 77


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

#: The verdicts' colours for text and lines (dark enough on white).
VERDICT_COLORS: dict[str, str] = {
    "right": "#1b7837",
    "right by accident": "#b35806",
    "wrong": "#b2182b",
}

#: The verdicts' colours for table cells (light, with dark text on them).
VERDICT_BACKGROUNDS: dict[str, str] = {
    "right": "#cfe8d5",
    "right by accident": "#fbe3b8",
    "wrong": "#f6c6bd",
}


def style_verdicts(table: pd.DataFrame) -> Styler:
    """``table`` with each cell that holds a verdict shaded by its colour.

    The shaded cells get dark text too, so they stay legible when the page
    is in dark mode. Other cells are left as they are, and the table keeps
    pandas' ``dataframe`` class, so the book's theme lays it out (padding,
    stripes, dark mode) like every other table.

    Example:
        >>> import pandas as pd
        >>> styled = style_verdicts(
        ...     pd.DataFrame({"verdict": ["right", "wrong"], "n": [1, 2]})
        ... )
        >>> "#f6c6bd" in styled.to_html()
        True
    """

    def shade(value: Any) -> str:
        if isinstance(value, str) and value in VERDICT_BACKGROUNDS:
            return (
                f"background-color: {VERDICT_BACKGROUNDS[value]}; "
                "color: #222222"
            )
        return ""

    return table.style.map(shade).set_table_attributes('class="dataframe"')


class AgreementCheck(NamedTuple):
    """One sampled number compared with its exact value.

    Attributes:
        label: what was estimated (the glue prefix of the estimate).
        moment: ``"mean"`` or ``"variance"``.
        estimate: the sampled value.
        se: its Monte Carlo (or posterior) standard error.
        exact: the exact value it estimates.
    """

    label: str
    moment: str
    estimate: float
    se: float
    exact: float

    @property
    def z(self) -> float:
        """How many standard errors the estimate is from the exact value."""
        return abs(self.estimate - self.exact) / self.se


class Agreement:
    """The sampled estimates a chapter says agree with exact answers.

    Each :meth:`check` (or :meth:`glue`, which also glues the estimate with
    :func:`causalbook.report.glue_moments`) records a sampled mean and
    variance next to the exact values they estimate. At the end the chapter
    can say, truthfully, how close they all are: within ``z`` standard errors
    (:meth:`all_within`), which of them lie beyond ``flag`` standard errors
    (:meth:`flagged`), and how many that many estimates would put there by
    chance alone (:meth:`expected_beyond_flag`); :meth:`describe` says it in
    a sentence.

    Args:
        z: the tolerance the chapter states, in standard errors.
        flag: the distance, in standard errors, beyond which an estimate is
            named in :meth:`describe` (it is unusual, though not wrong).

    Example:
        >>> from causalbook.exact import conditional
        >>> from causalbook.models import LINEAR
        >>> seeing = conditional(LINEAR["M1"], {"x": 3.0})  # y ~ N(4, 3)
        >>> checks = Agreement(z=4.5)
        >>> est = checks.check(
        ...     "demo", Moments(4.03, 0.01, 3.0, 0.02, 1e5), seeing, "y"
        ... )
        >>> [round(c.z, 2) for c in checks.records]
        [3.0, 0.0]
        >>> checks.all_within(), [c.label for c in checks.flagged()]
        (True, ['demo'])
        >>> print(checks.describe())  # doctest: +NORMALIZE_WHITESPACE
        All 2 sampled means and variances compared with an exact value lie
        within 4.5 standard errors of it. One lies beyond 2.5: demo (mean,
        3.0 standard errors); among 2 estimates, chance alone puts about
        0.025 that far.
    """

    def __init__(self, z: float = 4.5, flag: float = 2.5) -> None:
        if not (z > 0 and flag > 0):
            raise ValueError(
                f"z and flag must be positive numbers of standard errors, "
                f"got z={z!r}, flag={flag!r}"
            )
        self.z, self.flag = float(z), float(flag)
        self.records: list[AgreementCheck] = []

    def check(
        self, label: str, est: Moments, target: Gaussian, name: str
    ) -> Moments:
        """Record ``est`` (of ``name``) against ``target``; return ``est``.

        Raises:
            ValueError: ``label`` was checked before, or a standard error is
                not positive (then no distance can be measured).
        """
        if any(r.label == label for r in self.records):
            raise ValueError(f"{label!r} was already checked")
        if not (est.mean_se > 0 and est.var_se > 0):
            raise ValueError(
                f"{label!r}: standard errors must be positive, got "
                f"{est.mean_se!r} and {est.var_se!r}"
            )
        self.records += [
            AgreementCheck(
                label, "mean", est.mean, est.mean_se, target.mean(name)
            ),
            AgreementCheck(
                label, "variance", est.var, est.var_se, target.var(name)
            ),
        ]
        return est

    def glue(
        self,
        prefix: str,
        est: Moments,
        target: Gaussian,
        name: str,
        label: str | None = None,
    ) -> Moments:
        """Glue ``est`` under ``prefix`` (``report.glue_moments``), check it.

        ``label`` names the estimate for readers (default: ``prefix``).
        Returns ``est``, so a computing line can do both:
        ``est = checks.glue("ch4_fix_M1", post.moments("y"), exact, "y")``.
        """
        from causalbook.report import glue_moments

        self.check(prefix if label is None else label, est, target, name)
        return glue_moments(prefix, est)

    def all_within(self) -> bool:
        """Whether every recorded estimate is within ``z`` standard errors."""
        return all(r.z <= self.z for r in self.records)

    def farthest(self) -> AgreementCheck:
        """The recorded estimate farthest from its exact value."""
        if not self.records:
            raise ValueError("nothing was checked yet")
        return max(self.records, key=lambda r: r.z)

    def flagged(self) -> list[AgreementCheck]:
        """The estimates beyond ``flag`` standard errors, farthest first."""
        return sorted(
            (r for r in self.records if r.z > self.flag),
            key=lambda r: -r.z,
        )

    def expected_beyond_flag(self) -> float:
        """How many of the estimates chance alone puts beyond ``flag``.

        For normally distributed errors: the number of estimates times
        ``P(|N(0, 1)| > flag)`` (about 1.2% at 2.5).
        """
        return len(self.records) * math.erfc(self.flag / math.sqrt(2))

    def describe(self) -> str:
        """One or two sentences on how close the estimates are.

        Raises:
            ValueError: nothing was checked, or an estimate is farther than
                ``z`` standard errors (the chapter's claim would be false).
        """
        if not self.records:
            raise ValueError("nothing was checked yet")
        if not self.all_within():
            far = self.farthest()
            raise ValueError(
                f"{far.label} ({far.moment}) is {far.z:.1f} standard errors "
                f"from its exact value, beyond the stated {self.z:g}"
            )
        n = len(self.records)
        text = (
            f"All {n} sampled means and variances compared with an exact "
            f"value lie within {self.z:g} standard errors of it."
        )
        flagged = self.flagged()
        if not flagged:
            return text + (
                f" None lies beyond {self.flag:g}; the farthest is "
                f"{self.farthest().z:.1f} standard errors away."
            )
        count = "One lies" if len(flagged) == 1 else f"{len(flagged)} lie"
        names = "; ".join(
            f"{r.label} ({r.moment}, {r.z:.1f} standard errors)"
            for r in flagged
        )
        return text + (
            f" {count} beyond {self.flag:g}: {names}; among {n} estimates, "
            f"chance alone puts about {self.expected_beyond_flag():.2g} that "
            f"far."
        )

    def table(self) -> pd.DataFrame:
        """Every check as a row: estimate ± SE, exact value, distance."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "estimate": r.label,
                    "moment": r.moment,
                    "sampled": fmt_pm(r.estimate, r.se),
                    "exact": f"{r.exact:g}",
                    "SEs away": round(r.z, 1),
                }
                for r in self.records
            ]
        )


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


def source_to_fit(
    obj: Any, width: int = PAGE_WIDTH, docstring: bool = True
) -> str:
    """The source of ``obj``, dedented and re-wrapped to ``width`` columns.

    The code is reformatted by ruff (``ruff format``, which changes only
    layout: line breaks, brackets, quotes), so that NumPyro's own source, or
    a model's, printed in a chapter, fits the page column. The words are the
    source's; with ``docstring=False`` the docstring is left out (as by
    :func:`code_without_docstring`).

    Raises:
        RuntimeError: ruff is not installed (it is in the book's
            requirements).
        ValueError: ruff cannot parse the code, or a line (a long string, a
            comment) still does not fit in ``width``.

    Example:
        >>> from numpyro.handlers import condition
        >>> code = source_to_fit(condition.process_message, width=60)
        >>> code.splitlines()[0]
        'def process_message(self, msg: Message) -> None:'
        >>> max(len(line) for line in code.splitlines()) <= 60
        True
        >>> from causalbook.models import scm_2
        >>> print(source_to_fit(scm_2, docstring=False))
        def scm_2():
            y = numpyro.sample("y", dist.Normal(1.0, 2.0))
            x = numpyro.sample(
                "x", dist.Normal((y - 1.0) / 4.0, jnp.sqrt(3.0) / 2.0)
            )
            return x, y
    """
    if docstring:
        source = textwrap.dedent(inspect.getsource(obj))
    else:
        source = code_without_docstring(obj) + "\n"
    ruff = _ruff_executable()
    done = subprocess.run(
        [ruff, "format", "--isolated", f"--line-length={int(width)}", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(
            f"ruff could not format the source of {obj!r}: "
            f"{done.stderr.strip()}"
        )
    code = done.stdout.rstrip()
    too_long = [line for line in code.splitlines() if len(line) > width]
    if too_long:
        raise ValueError(
            f"{len(too_long)} line(s) of {obj!r} are still wider than "
            f"{width} columns after formatting, e.g. {too_long[0]!r}"
        )
    return code


def _ruff_executable() -> str:
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        if found is None:
            raise RuntimeError(
                "ruff is needed to fit code to the page: pip install ruff "
                "(it is pinned in the book's requirements.txt)"
            ) from None
        return found


def error_text(err: BaseException, width: int = PAGE_WIDTH) -> str:
    """An error's type and message, the message wrapped to ``width``.

    For printing an error a chapter catches, so that it fits the page.

    Example:
        >>> print(error_text(ValueError("a " * 30), width=20))
        ValueError:
        a a a a a a a a a a
        a a a a a a a a a a
        a a a a a a a a a a
    """
    paragraphs = str(err).split("\n")
    wrapped = "\n".join(
        textwrap.fill(p, width, break_on_hyphens=False) for p in paragraphs
    )
    return f"{type(err).__name__}:\n{wrapped}"
