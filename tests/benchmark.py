"""Speed and memory of the sizing engine and command, and how cheap its chosen fleet is. Run:
.venv/bin/python tests/benchmark.py

Targets: >= 5,000 plans/s in-process and a cold start of at most 0.35 s for `sizing report --format json` (with
the LLM's token prices already in the user's cache, as on every run after the first of the day); the chosen max
fleet within 3% (median) of the cheapest fleet that holds the same max pods, over the us-east-1 catalog on a
10 -> 1,000,000 users sweep. These are measurements, not tests: timing assertions would make the suite flaky on a
loaded machine, and the fleet's quality is a property of the rule to watch, not a pass/fail line.
"""

from __future__ import annotations

import compileall
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

import sizing
from sizing import Workload, calculate
from sizing.assumptions import Assumptions
from sizing.data.catalog import load_catalog
from sizing.data.pricing import region_prices
from sizing.engine.addons import fixed_pods
from sizing.engine.exact import exact
from sizing.engine.fleet_cost import FleetLoad, burst, credits, node_month
from sizing.engine.nodes import pack, packing, workload_capacity

PLANS_TARGET, COLD_START_TARGET_S, MAX_FLEET_MEDIAN_TARGET = 5_000, 0.35, 1.03
YAML_PLANS, YAML_TARGET_S = 1_000, 3.0


def random_workloads(count: int) -> list[Workload]:
    rng = random.Random(7)
    return [Workload(concurrent_users=int(10 ** rng.uniform(1, 7))) for _ in range(count)]


def plans_per_second(rounds: int = 5, count: int = 2_000) -> float:
    workloads = random_workloads(count)
    calculate(workloads[0])  # load the data files once, as any long-lived caller would
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for workload in workloads:
            calculate(workload)
        best = max(best, count / (time.perf_counter() - start))
    return best


def cheapest_max_fleet(
    plan, arch: str, catalog, prices, assumptions: Assumptions, eligible_only: bool = False
) -> tuple[float, str]:
    """Brute force: every type of the architecture the region offers, its max fleet for the plan's max replicas and
    add-on pods with the engine's packing, node buffer and floor, priced as the engine prices a max fleet (instances, root volumes,
    CPU credits at peak). ``eligible_only``: only the types the rule may choose for the plan's tier (burstable ones
    only in the burstable tiers, at least ``nodes.min_memory_gib``); else the cheapest fleet there is."""
    backend, frontend = plan.backend, plan.frontend
    shapes = (backend.cpu_request_m, backend.memory_request_mib), (frontend.cpu_request_m, frontend.memory_request_mib)
    buffer, floor = exact(assumptions.node_buffer), assumptions.min_nodes
    fixed = fixed_pods(plan.nodes.addons)
    load = FleetLoad(
        backend.max_replicas * backend.cpu_request_m + frontend.max_replicas * frontend.cpu_request_m,
        assumptions.daemonsets.cpu_m,
        assumptions.hpa_target_cpu_percent / 100,
        sum(cpu for cpu, _ in fixed),
    )
    best = (float("inf"), "")
    for instance in catalog.instance_types.values():
        if instance.arch != arch or not prices.offers(instance.name):
            continue
        if eligible_only and (
            (instance.burstable and plan.tier not in assumptions.burstable_tiers)
            or instance.memory_gib < assumptions.nodes.min_memory_gib
        ):
            continue
        prepared = packing(workload_capacity(instance, assumptions.daemonsets), *shapes, fixed)
        needed = None if prepared is None else pack(prepared, backend.max_replicas, frontend.max_replicas)
        if needed is None:
            continue
        nodes = max(floor, -(-needed * buffer.numerator // buffer.denominator))
        b = burst(instance, prices)
        cost = nodes * node_month(instance, prices, assumptions.node_disk_gib).base + (
            credits(b, nodes, load, 1.0) if b else 0.0
        )
        best = min(best, (cost, instance.name))
    return best


def max_fleet_ratios(arch: str, points: int = 40, eligible_only: bool = False) -> list[tuple[int, float, str, str]]:
    """(users, chosen max fleet / cheapest max fleet, chosen type, cheapest type) on a log-spaced sweep."""
    catalog, prices, assumptions = load_catalog(), region_prices("us-east-1"), Assumptions()
    users = sorted({round(10 ** (1 + 5 * i / (points - 1))) for i in range(points)})
    rows = []
    for count in users:
        plan = calculate(Workload(concurrent_users=count, arch=arch))
        cheapest, name = cheapest_max_fleet(plan, arch, catalog, prices, assumptions, eligible_only)
        rows.append((count, plan.nodes.monthly_usd.max / cheapest, plan.nodes.instance_type, name))
    return rows


def cold_start_seconds(runs: int = 15) -> float:
    command = shutil.which("sizing") or ""
    argv = [command] if command else [sys.executable, "-m", "sizing"]
    times = []
    # As installed from a wheel, which pip byte-compiles: an editable checkout under PYTHONDONTWRITEBYTECODE would
    # compile every module on every run and measure the compiler.
    compileall.compile_dir(os.path.dirname(sizing.__file__), quiet=1)
    # The first run of a day fills the token-price cache (it imports genai-prices) and the parsed data files'
    # cache; the measured runs read them.
    subprocess.run(
        [*argv, "report", "--concurrent-users", "1000", "--format", "json"], check=True, stdout=subprocess.DEVNULL
    )
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [*argv, "report", "--concurrent-users", "1000", "--format", "json"], check=True, stdout=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def yaml_seconds(count: int = YAML_PLANS) -> tuple[float, str]:
    """What `compare` spends writing `count` plans as YAML (the plans computed beforehand): the renderer alone."""
    from sizing.cli.formats import many_to_yaml

    plans = [calculate(workload) for workload in random_workloads(count)]
    start = time.perf_counter()
    many_to_yaml(plans)
    elapsed = time.perf_counter() - start
    from sizing.cli.yaml_text import DUMPER

    return elapsed, DUMPER.__name__


def main() -> int:
    rate = plans_per_second()
    cold = cold_start_seconds()
    yaml_s, dumper = yaml_seconds()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plans per second (in-process): {rate:,.0f}   target >= {PLANS_TARGET:,}")
    print(f"cold start, report --format json (median): {cold:.3f} s   target <= {COLD_START_TARGET_S} s")
    print(f"{YAML_PLANS:,} plans as YAML ({dumper}): {yaml_s:.2f} s   target <= {YAML_TARGET_S} s")
    print(f"peak memory of this process: {peak_mib:.0f} MiB")
    # The target is on the types the rule may choose; every type (burstable ones beyond assumptions.burstable_tiers
    # too, node counts beyond the cluster limits) is shown for what that assumption costs.
    medians = []
    for arch in ("x86_64", "arm64"):
        for eligible_only, against in ((True, "the types the rule may choose"), (False, "every type")):
            rows = max_fleet_ratios(arch, eligible_only=eligible_only)
            ratios = [ratio for _, ratio, _, _ in rows]
            worst = max(rows, key=lambda row: row[1])
            if eligible_only:
                medians.append(statistics.median(ratios))
            print(
                f"max fleet / cheapest max fleet of {against}, us-east-1 {arch}, {len(rows)} loads "
                f"{rows[0][0]:,}-{rows[-1][0]:,} users: median {statistics.median(ratios):.4f}, worst "
                f"{worst[1]:.4f} at {worst[0]:,} users ({worst[2]} vs {worst[3]})"
                + (f"   target median <= {MAX_FLEET_MEDIAN_TARGET}" if eligible_only else "")
            )
    fast = rate >= PLANS_TARGET and cold <= COLD_START_TARGET_S and yaml_s <= YAML_TARGET_S
    return 0 if fast and max(medians) <= MAX_FLEET_MEDIAN_TARGET else 1


def plan_only(count: int) -> int:
    """``benchmark.py plans N``: N plans and nothing else, to count instructions under callgrind (see
    docs/development.md): wall time on a shared machine varies several-fold, instruction counts do not."""
    for workload in random_workloads(count):
        calculate(workload)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["yaml"]:  # `benchmark.py yaml`: only the YAML case
        seconds, how = yaml_seconds()
        print(f"{YAML_PLANS:,} plans as YAML ({how}): {seconds:.2f} s   target <= {YAML_TARGET_S} s")
        sys.exit(0 if seconds <= YAML_TARGET_S else 1)
    sys.exit(plan_only(int(sys.argv[2])) if sys.argv[1:2] == ["plans"] else main())
