"""Conditioning by NUTS in PyMC: P(Y | X = 3) with ``pm.observe`` and
``pm.sample``.

Same settings as ``nuts_numpyro.py``: 2 chains (``cores=2``: in parallel,
PyMC's default on two cores), 500 tuning steps, 5000 draws per chain, no
progress bar, everything else PyMC's defaults. M3's X is
``pm.Deterministic(z)``, which ``pm.observe`` cannot observe; since X = Z
exactly, it observes ``z = 3`` (NumPyro's run conditions on z as well). Each
call of ``pm.sample`` compiles the model's log density and gradient again
(PyTensor's on-disk cache of compiled C modules is warm; ``run.py`` fills it
first) and starts the worker processes.
"""

from __future__ import annotations

import logging

import arviz as az
import common
import numpy as np
import pymc as pm
from forward_pymc import build

from causalbook import exact, stats
from causalbook.models import LINEAR

logging.getLogger("pymc").setLevel(logging.ERROR)

WARMUP, DRAWS, CHAINS = 500, 5000, 2
OBSERVE = {"M1": {"x": 3.0}, "M2": {"x": 3.0}, "M3": {"z": 3.0}}


def pymc_nuts(m: str, draws: int = DRAWS, tune: int = WARMUP):
    def run(seed):
        model = pm.observe(build(m), OBSERVE[m])
        with model:
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=CHAINS,
                cores=CHAINS,
                progressbar=False,
                random_seed=seed,
            )
        return np.asarray(idata["posterior"]["y"].values)

    return run


def main() -> None:
    info = common.machine()
    results = []
    for m in ("M1", "M2", "M3"):
        g = exact.conditional(LINEAR[m], {"x": 3.0}).marginal("y")
        t = common.Timer(pymc_nuts(m), reps=3)
        draws = [t.first()]
        while t.wants_more():
            draws.append(t.steady_round())
        qs = []
        for y in draws:
            est = stats.mcmc_moments(y)
            zm, zv = est.z_scores(g.mean("y"), g.var("y"))
            qs.append(
                {
                    "ess_bulk": float(az.ess(y, method="bulk")),
                    "mean": est.mean,
                    "mean_se": est.mean_se,
                    "var": est.var,
                    "var_se": est.var_se,
                    "z_mean": zm,
                    "z_var": zv,
                }
            )
        ess = float(np.median([q["ess_bulk"] for q in qs]))
        results.append(
            {
                "model": m,
                "method": "pymc_nuts",
                **t.timing.to_dict(),
                "ess_bulk_median": ess,
                "ess_per_s": ess / t.timing.median,
                "runs": qs,
                "exact_mean": g.mean("y"),
                "exact_var": g.var("y"),
            }
        )
        q = qs[-1]
        print(
            f"{m} pymc_nuts first {t.timing.first:6.2f}s "
            f"steady {t.timing.median:7.3f}s "
            f"(x{len(t.timing.steady)})  ESS {ess:7.0f}  "
            f"ESS/s {ess / t.timing.median:9.0f}  "
            f"y: {stats.fmt_pm(q['mean'], q['mean_se'])}, "
            f"var {stats.fmt_pm(q['var'], q['var_se'])}",
            flush=True,
        )
    common.save(
        "nuts_pymc",
        {
            "machine": info,
            "versions": common.versions("pymc", "pytensor", "arviz"),
            "settings": {"warmup": WARMUP, "draws": DRAWS, "chains": CHAINS},
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
