"""How long the property-based tests take, and how many models they check.

Runs ``tests/test_properties.py`` in a fresh process with a Hypothesis
profile (``ci`` by default, as ``make test`` runs it; ``long`` as
``make test-properties`` does), and records its wall-clock time, its CPU time
(user + system, which is close to the wall-clock time the run would take on
an otherwise quiet machine, since the suite runs on one core nearly all the
time), the load average before and after, and the number of generated models
that passed per property (from Hypothesis's statistics). Writes
``benchmarks/out/properties.json`` and prints a summary.

Run: ``.venv/bin/python benchmarks/properties.py [ci|long]``.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

PASSING = re.compile(r"(\d+) passing, (\d+) failing")


def main(profile: str = "ci") -> None:
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_properties.py",
            "-p",
            "no:cacheprovider",
            "-q",
            "--hypothesis-show-statistics",
        ],
        cwd=common.ROOT,
        env={**os.environ, "HYPOTHESIS_PROFILE": profile},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    per_test: dict[str, int] = {}
    test = None
    for line in run.stdout.splitlines():
        if line.startswith("tests/test_properties.py::"):
            test = line.split("::", 1)[1].rstrip(":")
        m = PASSING.search(line)
        if m and test is not None:
            per_test[test] = per_test.get(test, 0) + int(m.group(1))
    summary = {
        "profile": profile,
        "passed": run.returncode == 0,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_average_before": load_before,
        "models_per_property": per_test,
        "models_total": sum(per_test.values()),
        "pytest_summary": run.stdout.strip().splitlines()[-1:],
    }
    path = common.save(
        "properties",
        {"machine": common.machine(), **summary},
    )
    for name, count in per_test.items():
        print(f"{count:6d}  {name}")
    print(
        f"profile {profile}: {summary['models_total']} generated models, "
        f"{'passed' if summary['passed'] else 'FAILED'} in {wall:.1f} s "
        f"wall-clock, {cpu:.1f} s CPU (load average before "
        f"{load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} cores); written to {path}"
    )
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        sys.exit(run.returncode)


if __name__ == "__main__":
    main(*sys.argv[1:2])
