"""Forward draws with PyMC, the library a reader would otherwise pick.

The same three models, queries and sizes as ``forward_numpyro.py``, two ways:

* ``pymc_prior_predictive``: the model as PyMC's example gallery writes it
  (one scalar random variable per node; in M3 ``x`` is a ``pm.Deterministic``
  of ``z``), the intervention by ``pm.do(model, {"x": 3.0})``, and
  ``pm.sample_prior_predictive(draws=n)``, which compiles a forward function
  and calls it once per draw. Each call compiles again (PyTensor keeps its
  compiled C modules on disk, so the first call in a fresh cache directory is
  slower still: not measured here).
* ``pymc_vectorized``: the same model with ``shape=n`` variables, so one call
  of the compiled forward function gives every draw. First call: build the
  model and compile its forward function with ``pymc.pytensorf.compile``
  (what ``pm.draw`` does on every call), then draw; steady state: that
  compiled function (its random generators are updated on each call) called
  again.

Run in its own process, without JAX, so that PyMC is timed on its own.
"""

from __future__ import annotations

import logging

import common
import numpy as np
import pymc as pm
from pymc.pytensorf import compile as pm_compile

logging.getLogger("pymc").setLevel(logging.ERROR)

S3 = float(np.sqrt(3.0))
MODELS = ("M1", "M2", "M3")
QUERIES = {"joint": None, "do(X=3)": 3.0}


def build(m: str, shape: int | None = None) -> pm.Model:
    """Model ``m`` in PyMC (``shape=None``: scalar nodes; ``shape=n``: n draws
    at once)."""
    with pm.Model() as model:
        if m == "M1":
            x = pm.Normal("x", 0.0, 1.0, shape=shape)
            pm.Normal("y", x + 1.0, S3, shape=shape)
        elif m == "M2":
            y = pm.Normal("y", 1.0, 2.0, shape=shape)
            pm.Normal("x", (y - 1.0) / 4.0, S3 / 2.0, shape=shape)
        else:
            z = pm.Normal("z", 0.0, 1.0, shape=shape)
            pm.Normal("y", z + 1.0, S3, shape=shape)
            pm.Deterministic("x", z)
    return model


def intervened(
    model: pm.Model, do_x: float | None, shape: int | None = None
) -> pm.Model:
    if do_x is None:
        return model
    return pm.do(model, {"x": do_x if shape is None else np.full(shape, do_x)})


def prior_predictive(m: str, n: int, do_x: float | None):
    model = intervened(build(m), do_x)

    def draw(seed):
        idata = pm.sample_prior_predictive(
            draws=n, model=model, random_seed=seed
        )
        return {"y": idata["prior"]["y"].values}

    return draw


class Vectorized:
    def __init__(self, m: str, n: int, do_x: float | None):
        self.m, self.n, self.do_x = m, n, do_x
        self.fn = None

    def __call__(self, seed):
        if (
            self.fn is None
        ):  # first call: build the model, compile (as pm.draw does), draw
            model = intervened(build(self.m, shape=self.n), self.do_x, self.n)
            self.fn = pm_compile([], model["y"], random_seed=seed)
        return {"y": self.fn()}


def main() -> None:
    info = common.machine()
    results = []
    for n in common.SIZES:
        for m in MODELS:
            for q, do_x in QUERIES.items():
                timers = {
                    "pymc_prior_predictive": common.Timer(
                        prior_predictive(m, n, do_x)
                    ),
                    "pymc_vectorized": common.Timer(Vectorized(m, n, do_x)),
                }
                common.run_interleaved(timers)
                for name, t in timers.items():
                    y = np.asarray(t.last["y"], dtype=np.float64).reshape(-1)
                    assert y.size == n, (name, y.shape)
                    results.append(
                        {
                            "model": m,
                            "query": q,
                            "n": n,
                            "method": name,
                            **t.timing.to_dict(),
                            "y_mean": float(y.mean()),
                            "y_var": float(y.var()),
                        }
                    )
                    print(
                        f"{n:>8} {m} {q:8} {name:22} "
                        f"first {t.timing.first:8.3f}s  "
                        f"steady {t.timing.median:8.4f}s  "
                        f"(x{len(t.timing.steady)})",
                        flush=True,
                    )
    common.save(
        "forward_pymc",
        {
            "machine": info,
            "versions": common.versions("pymc", "pytensor", "numpy"),
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
