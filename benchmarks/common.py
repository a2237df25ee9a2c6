"""Shared plumbing of the benchmarks: timing, settings, the machine, raw
results as JSON.

Every benchmark script writes ``benchmarks/out/<name>.json``; ``report.py``
turns them into ``benchmarks/results.md`` and ``benchmarks/results.png``.
Timings are wall-clock (``time.perf_counter``) around a call that returns
finished arrays (JAX results are blocked on), so asynchronous dispatch cannot
hide work.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

#: BENCH_QUICK=1: a short run to try the scripts (1e5 draws only, two
#: repetitions).
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
#: Steady-state repetitions per measurement (fewer when a call is slow, see
#: ``Timer``).
REPS = int(os.environ.get("BENCH_REPS", "2" if QUICK else "15"))
#: Seconds of steady-state calls allowed per measurement before the
#: repetitions stop early.
BUDGET = float(os.environ.get("BENCH_BUDGET", "5" if QUICK else "20"))
SIZES = (100_000,) if QUICK else (100_000, 1_000_000)


def now() -> float:
    return time.perf_counter()


@dataclass
class Timing:
    """One measured call: first (cold, compiles) and the steady-state
    repetitions."""

    first: float
    steady: list[float] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.steady) if self.steady else self.first

    def to_dict(self) -> dict:
        d = asdict(self)
        d["median"] = self.median
        return d


class Timer:
    """Times ``fn(seed)``: the first call, then steady-state calls with new
    seeds.

    Repetitions stop early once their total passes the budget (at least one
    steady call is always made), so a 30-second call is repeated once and a
    10-ms call ``REPS`` times. ``steady_round`` lets a script interleave the
    repetitions of several methods, so that a burst of load from other
    processes falls on all of them rather than on one.

    ``settle=True`` (for JAX) makes one untimed call before each timed
    steady-state call, and waits a moment before the first call. JAX runs work
    asynchronously, and a call that returns its results may leave work queued
    that nothing waits for (values computed but not returned, as
    ``Predictive`` does); without settling, that leftover work would be timed
    as part of whichever method is called next. With it, each method's timed
    call carries its own leftovers (from its untimed call), not another
    method's.
    """

    def __init__(
        self,
        fn: Callable[[int], object],
        reps: int = REPS,
        budget: float = BUDGET,
        settle: bool = False,
    ):
        self.fn, self.reps, self.budget, self.settle = fn, reps, budget, settle
        self.timing: Timing | None = None
        self.last: object = None  # the output of the latest call
        self._seed = 0

    def _call(self) -> tuple[float, object]:
        t = now()
        out = self.fn(self._seed)
        dt = now() - t
        self._seed += 1
        self.last = out
        return dt, out

    def first(self) -> object:
        if self.settle:
            time.sleep(1.0)
        dt, out = self._call()
        self.timing = Timing(first=dt)
        return out

    def wants_more(self) -> bool:
        assert self.timing is not None
        s = self.timing.steady
        return len(s) < 1 or (
            len(s) < self.reps and sum(s) + s[-1] <= self.budget
        )

    def steady_round(self) -> object | None:
        assert self.timing is not None
        if not self.wants_more():
            return None
        if self.settle:
            self.last = None
            self.fn(1_000_000 + self._seed)
        dt, out = self._call()
        self.timing.steady.append(dt)
        return out


def run_interleaved(timers: dict[str, Timer]) -> None:
    """First calls in order, then steady-state rounds across all timers until
    each is done."""
    for t in timers.values():
        t.first()
    while any(t.wants_more() for t in timers.values()):
        for t in timers.values():
            t.steady_round()


def machine() -> dict:
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024**2, 1)
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def versions(*names: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = None
    return out


def save(name: str, data: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    data = dict(data)
    data.setdefault("quick", QUICK)
    data.setdefault("load_average_at_end", os.getloadavg())
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, default=float))
    return path


def load(name: str) -> dict | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None
