"""Exact arithmetic for every count that is rounded up (pods, nodes, capacity units).

Multipliers are read as the decimals a person wrote (``Fraction(str(1.1))`` is 11/10), so 5,000 users at 100 per
pod with a 1.1 buffer is exactly 55 pods, where float arithmetic gives 55.00000000000001 and rounds up to 56.
Money stays float: it is rounded to cents, never up to a whole unit.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache


@cache
def exact(value: float | Fraction) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(str(value))


@cache
def _ratio(times: tuple[float | Fraction, ...], per: tuple[float | Fraction, ...]) -> tuple[int, int]:
    ratio = Fraction(1)
    for factor in times:
        ratio *= exact(factor)
    for divisor in per:
        ratio /= exact(divisor)
    return ratio.numerator, ratio.denominator


def ceil_scaled(count: int, times: tuple[float | Fraction, ...] = (), per: tuple[float | Fraction, ...] = ()) -> int:
    """ceil(count x product(times) / product(per)), exactly; the factors' ratio is computed once per assumption set."""
    numerator, denominator = _ratio(times, per)
    return -(-count * numerator // denominator)
