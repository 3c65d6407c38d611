"""Day 2 for the node groups: names that let a replacement coexist with the group it replaces, and a desired size
read from the live group so an `up` neither fails nor undoes what the Cluster Autoscaler did.

EKS refuses a minimum above the desired size (``InvalidParameterException: Minimum capacity 18 can't be greater
than desired size 10``), and terminates nodes when the desired size drops. So every `up` declares the live desired
size clamped to the plan's new [min, max]; on the first `up` (no cluster, no group) it declares the minimum.

Everything but ``live_node_groups`` is a pure function, checked without Pulumi.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import pulumi
import pulumi_aws as aws

from sizing.data.catalog import load_catalog
from sizing.engine.nodes import allocatable
from sizing.plan import NodeGroupPlan

# EKS: a node group name is 1-63 letters, digits, hyphens and underscores, starting with a letter or digit.
MAX_NAME = 63
DIGEST_CHARS = 6
# The plan's slot ("workers-1", "spot-2") at the start of a name this program gave, or after the component's prefix
# in the names Pulumi generated before names were chosen here ("cluster-workers-1-1a2b3c4").
_SLOT = re.compile(r"^(?:cluster-)?(?P<slot>[a-z]+-\d+)-")


@dataclass(frozen=True)
class LiveGroup:
    """A node group as EKS reports it now (DescribeNodegroup)."""

    name: str
    instance_types: tuple[str, ...]
    desired: int
    min_size: int
    max_size: int


def physical_name(group: NodeGroupPlan, ami_type: str, zone_ids: Sequence[str]) -> str:
    """The group's name in EKS: its plan slot, its type and a digest of every input EKS cannot change in place.

    A change of any of them (instance types, Spot or on-demand, architecture, the zones of its subnets) gives a new
    name, so Pulumi creates the new group next to the old one and deletes the old one only after the new one is
    ACTIVE (its nodes joined the cluster): create before delete, never a collision on the name.
    """
    forcing = {
        "instance_types": list(group.instance_types),
        "capacity_type": group.capacity_type,
        "ami_type": ami_type,
        "zone_ids": list(zone_ids),
    }
    digest = hashlib.sha256(json.dumps(forcing, sort_keys=True).encode()).hexdigest()[:DIGEST_CHARS]
    kind = group.instance_types[0].replace(".", "-")
    return f"{group.name}-{kind}"[: MAX_NAME - DIGEST_CHARS - 1] + f"-{digest}"


def slot_of(live_name: str) -> str | None:
    match = _SLOT.match(live_name)
    return match["slot"] if match else None


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@cache
def allocatable_cpu_m(instance_type: str) -> int | None:
    """What one node of this type offers pods, by the engine's own rule; None for a type the catalog lacks."""
    catalog = load_catalog()
    if instance_type not in catalog.instance_types:
        return None
    return allocatable(catalog.instance(instance_type)).cpu_m


def carried_nodes(replaced: Sequence[LiveGroup], instance_type: str) -> int:
    """Nodes of ``instance_type`` offering the CPU the replaced groups offer now (the unit the pods are sized in).

    A type the catalog does not know counts node for node."""
    new = allocatable_cpu_m(instance_type)
    total = 0
    for group in replaced:
        old = allocatable_cpu_m(group.instance_types[0]) if group.instance_types else None
        if new is None or old is None:
            total += group.desired
        else:
            total += math.ceil(group.desired * old / new)
    return total


@dataclass(frozen=True)
class Sizing:
    desired: int
    replaces: tuple[LiveGroup, ...]  # the live groups of the same slot under another name: deleted after this one


def desired_size(group: NodeGroupPlan, name: str, live: Mapping[str, LiveGroup]) -> Sizing:
    """The desired size to declare: the live group's, else the capacity of the groups it replaces, else the
    minimum; always clamped to the plan's [min, max]."""
    if name in live:
        return Sizing(clamp(live[name].desired, group.min_nodes, group.max_nodes), ())
    replaced = tuple(g for g in live.values() if g.name != name and slot_of(g.name) == group.name)
    if replaced:
        return Sizing(clamp(carried_nodes(replaced, group.instance_type), group.min_nodes, group.max_nodes), replaced)
    return Sizing(group.min_nodes, ())


def move_warning(replaced: LiveGroup, name: str) -> str:
    return f"node group {replaced.name} is replaced by {name}; pods move once the new nodes are Ready"


def removal_warnings(planned_slots: Sequence[str], live: Mapping[str, LiveGroup]) -> list[str]:
    """Live groups whose slot the plan no longer has: deleted at the end of the update, their pods rescheduled."""
    return [
        f"node group {g.name} is removed; its pods move to the remaining groups (PodDisruptionBudgets apply)"
        for g in sorted(live.values(), key=lambda g: g.name)
        if slot_of(g.name) is not None and slot_of(g.name) not in planned_slots
    ]


def live_node_groups(cluster_name: str, opts: pulumi.InvokeOptions | None = None) -> dict[str, LiveGroup]:
    """The cluster's node groups as EKS reports them, or nothing when the cluster does not exist yet.

    Guarded by listing first: DescribeCluster/DescribeNodegroup on a name that does not exist fail, and the first
    `up` (and its preview) must work in an empty account.
    """
    if cluster_name not in aws.eks.get_clusters(opts=opts).names:
        return {}
    found: dict[str, LiveGroup] = {}
    for name in aws.eks.get_node_groups(cluster_name=cluster_name, opts=opts).names:
        described = aws.eks.get_node_group(cluster_name=cluster_name, node_group_name=name, opts=opts)
        scaling = described.scaling_configs[0]
        found[name] = LiveGroup(
            name=name,
            instance_types=tuple(described.instance_types or ()),
            desired=scaling.desired_size,
            min_size=scaling.min_size,
            max_size=scaling.max_size,
        )
    return found
