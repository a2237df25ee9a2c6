"""The book's sampler against the raw structural equations in jitted JAX, one
million draws.

A quick check that needs only the book's environment (no PyMC): for each
model, of the joint and under do(X = 3), the steady-state time of
``causalbook.sampling.sample`` and of the same structural equations written by
hand under ``jax.jit``, measured side by side (interleaved repetitions,
medians), and their ratio. ``make bench`` runs the full comparison
(``benchmarks/run.py``); this script is its forward-draw core, printed.

Run: ``.venv/bin/python benchmarks/sampling.py`` (after ``make book`` or
``make test``).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Imported once the path is set (forward_numpyro sets the host device count
# before JAX starts).
import common  # noqa: E402
import forward_numpyro as fw  # noqa: E402

from causalbook.models import MODELS  # noqa: E402

N = 1_000_000


def main() -> None:
    print(
        f"{'model':6} {'query':9} {'book sampler':>13} "
        f"{'by-hand JAX':>12} {'ratio':>6}"
    )
    ratios = []
    for m in MODELS:
        for q, do_x in fw.QUERIES.items():
            timers = {
                "book": common.Timer(fw.book(m, N, do_x), settle=True),
                "hand": common.Timer(fw.jax_hand(m, N, do_x), settle=True),
            }
            common.run_interleaved(timers)
            book, hand = (
                timers["book"].timing.median,
                timers["hand"].timing.median,
            )
            ratios.append(book / hand)
            print(
                f"{m:6} {q:9} {book * 1e3:10.2f} ms "
                f"{hand * 1e3:9.2f} ms {book / hand:5.2f}x",
                flush=True,
            )
    print(
        f"median ratio over models and queries, {N:,} draws: "
        f"{statistics.median(ratios):.2f}x"
    )


if __name__ == "__main__":
    main()
