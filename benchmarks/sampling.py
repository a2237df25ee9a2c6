"""The book's sampler against the raw structural equations in jitted JAX, one
million draws; and the models ``to_numpyro()`` writes against the hand-written
ones.

A quick check that needs only the book's environment (no PyMC): for each
model, of the joint and under do(X = 3), the steady-state time of
``causalbook.sampling.sample`` on the hand-written sample-site model
(``scm_1``, ``scm_2``, ``scm_3``), on the same model as
``LINEAR[m].to_numpyro()`` writes it from its linear specification, and of
the same structural equations written by hand under ``jax.jit``, measured
side by side (interleaved repetitions, medians); then two ratios: the book's
sampler to the equations by hand, and ``to_numpyro()`` to the hand-written
model (1.00x: as fast), in wall-clock time and, steadier on a shared
machine, in CPU time. ``make bench`` runs the full comparison
(``benchmarks/run.py``); this script is its forward-draw core, printed, with
the figures also written to ``benchmarks/out/sampling.json``.

Run: ``.venv/bin/python benchmarks/sampling.py`` (after ``make book`` or
``make test``).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Imported once the path is set (forward_numpyro sets the host device count
# before JAX starts).
import common  # noqa: E402
import forward_numpyro as fw  # noqa: E402
import jax  # noqa: E402

from causalbook.models import LINEAR, MODELS  # noqa: E402
from causalbook.sampling import sample  # noqa: E402

N = 1_000_000


def to_numpyro(m: str, n: int, do_x: float | None):
    """``sample`` on ``LINEAR[m].to_numpyro()`` (``fw.book``: on scm_m)."""
    model = LINEAR[m].to_numpyro()
    do = None if do_x is None else {"x": do_x}
    return lambda seed: sample(model, n, jax.random.PRNGKey(seed), do=do)


def cpu_times(fns: dict, reps: int = 15) -> dict[str, float]:
    """Median process CPU time of each call, repetitions interleaved.

    On a shared machine the wall-clock time of a call includes waiting for
    a core; the CPU time it used (all threads) does not, so it compares two
    samplers more steadily while other work runs.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(reps):
        items = list(fns.items())
        for k, fn in items if r % 2 else items[::-1]:
            fn(2_000_000 + r)  # untimed: leftovers of the previous call
            start = time.process_time()
            jax.block_until_ready(fn(3_000_000 + r))
            times[k].append(time.process_time() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    info = common.machine()
    print(
        f"{'model':6} {'query':9} {'scm_m':>10} {'to_numpyro':>11} "
        f"{'by-hand JAX':>12} {'book/hand':>9} {'to_numpyro/scm_m':>16} "
        f"{'(CPU time)':>10}"
    )
    book_ratios, model_ratios, cpu_ratios, rows = [], [], [], []
    for m in MODELS:
        for q, do_x in fw.QUERIES.items():
            timers = {
                "book": common.Timer(fw.book(m, N, do_x), settle=True),
                "to_numpyro": common.Timer(
                    to_numpyro(m, N, do_x), settle=True
                ),
                "hand": common.Timer(fw.jax_hand(m, N, do_x), settle=True),
            }
            common.run_interleaved(timers)
            t = {k: v.timing.median for k, v in timers.items()}
            cpu = cpu_times(
                {
                    "book": fw.book(m, N, do_x),
                    "to_numpyro": to_numpyro(m, N, do_x),
                }
            )
            book_ratios.append(t["book"] / t["hand"])
            model_ratios.append(t["to_numpyro"] / t["book"])
            cpu_ratios.append(cpu["to_numpyro"] / cpu["book"])
            rows.append(
                {
                    "model": m,
                    "query": q,
                    "n": N,
                    **{f"{k}_median_s": v for k, v in t.items()},
                    "book_over_hand": book_ratios[-1],
                    "to_numpyro_over_book": model_ratios[-1],
                    "cpu_book_median_s": cpu["book"],
                    "cpu_to_numpyro_median_s": cpu["to_numpyro"],
                    "cpu_to_numpyro_over_book": cpu_ratios[-1],
                }
            )
            print(
                f"{m:6} {q:9} {t['book'] * 1e3:7.2f} ms "
                f"{t['to_numpyro'] * 1e3:8.2f} ms {t['hand'] * 1e3:9.2f} ms "
                f"{book_ratios[-1]:8.2f}x {model_ratios[-1]:15.2f}x "
                f"{cpu_ratios[-1]:8.2f}x",
                flush=True,
            )
    summary = {
        "book_over_hand_median": statistics.median(book_ratios),
        "to_numpyro_over_book_median": statistics.median(model_ratios),
        "cpu_to_numpyro_over_book_median": statistics.median(cpu_ratios),
    }
    print(
        f"median ratios over models and queries, {N:,} draws: the book's "
        f"sampler to the equations by hand "
        f"{summary['book_over_hand_median']:.2f}x; to_numpyro() to the "
        f"hand-written scm_1..3 {summary['to_numpyro_over_book_median']:.2f}x "
        f"(in CPU time {summary['cpu_to_numpyro_over_book_median']:.2f}x)"
    )
    path = common.save(
        "sampling",
        {
            "machine": info,
            "versions": common.versions("jax", "jaxlib", "numpyro", "numpy"),
            "devices": jax.local_device_count(),
            "results": rows,
            **summary,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
