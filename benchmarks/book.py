"""The book itself: a clean executed build, a cached rebuild, each chapter's
execution.

* Clean build: the commands of ``make book`` into an emptied directory, so
  every chapter executes: ``tools/execute_chapters.py`` (the chapters, two
  at a time, into the directory's execution cache, with JAX's persistent
  compilation cache beside it, empty at the start), then ``jupyter-book
  build <repo> --path-output <dir> --warningiserror --keep-going``; and once
  with the chapters executed one at a time (``--jobs 1``) and without the
  compilation cache, as MyST-NB alone would execute them: each chapter's
  time alone on the machine's cores, compiling everything it runs, as in a
  reader's fresh kernel.
* Cached rebuild: the same command again with nothing changed (chapters come
  from the jupyter-cache).
* Each chapter's execution time: from the jupyter-cache records of the clean
  builds (two chapters at a time) and of the one-at-a-time build (alone).
* What the JAX compilation cache changes: the clean build once with it
  switched off (``JAX_COMPILATION_CACHE_DIR`` empty), and a rebuild after
  every chapter changed (the execution cache emptied, the compilation cache
  of the clean build kept: each chapter executes again, its compiled
  programs loaded from disk), the case of an author editing chapters.
* Where a chapter's time goes: each chapter executed once more by nbclient,
  which records every cell's start and end; cells are grouped by what they
  call (NUTS, graph drawing, plotting, forward sampling, imports) and the
  slowest are listed.

The build directory defaults to a temporary one (``BENCH_BUILD_DIR``
overrides it); the repository's own ``_build`` is never touched.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import common

JB = str(Path(sys.executable).parent / "jupyter-book")
CLEAN_REPS = int(
    os.environ.get("BENCH_BOOK_CLEAN_REPS", "1" if common.QUICK else "2")
)
CACHED_REPS = int(
    os.environ.get("BENCH_BOOK_CACHED_REPS", "2" if common.QUICK else "3")
)

#: What a code cell's time is put down to, first match wins (regular
#: expressions on its source).
CATEGORIES = [
    ("NUTS", r"condition_nuts|\bMCMC\(|\.run\(|nuts"),
    ("graph drawing", r"render_model|causal_graph|graphviz"),
    ("forward sampling", r"\bsample\(|Predictive\(|sampling\."),
    ("plotting", r"plt\.|plots\.|\.plot\(|sns\."),
]


def _is_imports(source: str) -> bool:
    """Whether a cell is mostly imports: at least half its statements.

    Counted on the cell's top-level statements, so that an import wrapped
    over several lines counts once; a cell that does not parse (IPython
    syntax) is counted by lines.
    """
    try:
        body = ast.parse(source).body
    except SyntaxError:
        lines = [
            ln
            for ln in source.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")
        ]
        imports = [ln for ln in lines if re.match(r"\s*(import|from)\s", ln)]
        return bool(lines) and len(imports) >= len(lines) / 2
    imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
    return bool(body) and len(imports) >= len(body) / 2


def chapters() -> list[str]:
    import yaml

    toc = yaml.safe_load((common.ROOT / "_toc.yml").read_text())
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return [f for f in files if (common.ROOT / f"{f}.ipynb").exists()]


def build(
    out: Path, jax_cache: bool = True, jobs: int = 2
) -> tuple[float, int, str]:
    # The chapters' kernels must draw their figures inline, as in `make book`:
    # a non-interactive MPLBACKEND (Agg) would silently drop every matplotlib
    # figure from the build. The JAX compilation cache is make book's own,
    # in <out>/_build/.jax_cache, unless switched off (an empty directory
    # name).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MPLBACKEND", "JAX_COMPILATION_CACHE_DIR")
    }
    if not jax_cache:
        env["JAX_COMPILATION_CACHE_DIR"] = ""
    execute = [
        sys.executable,
        str(common.ROOT / "tools" / "execute_chapters.py"),
        "--cache",
        str(out / "_build" / ".jupyter_cache"),
        "--jobs",
        str(jobs),
    ]
    cmd = [
        JB,
        "build",
        str(common.ROOT),
        "--path-output",
        str(out),
        "--warningiserror",
        "--keep-going",
    ]
    t = common.now()
    p = subprocess.run(execute, capture_output=True, text=True, env=env)
    log = p.stdout + p.stderr
    if not p.returncode:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        log += p.stdout + p.stderr
    dt = common.now() - t
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)
    problems = [
        ln.strip()
        for ln in log.splitlines()
        if re.search(r"WARNING|ERROR|Error", ln) and "IPKernelApp" not in ln
    ]
    tail = (
        "\n".join(problems[-10:] or log.strip().splitlines()[-15:])
        if p.returncode
        else ""
    )
    return dt, p.returncode, tail


def execution_times(out: Path) -> dict[str, float]:
    from jupyter_cache import get_cache

    cache = get_cache(str(out / "_build" / ".jupyter_cache"))
    times = {}
    for rec in cache.list_cache_records():
        times[Path(rec.uri).stem] = float(
            rec.data.get("execution_seconds", float("nan"))
        )
    return times


def category(source: str) -> str:
    if _is_imports(source):
        return "imports"
    for name, pattern in CATEGORIES:
        if re.search(pattern, source, flags=re.MULTILINE):
            return name
    return "other"


def profile(chapter: str) -> dict:
    """Execute one chapter with nbclient and return where its time went."""
    import nbformat
    from nbclient import NotebookClient

    path = common.ROOT / f"{chapter}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t = common.now()
    client.execute()
    total = common.now() - t
    cells, by_cat = [], {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ex = cell.metadata.get("execution", {})
        try:
            start = datetime.fromisoformat(
                ex["iopub.execute_input"].replace("Z", "+00:00")
            )
            end = datetime.fromisoformat(
                ex["shell.execute_reply"].replace("Z", "+00:00")
            )
        except KeyError:
            continue
        dt = (end - start).total_seconds()
        cat = category(cell.source)
        by_cat[cat] = by_cat.get(cat, 0.0) + dt
        first = next(
            (
                ln
                for ln in cell.source.splitlines()
                if ln.strip() and not ln.startswith("#")
            ),
            "",
        )
        cells.append(
            {
                "index": i,
                "seconds": dt,
                "category": cat,
                "first_line": first[:80],
            }
        )
    cells.sort(key=lambda c: -c["seconds"])
    cell_sum = sum(c["seconds"] for c in cells)
    return {
        "total": total,
        "cells_total": cell_sum,
        "kernel_and_overhead": total - cell_sum,
        "by_category": by_cat,
        "slowest": cells[:4],
    }


def main() -> None:
    info = common.machine()
    base = Path(
        os.environ.get("BENCH_BUILD_DIR")
        or tempfile.mkdtemp(prefix="bench-build-")
    )
    chs = chapters()
    clean, cached, per_chapter, failures = [], [], {}, []
    for rep in range(CLEAN_REPS):
        shutil.rmtree(base, ignore_errors=True)
        dt, rc, tail = build(base)
        clean.append(dt)
        if rc:
            failures.append(
                {
                    "build": f"clean {rep + 1}",
                    "returncode": rc,
                    "log_tail": tail,
                }
            )
        for ch, s in execution_times(base).items():
            per_chapter.setdefault(ch, []).append(s)
        print(f"clean build {rep + 1}: {dt:.1f}s (exit {rc})", flush=True)
    for rep in range(CACHED_REPS):
        dt, rc, tail = build(base)
        cached.append(dt)
        if rc:
            failures.append(
                {
                    "build": f"cached {rep + 1}",
                    "returncode": rc,
                    "log_tail": tail,
                }
            )
        print(f"cached rebuild {rep + 1}: {dt:.1f}s (exit {rc})", flush=True)
    # every chapter changed: the execution cache goes, the compiled code stays
    shutil.rmtree(base / "_build" / ".jupyter_cache", ignore_errors=True)
    all_changed, rc, tail = build(base)
    if rc:
        failures.append(
            {
                "build": "every chapter changed, JAX cache kept",
                "returncode": rc,
                "log_tail": tail,
            }
        )
    print(
        f"rebuild, every chapter changed, JAX cache kept: {all_changed:.1f}s",
        flush=True,
    )
    shutil.rmtree(base, ignore_errors=True)
    # alone and cold: no compiled program from the chapters before it
    serial, rc, tail = build(base, jax_cache=False, jobs=1)
    if rc:
        failures.append(
            {
                "build": "clean, one chapter at a time",
                "returncode": rc,
                "log_tail": tail,
            }
        )
    print(f"clean build, one chapter at a time: {serial:.1f}s", flush=True)
    per_chapter_alone = execution_times(base)
    shutil.rmtree(base, ignore_errors=True)
    no_jax_cache, rc, tail = build(base, jax_cache=False)
    if rc:
        failures.append(
            {
                "build": "clean, without the JAX cache",
                "returncode": rc,
                "log_tail": tail,
            }
        )
    print(
        f"clean build without the JAX cache: {no_jax_cache:.1f}s", flush=True
    )
    profiles = {}
    for ch in chs:
        try:
            profiles[Path(ch).name] = profile(ch)
            p = profiles[Path(ch).name]
            by_cat = {k: round(v, 1) for k, v in p["by_category"].items()}
            print(
                f"profile {ch}: {p['total']:.1f}s {json.dumps(by_cat)}",
                flush=True,
            )
        except Exception as err:  # noqa: BLE001
            # A broken chapter is reported, not fatal here.
            profiles[Path(ch).name] = {"error": repr(err)[:500]}
    if not os.environ.get("BENCH_BUILD_DIR"):
        shutil.rmtree(base, ignore_errors=True)
    common.save(
        "book",
        {
            "machine": info,
            "versions": common.versions(
                "jupyter-book", "myst-nb", "sphinx", "jupyter-cache"
            ),
            "chapters": [Path(c).name for c in chs],
            "clean": clean,
            "clean_median": statistics.median(clean),
            "cached": cached,
            "cached_median": statistics.median(cached),
            "rebuild_all_changed": all_changed,
            "clean_without_jax_cache": no_jax_cache,
            "clean_one_at_a_time": serial,
            "per_chapter_alone": per_chapter_alone,
            "per_chapter": {
                k: {"runs": v, "median": statistics.median(v)}
                for k, v in per_chapter.items()
            },
            "profiles": profiles,
            "failures": failures,
        },
    )


if __name__ == "__main__":
    main()
