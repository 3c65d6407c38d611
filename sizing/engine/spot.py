"""Spot burst: the min fleet stays on-demand all month, the nodes the HPA ceiling adds above it run on Spot.

The burst group may launch any type of a pool of one vCPU and memory, so an interruption or a shortage of one type
does not stop the scale-up (interruption diversification; managed node groups spread Spot requests over the types
with the price-capacity-optimized strategy). The Cluster Autoscaler assumes every node of a group is alike, so the
burst is sized for the smallest allocatable of the pool and the on-demand type: any node of either holds at least
that, whichever type EC2 launches.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from sizing.assumptions import DaemonSetAssumptions
from sizing.data.catalog import Catalog, InstanceType
from sizing.data.pricing import RegionPrices
from sizing.engine.nodes import Allocatable, Fixed, pack, packing, workload_capacity
from sizing.plan import PodPlan

# At least three types, so one type's interruptions or shortage leaves two; at most four, the cheapest Spot prices,
# since every type added can only lower the smallest allocatable the burst is sized for.
SPOT_POOL_MIN, SPOT_POOL_MAX = 3, 4


class SpotBurst(NamedTuple):
    pool: tuple[tuple[str, float, float], ...]  # (type, family discount, Spot price per hour), cheapest first
    sized_for: Allocatable  # per node, after the DaemonSets
    nodes: int  # burst nodes at the HPA ceiling


@cache
def spot_pool(catalog: Catalog, prices: RegionPrices, chosen: str) -> tuple[tuple[str, float, float], ...]:
    """The types a Spot group may launch in place of ``chosen``: the same architecture, vCPU and memory, offered in
    the region with a Spot discount for their family; burstable types are left out (their CPU credits would make
    the burst's price depend on its load). The cheapest Spot prices first, at most ``SPOT_POOL_MAX``."""
    discounts = prices.spot_discount
    if discounts is None:
        return ()
    like = catalog.instance(chosen)
    found = sorted(
        (discounts.spot_hour(prices.ec2_hour[t.name], t.family), -t.generation, t.name)
        for t in catalog.instance_types.values()
        if t.arch == like.arch
        and t.vcpu == like.vcpu
        and t.memory_gib == like.memory_gib
        and not t.burstable
        and prices.offers(t.name)
        and t.family in discounts.families
    )
    return tuple(
        (name, discounts.families[catalog.instance(name).family], round(hour, 6))
        for hour, _, name in found[:SPOT_POOL_MAX]
    )


def smallest(capacities: list[Allocatable]) -> Allocatable:
    return Allocatable(
        min(c.cpu_m for c in capacities), min(c.memory_mib for c in capacities), min(c.pods for c in capacities)
    )


def spot_burst(
    chosen: InstanceType,
    pool: tuple[tuple[str, float, float], ...],
    catalog: Catalog,
    daemonsets: DaemonSetAssumptions,
    backend: PodPlan,
    frontend: PodPlan,
    buffer: Fraction,
    floor: int,
    min_nodes: int,
    fixed: Fixed = (),
) -> SpotBurst | None:
    """The burst above ``min_nodes`` on-demand nodes; None when the smallest node cannot hold a pod.

    Every node, on-demand or Spot, offers at least the smallest allocatable, so the max replicas packed on that
    node beside the add-ons' ``fixed`` pods (with the node buffer and floor, as every fleet) need at most that many
    nodes in all; the on-demand nodes count towards them."""
    node = smallest(
        [workload_capacity(catalog.instance(name), daemonsets) for name, _, _ in pool]
        + [workload_capacity(chosen, daemonsets)]
    )
    prepared = packing(
        node,
        (backend.cpu_request_m, backend.memory_request_mib),
        (frontend.cpu_request_m, frontend.memory_request_mib),
        fixed,
    )
    needed = None if prepared is None else pack(prepared, backend.max_replicas, frontend.max_replicas)
    if needed is None:
        return None
    total = max(floor, math.ceil(needed * buffer))
    return SpotBurst(pool, node, max(0, total - min_nodes))
