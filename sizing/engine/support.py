"""The AWS Support plan: a share of the month's AWS charges, with a monthly minimum (``support_plan``).

AWS bills Developer at the greater of $29 or 3% of the month's AWS usage, and Business at the greater of $100 or 10%
of the first $10,000, 7% from $10,000 to $80,000, 5% from $80,000 to $250,000 and 3% above, in bands like a tax
(aws.amazon.com/premiumsupport/pricing/, read 2026-12-07). Tokens bought from another provider (OpenAI, Anthropic)
are not AWS usage; Bedrock's are.
"""

from __future__ import annotations

from collections.abc import Sequence

from sizing.plan import CostItem, Range

# (minimum USD a month, ((band ceiling USD or None, rate), ...)) per plan.
PLANS: dict[str, tuple[float, tuple[tuple[float | None, float], ...]]] = {
    "developer": (29.0, ((None, 0.03),)),
    "business": (100.0, ((10_000, 0.10), (80_000, 0.07), (250_000, 0.05), (None, 0.03))),
}
SOURCE = "AWS Support plan pricing (aws.amazon.com/premiumsupport/pricing/, read 2026-12-07): share with a minimum"


def support_usd(plan: str, aws_usage: float) -> float:
    minimum, bands = PLANS[plan]
    total, floor = 0.0, 0.0
    for ceiling, rate in bands:
        top = aws_usage if ceiling is None else min(aws_usage, ceiling)
        if top > floor:
            total += (top - floor) * rate
        if ceiling is None or aws_usage <= ceiling:
            break
        floor = ceiling
    return max(minimum, total)


def support_cost_items(plan: str, aws_items: Sequence[CostItem]) -> list[CostItem]:
    """The plan's line on the AWS charges of each bound (min, expected, max); none for ``none``."""
    if plan == "none":
        return []

    def on(values: Sequence[float]) -> float:
        return round(support_usd(plan, sum(values)), 2)

    low = on([i.monthly_usd.min for i in aws_items])
    high = on([i.monthly_usd.max for i in aws_items])
    return [
        CostItem(
            key="support_plan",
            item=f"AWS Support ({plan.capitalize()})",
            monthly_usd=Range(min=low, max=high),
            expected_monthly_usd=on([i.expected_monthly_usd for i in aws_items]),
            source=SOURCE,
        )
    ]
