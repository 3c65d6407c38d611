"""Replica bounds per Deployment: the seed's formulas, in exact arithmetic.

Multipliers are read as the decimals a person wrote (``Fraction(str(1.3))`` is 13/10), so 1,000 users at 100 per pod
with a 1.3 buffer is exactly 13 pods, where float arithmetic gives 13.000000000000002 and rounds up to 14.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

from sizing.assumptions import PodAssumptions
from sizing.plan import PodPlan


@cache
def exact(value: float) -> Fraction:
    return Fraction(str(value))


def replicas(concurrent_users: int, spec: PodAssumptions, floor: int) -> tuple[int, int]:
    minimum = max(floor, math.ceil(concurrent_users / exact(spec.users_per_pod) * exact(spec.buffer)))
    return minimum, math.ceil(minimum * exact(spec.max_multiplier))


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
