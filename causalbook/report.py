"""Putting computed numbers into the book's prose and tables.

Numbers in the text are never typed: a notebook glues them with MyST-NB's
``glue`` and the prose refers to them (``{glue:text}`name:.3f``` for a
number, ``{glue:md}`name``` for a formatted estimate). :func:`glue_estimate`
glues a sampled estimate three ways at once: the value, its Monte Carlo
standard error, and the text ``value ± se``.

Example (outside a notebook, gluing just records nothing visible):
    >>> glue_estimate("demo", 4.0021, 0.0057, display=False)
    '4.002 ± 0.006'
"""

from __future__ import annotations

from typing import Any

from causalbook.stats import Moments, fmt_pm

__all__ = [
    "glue",
    "glue_estimate",
    "glue_moments",
    "glue_number",
    "glue_text",
    "versions",
]


def glue(name: str, value: Any, display: bool = False) -> None:
    """MyST-NB's ``glue`` when it is available, otherwise a no-op.

    The no-op is for plain Python and the tests.
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:  # pragma: no cover
        # myst-nb is in the book's environment
        return
    _glue(name, value, display=display)


def glue_number(name: str, value: float, display: bool = False) -> float:
    """Glue a number as a plain float.

    Format it in the prose: ``{glue:text}`name:.2f```.
    """
    value = float(value)
    glue(name, value, display=display)
    return value


def glue_estimate(
    name: str,
    value: float,
    se: float,
    display: bool = False,
    digits: int | None = None,
) -> str:
    """Glue an estimate as ``name``, ``name_se`` and ``name_pm``.

    ``name`` and ``name_se`` are floats (the value and its standard error),
    ``name_pm`` is the text ``value ± se``.

    Returns the ``value ± se`` text. In the prose: ``{glue:md}`name_pm```.
    """
    from IPython.display import Markdown

    text = fmt_pm(float(value), float(se), digits)
    glue_number(name, value)
    glue_number(f"{name}_se", se)
    glue(f"{name}_pm", Markdown(text), display=display)
    return text


def glue_moments(prefix: str, est: Moments) -> Moments:
    """Glue a sampled mean and variance, each as :func:`glue_estimate` does.

    Names: ``{prefix}_mean``, ``{prefix}_var`` (floats), their ``_se`` and
    ``_pm`` (``value ± se``) forms. Returns ``est``, so a computing line can
    glue what it computes: ``est = glue_moments("ch1_y", moments(y))``.

    Example:
        >>> from causalbook.stats import Moments
        >>> glue_moments("demo", Moments(4.012, 0.011, 2.98, 0.04, 20000)).n
        20000
    """
    glue_estimate(f"{prefix}_mean", est.mean, est.mean_se)
    glue_estimate(f"{prefix}_var", est.var, est.var_se)
    return est


def glue_text(name: str, text: str, display: bool = False) -> str:
    """Glue a piece of text (Markdown, so it may hold math).

    In the prose: ``{glue:md}`name```.
    """
    from IPython.display import Markdown

    glue(name, Markdown(text), display=display)
    return text


def versions() -> dict[str, str]:
    """The versions a chapter ran with.

    Python, NumPyro, JAX, ArviZ and this package.

    Example:
        >>> sorted(versions())
        ['ArviZ', 'JAX', 'NumPyro', 'Python', 'causalbook']
    """
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"

    return {
        "Python": platform.python_version(),
        "NumPyro": v("numpyro"),
        "JAX": v("jax"),
        "ArviZ": v("arviz"),
        "causalbook": v("causalbook"),
    }
