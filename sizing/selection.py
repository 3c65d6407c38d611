"""Choosing the node instance type, and splitting its fleet into managed node groups.

Karpenter-style separation: ``catalog`` says what a type is, ``pricing`` what it costs here, ``nodes`` what it can
schedule; this module only ranks. Types that schedule identically (m5/m6i, c5/c6i of a size) share one packing
computation, which keeps a whole-catalog ranking inside the plan-per-sub-millisecond budget.
"""

from __future__ import annotations

import math
from functools import cache
from itertools import islice
from typing import NamedTuple

from sizing.assumptions import Assumptions, DaemonSetAssumptions, Tier
from sizing.catalog import InstanceType, load_catalog
from sizing.errors import SizingError
from sizing.limits import MAX_NODES_PER_GROUP, MAX_PLANNED_NODES, check_plannable
from sizing.nodes import Allocatable, Packing, allocatable, pack, packing, workload_capacity
from sizing.plan import NodeGroupPlan, NodeOption, NodePlan, PodPlan, Range
from sizing.exact import exact
from sizing.pricing import RegionPrices

ALTERNATIVES = 3
SELECTION_RULE = (
    "cheapest monthly fleet: minimise (min-fleet cost + max-fleet cost), each = nodes x (on-demand price + gp3 root "
    "volume + burstable CPU credits); ties go to the cheaper max fleet, then the newer generation, then the name"
)


class Fleet(NamedTuple):
    """One type's fleet for the load, as plain numbers: ranking runs over the whole catalog on every plan."""

    score: float  # min-fleet + max-fleet monthly cost
    max_cost: float
    newer_first: int  # minus the generation, so c6i beats an equally priced c5
    name: str
    min_nodes: int
    max_nodes: int
    node_min_monthly_usd: float  # per node of the min fleet: instance + volume + credits at average load
    node_max_monthly_usd: float  # per node of the max fleet: the same at peak


class NodeCosts(NamedTuple):
    """Monthly cost of one node of a type: instance and volume, and burstable credits at average and peak load."""

    base: float
    credits_min: float
    credits_max: float


Members = tuple[tuple[str, int], ...]  # (name, minus the generation) of the types in one capacity class


@cache
def _capacity_classes(
    prices: RegionPrices,
    arch: str,
    burstable_ok: bool,
    min_memory_gib: float,
    daemonsets: DaemonSetAssumptions,
    shapes: tuple[tuple[int, int], tuple[int, int]],
) -> tuple[tuple[Packing, Members], ...]:
    """Candidate types grouped by what they schedule, each group's packing prepared for these pod shapes.

    Candidates are the types offered in the region (priced there), of the architecture, with at least the minimum
    memory. Depends on the prices and assumptions only, never on the load, so it is computed once and reused by
    every plan.
    """
    classes: dict[Allocatable, list[tuple[str, int]]] = {}
    for instance in load_catalog().instance_types.values():
        if (
            instance.arch == arch
            and (burstable_ok or not instance.burstable)
            and instance.memory_gib >= min_memory_gib
            and prices.offers(instance.name)
        ):
            classes.setdefault(workload_capacity(instance, daemonsets), []).append(
                (instance.name, -instance.generation)
            )
    prepared = ((packing(capacity, *shapes), tuple(members)) for capacity, members in classes.items())
    return tuple((plan, members) for plan, members in prepared if plan is not None)


def _shapes(backend: PodPlan, frontend: PodPlan) -> tuple[tuple[int, int], tuple[int, int]]:
    return (backend.cpu_request_m, backend.memory_request_mib), (frontend.cpu_request_m, frontend.memory_request_mib)


def credits_hourly(instance: InstanceType, busy_share: float, surplus_vcpu_hour: float) -> float:
    """Surplus CPU credits of a burstable node running its vCPUs at ``busy_share``: what exceeds the baseline.

    EKS launches T instances in unlimited mode, so a node busier than its baseline is billed per surplus vCPU-hour
    instead of being throttled; non-burstable types cost nothing extra.
    """
    if instance.baseline_cpu is None:
        return 0.0
    return max(0.0, busy_share - instance.baseline_cpu) * instance.vcpu * surplus_vcpu_hour


@cache
def _node_costs(
    prices: RegionPrices, node_disk_gib: int, daemonsets: DaemonSetAssumptions, hpa_target: float, duty_cycle: float
) -> dict[str, NodeCosts]:
    """Per node-month of every type offered in the region. A busy node's CPU is its requests (pods and DaemonSets)
    at the HPA's target utilisation; at the min fleet the load averages ``duty_cycle`` of that."""
    volume = node_disk_gib * prices.service("ebs_gp3_gb_month")
    costs = {}
    for name, instance in load_catalog().instance_types.items():
        if not prices.offers(name):
            continue
        node = allocatable(instance)
        busy = min(1.0, (node.cpu_m * hpa_target) / (instance.vcpu * 1000))
        surplus = prices.burstable_surplus_vcpu_hour.get(instance.family, 0.0)
        costs[name] = NodeCosts(
            prices.monthly(prices.ec2_hour[name]) + volume,
            prices.monthly(credits_hourly(instance, busy * duty_cycle, surplus)),
            prices.monthly(credits_hourly(instance, busy, surplus)),
        )
    return costs


def _fleets(
    classes: tuple[tuple[Packing, Members], ...],
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    costs: dict[str, NodeCosts],
) -> list[tuple]:
    """Every feasible type's fleet, cheapest first, as tuples in ``Fleet``'s field order."""
    buffer, floor = exact(assumptions.node_buffer), assumptions.min_nodes
    num, den = buffer.numerator, buffer.denominator
    fleets = []
    for plan, members in classes:
        for_min = pack(plan, backend.min_replicas, frontend.min_replicas)
        for_max = pack(plan, backend.max_replicas, frontend.max_replicas)
        if for_min is None or for_max is None:
            continue
        low, high = max(floor, -(-for_min * num // den)), max(floor, -(-for_max * num // den))
        for name, newer_first in members:
            base, credits_min, credits_max = costs[name]
            at_min, at_max = base + credits_min, base + credits_max
            # A plain tuple in Fleet's field order: this loop runs for every type on every plan.
            fleets.append((low * at_min + high * at_max, high * at_max, newer_first, name, low, high, at_min, at_max))
    fleets.sort()
    return fleets


def _option(fleet: Fleet, prices: RegionPrices, costs: NodeCosts) -> NodeOption:
    instance = load_catalog().instance(fleet.name)
    node = allocatable(instance)
    return NodeOption(
        instance_type=fleet.name,
        arch=instance.arch,
        vcpu=instance.vcpu,
        memory_gib=instance.memory_gib,
        max_pods=node.pods,
        allocatable_cpu_m=node.cpu_m,
        allocatable_memory_mib=node.memory_mib,
        hourly_usd=prices.ec2_hour[fleet.name],
        min_nodes=fleet.min_nodes,
        max_nodes=fleet.max_nodes,
        monthly_usd=Range(
            min=round(fleet.min_nodes * fleet.node_min_monthly_usd, 2),
            max=round(fleet.max_nodes * fleet.node_max_monthly_usd, 2),
        ),
        credits_monthly_usd=Range(
            min=round(fleet.min_nodes * costs.credits_min, 2), max=round(fleet.max_nodes * costs.credits_max, 2)
        ),
    )


def split_groups(instance_type: str, min_nodes: int, max_nodes: int) -> list[NodeGroupPlan]:
    """Spread the fleet over as few managed node groups as the 450-node quota allows, as evenly as possible."""
    count = math.ceil(max_nodes / MAX_NODES_PER_GROUP)

    def share(total: int, index: int) -> int:
        return total // count + (1 if index < total % count else 0)

    return [
        NodeGroupPlan(
            name=f"workers-{index + 1}",
            instance_type=instance_type,
            min_nodes=share(min_nodes, index),
            max_nodes=share(max_nodes, index),
        )
        for index in range(count)
    ]


def plan_nodes(
    tier: Tier,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    prices: RegionPrices,
    arch: str | None,
    pinned: str | None,
) -> tuple[NodePlan, list[str]]:
    catalog = load_catalog()
    costs = _node_costs(prices, assumptions.node_disk_gib, assumptions.daemonsets,
                        assumptions.hpa_target_cpu_percent / 100, assumptions.traffic.duty_cycle)
    warnings = []
    if pinned is not None:
        instance = catalog.instance(pinned)
        if not prices.offers(pinned):
            raise SizingError(
                f"{pinned} is not offered in {prices.region} (no price for it in the prices as of {prices.as_of}); "
                "pick another type",
                field="instance_type",
            )
        if arch is not None and arch != instance.arch:
            raise SizingError(f"{arch} contradicts the pinned instance type {pinned}, which is {instance.arch}",
                              field="arch")
        arch = instance.arch
        if instance.burstable and tier not in assumptions.burstable_tiers:
            warnings.append(
                f"{pinned} is burstable, which this plan reserves for the {'/'.join(assumptions.burstable_tiers)} "
                f"tiers: a {tier} fleet runs above its baseline and pays for CPU credits (counted in the cost)"
            )
        capacity = workload_capacity(instance, assumptions.daemonsets)
        prepared = packing(capacity, *_shapes(backend, frontend))
        own = [] if prepared is None else _fleets(
            ((prepared, ((instance.name, -instance.generation),)),), backend, frontend, assumptions, costs
        )
        if not own:
            raise SizingError(
                f"instance type {pinned} cannot schedule the pods: after kube-reserved and DaemonSets it offers "
                f"{capacity.cpu_m}m CPU, {capacity.memory_mib} MiB, {capacity.pods} pod slots; pick a larger type",
                field="instance_type",
            )
    arch = arch or "x86_64"
    ranked = _fleets(
        _capacity_classes(prices, arch, tier in assumptions.burstable_tiers, assumptions.nodes.min_memory_gib,
                          assumptions.daemonsets, _shapes(backend, frontend)),
        backend, frontend, assumptions, costs,
    )
    if pinned is None:
        if not ranked:
            raise SizingError(
                f"no {arch} instance type offered in {prices.region} with at least "
                f"{assumptions.nodes.min_memory_gib:g} GiB can schedule the pods; lower the pod requests",
                field="assumptions",
            )
        own = ranked[:1]
    chosen = Fleet._make(own[0])
    check_plannable(
        "nodes", chosen.max_nodes, MAX_PLANNED_NODES, *(
            ("instance_type", "pin a larger instance type") if pinned is not None else
            ("concurrent_users", "lower the load or raise the assumptions' users_per_pod")
        ),
    )
    best = _option(chosen, prices, costs[chosen.name])
    others = islice((Fleet._make(f) for f in ranked if f[3] != chosen.name), ALTERNATIVES)
    plan = NodePlan(
        **dict(best),
        pod_slots=workload_capacity(catalog.instance(chosen.name), assumptions.daemonsets).pods,
        pinned=pinned is not None,
        selection_rule="pinned by the user" if pinned is not None else SELECTION_RULE,
        groups=split_groups(chosen.name, chosen.min_nodes, chosen.max_nodes),
        alternatives=[_option(f, prices, costs[f.name]) for f in others],
    )
    return plan, warnings
