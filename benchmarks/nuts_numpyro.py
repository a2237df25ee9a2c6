"""Conditioning by NUTS in NumPyro: P(Y | X = 3), exact answer N(4, 3) in all
three models.

Same settings for every method: 2 chains (in parallel: the chapters call
``numpyro.set_host_device_count(2)``), 500 warm-up steps and 5000 draws per
chain.

* ``numpyro_mcmc``: ``MCMC(NUTS(condition(model, evidence)), ...,
  progress_bar=False)`` and ``mcmc.run(key)``, as a chapter writes it with raw
  NumPyro (``MCMC.run`` traces and compiles again on every call, so first
  call and steady state cost the same);
* ``book_nuts``: ``causalbook.inference.condition_nuts(model, evidence,
  key)``, the book's compiled path: compiled on the first call, reused for
  new seeds and evidence values.

M3's X equals Z exactly, so its sample-site form conditions on ``z = 3``
together with ``x = 3`` (``x`` is a ``Delta(z)`` site; NUTS cannot start from
``x`` alone). For each run: wall time, bulk effective sample size of y
(ArviZ's rank-normalised split-chain ESS), and the posterior mean and
variance of y with their Monte Carlo standard errors against N(4, 3). Also a
sweep: E[Y | X = x] at ten values of x by ``condition_nuts``, its one
compilation included.
"""

from __future__ import annotations

import numpyro

numpyro.set_host_device_count(2)

import arviz as az  # noqa: E402
import common  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from numpyro import handlers  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

from causalbook import exact, stats  # noqa: E402
from causalbook.inference import clear_compiled, condition_nuts  # noqa: E402
from causalbook.models import LINEAR, MODELS, SAMPLE_SITE  # noqa: E402

WARMUP, DRAWS, CHAINS = 500, 5000, 2
EVIDENCE = {"M1": {"x": 3.0}, "M2": {"x": 3.0}, "M3": {"z": 3.0, "x": 3.0}}
SWEEP = np.linspace(-2.0, 3.0, 10)


def numpyro_mcmc(m: str):
    def run(seed):
        mcmc = MCMC(
            NUTS(handlers.condition(SAMPLE_SITE[m], EVIDENCE[m])),
            num_warmup=WARMUP,
            num_samples=DRAWS,
            num_chains=CHAINS,
            progress_bar=False,
        )
        mcmc.run(jax.random.PRNGKey(seed))
        return np.asarray(mcmc.get_samples(group_by_chain=True)["y"])

    return run


def book_nuts(m: str):
    def run(seed):
        return condition_nuts(
            SAMPLE_SITE[m],
            EVIDENCE[m],
            jax.random.PRNGKey(seed),
            num_warmup=WARMUP,
            num_samples=DRAWS,
            num_chains=CHAINS,
        ).samples["y"]

    return run


def quality(y: np.ndarray, exact_mean: float, exact_var: float) -> dict:
    est = stats.mcmc_moments(y)
    zm, zv = est.z_scores(exact_mean, exact_var)
    return {
        "ess_bulk": float(az.ess(y, method="bulk")),
        "mean": est.mean,
        "mean_se": est.mean_se,
        "var": est.var,
        "var_se": est.var_se,
        "z_mean": zm,
        "z_var": zv,
    }


def main() -> None:
    info = common.machine()
    jnp.zeros(3).block_until_ready()
    results = []
    for m in MODELS:
        g = exact.conditional(LINEAR[m], {"x": 3.0}).marginal("y")
        timers = {
            "numpyro_mcmc": common.Timer(numpyro_mcmc(m), reps=3, settle=True),
            "book_nuts": common.Timer(book_nuts(m), settle=True),
        }
        draws: dict[str, list] = {k: [] for k in timers}
        for name, t in timers.items():
            draws[name].append(t.first())
        while any(t.wants_more() for t in timers.values()):
            for name, t in timers.items():
                out = t.steady_round()
                if out is not None:
                    draws[name].append(out)
        for name, t in timers.items():
            qs = [quality(y, g.mean("y"), g.var("y")) for y in draws[name]]
            ess = float(np.median([q["ess_bulk"] for q in qs]))
            results.append(
                {
                    "model": m,
                    "method": name,
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
                f"{m} {name:14} first {t.timing.first:6.2f}s "
                f"steady {t.timing.median:7.3f}s "
                f"(x{len(t.timing.steady)})  ESS {ess:7.0f}  "
                f"ESS/s {ess / t.timing.median:9.0f}  "
                f"y: {stats.fmt_pm(q['mean'], q['mean_se'])}, "
                f"var {stats.fmt_pm(q['var'], q['var_se'])}",
                flush=True,
            )

    # E[Y | X = x] over a grid by the compiled path (M2), compilation included,
    # against one MCMC.run of today.
    sweep_times, z_scores = [], []
    for rep in range(3):
        clear_compiled()
        t = common.now()
        posts = [
            condition_nuts(
                SAMPLE_SITE["M2"],
                {"x": float(x)},
                jax.random.PRNGKey(100 * rep + i),
                num_warmup=WARMUP,
                num_samples=DRAWS,
                num_chains=CHAINS,
            )
            for i, x in enumerate(SWEEP)
        ]
        sweep_times.append(common.now() - t)
        for x, p in zip(SWEEP, posts, strict=True):
            est = p.moments("y")
            z_scores.append(
                abs(
                    est.mean
                    - exact.conditional(LINEAR["M2"], {"x": float(x)}).mean(
                        "y"
                    )
                )
                / est.mean_se
            )
    print(
        f"sweep of {len(SWEEP)} x values: {np.median(sweep_times):.3f}s; "
        f"max |z| {max(z_scores):.2f}"
    )
    common.save(
        "nuts_numpyro",
        {
            "machine": info,
            "versions": common.versions("jax", "jaxlib", "numpyro", "arviz"),
            "devices": jax.local_device_count(),
            "settings": {"warmup": WARMUP, "draws": DRAWS, "chains": CHAINS},
            "results": results,
            "sweep": {
                "points": len(SWEEP),
                "times": sweep_times,
                "median": float(np.median(sweep_times)),
                "max_abs_z_mean": float(max(z_scores)),
            },
        },
    )


if __name__ == "__main__":
    main()
