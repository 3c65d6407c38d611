"""spot-burst in the stack: an on-demand node group held at the min fleet, Spot groups for the burst across a pool
of one shape, and the Cluster Autoscaler's priority expander preferring the Spot groups for scale-up."""

from __future__ import annotations

import re

import pytest
from stack_mocks import Run, run_program, use_stack_modules

from sizing import Workload, calculate
from sizing.data.catalog import load_catalog

use_stack_modules()
import autoscaler as stack_autoscaler

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
LOADS = {
    "8000": {"concurrentUsers": 8000, "capacity": "spot-burst"},
    # Pinned small nodes: a burst above 450 nodes, split over two Spot groups.
    "50k-c6i.large": {"concurrentUsers": 50_000, "capacity": "spot-burst", "instanceType": "c6i.large"},
}


def plan_for(load: dict):
    return calculate(
        Workload(
            concurrent_users=load["concurrentUsers"], capacity="spot-burst", instance_type=load.get("instanceType")
        )
    )


@pytest.fixture(scope="module", params=list(LOADS), ids=list(LOADS))
def case(request) -> tuple[Run, object]:
    load = LOADS[request.param]
    return run_program(load), plan_for(load)


def groups_by_capacity(run: Run) -> tuple[list, list]:
    groups = sorted(run.of_type(NODE_GROUP), key=lambda g: g.name)
    return (
        [g for g in groups if g.inputs["capacityType"] == "ON_DEMAND"],
        [g for g in groups if g.inputs["capacityType"] == "SPOT"],
    )


def test_the_loads_have_a_burst_and_one_splits_it():
    plans = [plan_for(load) for load in LOADS.values()]
    assert all(p.nodes.spot.burst_nodes > 0 for p in plans)
    assert any(len([g for g in p.nodes.groups if g.capacity_type == "SPOT"]) > 1 for p in plans)


def test_an_on_demand_group_holds_the_min_fleet_and_spot_groups_the_burst(case):
    run, plan = case
    on_demand, spot = groups_by_capacity(run)
    chosen = plan.nodes.instance_type
    # The min fleet: on-demand, the chosen type only, fixed at the min nodes (the autoscaler adds Spot above it).
    assert [g.inputs["instanceTypes"] for g in on_demand] == [[chosen]]
    assert on_demand[0].inputs["scalingConfig"] == {
        "minSize": plan.nodes.min_nodes,
        "maxSize": plan.nodes.min_nodes,
        "desiredSize": plan.nodes.min_nodes,
    }
    # The burst: Spot groups that start empty and together reach max - min nodes.
    assert spot and all(
        g.inputs["scalingConfig"]["minSize"] == 0 == g.inputs["scalingConfig"]["desiredSize"] for g in spot
    )
    assert sum(g.inputs["scalingConfig"]["maxSize"] for g in spot) == plan.nodes.max_nodes - plan.nodes.min_nodes
    assert all(g.inputs["scalingConfig"]["maxSize"] <= 450 for g in spot)
    # Each Spot group may launch at least three types, all of the chosen type's architecture, vCPU and memory.
    catalog = load_catalog()
    like = catalog.instance(chosen)
    for group in spot:
        types = group.inputs["instanceTypes"]
        assert len(types) >= 3 and len(set(types)) == len(types)
        assert types == [t.instance_type for t in plan.nodes.spot.instance_types]
        for name in types:
            other = catalog.instance(name)
            assert (other.arch, other.vcpu, other.memory_gib) == (like.arch, like.vcpu, like.memory_gib), name
            assert not other.burstable
        assert group.inputs["amiType"] == on_demand[0].inputs["amiType"]
        # The live desired size is declared, clamped to the bounds (test_stack_day2.py): nothing ignored.
        assert group.ignore_changes == []


def test_the_autoscaler_prefers_the_spot_groups_for_scale_up(case):
    run, _ = case
    on_demand, spot = groups_by_capacity(run)
    values = run.one(RELEASE).inputs["values"]
    assert values["extraArgs"]["expander"] == "priority,least-waste"
    priorities = values["expanderPriorities"]
    # Spot first, then the plan's on-demand group, then any other (a group being replaced).
    assert set(priorities) == {"50", "30", "10"} and priorities["10"] == [".*"]
    assert len(priorities["50"]) == len(spot) and len(priorities["30"]) == len(on_demand)

    # EKS names a managed node group's Auto Scaling group eks-<node group name>-<uuid>: the Spot groups' ASGs match
    # the higher priority, the on-demand group's only the catch-all.
    def asg(group):
        return f"eks-{group.inputs['nodeGroupName']}-9ac6a5ea-2b1f-4c1e-8d6f-0123456789ab"

    for group in spot:
        assert sum(bool(re.fullmatch(pattern, asg(group))) for pattern in priorities["50"]) == 1, group.name
    for group in on_demand:
        assert not any(re.fullmatch(pattern, asg(group)) for pattern in priorities["50"]), group.name
        assert sum(bool(re.fullmatch(pattern, asg(group))) for pattern in priorities["30"]) == 1, group.name


def test_on_demand_keeps_one_kind_of_group_and_ranks_the_plans_groups_first():
    run = run_program({"concurrentUsers": 8000})
    on_demand, spot = groups_by_capacity(run)
    assert on_demand and not spot
    values = run.one(RELEASE).inputs["values"]
    # No Spot tier: the plan's groups above any other (one a type change is replacing), then least-waste.
    assert values["extraArgs"]["expander"] == "priority,least-waste"
    assert set(values["expanderPriorities"]) == {"30", "10"}


def test_spot_priorities_escape_the_names():
    assert stack_autoscaler.spot_priorities(["cluster-spot-1.x"]) == {
        "50": [r"^eks-cluster\-spot\-1\.x-[0-9a-f-]+$"],
        "10": [".*"],
    }


def test_the_plan_bills_the_spot_nodes_it_declares(case):
    run, plan = case
    lines = {item["key"]: item for item in run.outputs["sizing"]["cost"]["breakdown"]}
    spot = plan.nodes.spot
    assert lines["ec2_spot_nodes"]["monthly_usd"]["max"] == pytest.approx(
        spot.burst_nodes * spot.hourly_usd * 730, abs=0.01
    )
    assert run.outputs["sizing"]["nodes"]["capacity"] == "spot-burst"


def test_a_savings_plan_from_the_prices_file_prices_the_stacks_min_fleet(tmp_path):
    from sizing.data.pricing import dump_price_file, load_prices, region_entry

    entry = region_entry(load_prices().region("us-east-1"))
    entry["savings_plan_discount"] = {"as_of": "2026-11-02", "source": "test", "terms": {"1y": 0.3, "3y": 0.5}}
    target = tmp_path / "prices.yaml"
    target.write_text(dump_price_file({"us-east-1": entry}))
    base = run_program({"concurrentUsers": 8000, "pricesFile": str(target)})
    run = run_program({"concurrentUsers": 8000, "pricesFile": str(target), "savingsPlan": "3y"})
    nodes = run.outputs["sizing"]["nodes"]
    hourly = load_prices().region("us-east-1").ec2_hour[nodes["instance_type"]]
    # Half off the min fleet's instances, all month: the expected bill drops by min nodes x hourly x 0.5 x 730.
    saving = nodes["min_nodes"] * hourly * 0.5 * 730
    assert nodes["savings_plan"]["saving_monthly_usd"] == pytest.approx(saving, abs=0.01)
    assert base.outputs["monthlyCostExpectedUsd"] - run.outputs["monthlyCostExpectedUsd"] == pytest.approx(
        saving, abs=0.02
    )
    # The stack deploys the same node groups: a Savings Plan is a billing commitment, not a resource.
    assert [g.inputs for g in run.of_type(NODE_GROUP)] == [g.inputs for g in base.of_type(NODE_GROUP)]
