"""Edges of the engine's rules that the plans at realistic loads never reach, each found by a surviving mutant."""

from __future__ import annotations

import pytest

from sizing.catalog import InstanceType
from sizing.nodes import Allocatable, PodShape, max_pods, nodes_to_pack


def node(vcpu: int, eni_max_pods: int) -> InstanceType:
    return InstanceType(name=f"x1.{vcpu}", vcpu=vcpu, memory_gib=vcpu * 4, eni_max_pods=eni_max_pods, ipv4_per_eni=50,
                        arch="x86_64", family_kind="general")


@pytest.mark.parametrize(("vcpu", "eni_max_pods", "pods"), [
    (29, 737, 110),  # below 30 vCPU managed node groups cap at 110
    (30, 737, 250),  # from 30 vCPU at 250
    (30, 234, 234),  # and never above the ENI limit
    (4, 58, 58),
])
def test_managed_node_groups_cap_max_pods_from_30_vcpu(vcpu, eni_max_pods, pods):
    assert max_pods(node(vcpu, eni_max_pods)) == pods


@pytest.mark.parametrize("capacity", [Allocatable(0, 8_000, 20), Allocatable(4_000, 0, 20), Allocatable(4_000, 8_000, 0),
                                      Allocatable(-100, 8_000, 20)])
def test_a_node_with_nothing_left_packs_nothing(capacity):
    shape = PodShape(1, 100, 100)
    assert nodes_to_pack(capacity, shape, shape) is None


def test_packing_two_shapes_by_hand():
    # 4,000m / 8,000 MiB / 20 pods: 1,000m pods (4 a node) first, then 500m pods beside (none: the CPU is used up)
    # and 8 on an empty node. 10 large = 3 nodes, the last with 2,000m left for 4 small; 6 more small = 1 node.
    node = Allocatable(4_000, 8_000, 20)
    assert nodes_to_pack(node, PodShape(10, 1_000, 1_000), PodShape(10, 500, 500)) == 4
    assert nodes_to_pack(node, PodShape(10, 500, 500), PodShape(10, 1_000, 1_000)) == 4
    # Pod slots bind: 20 tiny pods a node.
    assert nodes_to_pack(node, PodShape(30, 10, 10), PodShape(15, 10, 10)) == 3
    # A pod larger than the node never fits.
    assert nodes_to_pack(node, PodShape(1, 5_000, 100), PodShape(0, 1, 1)) is None
