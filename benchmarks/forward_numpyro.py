"""Forward draws with JAX and NumPy: the book's sampler, Predictive,
hand-written equations.

For each model (M1, M2, M3, in their sample-site forms), each query (the
joint, and do(X = 3)) and each size (1e5, 1e6 draws), times:

* ``book``: ``causalbook.sampling.sample(model, n, key, do=...)`` (a plate
  over the draws, one key, under ``jax.jit``, compiled once per model, size
  and intervened sites);
* ``predictive``: ``numpyro.infer.Predictive(model, num_samples=n)(key)`` with
  its defaults (``parallel=False``: ``lax.map`` runs the model once per draw,
  one after another);
* ``predictive_parallel``: the same with ``parallel=True`` (``vmap`` over n
  keys);
* ``jax_hand``: the structural equations written by hand with ``jax.random``
  under ``jax.jit`` (the practical limit);
* ``numpy_hand``: the same in NumPy (``np.random.default_rng``, float64 as
  NumPy draws by default; the JAX methods draw float32).

Interventions use NumPyro's own ``numpyro.handlers.do`` for Predictive (the
reader's call) and the book's guarded ``do`` inside ``sample``. The first call
(tracing and compilation) and the steady state (new seeds, compiled code
reused where the method reuses it) are reported apart. Chapters call
``numpyro.set_host_device_count(2)``; so does this script.
"""

from __future__ import annotations

import numpyro

numpyro.set_host_device_count(2)

import common  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from numpyro import handlers  # noqa: E402
from numpyro.infer import Predictive  # noqa: E402

from causalbook.models import MODELS, SAMPLE_SITE  # noqa: E402
from causalbook.sampling import sample  # noqa: E402

S3 = float(np.sqrt(3.0))
QUERIES = {"joint": None, "do(X=3)": 3.0}
METHODS = (
    "book",
    "predictive",
    "predictive_parallel",
    "jax_hand",
    "numpy_hand",
)


def equations(xp, m: str, e: tuple, do_x: float | None, n: int) -> dict:
    """The structural equations of model ``m`` applied to standard-normal
    noises ``e``."""
    if m == "M1":
        x = e[0] if do_x is None else xp.full(n, do_x, dtype=e[1].dtype)
        return {"x": x, "y": x + 1.0 + S3 * e[1]}
    if m == "M2":
        y = 1.0 + 2.0 * e[0]
        x = (
            (y - 1.0) / 4.0 + (S3 / 2.0) * e[1]
            if do_x is None
            else xp.full(n, do_x, dtype=e[1].dtype)
        )
        return {"x": x, "y": y}
    z = e[0]
    x = z if do_x is None else xp.full(n, do_x, dtype=e[1].dtype)
    return {"z": z, "x": x, "y": z + 1.0 + S3 * e[1]}


def jax_hand(m: str, n: int, do_x: float | None):
    @jax.jit
    def draw(key):
        k1, k2 = jax.random.split(key)
        return equations(
            jnp,
            m,
            (jax.random.normal(k1, (n,)), jax.random.normal(k2, (n,))),
            do_x,
            n,
        )

    return lambda seed: jax.block_until_ready(draw(jax.random.PRNGKey(seed)))


def numpy_hand(m: str, n: int, do_x: float | None):
    def draw(seed):
        rng = np.random.default_rng(seed)
        return equations(
            np, m, (rng.standard_normal(n), rng.standard_normal(n)), do_x, n
        )

    return draw


def book(m: str, n: int, do_x: float | None):
    do = None if do_x is None else {"x": do_x}
    return lambda seed: sample(
        SAMPLE_SITE[m], n, jax.random.PRNGKey(seed), do=do
    )


def predictive(m: str, n: int, do_x: float | None, parallel: bool):
    model = (
        SAMPLE_SITE[m]
        if do_x is None
        else handlers.do(SAMPLE_SITE[m], {"x": do_x})
    )

    def draw(seed):
        return jax.block_until_ready(
            Predictive(model, num_samples=n, parallel=parallel)(
                jax.random.PRNGKey(seed)
            )
        )

    return draw


def check(out: dict) -> dict:
    """Mean and variance of y in the last draws (a guard against timing a wrong
    computation)."""
    y = np.asarray(out["y"], dtype=np.float64).reshape(-1)
    return {"y_mean": float(y.mean()), "y_var": float(y.var())}


def main() -> None:
    info = common.machine()
    # JAX's own start-up is nobody's compile time.
    jnp.zeros(3).block_until_ready()
    results = []
    for n in common.SIZES:
        for m in MODELS:
            for q, do_x in QUERIES.items():
                timers = {
                    "book": common.Timer(book(m, n, do_x), settle=True),
                    "predictive": common.Timer(
                        predictive(m, n, do_x, parallel=False), settle=True
                    ),
                    "predictive_parallel": common.Timer(
                        predictive(m, n, do_x, parallel=True), settle=True
                    ),
                    "jax_hand": common.Timer(
                        jax_hand(m, n, do_x), settle=True
                    ),
                    "numpy_hand": common.Timer(
                        numpy_hand(m, n, do_x), settle=True
                    ),
                }
                common.run_interleaved(timers)
                for name, t in timers.items():
                    results.append(
                        {
                            "model": m,
                            "query": q,
                            "n": n,
                            "method": name,
                            **t.timing.to_dict(),
                            **check(t.last),
                        }
                    )
                    print(
                        f"{n:>8} {m} {q:8} {name:20} "
                        f"first {t.timing.first:8.3f}s  "
                        f"steady {t.timing.median:8.4f}s  "
                        f"(x{len(t.timing.steady)})",
                        flush=True,
                    )
    common.save(
        "forward_numpyro",
        {
            "machine": info,
            "versions": common.versions("jax", "jaxlib", "numpyro", "numpy"),
            "devices": jax.local_device_count(),
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
