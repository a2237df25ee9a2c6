"""What importing the book's plotting and diagnostics libraries costs.

Every chapter's first code cell imports the book's stack. This part times,
in fresh processes (median of ``BENCH_IMPORT_REPS``), importing JAX, NumPyro,
matplotlib's pyplot and pandas, then ArviZ on top of them, then seaborn on
top of those: the last two figures are what ArviZ and seaborn add to each
chapter that imports them, and, times the number of chapters, to the whole
book's execution (issue: seaborn must not cost more than a second or two over
the whole book).

Run: ``.venv/bin/python benchmarks/imports.py`` (``make bench`` runs it).
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

REPS = int(os.environ.get("BENCH_IMPORT_REPS", "3" if common.QUICK else "7"))
STEPS = {
    "stack": "import jax, numpyro, matplotlib.pyplot, pandas",
    "arviz": "import arviz",
    "seaborn": "import seaborn",
}
PROGRAM = f"""
import json, time
out = {{}}
for name, statement in {STEPS!r}.items():
    t = time.perf_counter()
    exec(statement)
    out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


def once() -> dict[str, float]:
    env = dict(os.environ, MPLBACKEND="Agg")
    p = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    info = common.machine()
    runs = [once() for _ in range(REPS)]
    medians = {k: statistics.median(r[k] for r in runs) for k in STEPS}
    print(json.dumps(medians), flush=True)
    common.save(
        "imports",
        {"machine": info, "runs": runs, "median": medians, "steps": STEPS},
    )


if __name__ == "__main__":
    main()
