"""Choosing the node instance type, and splitting its fleet into managed node groups.

Karpenter-style separation: ``catalog`` says what a type is, ``pricing`` what it costs here, ``nodes`` what it can
schedule; this module only ranks. Types that schedule identically (m5/m6i, c5/c6i of a size) share one packing
computation, which keeps a whole-catalog ranking inside the plan-per-sub-millisecond budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from heapq import heappop, heappush
from itertools import islice
from typing import NamedTuple

from sizing.assumptions import Assumptions, DaemonSetAssumptions, Tier
from sizing.data.catalog import Catalog
from sizing.data.pricing import REFRESH, RegionPrices
from sizing.engine.addons import AddOn, fixed_pods
from sizing.engine.exact import exact
from sizing.engine.fleet_cost import Burst, FleetLoad, NodeMonth, burst, credits, expected_credits, node_month
from sizing.engine.limits import MAX_NODES_PER_GROUP, MAX_PLANNED_NODES, check_plannable
from sizing.engine.nodes import Allocatable, Fixed, Packing, allocatable, pack, packing, workload_capacity
from sizing.engine.ranking import Ranking
from sizing.engine.spot import SPOT_POOL_MIN, SpotBurst, spot_burst, spot_pool
from sizing.errors import SizingError
from sizing.plan import (
    AddOnPlan,
    NodeGroupPlan,
    NodeOption,
    NodePlan,
    OtherArch,
    PodPlan,
    Range,
    SavingsPlanPlan,
    SpotPlan,
    SpotType,
)

ALTERNATIVES = 3
SELECTION_RULE = (
    "cheapest monthly fleet: minimise (min-fleet cost + max-fleet cost), each = nodes x (on-demand price + gp3 root "
    "volume) + the fleet's burstable CPU credits; ties go to the cheaper max fleet, then the newer generation, then "
    "the name"
)


class Fleet(NamedTuple):
    """One type's fleet for the load, as plain numbers: ranking runs over the whole catalog on every plan."""

    score: float  # min-fleet + max-fleet monthly cost
    max_cost: float  # the max fleet at peak: instances, volumes, credits
    newer_first: int  # minus the generation, so c6i beats an equally priced c5
    name: str
    min_nodes: int
    max_nodes: int
    min_cost: float  # the min fleet at the average load
    credits_min: float
    credits_max: float


Members = tuple[tuple[str, int], ...]  # (name, minus the generation) of the types in one capacity class
# Selection keeps the cheapest fleet and the runner-ups: with a pinned type among them, the other three are still kept.
KEEP = 1 + ALTERNATIVES


class Classes(NamedTuple):
    """The candidate capacity classes, and per dimension (CPU, memory, pod slots) their indexes by cheapest node per
    unit of it: walked in that order, a class's fleet costs at least the pods' total of the dimension times its key,
    so the walk stops at the first class whose key alone cannot beat the fleets kept."""

    entries: tuple[tuple[Packing, Members, float], ...]  # packing, members, the class's cheapest node-month
    by_dimension: tuple[tuple[tuple[float, int], ...], ...]  # per dimension: (node-month / unit, index), ascending
    fixed: tuple[int, int, int] = (0, 0, 0)  # the add-on pods every fleet carries: CPU, memory and pods in all


@cache
def _capacity_classes(
    catalog: Catalog,
    prices: RegionPrices,
    arch: str,
    burstable_ok: bool,
    min_memory_gib: float,
    daemonsets: DaemonSetAssumptions,
    shapes: tuple[tuple[int, int], tuple[int, int]],
    node_disk_gib: int,
    fixed: Fixed = (),
) -> Classes:
    """Candidate types grouped by what they schedule, each group's packing prepared for these pod shapes and the
    add-ons' ``fixed`` pods (a type that cannot hold one of them is no candidate).

    Candidates are the types offered in the region (priced there), of the architecture, with at least the minimum
    memory. Depends on the prices and assumptions only, never on the load, so it is computed once and reused by
    every plan.
    """
    classes: dict[Allocatable, list[tuple[str, int]]] = {}
    for instance in catalog.instance_types.values():
        if (
            instance.arch == arch
            and (burstable_ok or not instance.burstable)
            and instance.memory_gib >= min_memory_gib
            and prices.offers(instance.name)
        ):
            classes.setdefault(workload_capacity(instance, daemonsets), []).append(
                (instance.name, -instance.generation)
            )

    def base(member: tuple[str, int]) -> float:
        return node_month(catalog.instance(member[0]), prices, node_disk_gib).base

    # Members cheapest node first: the first is what bounds the class's fleet cost from below before packing it, and
    # once a member's nodes alone cost more than the fleets kept, so do the ones after it.
    entries = tuple(
        (plan, ordered, base(ordered[0]))
        for capacity, members in classes.items()
        if (plan := packing(capacity, *shapes, fixed)) is not None
        for ordered in [tuple(sorted(members, key=base))]
    )
    return _classes(entries, fixed)


def _classes(entries: tuple[tuple[Packing, Members, float], ...], fixed: Fixed = ()) -> Classes:
    return Classes(
        entries,
        tuple(
            tuple(sorted((base / plan.node[dimension], index) for index, (plan, _, base) in enumerate(entries)))
            for dimension in range(3)
        ),
        (sum(cpu for cpu, _ in fixed), sum(memory for _, memory in fixed), len(fixed)),
    )


def _shapes(backend: PodPlan, frontend: PodPlan) -> tuple[tuple[int, int], tuple[int, int]]:
    return (backend.cpu_request_m, backend.memory_request_mib), (frontend.cpu_request_m, frontend.memory_request_mib)


def _cpu(fixed: Fixed) -> int:
    return sum(cpu for cpu, _ in fixed)


class NodeCosts(NamedTuple):
    months: dict[str, NodeMonth]  # per type: one node-month, item by item (what the bill prints)
    bases: dict[str, float]  # per type: one node-month in all
    bursts: dict[str, Burst]  # per burstable type: its baseline and surplus price


@cache
def _node_costs(catalog: Catalog, prices: RegionPrices, node_disk_gib: int) -> NodeCosts:
    offered = [instance for instance in catalog.instance_types.values() if prices.offers(instance.name)]
    months = {instance.name: node_month(instance, prices, node_disk_gib) for instance in offered}
    bursts = {instance.name: b for instance in offered if (b := burst(instance, prices))}
    return NodeCosts(months, {name: m.base for name, m in months.items()}, bursts)


def _fleet_loads(
    backend: PodPlan, frontend: PodPlan, assumptions: Assumptions, addon_cpu_m: int
) -> tuple[FleetLoad, FleetLoad]:
    """The min fleet's and the max fleet's pods: min replicas at peak, max replicas (the HPA ceiling); both carry the
    add-ons' pods."""
    daemonsets, target = assumptions.daemonsets.cpu_m, assumptions.hpa_target_cpu_percent / 100
    at_min = backend.min_replicas * backend.cpu_request_m + frontend.min_replicas * frontend.cpu_request_m
    at_max = backend.max_replicas * backend.cpu_request_m + frontend.max_replicas * frontend.cpu_request_m
    return FleetLoad(at_min, daemonsets, target, addon_cpu_m), FleetLoad(at_max, daemonsets, target, addon_cpu_m)


def _fleets(
    classes: Classes,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    costs: NodeCosts,
    keep: int | None = KEEP,
) -> list[tuple]:
    """The cheapest ``keep`` feasible fleets (all of them when None), cheapest first, as tuples in ``Fleet``'s order.

    The min fleet is costed at the average load (credits are not linear in it), the max fleet at peak. A class is
    packed only while its lower bound — the nodes its pods' requests need at least, times its cheapest node, credits
    aside — could still beat the fleets kept: the catalog has hundreds of types, a plan needs the best few. Classes
    are walked by cheapest node per unit of the dimension the pods need most of, so the walk stops early.
    """
    buffer, floor = exact(assumptions.node_buffer), assumptions.min_nodes
    bases, bursts, mean = costs.bases, costs.bursts, assumptions.traffic.duty_cycle
    entries, orders, (fixed_cpu, fixed_mem, fixed_pods_count) = classes
    load_min, load_max = _fleet_loads(backend, frontend, assumptions, fixed_cpu)
    num, den = buffer.numerator, buffer.denominator
    at_min_counts = (backend.min_replicas, frontend.min_replicas)
    at_max_counts = (backend.max_replicas, frontend.max_replicas)

    def buffered(nodes: int) -> int:
        return max(floor, -(-nodes * num // den))

    # What the pods ask for in all, at the min and at the max, the add-ons' with them: no packing needs fewer nodes
    # than these over a node's allocatable. Inlined: this loop runs over many classes on every plan.
    b_cpu, b_mem, f_cpu, f_mem = (
        backend.cpu_request_m,
        backend.memory_request_mib,
        frontend.cpu_request_m,
        frontend.memory_request_mib,
    )
    cpu_lo, mem_lo = (
        at_min_counts[0] * b_cpu + at_min_counts[1] * f_cpu + fixed_cpu,
        at_min_counts[0] * b_mem + at_min_counts[1] * f_mem + fixed_mem,
    )
    cpu_hi, mem_hi = (
        at_max_counts[0] * b_cpu + at_max_counts[1] * f_cpu + fixed_cpu,
        at_max_counts[0] * b_mem + at_max_counts[1] * f_mem + fixed_mem,
    )
    pods_lo, pods_hi = sum(at_min_counts) + fixed_pods_count, sum(at_max_counts) + fixed_pods_count
    scale = float(buffer)
    # Both fleets' units of each dimension, buffered, a hair low so float rounding never lifts a bound above the
    # exact one. Walk the dimension whose cheapest class bounds highest: the one the pods are short of.
    totals = [(cpu_lo + cpu_hi) * scale, (mem_lo + mem_hi) * scale, (pods_lo + pods_hi) * scale]
    dimension = max(range(3), key=lambda d: totals[d] * orders[d][0][0] if orders[d] else 0.0)
    total = totals[dimension] * (1 - 1e-9)
    ranking = Ranking(keep)  # ranking.worst: the costliest fleet kept, once ``keep`` are kept
    # Classes are packed in the order of their lower bounds, but a class's bound is computed only once the walk says
    # it could come next: ``waiting`` holds the bounds computed and not yet packed, cheapest first.
    walk = iter(orders[dimension])
    upcoming = next(walk, None)
    waiting: list[tuple[float, int]] = []
    while True:
        while upcoming is not None and (not waiting or upcoming[0] * total <= waiting[0][0]):
            index = upcoming[1]
            # The nodes the pods' requests need at least, buffered and floored, in integers: a float product such as
            # 10 x 1.1 = 11.000000000000002 would round up a node too many and prune a fleet that can win.
            cpu, mem, pods = entries[index][0].node
            lo = -(-cpu_lo // cpu)
            if -(-mem_lo // mem) > lo:
                lo = -(-mem_lo // mem)
            if -(-pods_lo // pods) > lo:
                lo = -(-pods_lo // pods)
            hi = -(-cpu_hi // cpu)
            if -(-mem_hi // mem) > hi:
                hi = -(-mem_hi // mem)
            if -(-pods_hi // pods) > hi:
                hi = -(-pods_hi // pods)
            lo, hi = -(-lo * num // den), -(-hi * num // den)
            heappush(
                waiting, (((lo if lo > floor else floor) + (hi if hi > floor else floor)) * entries[index][2], index)
            )
            upcoming = next(walk, None)
        if not waiting:
            break
        bound, index = heappop(waiting)
        if bound > ranking.worst:
            break
        plan, members, _ = entries[index]
        for_min = pack(plan, *at_min_counts)
        for_max = pack(plan, *at_max_counts)
        if for_min is None or for_max is None:
            continue
        low, high = buffered(for_min), buffered(for_max)
        for name, newer_first in members:
            base = bases[name]
            if low * base + high * base > ranking.worst:
                break
            b = bursts.get(name)
            credits_min = credits(b, low, load_min, mean) if b else 0.0
            credits_max = credits(b, high, load_max, 1.0) if b else 0.0
            at_min, at_max = low * base + credits_min, high * base + credits_max
            ranking.add((at_min + at_max, at_max, newer_first, name, low, high, at_min, credits_min, credits_max))
        ranking.settle()
    return ranking.items


def _ranked(
    arch: str,
    tier: Tier,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    catalog: Catalog,
    prices: RegionPrices,
    costs: NodeCosts,
    fixed: Fixed,
    keep: int | None = KEEP,
) -> list[tuple]:
    """The cheapest fleets of one architecture's candidate types for these pods and the add-ons' ``fixed`` pods."""
    classes = _capacity_classes(
        catalog,
        prices,
        arch,
        tier in assumptions.burstable_tiers,
        assumptions.nodes.min_memory_gib,
        assumptions.daemonsets,
        _shapes(backend, frontend),
        assumptions.node_disk_gib,
        fixed,
    )
    return _fleets(classes, backend, frontend, assumptions, costs, keep)


def _option(fleet: Fleet, catalog: Catalog, prices: RegionPrices) -> dict:
    """A ``NodeOption``'s fields: the chosen fleet's become the ``NodePlan``'s, with more beside them."""
    instance = catalog.instance(fleet.name)
    node = allocatable(instance)
    return {
        "instance_type": fleet.name,
        "arch": instance.arch,
        "vcpu": instance.vcpu,
        "memory_gib": instance.memory_gib,
        "max_pods": node.pods,
        "allocatable_cpu_m": node.cpu_m,
        "allocatable_memory_mib": node.memory_mib,
        "hourly_usd": prices.ec2_hour[fleet.name],
        "min_nodes": fleet.min_nodes,
        "max_nodes": fleet.max_nodes,
        "monthly_usd": Range(min=round(fleet.min_cost, 2), max=round(fleet.max_cost, 2)),
        "credits_monthly_usd": Range(min=round(fleet.credits_min, 2), max=round(fleet.credits_max, 2)),
    }


def split_groups(
    instance_type: str,
    min_nodes: int,
    max_nodes: int,
    prefix: str = "workers",
    spot_types: Sequence[str] = (),
) -> list[NodeGroupPlan]:
    """Spread the fleet over as few managed node groups as the 450-node quota allows, as evenly as possible.

    With ``spot_types`` the groups are Spot groups that may launch any of them."""
    count = math.ceil(max_nodes / MAX_NODES_PER_GROUP)

    def share(total: int, index: int) -> int:
        return total // count + (1 if index < total % count else 0)

    return [
        NodeGroupPlan(
            name=f"{prefix}-{index + 1}",
            instance_type=spot_types[0] if spot_types else instance_type,
            min_nodes=share(min_nodes, index),
            max_nodes=share(max_nodes, index),
            **({"spot_types": tuple(spot_types)} if spot_types else {}),
        )
        for index in range(count)
    ]


def _missing(what: str, prices: RegionPrices, field: str) -> SizingError:
    return SizingError(
        f"the prices for {prices.region} (as of {prices.as_of}) have no {what}; fetch them with "
        f"`{REFRESH.format(region=prices.region)}` and use that price file",
        field=field,
    )


def _spot_choice(
    candidates: Sequence[tuple],
    catalog: Catalog,
    prices: RegionPrices,
    assumptions: Assumptions,
    backend: PodPlan,
    frontend: PodPlan,
    pinned: str | None,
    fixed: Fixed,
) -> tuple[tuple, SpotBurst]:
    """The first fleet, cheapest first, whose burst has a Spot pool of at least three types (or needs no burst)."""
    if prices.spot_discount is None:
        raise _missing("Spot discounts", prices, "capacity")
    buffer, floor = exact(assumptions.node_buffer), assumptions.min_nodes
    for fleet in candidates:
        name, low = fleet[3], fleet[4]
        pool = spot_pool(catalog, prices, name)
        found = spot_burst(
            catalog.instance(name), pool, catalog, assumptions.daemonsets, backend, frontend, buffer, floor, low, fixed
        )
        if found is not None and (found.nodes == 0 or len(pool) >= SPOT_POOL_MIN):
            return fleet, found if len(pool) >= SPOT_POOL_MIN else found._replace(pool=())
    if pinned is not None:
        like = catalog.instance(pinned)
        raise SizingError(
            f"spot-burst needs {SPOT_POOL_MIN} Spot types with {pinned}'s {like.vcpu} vCPU and {like.memory_gib:g} GiB "
            f"offered in {prices.region}, and has {len(spot_pool(catalog, prices, pinned))}; pin another type or use "
            "on-demand capacity",
            field="capacity",
        )
    raise SizingError(
        f"no instance type offered in {prices.region} has {SPOT_POOL_MIN} Spot types of its vCPU and "
        "memory for the burst; use on-demand capacity",
        field="capacity",
    )


def _expected_nodes_bill(
    fleet: Fleet,
    costs: NodeCosts,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    discount: float,
    fixed: Fixed,
) -> float:
    """What the fleet's nodes are expected to bill a month: the min fleet all month (instances at the Savings Plan
    rate when there is one, volumes) and its CPU credits hour by hour."""
    month = costs.months[fleet.name]
    hourly_credits = expected_credits(
        costs.bursts.get(fleet.name),
        fleet.min_nodes,
        _fleet_loads(backend, frontend, assumptions, _cpu(fixed))[0],
        assumptions.traffic.hourly_profile,
    )
    return fleet.min_nodes * (month.instance * (1 - discount) + month.volume) + hourly_credits


def _other_arch(
    arch: str,
    chosen: Fleet,
    tier: Tier,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    catalog: Catalog,
    prices: RegionPrices,
    costs: NodeCosts,
    discount: float,
    fixed: Fixed,
) -> OtherArch | None:
    other = "arm64" if arch == "x86_64" else "x86_64"
    fleets = _ranked(other, tier, backend, frontend, assumptions, catalog, prices, costs, fixed)
    if not fleets:
        return None
    best = Fleet._make(fleets[0])
    theirs = _expected_nodes_bill(best, costs, backend, frontend, assumptions, discount, fixed)
    ours = _expected_nodes_bill(chosen, costs, backend, frontend, assumptions, discount, fixed)
    if round(ours - theirs, 2) <= 0:
        return None
    return OtherArch(
        arch=other,
        instance_type=best.name,
        min_nodes=best.min_nodes,
        max_nodes=best.max_nodes,
        expected_monthly_usd=round(theirs, 2),
        saving_monthly_usd=round(ours - theirs, 2),
    )


def plan_nodes(
    tier: Tier,
    backend: PodPlan,
    frontend: PodPlan,
    assumptions: Assumptions,
    arch: str | None,
    pinned: str | None,
    catalog: Catalog,
    prices: RegionPrices,
    capacity: str = "on-demand",
    savings_plan: str = "none",
    compare_arch: bool = False,
    addons: tuple[AddOn, ...] = (),
) -> tuple[NodePlan, NodeMonth, list[str]]:
    """The chosen fleet, one of its node-months (what the bill multiplies), and warnings.

    Every fleet, min and max, holds the app's pods and the cluster ``addons``' pods beside them. The type is chosen
    by its on-demand fleet; spot-burst then moves the burst above the min fleet to Spot, and a Savings Plan prices
    the min fleet (the plan's ``spot``/``savings_plan``, computed only when asked, as is the other architecture's
    fleet with ``compare_arch``)."""
    costs = _node_costs(catalog, prices, assumptions.node_disk_gib)
    fixed = fixed_pods(addons)
    arch_pinned = arch is not None or pinned is not None
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
            raise SizingError(
                f"{arch} contradicts the pinned instance type {pinned}, which is {instance.arch}", field="arch"
            )
        arch = instance.arch
        if instance.burstable and tier not in assumptions.burstable_tiers:
            warnings.append(
                f"{pinned} is burstable, which this plan reserves for the {'/'.join(assumptions.burstable_tiers)} "
                f"tiers: a {tier} fleet runs above its baseline and pays for CPU credits (counted in the cost)"
            )
        offered = workload_capacity(instance, assumptions.daemonsets)
        prepared = packing(offered, *_shapes(backend, frontend), fixed)
        own = (
            []
            if prepared is None
            else _fleets(
                _classes(((prepared, ((instance.name, -instance.generation),), costs.bases[instance.name]),), fixed),
                backend,
                frontend,
                assumptions,
                costs,
            )
        )
        if not own:
            raise SizingError(
                f"instance type {pinned} cannot schedule the pods (the app's and the cluster add-ons'): after "
                "kube-reserved and DaemonSets it offers "
                f"{offered.cpu_m}m CPU, {offered.memory_mib} MiB, {offered.pods} pod slots; pick a larger type",
                field="instance_type",
            )
    arch = arch or "x86_64"
    ranked = _ranked(
        arch,
        tier,
        backend,
        frontend,
        assumptions,
        catalog,
        prices,
        costs,
        fixed,
        # spot-burst may walk down the ranking to the first type with a Spot pool: rank them all then.
        keep=None if capacity == "spot-burst" else KEEP,
    )
    if pinned is None:
        if not ranked:
            raise SizingError(
                f"no {arch} instance type offered in {prices.region} with at least "
                f"{assumptions.nodes.min_memory_gib:g} GiB can schedule the pods; lower the pod requests",
                field="assumptions",
            )
        own = ranked[:1]
    discount = 0.0
    if savings_plan != "none":
        if prices.savings_plan_discount is None:
            raise _missing("Compute Savings Plan rates", prices, "savings_plan")
        discount = prices.savings_plan_discount.terms[savings_plan]
    spot_fleet = None
    if capacity == "spot-burst":
        picked, spot_fleet = _spot_choice(
            own if pinned is not None else ranked, catalog, prices, assumptions, backend, frontend, pinned, fixed
        )
        own = [picked]
    chosen = Fleet._make(own[0])
    check_plannable(
        "nodes",
        chosen.max_nodes,
        MAX_PLANNED_NODES,
        *(
            ("instance_type", "pin a larger instance type")
            if pinned is not None
            else ("concurrent_users", "lower the load or raise the assumptions' users_per_pod")
        ),
    )
    best = _option(chosen, catalog, prices)
    load_min = _fleet_loads(backend, frontend, assumptions, _cpu(fixed))[0]
    expected = expected_credits(
        costs.bursts.get(chosen.name), chosen.min_nodes, load_min, assumptions.traffic.hourly_profile
    )
    others = islice((Fleet._make(f) for f in ranked if f[3] != chosen.name), ALTERNATIVES)
    month = costs.months[chosen.name]
    groups = split_groups(chosen.name, chosen.min_nodes, chosen.max_nodes)
    spot = None
    if spot_fleet is not None:
        best, spot, groups = _spot_burst_fleet(best, chosen, spot_fleet, costs, load_min, prices)
    plan = NodePlan(
        **{**best, "credits_expected_monthly_usd": round(expected, 2)},
        pod_slots=workload_capacity(catalog.instance(chosen.name), assumptions.daemonsets).pods,
        pinned=pinned is not None,
        selection_rule="pinned by the user" if pinned is not None else SELECTION_RULE,
        groups=groups,
        alternatives=[NodeOption(**_option(f, catalog, prices)) for f in others],
        addons=[
            AddOnPlan(
                name=a.name,
                replicas=a.replicas,
                cpu_request_m=a.cpu_request_m,
                memory_request_mib=a.memory_request_mib,
                source=a.source,
            )
            for a in addons
        ],
        **_extras(
            capacity,
            spot,
            savings_plan,
            discount,
            chosen,
            prices,
            lambda: (
                _other_arch(arch, chosen, tier, backend, frontend, assumptions, catalog, prices, costs, discount, fixed)
                if compare_arch and not arch_pinned
                else None
            ),
        ),
    )
    return plan, month, warnings


def _spot_burst_fleet(
    best: dict,
    chosen: Fleet,
    burst: SpotBurst,
    costs: NodeCosts,
    load_min: FleetLoad,
    prices: RegionPrices,
) -> tuple[dict, SpotPlan, list[NodeGroupPlan]]:
    """The fleet deployed under spot-burst (the min fleet on-demand, the burst on Spot at the dearest price of its
    pool), its Spot plan, and its node groups."""
    month = costs.months[chosen.name]
    b = costs.bursts.get(chosen.name)
    # The burst pods land on the Spot nodes: the on-demand nodes keep the min replicas, at peak at the most.
    credits_max = credits(b, chosen.min_nodes, load_min, 1.0) if b else 0.0
    hourly = max((hour for _, _, hour in burst.pool), default=0.0)
    burst_month = burst.nodes * (prices.monthly(hourly) + month.volume)
    fleet_max = chosen.min_nodes * month.base + credits_max + burst_month
    discounts = prices.spot_discount
    assert discounts is not None  # _spot_choice refused a region without them
    spot = SpotPlan(
        instance_types=[
            SpotType(instance_type=name, discount=discount, hourly_usd=hour) for name, discount, hour in burst.pool
        ],
        sized_for_cpu_m=burst.sized_for.cpu_m,
        sized_for_memory_mib=burst.sized_for.memory_mib,
        sized_for_pods=burst.sized_for.pods,
        burst_nodes=burst.nodes,
        hourly_usd=hourly,
        monthly_usd=round(burst_month, 2),
        on_demand_max_monthly_usd=round(chosen.max_cost, 2),
        saving_monthly_usd=round(chosen.max_cost - fleet_max, 2),
        discounts_as_of=discounts.as_of,
        discounts_source=discounts.source,
    )
    fleet = {
        **best,
        "max_nodes": chosen.min_nodes + burst.nodes,
        "monthly_usd": Range(min=round(chosen.min_cost, 2), max=round(fleet_max, 2)),
        "credits_monthly_usd": Range(min=round(chosen.credits_min, 2), max=round(credits_max, 2)),
    }
    groups = split_groups(chosen.name, chosen.min_nodes, chosen.min_nodes) + (
        split_groups(chosen.name, 0, burst.nodes, "spot", [name for name, _, _ in burst.pool]) if burst.nodes else []
    )
    return fleet, spot, groups


def _extras(
    capacity: str,
    spot: SpotPlan | None,
    savings_plan: str,
    discount: float,
    chosen: Fleet,
    prices: RegionPrices,
    other_arch: Callable[[], OtherArch | None],
) -> dict:
    """The NodePlan fields of the options asked for; left to their defaults otherwise, at no cost per plan."""
    extras: dict = {}
    if capacity != "on-demand":
        extras.update(capacity=capacity, spot=spot)
    if savings_plan != "none":
        extras["savings_plan"] = _savings_plan(
            savings_plan, discount, chosen.min_nodes, prices.ec2_hour[chosen.name], prices
        )
    other = other_arch()
    if other is not None:
        extras["other_arch"] = other
    return extras


def _savings_plan(term: str, discount: float, nodes: int, hourly: float, prices: RegionPrices) -> SavingsPlanPlan:
    rates = prices.savings_plan_discount
    assert rates is not None  # plan_nodes refused a region without them
    return SavingsPlanPlan(
        term=term,
        discount=discount,
        commitment_usd_per_hour=round(nodes * hourly * (1 - discount), 4),
        saving_monthly_usd=round(prices.monthly(nodes * hourly * discount), 2),
        rates_as_of=rates.as_of,
        rates_source=rates.source,
    )
