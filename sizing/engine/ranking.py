"""Ranking candidates by cost: the cheapest few, in order, with the tie-breaks their tuples carry.

Shared by node selection (``engine/selection.py``: instance types for the application's pods) and GPU selection
(``selfhosted/choose.py``: GPU type, tensor parallelism and weight format for a self-hosted model). A candidate is a
tuple whose first item is the score to minimise and whose next items break ties (a cheaper max fleet, a newer
generation, the name...), so ordering tuples orders candidates, and two runs always agree on the winner.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


class Ranking:
    """The cheapest ``keep`` candidates seen so far (all of them when ``keep`` is None).

    ``worst`` is the score of the costliest candidate kept once ``keep`` are kept (infinity before): a caller that can
    bound a candidate's score from below skips the candidates whose bound exceeds it."""

    __slots__ = ("items", "keep", "worst")

    def __init__(self, keep: int | None) -> None:
        self.items: list[tuple] = []
        self.keep = keep
        self.worst = math.inf

    def add(self, candidate: tuple) -> None:
        """Offer a candidate; it takes its place at the next ``settle``."""
        self.items.append(candidate)

    def settle(self) -> None:
        """Order the candidates offered, keep the cheapest ``keep``, and tighten ``worst``."""
        self.items.sort()
        if self.keep is not None and len(self.items) >= self.keep:
            del self.items[self.keep :]
            self.worst = self.items[-1][0]


def rank(candidates: Iterable[tuple], keep: int | None) -> list[tuple]:
    """The cheapest ``keep`` of ``candidates``, cheapest first."""
    ranking = Ranking(keep)
    for candidate in candidates:
        ranking.add(candidate)
    ranking.settle()
    return ranking.items
