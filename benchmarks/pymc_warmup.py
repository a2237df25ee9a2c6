"""Fill PyTensor's on-disk cache of compiled code (Numba's, under PyTensor 3)
before PyMC is timed.

``run.py`` points PyTensor at an empty cache directory
(``PYTENSOR_FLAGS=base_compiledir=...``) and runs this first, so the time of
this script is PyTensor's cold compilation (what a reader waits for once, on
first use), and the timed scripts then start, like a reader's later sessions,
with a warm disk cache but a fresh process.
"""

from __future__ import annotations

import logging

import common
import numpy as np
import pymc as pm
from forward_pymc import MODELS, QUERIES, Vectorized, prior_predictive
from nuts_pymc import pymc_nuts

logging.getLogger("pymc").setLevel(logging.ERROR)


def main() -> None:
    t = common.now()
    for m in MODELS:
        for do_x in QUERIES.values():
            prior_predictive(m, 10, do_x)(0)
            Vectorized(m, 10, do_x)(0)
        pymc_nuts(m, draws=20, tune=20)(0)
    dt = common.now() - t
    print(
        f"PyTensor cold compilation (all models, empty cache): {dt:.1f}s",
        flush=True,
    )
    common.save(
        "pymc_warmup",
        {
            "seconds": dt,
            "versions": common.versions("pymc", "pytensor"),
            "numpy": np.__version__,
            "pymc": pm.__version__,
        },
    )


if __name__ == "__main__":
    main()
