"""Shared fixtures: the repository root, and the chapters' glued numbers.

Each chapter glues numbers into the built book; the fixtures read them back.

Also the Hypothesis profiles of the property tests (tests/test_properties.py):

* ``ci`` (the default, and what ``make test`` uses): derandomized, so every
  run checks the same generated models; 100 examples a property.
* ``long`` (``make test-properties``): derandomized too, ten times as many
  examples (about a thousand models a property).
* ``explore``: random, for hunting new failures; Hypothesis prints the seed
  and a ``@reproduce_failure`` blob to replay one.

Select one with ``HYPOTHESIS_PROFILE=long`` or ``--hypothesis-profile=long``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_PROPERTY_SETTINGS = {
    "deadline": None,  # the first example of a test warms JAX up
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    database=None,
    **_PROPERTY_SETTINGS,
)
settings.register_profile(
    "long",
    max_examples=1000,
    derandomize=True,
    database=None,
    **_PROPERTY_SETTINGS,
)
settings.register_profile("explore", max_examples=300, **_PROPERTY_SETTINGS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from common import chapters, pages  # noqa: E402

#: Where `make book` builds; BOOK_BUILD_DIR points the tests at another build.
BUILD = Path(os.environ.get("BOOK_BUILD_DIR", ROOT / "_build")).resolve()


#: Every page of the table of contents, and the chapters (pages whose source
#: is a notebook), read by the course-material tools' own functions.
PAGES = pages()
CHAPTERS = chapters()


def glued_estimates(g: dict) -> list[str]:
    """Names glued by ``report.glue_estimate``: a value with its ``_se``
    and ``_pm`` forms."""
    return sorted(n for n in g if f"{n}_se" in g and f"{n}_pm" in g)


def far_from_exact(
    g: dict, truth: dict, names: list[str], tol: float
) -> list[tuple]:
    """``(name, estimate, se, exact)`` of each estimate at least ``tol``
    standard errors from its exact value (NaN counts as far)."""
    return [
        (n, g[n], g[f"{n}_se"], truth[n])
        for n in names
        if not abs(g[n] - truth[n]) < tol * g[f"{n}_se"]
    ]


def _parse(output: dict):
    data = output.get("data", {})
    if "text/markdown" in data:
        return data["text/markdown"]
    text = data.get("text/plain", "")
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


def glued_values(stem: str) -> dict:
    """The values a chapter glued, read from the last build's notebook.

    Numbers come back as floats, Markdown text as strings.
    """
    path = BUILD / "jupyter_execute" / "notebooks" / f"{stem}.glue.json"
    if not path.exists():
        pytest.fail(
            f"{path} is missing: build the book first (`make book`, or "
            "`make test` which does it)"
        )
    return {
        name: _parse(out) for name, out in json.loads(path.read_text()).items()
    }


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def glued():
    """``glued("01_three_models")`` -> ``{name: value}``.

    The values glued by that chapter in the built book.
    """
    cache: dict[str, dict] = {}

    def get(stem: str) -> dict:
        if stem not in cache:
            cache[stem] = glued_values(stem)
        return cache[stem]

    return get


# The browser tests' fixtures (site_url, browser, open_page), defined once for
# test_site.py, test_layout.py and test_accessibility.py: one Chromium serves
# the whole session.
from site_browser import browser, open_page, site_url  # noqa: E402, F401
