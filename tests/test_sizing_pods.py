"""Tiers, replica formulas and the seed's scenarios."""

import math

import pytest

from sizing import Workload, calculate
from sizing.assumptions import Assumptions
from sizing.engine.pods import replicas
from sizing.engine.tiers import tier_for


@pytest.mark.parametrize(
    ("users", "backend", "frontend"),
    [(1_000, (13, 39), (3, 6)), (1_500, (20, 60), (4, 8)), (8_000, (104, 312), (20, 40)), (100, (2, 6), (2, 4))],
)
def test_seed_scenarios(users, backend, frontend):
    plan = calculate(Workload(concurrent_users=users))
    assert (plan.backend.min_replicas, plan.backend.max_replicas) == backend
    assert (plan.frontend.min_replicas, plan.frontend.max_replicas) == frontend


def test_exact_arithmetic_where_float_would_round_up():
    assert replicas(1000, Assumptions().backend, floor=2) == (13, 39)
    # 5,000 users at 100 per pod with a 1.1 buffer is exactly 55 pods; floats say 55.00000000000001 -> 56.
    assert 5000 / 100 * 1.1 > 55
    spec = Assumptions().backend.model_copy(update={"buffer": 1.1})
    assert replicas(5000, spec, floor=2) == (55, 165)
    # And 18,000 users at a 1.35 buffer is exactly 243 (floats: 243.00000000000003).
    spec = Assumptions().backend.model_copy(update={"buffer": 1.35})
    assert replicas(18_000, spec, floor=2)[0] == 243


@pytest.mark.parametrize(
    ("users", "tier"),
    [
        (1, "small"),
        (499, "small"),
        (500, "medium"),
        (2_499, "medium"),
        (2_500, "large"),
        (9_999, "large"),
        (10_000, "enterprise"),
        (10_000_000, "enterprise"),
    ],
)
def test_tier_boundaries(users, tier):
    assert tier_for(users) == tier
    assert calculate(Workload(concurrent_users=users)).tier == tier


def test_replica_floor_and_requests_follow_the_seed():
    plan = calculate(Workload(concurrent_users=1))
    assert plan.backend.min_replicas == plan.frontend.min_replicas == 2
    assert (plan.backend.cpu_request_m, plan.backend.cpu_limit_m) == (500, 1000)
    assert (plan.backend.memory_request_mib, plan.backend.memory_limit_mib) == (512, 1024)
    assert (plan.frontend.cpu_request_m, plan.frontend.cpu_limit_m) == (200, 400)
    assert (plan.frontend.memory_request_mib, plan.frontend.memory_limit_mib) == (256, 512)


def test_requests_per_second_and_users():
    plan = calculate(Workload(concurrent_users=1_000))
    assert plan.performance.requests_per_second == 50
    assert plan.workload.total_users == 10_000  # default active ratio 0.10
    plan = calculate(Workload(concurrent_users=1_000, active_ratio=0.15))
    assert plan.workload.total_users == math.ceil(1000 / 0.15) == 6_667
    plan = calculate(Workload(concurrent_users=1_000, total_users=4_000))
    assert plan.workload.active_ratio == 0.25


def test_assumption_overrides_change_the_formula():
    plan = calculate(
        Workload(concurrent_users=1_000, assumptions={"backend": {"users_per_pod": 50}, "min_replicas": 3})
    )
    assert plan.backend.min_replicas == 26
    assert plan.frontend.min_replicas == 3
    # Siblings of an overridden nested field keep their defaults.
    assert plan.backend.cpu_request_m == 500
    assert plan.assumptions.backend.buffer == 1.3
