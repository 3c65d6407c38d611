"""The bill: every service's cost items summed into infrastructure and LLM subtotals.

Each service prices itself (``fleet_cost``, ``network``, ``database``, ``cache``, ``llm.traffic``) and returns items
with a stable ``key``; this module only adds them up, so a new line of the bill never touches the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sizing.plan import CostItem, CostPlan, Range


def linear_item(key: str, label: str, monthly: Callable[[float], float], source: str, mean_load: float) -> CostItem:
    """A line whose month is linear in the load hour by hour: the day's mean load gives both its min and its expected
    figure (the hour-by-hour sum is the mean's), peak load all month its max."""
    low = round(monthly(mean_load), 2)
    return CostItem(
        key=key,
        item=label,
        monthly_usd=Range(min=low, max=round(monthly(1.0), 2)),
        expected_monthly_usd=low,
        source=source,
    )


def _total(items: Sequence[CostItem]) -> Range:
    return Range(
        min=round(sum(i.monthly_usd.min for i in items), 2), max=round(sum(i.monthly_usd.max for i in items), 2)
    )


def _expected(items: Sequence[CostItem]) -> float:
    return round(sum(i.expected_monthly_usd for i in items), 2)


def summarize_cost(
    infrastructure: Sequence[CostItem],
    llm: Sequence[CostItem],
    total_users: int,
    prices_as_of: str,
    currency: str = "USD",
) -> CostPlan:
    keys = [item.key for item in (*infrastructure, *llm)]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate cost keys: {keys}")
    infra_total, llm_total = _total(infrastructure), _total(llm)
    low = round(infra_total.min + llm_total.min, 2)
    high = round(infra_total.max + llm_total.max, 2)
    infra_expected, llm_expected = _expected(infrastructure), _expected(llm)
    return CostPlan(
        expected_monthly_usd=round(infra_expected + llm_expected, 2),
        monthly_usd=Range(min=low, max=high),
        infrastructure_monthly_usd=infra_total,
        llm_monthly_usd=llm_total,
        infrastructure_expected_monthly_usd=infra_expected,
        llm_expected_monthly_usd=llm_expected,
        per_user_usd=Range(min=round(low / total_users, 4), max=round(high / total_users, 4)),
        breakdown=[*infrastructure, *llm],
        prices_as_of=prices_as_of,
        currency=currency,
    )
