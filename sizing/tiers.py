"""Tier boundaries (concurrent users) and what each tier implies beyond the pod arithmetic."""

from __future__ import annotations

from sizing.assumptions import Tier

# Lower bound of each tier, inclusive: small < 500 <= medium < 2,500 <= large < 10,000 <= enterprise.
TIER_FLOORS: tuple[tuple[int, Tier], ...] = ((10_000, "enterprise"), (2_500, "large"), (500, "medium"), (0, "small"))
TIER_ORDER: tuple[Tier, ...] = ("small", "medium", "large", "enterprise")

# The seed's expected latency band per tier, in ms: more hops and fan-out at scale, never a promise of model latency.
LATENCY_MS: dict[Tier, tuple[int, int]] = {
    "small": (50, 150),
    "medium": (50, 200),
    "large": (75, 250),
    "enterprise": (100, 300),
}


def tier_for(concurrent_users: int) -> Tier:
    return next(tier for floor, tier in TIER_FLOORS if concurrent_users >= floor)


def at_least(tier: Tier, floor: Tier) -> bool:
    return TIER_ORDER.index(tier) >= TIER_ORDER.index(floor)
