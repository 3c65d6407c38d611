"""Self-hosting against an API model: each one's monthly cost at a load, and the load where they cross.

The API's tokens cost the same per turn at any load, so its month is linear in the users. A self-hosted fleet costs
its floor (two replicas) from the first user and then grows in steps of a replica; so the API is cheaper at a small
load, and self-hosting may win once the fleet is busy enough. The crossover is the fewest concurrent users at which
self-hosting costs no more than the API (``crossover``), found on a geometric grid and refined by bisection, so the
API is cheaper one user below it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

GRID = 1.25  # the grid's step between loads, before bisection


def crossover(self_hosted: Callable[[int], float], api: Callable[[int], float], most: int) -> int | None:
    """The fewest users (1..most) where ``self_hosted(u) <= api(u)`` after a load where it was not; None: never."""

    def wins(users: int) -> bool:
        return self_hosted(users) <= api(users)

    if wins(1):
        return 1
    below, users = 1, 1
    while users < most:
        users = min(most, max(users + 1, math.ceil(users * GRID)))
        if wins(users):
            break
        below = users
    else:
        return None
    high = users
    while high - below > 1:
        middle = (below + high) // 2
        if wins(middle):
            high = middle
        else:
            below = middle
    return high
