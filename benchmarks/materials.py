"""The course materials: ``make slides`` and ``make pdf`` with a warm cache,
and what the explorers add to the site.

Both commands reuse the book's execution cache (nothing executes again), so
they are timed as a reader of the README runs them, after ``make book`` and
``make book-student`` have filled the cache and built the sites (done first,
untimed, in the repository's own ``_build``). Each command runs
``BENCH_MATERIALS_REPS`` times (median). The explorers' figures come from
their browser tests (``tests/test_explorer_pages.py``, run here): the time
one slider step takes to re-render in headless Chromium and the bytes the
explorers add to the site, which the tests write to
``_build/explorer-timing.json`` and ``_build/explorer-size.json``.

Run: ``.venv/bin/python benchmarks/materials.py`` (``make bench`` runs it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

REPS = int(
    os.environ.get("BENCH_MATERIALS_REPS", "1" if common.QUICK else "2")
)
ROOT = common.ROOT


def make(*targets: str) -> float:
    """Wall-clock seconds of ``make <targets>`` in the repository."""
    # as in book.py: a non-interactive MPLBACKEND (make bench sets Agg) would
    # drop every figure from a chapter that executes
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    t = common.now()
    subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return common.now() - t


def explorer_figures() -> dict:
    """Run the explorers' timing and size tests; their reports."""
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),  # make setup's, with
            "-m",  # the browser tests' Chromium settings
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_explorer_pages.py",
            "-k",
            "rerenders_within or add_at_most",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    build = ROOT / "_build"
    return {
        "explorer_timing": json.loads(
            (build / "explorer-timing.json").read_text()
        ),
        "explorer_size": json.loads(
            (build / "explorer-size.json").read_text()
        ),
    }


def main() -> None:
    info = common.machine()
    make("book", "book-student")  # the warm cache and both sites, untimed
    slides = [make("slides") for _ in range(REPS)]
    print(f"make slides: {slides}", flush=True)
    pdf = [make("pdf") for _ in range(REPS)]
    print(f"make pdf: {pdf}", flush=True)
    explorers = explorer_figures()
    print(f"explorers: {explorers}", flush=True)
    common.save(
        "materials",
        {
            "machine": info,
            "slides": slides,
            "slides_median": statistics.median(slides),
            "pdf": pdf,
            "pdf_median": statistics.median(pdf),
            **explorers,
        },
    )


if __name__ == "__main__":
    main()
