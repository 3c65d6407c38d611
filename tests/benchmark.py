"""Speed and memory of the sizing engine and command. Run: .venv/bin/python tests/benchmark.py

Targets: >= 5,000 plans/s in-process and a cold start of at most 0.35 s for `sizing report --format json` (with
the LLM's token prices already in the user's cache, as on every run after the first of the day). This is a
measurement, not a test: timing assertions would make the suite flaky on a loaded machine.
"""

from __future__ import annotations

import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

from sizing import Workload, calculate

PLANS_TARGET, COLD_START_TARGET_S = 5_000, 0.35


def plans_per_second(rounds: int = 5, count: int = 2_000) -> float:
    rng = random.Random(7)
    workloads = [Workload(concurrent_users=int(10 ** rng.uniform(1, 7))) for _ in range(count)]
    calculate(workloads[0])  # load the data files once, as any long-lived caller would
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for workload in workloads:
            calculate(workload)
        best = max(best, count / (time.perf_counter() - start))
    return best


def cold_start_seconds(runs: int = 15) -> float:
    command = shutil.which("sizing") or ""
    argv = [command] if command else [sys.executable, "-m", "sizing"]
    times = []
    # The first run of a day fills the token-price cache (it imports genai-prices); the measured runs read it.
    subprocess.run([*argv, "report", "--concurrent-users", "1000", "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*argv, "report", "--concurrent-users", "1000", "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    rate = plans_per_second()
    cold = cold_start_seconds()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plans per second (in-process): {rate:,.0f}   target >= {PLANS_TARGET:,}")
    print(f"cold start, report --format json (median): {cold:.3f} s   target <= {COLD_START_TARGET_S} s")
    print(f"peak memory of this process: {peak_mib:.0f} MiB")
    return 0 if rate >= PLANS_TARGET and cold <= COLD_START_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
