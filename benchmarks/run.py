"""``make bench``: every benchmark in one run, then the report (results.md,
results.png).

Each part runs in its own process, one after another (never two at once on
the 2 cores), so that JAX's device setting, PyMC's worker processes and the
book's builds do not share a process: forward draws (JAX/NumPy, then PyMC),
conditioning by NUTS (NumPyro, then PyMC), the book's builds, the cost of
importing ArviZ and seaborn (``imports.py``), the book's sampler on the
models ``to_numpyro()`` writes (``sampling.py``), the property-based tests
(``properties.py``), and the course materials and explorers
(``materials.py``). PyMC is timed with PyTensor's compile cache in
``benchmarks/out/pytensor``, emptied first and filled by ``pymc_warmup.py``
(whose time is the cold compilation: PyTensor 3 compiles with Numba and
keeps what it compiled there).

Environment: ``BENCH_QUICK=1`` for a short trial run (1e5 draws, two
repetitions, one clean build); ``BENCH_ONLY=forward_numpyro,nuts_numpyro`` to
run some parts only (the report uses the last saved results of the others);
``BENCH_REPS``, ``BENCH_BUDGET``, ``BENCH_BOOK_CLEAN_REPS``,
``BENCH_BOOK_CACHED_REPS``, ``BENCH_BUILD_DIR`` (see common.py, book.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import common

PARTS = [
    "forward_numpyro",
    "pymc_warmup",
    "forward_pymc",
    "nuts_numpyro",
    "nuts_pymc",
    "book",
    "imports",
    "sampling",
    "properties",
    "materials",
]


def main() -> int:
    only = [p for p in os.environ.get("BENCH_ONLY", "").split(",") if p]
    parts = [p for p in PARTS if not only or p in only]
    pytensor_dir = common.OUT / "pytensor"
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        PYTENSOR_FLAGS=f"base_compiledir={pytensor_dir}",
    )
    if "pymc_warmup" in parts:
        shutil.rmtree(pytensor_dir, ignore_errors=True)
    failed = []
    for part in parts:
        # Never report a stale result.
        (common.OUT / f"{part}.json").unlink(missing_ok=True)
        print(f"== {part}", flush=True)
        t = time.perf_counter()
        rc = subprocess.run(
            [sys.executable, str(common.HERE / f"{part}.py")],
            cwd=common.HERE,
            env=env,
        ).returncode
        print(
            f"== {part}: {time.perf_counter() - t:.0f}s, exit {rc}", flush=True
        )
        if rc:
            failed.append(part)
    rc = subprocess.run(
        [sys.executable, str(common.HERE / "report.py")],
        cwd=common.HERE,
        env=env,
    ).returncode
    if rc:
        failed.append("report")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
