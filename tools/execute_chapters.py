"""Execute the chapters that the execution cache lacks, two at a time.

``make book`` runs this before ``jupyter-book build``. MyST-NB (execution
mode ``cache``) executes each outdated chapter itself, but one after another,
as Sphinx reads them: on two cores, one core waits while a chapter compiles
its NUTS sampler (compilation is single-threaded). This script executes the
chapters whose code the cache does not hold in parallel (``--jobs``, the
longest first) exactly as MyST-NB would (the same cache, working directory,
timeout and ``jupyter_cache`` call, errors not allowed) and stores them in the
cache, so that the build then only reads them. A chapter that fails stops
the script with its traceback, as it would stop the strict build.

The chapters' kernels keep what XLA compiles (NUTS samplers above all) in
JAX's persistent compilation cache, ``.jax_cache`` beside the execution cache
(``_build/.jax_cache``, so ``make clean`` empties it too), unless
``JAX_COMPILATION_CACHE_DIR`` is set already. Within a build, a chapter that
compiles the same program as a chapter before it (Chapters 3, 4 and 5 run
the same NUTS program on the three conditioned models) loads it from disk;
after an edit, the changed chapter executes again with its unchanged
programs loaded rather than compiled. The executables loaded are the ones
compiled before, so the numbers do not change. Every program is kept, however
quickly it compiled (JAX keeps only those over 1 s by default): the
forward samplers and the small array operations that every chapter runs
compile in 0.05 to 0.5 s each, and together they cost a chapter 2 to 7 s
(measured on 2 cores), which the chapters after the first load instead.

The execution cache keys on each chapter's code cells only, so a change to
``causalbook`` (or to the pinned environment) would leave every chapter's old
outputs in place. The script keeps a fingerprint of ``causalbook/`` and
``requirements.txt`` beside the cache (``.jupyter_cache.helpers``); when it
differs from the current one, the cache is cleared first and every chapter
executes again (with the compilation cache, about a minute on 2 cores).

Usage: ``python tools/execute_chapters.py [--cache _build/.jupyter_cache]
[--jobs 2]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters, config  # noqa: E402

#: The order to start chapters in when the cache has no earlier run time:
#: the slowest first (as measured on 2 cores), so that the two workers end
#: together.
SLOWEST_FIRST = ("04", "02", "05", "03", "06", "01")


def execute(path: str, timeout: int) -> tuple[str, float, bool, str]:
    """Execute one chapter as MyST-NB does.

    Returns ``(path, seconds, succeeded, executed notebook or traceback)``.
    """
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb,
        cwd=str(Path(path).parent),
        timeout=timeout,
        allow_errors=False,
        meta_override=True,
    )
    if result.err is not None:
        return path, result.time, False, result.exc_string or ""
    return path, result.time, True, nbformat.writes(nb)


def helpers_fingerprint(root: Path = ROOT) -> str:
    """A hash of what the chapters' outputs depend on besides their code.

    The helper package's sources and the pinned environment: the execution
    cache knows only the chapters' code cells.
    """
    h = hashlib.sha256()
    files = sorted((root / "causalbook").rglob("*.py"))
    for path in [*files, root / "requirements.txt"]:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def check_helpers(cache, stamp: Path) -> bool:
    """Clear the execution cache if the helpers changed since it was filled.

    ``stamp`` holds the fingerprint the cached chapters were executed with;
    a cache with records but no stamp counts as changed. Returns whether the
    cache was cleared.
    """
    now = helpers_fingerprint()
    before = stamp.read_text().strip() if stamp.exists() else None
    cleared = False
    if before != now and cache.list_cache_records():
        cache.clear_cache()
        cleared = True
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(now + "\n")
    return cleared


def rank(path: Path) -> int:
    """Position of a chapter in :data:`SLOWEST_FIRST` (unknown ones last)."""
    number = path.name[:2]
    return (
        SLOWEST_FIRST.index(number)
        if number in SLOWEST_FIRST
        else len(SLOWEST_FIRST)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    settings = config().get("execute", {})
    if settings.get("execute_notebooks", "cache") != "cache":
        print("execute_notebooks is not 'cache': nothing to do")
        return 0
    timeout = int(settings.get("timeout", 300))
    # read by JAX in each chapter's kernel, which inherits this environment;
    # a size limit turns on JAX's locking of the cache (with filelock), so
    # that a chapter never reads an entry that another is writing
    os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(2**31))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault(
        "JAX_COMPILATION_CACHE_DIR",
        str(args.cache.resolve().parent / ".jax_cache"),
    )
    cache = get_cache(str(args.cache))
    stamp = args.cache.with_name(args.cache.name + ".helpers")
    if check_helpers(cache, stamp):
        print(
            "causalbook or requirements.txt changed since the chapters were "
            "executed: executing every chapter again",
            flush=True,
        )
    todo = []
    for page in chapters():
        path = ROOT / f"{page}.ipynb"
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        print("every chapter is in the execution cache")
        return 0
    todo.sort(key=rank)
    names = ", ".join(p.stem for p in todo)
    print(f"executing {names} ({args.jobs} at a time)", flush=True)
    start = time.perf_counter()
    failed = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = [pool.submit(execute, str(p), timeout) for p in todo]
        for run in as_completed(runs):
            path, seconds, succeeded, out = run.result()
            name = Path(path).relative_to(ROOT)
            if not succeeded:
                print(f"{name}: failed after {seconds:.1f} s\n{out}")
                failed.append(name)
                continue
            stage = cache.add_nb_to_project(path)
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    nbformat.reads(out, as_version=4),
                    stage.uri,
                    data={"execution_seconds": seconds},
                ),
                check_validity=False,
                overwrite=True,
            )
            # Sphinx reads again only the pages whose source changed: mark
            # the chapter changed, so that its page shows these outputs
            os.utime(path)
            print(f"{name}: executed in {seconds:.2f} s", flush=True)
    wall = time.perf_counter() - start
    print(f"{len(todo) - len(failed)} chapters executed in {wall:.1f} s wall")
    if failed:
        print(f"error: {', '.join(map(str, failed))} failed (traceback above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
