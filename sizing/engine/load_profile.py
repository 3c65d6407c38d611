"""The day a plan is billed for: 24 hourly shares of the peak, and what the usage-priced services do over them.

The min bound runs everything at the profile's mean and the max at the peak all month; the expected bill follows the
profile hour by hour. For a line linear in the load (tokens, requests, bytes) the expected equals the min; it rises
above it where a price is not linear in the load: a capacity floor, a burst baseline, auto scaling that lags.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache
from itertools import accumulate
from typing import NamedTuple

from sizing.assumptions import TrafficAssumptions


class LoadProfile(NamedTuple):
    shares: tuple[float, ...]  # per hour, of the peak
    mean: float
    # What DynamoDB auto scaling holds each hour: it adds capacity within minutes but removes it only after 15
    # minutes below target, a limited number of times a day; counted as the hour's load or the hour before's.
    lagged: tuple[float, ...]
    hours_per_month: float
    lagged_sorted: tuple[float, ...]
    lagged_sums_above: tuple[float, ...]  # [k]: the sum of lagged_sorted[k:]

    def mean_held(self, floor: float, per_share: float) -> float:
        """The mean over the lagged hours of max(floor, per_share x share): a capacity that follows the load but
        never drops below its floor, in O(log 24) since it runs on every plan."""
        if per_share <= 0:
            return floor
        at_floor = bisect_right(self.lagged_sorted, floor / per_share)
        hours = len(self.lagged_sorted)
        return (floor * at_floor + per_share * self.lagged_sums_above[at_floor]) / hours


def load_profile(traffic: TrafficAssumptions) -> LoadProfile:
    # Keyed by the plain values: hashing a tuple of floats is far cheaper than hashing the model, on every plan.
    return _profile(traffic.hourly_profile, traffic.hours_per_month)


@cache
def _profile(shares: tuple[float, ...], hours_per_month: float) -> LoadProfile:
    lagged = tuple(max(share, shares[hour - 1]) for hour, share in enumerate(shares))
    ordered = tuple(sorted(lagged))
    above = tuple(reversed(list(accumulate(reversed(ordered), initial=0.0))))
    return LoadProfile(shares, sum(shares) / len(shares), lagged, hours_per_month, ordered, above)
