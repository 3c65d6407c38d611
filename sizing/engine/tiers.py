"""Which tier a load is in, and how tiers compare; the floors themselves are assumptions (``Assumptions.tiers``)."""

from __future__ import annotations

from sizing.assumptions import Tier, TierFloors

TIER_ORDER: tuple[Tier, ...] = ("small", "medium", "large", "enterprise")

# The seed's expected latency band per tier, in ms: more hops and fan-out at scale, never a promise of model latency.
LATENCY_MS: dict[Tier, tuple[int, int]] = {
    "small": (50, 150),
    "medium": (50, 200),
    "large": (75, 250),
    "enterprise": (100, 300),
}


def tier_for(concurrent_users: int, floors: TierFloors | None = None) -> Tier:
    floors = floors or TierFloors()
    if concurrent_users >= floors.enterprise:
        return "enterprise"
    if concurrent_users >= floors.large:
        return "large"
    return "medium" if concurrent_users >= floors.medium else "small"


def at_least(tier: Tier, floor: Tier) -> bool:
    return TIER_ORDER.index(tier) >= TIER_ORDER.index(floor)
