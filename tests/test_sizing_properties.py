"""Monotonicity: more users never buys fewer pods, nodes, capacity or dollars."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sizing import Workload, calculate
from sizing.engine.nodes import Allocatable, PodShape, nodes_to_pack

users = st.integers(min_value=1, max_value=10_000_000)


def plan_for(n, **kw):
    return calculate(Workload(concurrent_users=n, **kw))


@settings(max_examples=150, deadline=None)
@given(users, users, st.sampled_from(["PAY_PER_REQUEST", "PROVISIONED"]))
def test_more_users_never_means_less(a, b, mode):
    # The DynamoDB mode is pinned here, the comparison being about the rest; with "auto" the mode is the cheaper of
    # the two on the profile, checked without a drop at the tier boundaries below.
    fixed = {"database": {"billing_mode": mode}}
    small, large = plan_for(min(a, b), assumptions=fixed), plan_for(max(a, b), assumptions=fixed)
    for pod in ("backend", "frontend"):
        assert getattr(small, pod).min_replicas <= getattr(large, pod).min_replicas
        assert getattr(small, pod).max_replicas <= getattr(large, pod).max_replicas
    assert small.database.read_capacity_units <= large.database.read_capacity_units
    assert small.database.write_capacity_units <= large.database.write_capacity_units
    assert small.cache.required_memory_gib <= large.cache.required_memory_gib
    # The cheapest type can change with the load, so each bound of the fleet may move either way between types;
    # what is chosen (min + max fleet cost) and the total spend range never shrink.
    assert (
        small.nodes.monthly_usd.min + small.nodes.monthly_usd.max
        <= large.nodes.monthly_usd.min + large.nodes.monthly_usd.max + 1e-6
    )
    assert small.cost.monthly_usd.min + small.cost.monthly_usd.max <= (
        large.cost.monthly_usd.min + large.cost.monthly_usd.max + 1e-6
    )


@settings(max_examples=100, deadline=None)
# Up to 2M users: small pinned types beyond that need more than the 50,000 nodes the engine will plan.
@given(
    st.integers(1, 2_000_000),
    st.integers(1, 2_000_000),
    st.sampled_from(["c6i.xlarge", "m5.2xlarge", "r6g.4xlarge", "t3a.medium"]),
)
def test_with_a_pinned_type_nodes_and_fleet_cost_never_shrink(a, b, instance_type):
    small, large = plan_for(min(a, b), instance_type=instance_type), plan_for(max(a, b), instance_type=instance_type)
    assert small.nodes.min_nodes <= large.nodes.min_nodes
    assert small.nodes.max_nodes <= large.nodes.max_nodes
    assert small.nodes.monthly_usd.max <= large.nodes.monthly_usd.max


@settings(max_examples=200, deadline=None)
@given(
    node=st.builds(Allocatable, st.integers(500, 64_000), st.integers(500, 256_000), st.integers(1, 250)),
    shape_a=st.tuples(st.integers(50, 4_000), st.integers(64, 8_192)),
    shape_b=st.tuples(st.integers(50, 4_000), st.integers(64, 8_192)),
    counts=st.tuples(st.integers(0, 5_000), st.integers(0, 5_000), st.integers(0, 50), st.integers(0, 50)),
)
def test_packing_is_monotone_in_pod_counts(node, shape_a, shape_b, counts):
    a, b, extra_a, extra_b = counts
    fewer = nodes_to_pack(node, PodShape(a, *shape_a), PodShape(b, *shape_b))
    more = nodes_to_pack(node, PodShape(a + extra_a, *shape_a), PodShape(b + extra_b, *shape_b))
    if fewer is not None and more is not None:
        assert fewer <= more


@pytest.mark.parametrize("boundary", [500, 2_500, 10_000])
def test_no_drop_in_the_bill_around_a_tier_boundary(boundary):
    """Crossing into a tier adds high availability (cache replica, NAT per zone): the bill may step up, never down.
    Every user count from 25 below to 25 above the boundary is checked."""
    previous = None
    for count in range(boundary - 25, boundary + 26):
        cost = plan_for(count).cost
        bill = (cost.expected_monthly_usd, cost.monthly_usd.min, cost.monthly_usd.max)
        if previous is not None:
            assert all(now >= before for now, before in zip(bill, previous, strict=True)), (count, previous, bill)
        previous = bill


def test_a_type_change_can_lower_one_bound_but_never_the_score():
    before, after = plan_for(2_615).nodes, plan_for(2_616).nodes
    assert (before.instance_type, after.instance_type) == ("c6a.xlarge", "c6a.2xlarge")
    assert after.min_nodes < before.min_nodes and after.monthly_usd.min < before.monthly_usd.min
    assert after.monthly_usd.min + after.monthly_usd.max >= before.monthly_usd.min + before.monthly_usd.max
