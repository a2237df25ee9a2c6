"""Turn the raw timings (benchmarks/out/*.json) into results.md and
results.png.

``results.md`` is included in the book's appendix page (book/performance.md)
from the marker line on, and ``results.png`` is its figure. Both are
committed, so the book builds where ``make bench`` never ran.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg")
import common  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

MARKER = (
    "<!-- the book's appendix page includes this file from the next line on "
    "-->"
)
FIGURE = common.HERE / "results.png"

MODELS = ("M1", "M2", "M3")
QUERIES = ("joint", "do(X=3)")
FORWARD = {  # method: (label, short label for the figure)
    "book": ("`causalbook.sampling.sample` (the book)", "book: sample()"),
    "jax_hand": ("equations by hand, `jax.jit`", "by hand, jax.jit"),
    "numpy_hand": ("equations by hand, NumPy", "by hand, NumPy"),
    "predictive_parallel": (
        "`Predictive(..., parallel=True)`",
        "Predictive(parallel=True)",
    ),
    "predictive": (
        "`Predictive(model, num_samples=n)`, defaults",
        "Predictive, defaults",
    ),
    "pymc_vectorized": (
        "PyMC, `shape=n` model, compiled once",
        "PyMC, shape=n",
    ),
    "pymc_prior_predictive": (
        "PyMC `pm.sample_prior_predictive` (`pm.do`)",
        "PyMC sample_prior_predictive",
    ),
}
NUTS_METHODS = {
    "book_nuts": (
        "`condition_nuts` (the book, compiled once)",
        "book: condition_nuts",
    ),
    "numpyro_mcmc": ("NumPyro `MCMC(NUTS(...)).run`", "NumPyro MCMC.run"),
    "pymc_nuts": ("PyMC `pm.observe` + `pm.sample`", "PyMC pm.sample"),
}
TARGETS = {
    "ess_per_s": 50_000,
    "vs_pymc": 10.0,
    "clean": 60.0,
    "cached": 5.0,
    "chapter": 30.0,
    # issue 15: the adjustment chapter within 20 s
    "chapter_06": 20.0,
    "materials": 60.0,
    "slider_ms": 50.0,
    "properties": 60.0,
}


def fmt_s(s: float) -> str:
    """Seconds in a readable unit."""
    if s != s:  # NaN
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_ratio(r: float) -> str:
    return "n/a" if r != r else (f"{r:.2f}×" if r < 10 else f"{r:,.0f}×")


def fmt_int(v: float) -> str:
    return "n/a" if v != v else f"{v:,.0f}"


def table(
    header: list[str], rows: list[list[str]], align: str | None = None
) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def forward_results() -> list[dict]:
    rows = []
    for name in ("forward_numpyro", "forward_pymc"):
        d = common.load(name)
        if d:
            rows += d["results"]
    return rows


def lookup(rows: list[dict], **kw) -> dict | None:
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def forward_ratios(rows: list[dict], method: str, n: int) -> list[float]:
    """(method's steady time / hand-written JAX's) per model and query, same
    run."""
    ratios = []
    for m in MODELS:
        for q in QUERIES:
            a, b = (
                lookup(rows, method=method, model=m, query=q, n=n),
                lookup(rows, method="jax_hand", model=m, query=q, n=n),
            )
            if a and b:
                ratios.append(a["median"] / b["median"])
    return ratios


def forward_ratio(rows: list[dict], method: str, n: int) -> float:
    """Median over models and queries of (method's steady time / hand-written
    JAX's), same run."""
    ratios = forward_ratios(rows, method, n)
    return statistics.median(ratios) if ratios else float("nan")


def forward_summary(
    rows: list[dict], field: str, method: str, n: int
) -> float:
    vals = [r[field] for r in rows if r["method"] == method and r["n"] == n]
    return statistics.median(vals) if vals else float("nan")


# The tables' layout. Each fits the book's page column at a 1280-px window
# (tests/test_layout.py): a table of many columns is split or transposed.

#: The forward draws' summary table, one per number of draws.
FORWARD_HEADER = ["method", "first call", "steady", "÷ by-hand JAX"]
#: The rows of the table of where each chapter's time goes (one column per
#: chapter).
PROFILE_CATEGORIES = [
    "imports",
    "NUTS",
    "forward sampling",
    "plotting",
    "graph drawing",
    "other",
]
PROFILE_ROWS = ["total", *PROFILE_CATEGORIES, "kernel, other", "slowest cell"]


def forward_size_table(n: int, body: list[list[str]]) -> str:
    """The summary of forward draws for ``n`` draws.

    ``body``: per method, its label, first call, steady time and ratio.
    """
    return f"{n:,} draws:\n\n" + table(FORWARD_HEADER, body)


def chapter_label(stem: str) -> str:
    """A chapter's short name: ``01_three_models`` -> ``1. three models``."""
    number, _, name = stem.partition("_")
    return f"{int(number)}. {name.replace('_', ' ')}" if name else stem


def profile_table(columns: dict[str, list[str]]) -> str:
    """Where each chapter's time goes: a row per ``PROFILE_ROWS`` entry, a
    column per chapter (``columns``: chapter stem -> its entries)."""
    header = ["time spent on"] + [chapter_label(c) for c in columns]
    rows = [
        [what] + [entries[i] for entries in columns.values()]
        for i, what in enumerate(PROFILE_ROWS)
    ]
    return table(header, rows)


def forward_section(rows: list[dict]) -> tuple[str, dict]:
    sizes = sorted({r["n"] for r in rows})
    out = ["## Forward draws", ""]
    out.append(
        "Draws of every variable, for the three models, of the joint "
        "distribution and under do(X = 3). *First call*: in a fresh process, "
        "tracing and compilation included; *steady*: the median of later "
        "calls with new seeds, each after an untimed call of the same method "
        "(JAX may still be finishing work a previous call left queued). Each "
        "entry is the median over the three models and the two queries; the "
        "last column divides each method's steady time by that of the "
        "hand-written jitted JAX equations for the same model, query and "
        "size, measured in the same run, and takes the median of those "
        "ratios. One table per number of draws:"
    )
    out.append("")
    for n in sizes:
        body = [
            [
                label,
                fmt_s(forward_summary(rows, "first", method, n)),
                fmt_s(forward_summary(rows, "median", method, n)),
                fmt_ratio(forward_ratio(rows, method, n)),
            ]
            for method, (label, _) in FORWARD.items()
            if any(r["method"] == method for r in rows)
        ]
        out += [forward_size_table(n, body), ""]
    n = max(sizes)
    out += [f"Steady-state time for {n:,} draws, per model and query:", ""]
    header = ["method"] + [f"{m} {q}" for m in MODELS for q in QUERIES]
    body = []
    for method, (label, _) in FORWARD.items():
        row = [label]
        for m in MODELS:
            for q in QUERIES:
                r = lookup(rows, method=method, model=m, query=q, n=n)
                row.append(fmt_s(r["median"]) if r else "n/a")
        if any(c != "n/a" for c in row[1:]):
            body.append(row)
    out += [table(header, body), ""]
    facts = {
        "sampler_vs_hand": forward_ratio(rows, "book", n),
        "n": n,
        "sampler_vs_hand_range": (
            min(forward_ratios(rows, "book", n), default=float("nan")),
            max(forward_ratios(rows, "book", n), default=float("nan")),
        ),
        "predictive_vs_hand": forward_ratio(rows, "predictive", n),
        "predictive_vs_book": forward_summary(rows, "median", "predictive", n)
        / forward_summary(rows, "median", "book", n),
    }
    return "\n".join(out), facts


def nuts_section() -> tuple[str, dict]:
    rows = []
    settings = None
    for name in ("nuts_numpyro", "nuts_pymc"):
        d = common.load(name)
        if d:
            rows += d["results"]
            settings = d["settings"]
    out = ["## Conditioning by NUTS", ""]
    if settings:
        out.append(
            "P(Y | X = 3), exactly N(4, 3) in all three models, by NUTS with "
            f"{settings['chains']} chains in parallel, {settings['warmup']} "
            f"warm-up steps and {settings['draws']} draws per chain for every "
            "method. *Steady*: the median wall time of later calls with new "
            "seeds; ESS: ArviZ's bulk effective sample size of y (median over "
            "the runs); ESS/s: that ESS over the steady wall time, warm-up "
            "included. Mean and variance of y from the first run (seed 0), ± "
            "their Monte Carlo standard errors, against the exact 4 and 3: "
            "with the same key, `condition_nuts` and `MCMC.run` give the same "
            "chains. The targets table checks every run."
        )
        out.append("")
    header = [
        "model",
        "method",
        "first call",
        "steady",
        "bulk ESS",
        "ESS/s",
        "mean of y",
        "variance of y",
    ]
    body = []
    for m in MODELS:
        for method, (label, _) in NUTS_METHODS.items():
            r = lookup(rows, model=m, method=method)
            if not r:
                continue
            q = r["runs"][0]
            body.append(
                [
                    m,
                    label,
                    fmt_s(r["first"]),
                    fmt_s(r["median"]),
                    fmt_int(r["ess_bulk_median"]),
                    fmt_int(r["ess_per_s"]),
                    f"{q['mean']:.3f} ± {q['mean_se']:.3f}",
                    f"{q['var']:.3f} ± {q['var_se']:.3f}",
                ]
            )
    out += [table(header, body, "llrrrrrr"), ""]
    facts = {}
    book = [lookup(rows, model=m, method="book_nuts") for m in MODELS]
    pymc = [lookup(rows, model=m, method="pymc_nuts") for m in MODELS]
    mcmc = [lookup(rows, model=m, method="numpyro_mcmc") for m in MODELS]
    if all(book):
        facts["book_ess_min"] = min(r["ess_per_s"] for r in book)
        facts["worst_z"] = max(
            max(q["z_mean"], q["z_var"]) for r in book for q in r["runs"]
        )
    if all(book) and all(pymc):
        facts["vs_pymc_min"] = min(
            b["ess_per_s"] / p["ess_per_s"]
            for b, p in zip(book, pymc, strict=True)
        )
    if all(book) and all(mcmc):
        facts["vs_mcmc_min"] = min(
            b["ess_per_s"] / p["ess_per_s"]
            for b, p in zip(book, mcmc, strict=True)
        )
        facts["mcmc_run_median"] = statistics.median(r["median"] for r in mcmc)
    d = common.load("nuts_numpyro")
    if d and "sweep" in d:
        sw = d["sweep"]
        facts["sweep"] = sw
        line = (
            f"A sweep of E[Y | X = x] over {sw['points']} values of x in "
            "model 2 by `condition_nuts` (new evidence and seed each time, "
            f"its one compilation included) took {fmt_s(sw['median'])}"
        )
        if "mcmc_run_median" in facts:
            line += f"; one `MCMC.run` takes {fmt_s(facts['mcmc_run_median'])}"
        out += [
            line
            + (
                " (largest |error| / standard error of the ten means: "
                f"{sw['max_abs_z_mean']:.2f})."
            ),
            "",
        ]
    return "\n".join(out), facts


def book_section() -> tuple[str, dict]:
    d = common.load("book")
    if not d:
        return "", {}
    out = ["## Building the book", ""]
    out.append(
        "The book built as `make book` builds it (the chapters missing from "
        "the execution cache executed two at a time by "
        "`tools/execute_chapters.py`, with JAX's persistent compilation cache "
        "in `_build/.jax_cache`, then `jupyter-book build`), into an empty "
        "directory "
        f"(clean: every chapter executes and the compilation cache starts "
        f"empty; median of {len(d['clean'])}) and again with nothing changed "
        "(cached: chapters come from the execution cache; median of "
        f"{len(d['cached'])}). They come from this benchmark run, on the date "
        "and machine above; the book's page *How long each chapter takes* "
        "lists instead the execution times of the build that made the site, "
        "on the machine that built it, and the two differ with the machine "
        "and its load. The compilation cache is shown at work twice: the "
        "clean build without it, and a rebuild after every chapter changed "
        "(the execution cache emptied, the compiled programs kept), what an "
        "author editing chapters waits for."
    )
    out.append("")
    rows = [
        [
            "clean executed build",
            fmt_s(d["clean_median"]),
            f"{TARGETS['clean']:.0f} s",
            _verdict(d["clean_median"], TARGETS["clean"]),
        ],
        [
            "cached rebuild",
            fmt_s(d["cached_median"]),
            f"{TARGETS['cached']:.0f} s",
            _verdict(d["cached_median"], TARGETS["cached"]),
        ],
    ]
    for key, label in [
        (
            "clean_one_at_a_time",
            "clean build, chapters executed one at a time and without the "
            "JAX cache (as MyST-NB alone does)",
        ),
        ("clean_without_jax_cache", "clean build without the JAX cache"),
        (
            "rebuild_all_changed",
            "rebuild after every chapter changed (JAX cache kept)",
        ),
    ]:
        if key in d:
            rows.append([label, fmt_s(d[key]), "", ""])
    out += [table(["what", "time", "budget", "result"], rows, "lrrl"), ""]
    out += [
        "Each chapter's execution time as the execution cache recorded it: "
        "alone (in the one-at-a-time build, the chapter with the machine's "
        "cores to itself and nothing compiled before it, as in a reader's "
        "fresh kernel) and beside another chapter (in the clean builds, "
        "median). The budgets apply to a chapter alone.",
        "",
    ]
    rows = []
    for ch in d["chapters"]:
        alone = d.get("per_chapter_alone", {}).get(ch, float("nan"))
        two = d["per_chapter"].get(ch, {}).get("median", float("nan"))
        budget = chapter_budget(ch)
        rows.append(
            [
                f"`{ch}`",
                fmt_s(alone),
                fmt_s(two),
                f"{budget:.0f} s",
                _verdict(alone, budget),
            ]
        )
    out += [
        table(
            ["chapter", "alone", "two at a time", "budget", "result"],
            rows,
            "lrrrl",
        ),
        "",
    ]
    prof = {
        k: v for k, v in d.get("profiles", {}).items() if "by_category" in v
    }
    if prof:
        out += [
            "Where each chapter's time goes (one more execution per chapter, "
            "cells grouped by what they call; kernel start and the rest in "
            "*kernel, other*):",
            "",
        ]
        columns = {
            ch: [fmt_s(p["total"])]
            + [fmt_s(p["by_category"].get(c, 0.0)) for c in PROFILE_CATEGORIES]
            + [
                fmt_s(p["kernel_and_overhead"]),
                f"{p['slowest'][0]['category']}: "
                f"{fmt_s(p['slowest'][0]['seconds'])}"
                if p["slowest"]
                else "",
            ]
            for ch, p in prof.items()
        }
        out += [profile_table(columns), ""]
    if d.get("failures"):
        problems = sorted(
            {
                ln
                for f in d["failures"]
                for ln in f["log_tail"].splitlines()
                if ln.strip()
            }
        )
        out += [
            "Builds that failed during the benchmark (their times are still "
            "those of the whole build, with `--keep-going`): "
            + ", ".join(f["build"] for f in d["failures"])
            + ". "
            "What they reported:",
            "",
        ]
        out += [f"    {ln[:200]}" for ln in problems[:10]] + [""]
    imp = common.load("imports")
    if imp:
        med, n_ch = imp["median"], len(d["chapters"])
        out.append(
            "What a chapter's first cell pays to import the book's stack, in "
            f"fresh processes (median of {len(imp['runs'])}; "
            "`benchmarks/imports.py`), each row on top of the ones above "
            f"it; the last column multiplies by the {n_ch} chapters that "
            "import it:"
        )
        out.append("")
        rows = [
            [
                f"`{imp['steps'][k]}`",
                fmt_s(med[k]),
                fmt_s(med[k] * n_ch),
            ]
            for k in imp["steps"]
        ]
        out += [
            table(["import", "per chapter", "whole book"], rows, "lrr"),
            "",
        ]
    facts = {
        "seaborn_book": imp["median"]["seaborn"] * len(d["chapters"])
        if imp
        else None,
        "clean": d["clean_median"],
        "cached": d["cached_median"],
        "chapters": {
            ch: d.get("per_chapter_alone", {}).get(
                ch, d["per_chapter"].get(ch, {}).get("median", float("nan"))
            )
            for ch in d["chapters"]
        },
    }
    return "\n".join(out), facts


def helper_section() -> tuple[str, dict]:
    """``to_numpyro()`` models against the hand-written ones; the
    property-based tests."""
    samp, prop = common.load("sampling"), common.load("properties")
    if not samp and not prop:
        return "", {}
    out, facts = ["## The helper package", ""], {}
    if samp:
        facts["to_numpyro_cpu"] = samp["cpu_to_numpyro_over_book_median"]
        out.append(
            "`causalbook.sampling.sample` on the models that "
            "`LinearGaussianSCM.to_numpyro()` writes from the linear "
            "specifications, against the hand-written sample-site models "
            "`scm_1..3` (`benchmarks/sampling.py`; "
            f"{samp['results'][0]['n']:,} draws, of the joint and under "
            "do(X = 3); median of interleaved repetitions). The CPU-time "
            "ratio is the steadier one on a shared machine."
        )
        out.append("")
        rows = [
            [
                r["model"],
                r["query"],
                fmt_s(r["book_median_s"]),
                fmt_s(r["to_numpyro_median_s"]),
                fmt_ratio(r["to_numpyro_over_book"]),
                fmt_ratio(r["cpu_to_numpyro_over_book"]),
            ]
            for r in samp["results"]
        ]
        rows.append(
            [
                "median",
                "",
                "",
                "",
                fmt_ratio(samp["to_numpyro_over_book_median"]),
                fmt_ratio(samp["cpu_to_numpyro_over_book_median"]),
            ]
        )
        out += [
            table(
                [
                    "model",
                    "query",
                    "`scm_m`",
                    "`to_numpyro()`",
                    "ratio",
                    "CPU ratio",
                ],
                rows,
                "llrrrr",
            ),
            "",
        ]
    if prop:
        facts["properties_wall"] = prop["wall_s"]
        facts["properties_models"] = prop["models_total"]
        load = prop.get("load_average_before", [float("nan")])[0]
        out.append(
            "The property-based tests (`tests/test_properties.py`, Hypothesis "
            f"profile `{prop['profile']}` as `make test` runs them; "
            "`benchmarks/properties.py`): "
            f"{prop['models_total']:,} generated models in "
            f"{fmt_s(prop['wall_s'])} wall-clock time ({fmt_s(prop['cpu_s'])} "
            f"of CPU; load average {load:.1f} at the start)."
        )
        out.append("")
        rows = [
            [f"`{name}`", fmt_int(n)]
            for name, n in prop["models_per_property"].items()
        ]
        out += [table(["property", "models"], rows, "lr"), ""]
    return "\n".join(out), facts


def materials_section() -> tuple[str, dict]:
    """``make slides``, ``make pdf`` and the explorers."""
    d = common.load("materials")
    if not d:
        return "", {}
    out = ["## Course materials and explorers", ""]
    out.append(
        "`make slides` and `make pdf` with the execution cache warm (after "
        "`make book` and `make book-student`; nothing executes again), "
        f"median of {len(d['slides'])} runs each "
        "(`benchmarks/materials.py`). The explorers' figures come from their "
        "browser tests in headless Chromium (`tests/test_explorer_pages.py`): "
        "the time one slider step takes to re-render, and the bytes the "
        "explorers add to the site (the Vega files it serves and the "
        "explorers' markup in their pages)."
    )
    out.append("")
    rows = [
        [
            "`make slides`",
            fmt_s(d["slides_median"]),
            f"{TARGETS['materials']:.0f} s",
            _verdict(d["slides_median"], TARGETS["materials"]),
        ],
        [
            "`make pdf` (both editions)",
            fmt_s(d["pdf_median"]),
            f"{TARGETS['materials']:.0f} s",
            _verdict(d["pdf_median"], TARGETS["materials"]),
        ],
    ]
    for where, r in d.get("explorer_timing", {}).items():
        rows.append(
            [
                f"one slider step, {where} (median; 90th percentile "
                f"{r['p90_ms']:.0f} ms)",
                fmt_s(r["median_ms"] / 1e3),
                f"{TARGETS['slider_ms']:.0f} ms",
                _verdict(r["median_ms"], TARGETS["slider_ms"]),
            ]
        )
    size = d.get("explorer_size", {})
    if size:
        rows.append(
            [
                "what the explorers add to the site",
                f"{size['total'] / 1e6:.2f} MB",
                "2 MB",
                _verdict(size["total"], 2 * 1024 * 1024),
            ]
        )
    out += [table(["what", "measured", "budget", "result"], rows, "lrrl"), ""]
    return "\n".join(out), d


def chapter_budget(chapter: str) -> float:
    """A chapter's execution budget, alone on the machine."""
    return TARGETS.get(f"chapter_{chapter[:2]}", TARGETS["chapter"])


def _verdict(value: float, budget: float) -> str:
    if value != value:
        return "not measured"
    return "within" if value <= budget else f"over by {fmt_s(value - budget)}"


def targets_section(
    fwd: dict,
    nuts: dict,
    bk: dict,
    helper: dict | None = None,
    materials: dict | None = None,
) -> str:
    helper, materials = helper or {}, materials or {}
    out = ["## The targets", ""]
    rows = []
    if fwd:
        r = fwd["sampler_vs_hand"]
        lo, hi = fwd["sampler_vs_hand_range"]
        rows.append(
            [
                "the book's sampler at or below the cost of hand-written "
                f"jitted JAX, {fwd['n']:,} draws (median of the six "
                "model-query ratios; their range)",
                f"{fmt_ratio(r)} ({fmt_ratio(lo)} to {fmt_ratio(hi)})",
                "met" if r <= 1.0 else f"missed by {100 * (r - 1):.0f}%",
            ]
        )
    if "book_ess_min" in nuts:
        v = nuts["book_ess_min"]
        rows.append(
            [
                "`condition_nuts` at least 50,000 effective draws/s per model "
                "(steady; slowest model)",
                fmt_int(v),
                "met"
                if v >= TARGETS["ess_per_s"]
                else f"missed by {100 * (1 - v / TARGETS['ess_per_s']):.0f}%",
            ]
        )
    if "vs_pymc_min" in nuts:
        v = nuts["vs_pymc_min"]
        rows.append(
            [
                "`condition_nuts` ESS/s at least 10× PyMC's (smallest ratio "
                "over models)",
                fmt_ratio(v),
                "met"
                if v >= TARGETS["vs_pymc"]
                else f"missed by {100 * (1 - v / TARGETS['vs_pymc']):.0f}%",
            ]
        )
    if "worst_z" in nuts:
        rows.append(
            [
                "`condition_nuts` mean and variance of y within 4.5 standard "
                "errors of N(4, 3), every run",
                f"largest: {nuts['worst_z']:.2f}",
                "met" if nuts["worst_z"] < 4.5 else "missed",
            ]
        )
    if bk:
        rows.append(
            [
                "clean executed build within 60 s",
                fmt_s(bk["clean"]),
                _verdict(bk["clean"], TARGETS["clean"]),
            ]
        )
        rows.append(
            [
                "cached rebuild within 5 s",
                fmt_s(bk["cached"]),
                _verdict(bk["cached"], TARGETS["cached"]),
            ]
        )
        for ch, t in bk["chapters"].items():
            budget = chapter_budget(ch)
            if budget != TARGETS["chapter"]:
                rows.append(
                    [
                        f"`{ch}` within {budget:.0f} s, alone",
                        fmt_s(t),
                        _verdict(t, budget),
                    ]
                )
        worst = max(
            bk["chapters"].items(),
            key=lambda kv: kv[1] if kv[1] == kv[1] else -1,
            default=None,
        )
        if worst:
            rows.append(
                [
                    "each chapter within 30 s alone (slowest chapter)",
                    f"`{worst[0]}`: {fmt_s(worst[1])}",
                    _verdict(worst[1], TARGETS["chapter"]),
                ]
            )
    if bk and bk.get("seaborn_book") is not None:
        v = bk["seaborn_book"]
        rows.append(
            [
                "importing seaborn costs at most 2 s over the whole book",
                fmt_s(v),
                _verdict(v, 2.0),
            ]
        )
    if "properties_wall" in helper:
        wall = helper["properties_wall"]
        rows.append(
            [
                "the property suite checks at least 200 generated models "
                "within 60 s",
                f"{helper['properties_models']:,} models in {fmt_s(wall)}",
                "met"
                if wall <= TARGETS["properties"]
                and helper["properties_models"] >= 200
                else "missed",
            ]
        )
    if "to_numpyro_cpu" in helper:
        r = helper["to_numpyro_cpu"]
        rows.append(
            [
                "`to_numpyro()` models sample as fast as `scm_1..3` (median "
                "CPU-time ratio)",
                fmt_ratio(r),
                "met" if r <= 1.05 else f"missed by {100 * (r - 1):.0f}%",
            ]
        )
    if materials:
        for what, key in (("slides", "slides_median"), ("pdf", "pdf_median")):
            rows.append(
                [
                    f"`make {what}` within 60 s (warm cache)",
                    fmt_s(materials[key]),
                    _verdict(materials[key], TARGETS["materials"]),
                ]
            )
        steps = materials.get("explorer_timing", {})
        if steps:
            worst = max(r["median_ms"] for r in steps.values())
            rows.append(
                [
                    "one explorer slider step within 50 ms (slowest "
                    "explorer, median)",
                    f"{worst:.1f} ms",
                    _verdict(worst, TARGETS["slider_ms"]),
                ]
            )
    out += [table(["target", "measured", "result"], rows, "lrl"), ""]
    return "\n".join(out)


def header() -> str:
    parts = {
        n: common.load(n)
        for n in (
            "forward_numpyro",
            "forward_pymc",
            "nuts_numpyro",
            "nuts_pymc",
            "book",
            "pymc_warmup",
            "sampling",
            "properties",
            "materials",
        )
    }
    present = {k: v for k, v in parts.items() if v}
    mach = next((v["machine"] for v in present.values() if "machine" in v), {})
    vers: dict = {}
    for v in present.values():
        vers.update({k: x for k, x in v.get("versions", {}).items() if x})
    loads = [
        v["machine"].get("load_average", [float("nan")])[0]
        for v in present.values()
        if "machine" in v
    ]
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        f"Measured on {date} on "
        f"{mach.get('cpu', mach.get('processor', '?'))}, "
        f"{mach.get('cores', '?')} cores, {mach.get('memory_gb', '?')} GB, "
        f"{mach.get('platform', '?')}, Python {mach.get('python', '?')}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(vers.items()))
        + ".",
        "",
        "Every comparison below was measured in the same run of `make bench`, "
        "with repetitions interleaved between methods; the figures are "
        "medians. Other processes shared the machine (load average at the "
        "start of each part: "
        f"{', '.join(f'{x:.1f}' for x in loads)} on "
        f"{mach.get('cores', '?')} cores), so absolute times are noisy; the "
        "ratios, measured side by side, are the numbers to read.",
    ]
    if parts.get("pymc_warmup"):
        lines[-1] += (
            " PyMC's first use on a machine also compiles its functions with "
            "Numba once, keeping them on disk "
            f"({fmt_s(parts['pymc_warmup']['seconds'])} here for everything "
            "measured below, not counted in it)."
        )
    if any(v.get("quick") for v in present.values()):
        lines += [
            "",
            "**This is a quick trial run (`BENCH_QUICK=1`): fewer sizes and "
            "repetitions.**",
        ]
    return "\n".join(lines)


def figure(rows: list[dict]) -> None:
    fig = plt.figure(figsize=(11, 9.5))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.1])
    axes = [
        fig.add_subplot(grid[0, :]),
        fig.add_subplot(grid[1, 0]),
        fig.add_subplot(grid[1, 1]),
    ]
    # (a) forward draws at the largest size
    ax = axes[0]
    n = max((r["n"] for r in rows), default=0)
    methods = [
        m
        for m in FORWARD
        if any(r["method"] == m and r["n"] == n for r in rows)
    ]
    steady = [forward_summary(rows, "median", m, n) for m in methods]
    first = [forward_summary(rows, "first", m, n) for m in methods]
    order = np.argsort(steady)
    ypos = np.arange(len(methods))
    colors = [
        "C0"
        if methods[i] == "book"
        else ("C2" if methods[i].startswith("pymc") else "C7")
        for i in order
    ]
    ax.barh(ypos, [steady[i] for i in order], color=colors)
    for c, lab in (
        ("C0", "steady state: the book"),
        ("C7", "steady state: NumPyro, JAX, NumPy"),
        ("C2", "steady state: PyMC"),
    ):
        ax.barh([0], [0], color=c, label=lab)  # legend entries only
    ax.scatter(
        [first[i] for i in order],
        ypos,
        marker="|",
        s=200,
        color="k",
        label="first call (compiles)",
    )
    ax.set_yticks(ypos, [FORWARD[methods[i]][1] for i in order])
    ax.set_xscale("log")
    ax.set_xlabel("seconds (log scale)", labelpad=1)
    ax.set_title(
        f"{n:,.0f} forward draws (median of 3 models × 2 queries)", fontsize=10
    )
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(right=max(first + steady) * 40)
    # (b) NUTS effective draws per second
    ax = axes[1]
    nuts = []
    for name in ("nuts_numpyro", "nuts_pymc"):
        d = common.load(name)
        if d:
            nuts += d["results"]
    width = 0.27
    for k, (method, (_, short)) in enumerate(NUTS_METHODS.items()):
        vals = [
            (lookup(nuts, model=m, method=method) or {}).get(
                "ess_per_s", np.nan
            )
            for m in MODELS
        ]
        ax.bar(
            np.arange(3) + (k - 1) * width,
            vals,
            width,
            label=short,
            color={"book_nuts": "C0", "numpyro_mcmc": "C7", "pymc_nuts": "C2"}[
                method
            ],
        )
    ax.axhline(TARGETS["ess_per_s"], color="k", ls="--", lw=1)
    ax.text(
        2.45,
        TARGETS["ess_per_s"] * 1.15,
        "target 50,000/s",
        ha="right",
        fontsize=8,
    )
    ax.set_xticks(np.arange(3), MODELS)
    ax.set_yscale("log")
    top = max([r.get("ess_per_s", 0) for r in nuts] + [TARGETS["ess_per_s"]])
    ax.set_ylim(top=top * 30)
    ax.set_ylabel("bulk effective draws of y per second (log)")
    ax.set_title(
        "P(Y | X = 3) by NUTS\n(2 chains, 500 warm-up + 5000 draws each)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    # (c) the book's chapters
    ax = axes[2]
    bk = common.load("book")
    if bk:
        chs = bk["chapters"]
        alone = bk.get("per_chapter_alone", {})
        vals = [
            alone.get(c, bk["per_chapter"].get(c, {}).get("median", np.nan))
            for c in chs
        ]
        ax.barh(np.arange(len(chs)), vals, color="C0")
        ax.axvline(TARGETS["chapter"], color="k", ls="--", lw=1)
        ax.text(
            TARGETS["chapter"],
            0.99,
            "30 s budget ",
            fontsize=8,
            ha="right",
            va="top",
            transform=ax.get_xaxis_transform(),
        )
        ax.set_xlim(
            0, max([v for v in vals if v == v] + [TARGETS["chapter"]]) * 1.1
        )
        ax.set_yticks(
            np.arange(len(chs)),
            [
                c.split("_", 1)[0]
                + " "
                + c.split("_", 1)[-1].replace("_", " ")
                for c in chs
            ],
        )
        ax.invert_yaxis()
        ax.set_xlabel("seconds")
        ax.set_title(
            "Chapters executing, each alone\n"
            f"(whole book: {bk['clean_median']:.0f} s clean, "
            f"{bk['cached_median']:.1f} s cached)",
            fontsize=10,
        )
    else:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(FIGURE, dpi=110)
    plt.close(fig)


def main() -> None:
    rows = forward_results()
    fwd_md, fwd = forward_section(rows) if rows else ("", {})
    nuts_md, nuts = nuts_section()
    book_md, bk = book_section()
    helper_md, helper = helper_section()
    materials_md, materials = materials_section()
    text = (
        "\n".join(
            [
                "# Benchmark results",
                "",
                "Written by `benchmarks/report.py` (`make bench`); do not "
                "edit by hand.",
                "",
                MARKER,
                header(),
                "",
                targets_section(fwd, nuts, bk, helper, materials),
                fwd_md,
                nuts_md,
                book_md,
                helper_md,
                materials_md,
            ]
        ).rstrip()
        + "\n"
    )
    (common.HERE / "results.md").write_text(text)
    figure(rows)
    print(f"wrote {common.HERE / 'results.md'} and {FIGURE}")


if __name__ == "__main__":
    main()
