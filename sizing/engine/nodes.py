"""What one node can really schedule, and how many nodes a set of pods needs.

The seed divided raw vCPU by pod requests, so its max fleet could not hold its max replicas. Here every node offers
only its *allocatable* resources, computed as the EKS AMI computes kube-reserved, minus the DaemonSets every node
runs, and pods are packed by their requests with first-fit-decreasing. The cluster add-ons' pods (engine/addons.py)
are placed first, as the stack deploys them with the cluster, before the app: the app's pods then fill what they left.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from sizing.assumptions import DaemonSetAssumptions
from sizing.data.catalog import InstanceType

# EKS AMI kubelet reservations (bootstrap.sh / nodeadm): memory the hypervisor and kernel keep, kube-reserved
# memory per node and per ENI pod slot, and the hard eviction threshold.
VM_MEMORY_OVERHEAD = Fraction(75, 1000)
KUBE_RESERVED_MEMORY_MIB = 255
KUBE_RESERVED_MEMORY_PER_POD_MIB = 11
EVICTION_HARD_MIB = 100
# Managed node groups cap kubelet max pods whatever the ENI limit: 110 below 30 vCPU, 250 from 30 vCPU.
MNG_MAX_PODS_SMALL, MNG_MAX_PODS_LARGE, MNG_LARGE_VCPU = 110, 250, 30


class Allocatable(NamedTuple):
    cpu_m: int
    memory_mib: int
    pods: int


class PodShape(NamedTuple):
    count: int  # type: ignore[assignment]  # shadows tuple.count on purpose: the field reads better
    cpu_m: int
    memory_mib: int


def kube_reserved_cpu_m(vcpu: int) -> Fraction:
    """6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of every core above four."""
    shares = (Fraction(60), Fraction(10), Fraction(5), Fraction(5))
    return sum(shares[:vcpu], Fraction(0)) + Fraction(5, 2) * max(0, vcpu - 4)


def max_pods(instance: InstanceType) -> int:
    cap = MNG_MAX_PODS_LARGE if instance.vcpu >= MNG_LARGE_VCPU else MNG_MAX_PODS_SMALL
    return min(instance.eni_max_pods, cap)


@cache
def allocatable(instance: InstanceType) -> Allocatable:
    """What the kubelet reports as allocatable: capacity less kube-reserved and the eviction threshold.

    The AMI reserves memory for the ENI pod limit even where the managed node group caps max pods lower
    (an m5.4xlarge schedules 110 pods but reserves for 234), so the reservation uses the ENI figure.
    """
    cpu = instance.vcpu * 1000 - kube_reserved_cpu_m(instance.vcpu)
    memory = (
        Fraction(str(instance.memory_gib)) * 1024 * (1 - VM_MEMORY_OVERHEAD)
        - (KUBE_RESERVED_MEMORY_MIB + KUBE_RESERVED_MEMORY_PER_POD_MIB * instance.eni_max_pods)
        - EVICTION_HARD_MIB
    )
    return Allocatable(cpu_m=math.floor(cpu), memory_mib=math.floor(memory), pods=max_pods(instance))


@cache
def workload_capacity(instance: InstanceType, daemonsets: DaemonSetAssumptions) -> Allocatable:
    """Allocatable left for the application once the per-node DaemonSets are scheduled."""
    node = allocatable(instance)
    return Allocatable(
        node.cpu_m - daemonsets.cpu_m, node.memory_mib - daemonsets.memory_mib, node.pods - daemonsets.pods
    )


def _fit(cpu_m: int, memory_mib: int, pods: int, pod_cpu_m: int, pod_memory_mib: int) -> int:
    if pods <= 0 or cpu_m < pod_cpu_m or memory_mib < pod_memory_mib:
        return 0
    return min(pods, cpu_m // pod_cpu_m, memory_mib // pod_memory_mib)


def _share(pod: tuple[int, int], node: Allocatable) -> float:
    # Only orders the two shapes ("decreasing" size), so float precision is ample.
    return max(pod[0] / node.cpu_m, pod[1] / node.memory_mib, 1 / node.pods)


Fixed = tuple[tuple[int, int], ...]  # (cpu_m, memory_mib) of each pod of a fixed count, one entry per pod


def preload(node: Allocatable, fixed: Fixed) -> tuple[Allocatable, ...] | None:
    """First-fit-decreasing of the fixed pods on empty nodes: what each node they open has left, in the order opened;
    None when one of them fits no empty node. A handful of pods, placed one by one."""
    free: list[list[int]] = []
    for cpu, memory in sorted(fixed, key=lambda pod: _share(pod, node), reverse=True):
        for left in free:
            if left[0] >= cpu and left[1] >= memory and left[2] >= 1:
                left[0], left[1], left[2] = left[0] - cpu, left[1] - memory, left[2] - 1
                break
        else:
            if _fit(*node, cpu, memory) == 0:
                return None
            free.append([node.cpu_m - cpu, node.memory_mib - memory, node.pods - 1])
    return tuple(Allocatable(*left) for left in free)


class Packing(NamedTuple):
    """The count-independent part of packing two pod shapes on one node type, computed once per plan and type."""

    node: Allocatable
    first: tuple[int, int]  # the larger shape's (cpu_m, memory_mib)
    second: tuple[int, int]
    swapped: bool  # True when the second argument of ``packing`` is the larger shape
    per_empty_first: int
    per_empty_second: int
    beside_full: int  # second-shape pods that still fit on a node full of the first shape
    preloaded: tuple[Allocatable, ...] = ()  # what the nodes holding the fixed pods have left, in order


def _beside(node: Allocatable, first: tuple[int, int], second: tuple[int, int], placed: int) -> int:
    """How many of the second shape fit on a node already holding ``placed`` of the first."""
    return _fit(node.cpu_m - placed * first[0], node.memory_mib - placed * first[1], node.pods - placed, *second)


def packing(node: Allocatable, a: tuple[int, int], b: tuple[int, int], fixed: Fixed = ()) -> Packing | None:
    """None when the node has nothing left for the application, or cannot hold one of the ``fixed`` pods."""
    if node.cpu_m <= 0 or node.memory_mib <= 0 or node.pods <= 0:
        return None
    preloaded = preload(node, fixed) if fixed else ()
    if preloaded is None:
        return None
    swapped = _share(b, node) > _share(a, node)
    first, second = (b, a) if swapped else (a, b)
    per_empty_first = _fit(*node, *first)
    return Packing(
        node,
        first,
        second,
        swapped,
        per_empty_first,
        _fit(*node, *second),
        _beside(node, first, second, per_empty_first) if per_empty_first else 0,
        preloaded,
    )


def pack(p: Packing, count_a: int, count_b: int) -> int | None:
    """First-fit-decreasing of ``count_a`` + ``count_b`` pods, in closed form; None when a pod fits no empty node.

    With identical items first-fit fills nodes strictly in order, so the larger shape fills whole nodes plus one
    partial node, and the smaller shape first tops up those nodes' leftovers (full nodes, then the partial one)
    before opening new nodes. That is exactly what item-by-item FFD does, in O(1) instead of O(pods x nodes). The
    nodes holding the fixed pods come first: each shape fills what they left before it goes on to new nodes, and
    they count among the nodes whether or not an app pod joins them.
    """
    node, first, second, swapped, per_empty_first, per_empty_second, beside_full, preloaded = p
    first_count, remaining = (count_b, count_a) if swapped else (count_a, count_b)
    if (first_count and not per_empty_first) or (remaining and not per_empty_second):
        return None
    if preloaded:
        placed = []
        for left in preloaded:
            here = min(first_count, _fit(*left, *first))
            first_count -= here
            placed.append(here)
        for left, here in zip(preloaded, placed, strict=True):
            if remaining:
                remaining -= min(remaining, _beside(left, first, second, here))
    full, partial = divmod(first_count, per_empty_first) if first_count else (0, 0)
    if full and remaining:
        remaining -= min(remaining, full * beside_full)
    if partial and remaining:
        remaining -= min(remaining, _beside(node, first, second, partial))
    return len(preloaded) + full + (1 if partial else 0) + (-(-remaining // per_empty_second) if remaining else 0)


def nodes_to_pack(node: Allocatable, a: PodShape, b: PodShape, fixed: Fixed = ()) -> int | None:
    """Nodes of this allocatable needed to hold both pod sets, and the fixed pods, by their requests (None: a pod
    never fits)."""
    p = packing(node, (a.cpu_m, a.memory_mib), (b.cpu_m, b.memory_mib), fixed)
    return None if p is None else pack(p, a.count, b.count)
