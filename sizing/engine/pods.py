"""Replica bounds per Deployment: the seed's formulas, in exact arithmetic (see ``exact``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from sizing.assumptions import Assumptions, PodAssumptions
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


class HourPods(NamedTuple):
    """One hour of the day: its concurrent users, the pods its load needs, and the pods the HPA runs for it."""

    load: float
    backend_needed: int
    frontend_needed: int
    backend: int  # the need, held between the HPA's floor and ceiling
    frontend: int


def hourly_pods(
    users: int,
    shares: Sequence[float],
    a: Assumptions,
    backend: PodPlan,
    frontend: PodPlan,
    open_streams: float,
) -> list[HourPods]:
    """The HPA over the day. Its floor (min replicas) is sized for the peak, so it runs the floor all day, unless the
    open answer streams (whose floor is set at the mean load) need more backends in the busy hours: then it runs what
    they need, and the pods come and go with the profile."""
    hours = []
    for share in shares:
        load = users * share
        at = max(1, math.ceil(load))
        backend_needed = max(
            replicas(at, a.backend, a.min_replicas)[0], math.ceil(open_streams * share / a.llm.streams_per_backend_pod)
        )
        frontend_needed = replicas(at, a.frontend, a.min_replicas)[0]
        hours.append(
            HourPods(
                load,
                backend_needed,
                frontend_needed,
                min(max(backend_needed, backend.min_replicas), backend.max_replicas),
                min(max(frontend_needed, frontend.min_replicas), frontend.max_replicas),
            )
        )
    return hours


def pods_started_a_day(hours: Sequence[HourPods]) -> int:
    """The pods the HPA starts over a day that repeats: each Deployment's rises from one hour to the next (the
    last hour to the first included), each one a pod created, scheduled, made ready and, on the way down, removed."""
    started = 0
    for pods in (tuple(h.backend for h in hours), tuple(h.frontend for h in hours)):
        started += sum(max(0, now - before) for before, now in zip((pods[-1], *pods[:-1]), pods, strict=True))
    return started
