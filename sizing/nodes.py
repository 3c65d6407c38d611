"""Node sizing on what a kubelet can really schedule, and the choice of instance type.

The seed divided raw vCPU by pod requests, so its max fleet could not hold its max replicas. Here every node offers
only its *allocatable* resources, computed as the EKS AMI computes kube-reserved, minus the DaemonSets every node
runs, and pods are packed by their requests with first-fit-decreasing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from sizing.assumptions import Assumptions, DaemonSetAssumptions, Tier
from sizing.catalog import InstanceType, load_catalog
from sizing.errors import SizingError
from sizing.plan import NodeGroupPlan, NodeOption, NodePlan, PodPlan, Range
from sizing.pods import exact
from sizing.pricing import RegionPrices

# EKS AMI kubelet reservations (bootstrap.sh / nodeadm): memory the hypervisor and kernel keep, kube-reserved
# memory per node and per pod slot, and the hard eviction threshold.
VM_MEMORY_OVERHEAD = Fraction(75, 1000)
KUBE_RESERVED_MEMORY_MIB = 255
KUBE_RESERVED_MEMORY_PER_POD_MIB = 11
EVICTION_HARD_MIB = 100
# Managed node groups cap kubelet max pods whatever the ENI limit: 110 below 30 vCPU, 250 from 30 vCPU.
MNG_MAX_PODS_SMALL, MNG_MAX_PODS_LARGE, MNG_LARGE_VCPU = 110, 250, 30
# EKS quota: nodes per managed node group (not adjustable).
MAX_NODES_PER_GROUP = 450
# Kubernetes' tested scalability envelope for one cluster.
CLUSTER_MAX_NODES, CLUSTER_MAX_PODS = 5_000, 150_000
ALTERNATIVES = 3
SELECTION_RULE = (
    "cheapest monthly fleet: minimise (min-fleet cost + max-fleet cost), each = nodes x (on-demand price + gp3 root "
    "volume); ties go to the cheaper max fleet, then the name"
)


def kube_reserved_cpu_m(vcpu: int) -> Fraction:
    """6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of every core above four."""
    shares = (Fraction(60), Fraction(10), Fraction(5), Fraction(5))
    return sum(shares[:vcpu], Fraction(0)) + Fraction(5, 2) * max(0, vcpu - 4)


def max_pods(instance: InstanceType) -> int:
    cap = MNG_MAX_PODS_LARGE if instance.vcpu >= MNG_LARGE_VCPU else MNG_MAX_PODS_SMALL
    return min(instance.eni_max_pods, cap)


@dataclass(frozen=True)
class Allocatable:
    cpu_m: int
    memory_mib: int
    pods: int


def allocatable(instance: InstanceType) -> Allocatable:
    """What the kubelet reports as allocatable: capacity less kube-reserved and the eviction threshold.

    The AMI reserves memory for the ENI pod limit even where the managed node group caps max pods lower
    (an m5.4xlarge schedules 110 pods but reserves for 234), so the reservation uses the ENI figure.
    """
    pods = max_pods(instance)
    cpu = instance.vcpu * 1000 - kube_reserved_cpu_m(instance.vcpu)
    memory = (
        Fraction(str(instance.memory_gib)) * 1024 * (1 - VM_MEMORY_OVERHEAD)
        - (KUBE_RESERVED_MEMORY_MIB + KUBE_RESERVED_MEMORY_PER_POD_MIB * instance.eni_max_pods)
        - EVICTION_HARD_MIB
    )
    return Allocatable(cpu_m=math.floor(cpu), memory_mib=math.floor(memory), pods=pods)


@cache
def workload_capacity(instance: InstanceType, daemonsets: DaemonSetAssumptions) -> Allocatable:
    """Allocatable left for the application once the per-node DaemonSets are scheduled."""
    node = allocatable(instance)
    return Allocatable(
        cpu_m=node.cpu_m - daemonsets.cpu_m,
        memory_mib=node.memory_mib - daemonsets.memory_mib,
        pods=node.pods - daemonsets.pods,
    )


@dataclass(frozen=True)
class PodShape:
    count: int
    cpu_m: int
    memory_mib: int


def _fits(free: Allocatable, pod: PodShape) -> int:
    if free.pods <= 0 or free.cpu_m < pod.cpu_m or free.memory_mib < pod.memory_mib:
        return 0
    return min(free.pods, free.cpu_m // pod.cpu_m, free.memory_mib // pod.memory_mib)


def _less(free: Allocatable, pod: PodShape, n: int) -> Allocatable:
    return Allocatable(free.cpu_m - n * pod.cpu_m, free.memory_mib - n * pod.memory_mib, free.pods - n)


def nodes_to_pack(capacity: Allocatable, first: PodShape, second: PodShape) -> int | None:
    """First-fit-decreasing of two pod shapes, in closed form; None when a pod fits no empty node.

    With identical items first-fit fills nodes strictly in order, so the larger shape fills whole nodes plus one
    partial node, and the smaller shape first tops up those nodes' leftovers (full nodes, then the partial one)
    before opening new nodes. That is exactly what item-by-item FFD does, in O(1) instead of O(pods x nodes).
    """
    if _dominant_share(second, capacity) > _dominant_share(first, capacity):
        first, second = second, first
    per_empty_first, per_empty_second = _fits(capacity, first), _fits(capacity, second)
    if (first.count and not per_empty_first) or (second.count and not per_empty_second):
        return None
    full, partial = divmod(first.count, per_empty_first) if first.count else (0, 0)
    remaining = second.count
    remaining -= min(remaining, full * _fits(_less(capacity, first, per_empty_first), second))
    if partial:
        remaining -= min(remaining, _fits(_less(capacity, first, partial), second))
    used = full + (1 if partial else 0)
    return used + (math.ceil(remaining / per_empty_second) if remaining else 0)


def _dominant_share(pod: PodShape, capacity: Allocatable) -> Fraction:
    return max(
        Fraction(pod.cpu_m, max(capacity.cpu_m, 1)),
        Fraction(pod.memory_mib, max(capacity.memory_mib, 1)),
        Fraction(1, max(capacity.pods, 1)),
    )


def buffered(nodes: int, assumptions: Assumptions) -> int:
    return max(assumptions.min_nodes, math.ceil(nodes * exact(assumptions.node_buffer)))


def _shapes(backend: PodPlan, frontend: PodPlan, bound: str) -> tuple[PodShape, PodShape]:
    def shape(pod: PodPlan) -> PodShape:
        count = pod.min_replicas if bound == "min" else pod.max_replicas
        return PodShape(count, pod.cpu_request_m, pod.memory_request_mib)

    return shape(backend), shape(frontend)


def node_option(
    instance: InstanceType, backend: PodPlan, frontend: PodPlan, assumptions: Assumptions, prices: RegionPrices
) -> NodeOption | None:
    """This type's min and max fleet for the load, or None when a pod cannot fit on it at all."""
    capacity = workload_capacity(instance, assumptions.daemonsets)
    if capacity.cpu_m <= 0 or capacity.memory_mib <= 0 or capacity.pods <= 0:
        return None
    for_min = nodes_to_pack(capacity, *_shapes(backend, frontend, "min"))
    for_max = nodes_to_pack(capacity, *_shapes(backend, frontend, "max"))
    if for_min is None or for_max is None:
        return None
    node = allocatable(instance)
    hourly = prices.ec2_hour[instance.name]
    per_node = prices.monthly(hourly) + assumptions.node_disk_gib * prices.service("ebs_gp3_gb_month")
    min_nodes, max_nodes = buffered(for_min, assumptions), buffered(for_max, assumptions)
    return NodeOption(
        instance_type=instance.name,
        arch=instance.arch,
        vcpu=instance.vcpu,
        memory_gib=instance.memory_gib,
        max_pods=node.pods,
        allocatable_cpu_m=node.cpu_m,
        allocatable_memory_mib=node.memory_mib,
        hourly_usd=hourly,
        min_nodes=min_nodes,
        max_nodes=max_nodes,
        monthly_usd=Range(min=round(min_nodes * per_node, 2), max=round(max_nodes * per_node, 2)),
    )


def _rank(option: NodeOption) -> tuple[float, float, str]:
    return (option.monthly_usd.min + option.monthly_usd.max, option.monthly_usd.max, option.instance_type)


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
    arch: str,
    pinned: str | None,
) -> NodePlan:
    catalog = load_catalog()
    if pinned is not None:
        instance = catalog.instance(pinned)
        arch = instance.arch
        chosen = node_option(instance, backend, frontend, assumptions, prices)
        if chosen is None:
            capacity = workload_capacity(instance, assumptions.daemonsets)
            raise SizingError(
                f"instance type {pinned} cannot schedule the pods: after kube-reserved and DaemonSets it offers "
                f"{capacity.cpu_m}m CPU, {capacity.memory_mib} MiB, {capacity.pods} pod slots; pick a larger type"
            )
    options = _ranked(tier, backend, frontend, assumptions, prices, arch)
    if pinned is None:
        if not options:
            raise SizingError(f"no {arch} instance type in the catalog can schedule one pod; lower the pod requests")
        chosen = options[0]
    alternatives = [o for o in options if o.instance_type != chosen.instance_type][:ALTERNATIVES]
    capacity = workload_capacity(catalog.instance(chosen.instance_type), assumptions.daemonsets)
    return NodePlan(
        instance_type=chosen.instance_type,
        arch=chosen.arch,
        vcpu=chosen.vcpu,
        memory_gib=chosen.memory_gib,
        max_pods=chosen.max_pods,
        allocatable_cpu_m=chosen.allocatable_cpu_m,
        allocatable_memory_mib=chosen.allocatable_memory_mib,
        pod_slots=capacity.pods,
        min_nodes=chosen.min_nodes,
        max_nodes=chosen.max_nodes,
        pinned=pinned is not None,
        selection_rule="pinned by the user" if pinned is not None else SELECTION_RULE,
        groups=split_groups(chosen.instance_type, chosen.min_nodes, chosen.max_nodes),
        alternatives=alternatives,
        monthly_usd=chosen.monthly_usd,
        hourly_usd=chosen.hourly_usd,
    )


def _ranked(
    tier: Tier, backend: PodPlan, frontend: PodPlan, assumptions: Assumptions, prices: RegionPrices, arch: str
) -> list[NodeOption]:
    burstable_ok = tier in assumptions.burstable_tiers
    options = []
    for instance in load_catalog().instance_types.values():
        if instance.arch != arch or (instance.burstable and not burstable_ok):
            continue
        option = node_option(instance, backend, frontend, assumptions, prices)
        if option is not None:
            options.append(option)
    return sorted(options, key=_rank)
