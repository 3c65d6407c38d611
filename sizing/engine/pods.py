"""Replica bounds per Deployment: the seed's formulas, in exact arithmetic (see ``exact``)."""

from __future__ import annotations

from sizing.assumptions import PodAssumptions
from sizing.engine.exact import ceil_scaled
from sizing.plan import PodPlan


def replicas(concurrent_users: int, spec: PodAssumptions, floor: int) -> tuple[int, int]:
    """min = ceil(users / users_per_pod x buffer), never below the floor; max = ceil(min x max_multiplier)."""
    minimum = max(floor, ceil_scaled(concurrent_users, times=(spec.buffer,), per=(spec.users_per_pod,)))
    return minimum, ceil_scaled(minimum, times=(spec.max_multiplier,))


def pod_plan(concurrent_users: int, spec: PodAssumptions, floor: int) -> PodPlan:
    minimum, maximum = replicas(concurrent_users, spec, floor)
    return PodPlan(
        min_replicas=minimum,
        max_replicas=maximum,
        cpu_request_m=spec.cpu_request_m,
        cpu_limit_m=spec.cpu_limit_m,
        memory_request_mib=spec.memory_request_mib,
        memory_limit_mib=spec.memory_limit_mib,
    )
