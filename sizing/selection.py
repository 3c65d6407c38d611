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
from sizing.limits import MAX_NODES_PER_GROUP
from sizing.nodes import Allocatable, Packing, allocatable, pack, packing, workload_capacity
from sizing.plan import NodeGroupPlan, NodeOption, NodePlan, PodPlan, Range
from sizing.exact import exact
from sizing.pricing import region_prices

ALTERNATIVES = 3
SELECTION_RULE = (
    "cheapest monthly fleet: minimise (min-fleet cost + max-fleet cost), each = nodes x (on-demand price + gp3 root "
    "volume); ties go to the cheaper max fleet, then the name"
)


class Fleet(NamedTuple):
    """One type's fleet for the load, as plain numbers: ranking runs over the whole catalog on every plan."""

    score: float  # min-fleet + max-fleet monthly cost
    max_cost: float
    name: str
    min_nodes: int
    max_nodes: int
    node_monthly_usd: float


@cache
def _capacity_classes(
    arch: str, burstable_ok: bool, daemonsets: DaemonSetAssumptions, shapes: tuple[tuple[int, int], tuple[int, int]]
) -> tuple[tuple[Packing, tuple[InstanceType, ...]], ...]:
    """Candidate types grouped by what they schedule, each group's packing prepared for these pod shapes.

    Depends on the assumptions only, never on the load, so it is computed once and reused by every plan.
    """
    classes: dict[Allocatable, list[InstanceType]] = {}
    for instance in load_catalog().instance_types.values():
        if instance.arch == arch and (burstable_ok or not instance.burstable):
            classes.setdefault(workload_capacity(instance, daemonsets), []).append(instance)
    prepared = ((packing(capacity, *shapes), tuple(members)) for capacity, members in classes.items())
    return tuple((plan, members) for plan, members in prepared if plan is not None)


def _shapes(backend: PodPlan, frontend: PodPlan) -> tuple[tuple[int, int], tuple[int, int]]:
    return (backend.cpu_request_m, backend.memory_request_mib), (frontend.cpu_request_m, frontend.memory_request_mib)


@cache
def _node_monthly(region: str, node_disk_gib: int) -> dict[str, float]:
    prices = region_prices(region)
    volume = node_disk_gib * prices.service("ebs_gp3_gb_month")
    return {name: prices.monthly(hourly) + volume for name, hourly in prices.ec2_hour.items()}


def _fleets(
    classes: tuple[tuple[Packing, tuple[InstanceType, ...]], ...],
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    monthly: dict[str, float],
) -> list[Fleet]:
    buffer, floor = exact(assumptions.node_buffer), assumptions.min_nodes
    num, den = buffer.numerator, buffer.denominator
    fleets = []
    for plan, members in classes:
        for_min = pack(plan, backend.min_replicas, frontend.min_replicas)
        for_max = pack(plan, backend.max_replicas, frontend.max_replicas)
        if for_min is None or for_max is None:
            continue
        low, high = max(floor, -(-for_min * num // den)), max(floor, -(-for_max * num // den))
        for instance in members:
            per_node = monthly[instance.name]
            fleets.append(Fleet((low + high) * per_node, high * per_node, instance.name, low, high, per_node))
    fleets.sort()
    return fleets


def _option(fleet: Fleet, region: str) -> NodeOption:
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
        hourly_usd=region_prices(region).ec2_hour[fleet.name],
        min_nodes=fleet.min_nodes,
        max_nodes=fleet.max_nodes,
        monthly_usd=Range(
            min=round(fleet.min_nodes * fleet.node_monthly_usd, 2), max=round(fleet.max_nodes * fleet.node_monthly_usd, 2)
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
    region: str,
    arch: str,
    pinned: str | None,
) -> NodePlan:
    catalog = load_catalog()
    monthly = _node_monthly(region, assumptions.node_disk_gib)
    if pinned is not None:
        instance = catalog.instance(pinned)
        arch = instance.arch
        capacity = workload_capacity(instance, assumptions.daemonsets)
        prepared = packing(capacity, *_shapes(backend, frontend))
        own = [] if prepared is None else _fleets(((prepared, (instance,)),), backend, frontend, assumptions, monthly)
        if not own:
            raise SizingError(
                f"instance type {pinned} cannot schedule the pods: after kube-reserved and DaemonSets it offers "
                f"{capacity.cpu_m}m CPU, {capacity.memory_mib} MiB, {capacity.pods} pod slots; pick a larger type",
                field="instance_type",
            )
    ranked = _fleets(
        _capacity_classes(arch, tier in assumptions.burstable_tiers, assumptions.daemonsets, _shapes(backend, frontend)),
        backend, frontend, assumptions, monthly,
    )
    if pinned is None:
        if not ranked:
            raise SizingError(
                f"no {arch} instance type in the catalog can schedule the pods; lower the pod requests",
                field="assumptions",
            )
        own = ranked[:1]
    chosen = own[0]
    best = _option(chosen, region)
    alternatives = [_option(f, region) for f in islice((f for f in ranked if f.name != chosen.name), ALTERNATIVES)]
    return NodePlan(
        **dict(best),
        pod_slots=workload_capacity(catalog.instance(chosen.name), assumptions.daemonsets).pods,
        pinned=pinned is not None,
        selection_rule="pinned by the user" if pinned is not None else SELECTION_RULE,
        groups=split_groups(chosen.name, chosen.min_nodes, chosen.max_nodes),
        alternatives=alternatives,
    )
