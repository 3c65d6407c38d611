"""The optional lines, by hand: the AWS Support plan's bands and minimum, and Bedrock Guardrails' text units.

Support (aws.amazon.com/premiumsupport/pricing/): Developer, the greater of $29 or 3%; Business, the greater of $100
or 10% of the first $10,000, 7% to $80,000, 5% to $250,000 and 3% above, of the month's AWS usage.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

from sizing.engine.support import support_usd


@pytest.mark.parametrize(
    ("plan", "usage", "usd"),
    [
        ("developer", 2_000, 60),  # AWS's own example: $2,000 x 3%
        ("developer", 500, 29),  # 3% is $15: the minimum
        ("business", 85_000, 6_150),  # AWS's example: 1,000 + 4,900 + 250
        ("business", 500, 100),  # 10% is $50: the minimum
        ("business", 300_000, 1_000 + 4_900 + 8_500 + 1_500),  # every band: 3% of the $50,000 above $250,000
        ("business", 10_000, 1_000),
    ],
)
def test_support_bands_and_minimums(plan, usage, usd):
    assert support_usd(plan, usage) == pytest.approx(usd)


def test_no_support_plan_no_line(fake_catalog, fake_prices):
    plan = build(fake_catalog, fake_prices, 1_000, 10_240)
    assert not [i for i in plan.cost.breakdown if i.key == "support_plan"]


def test_support_counts_bedrock_tokens_but_not_another_providers(fake_catalog, fake_prices):
    def support(llm):
        plan = build(
            fake_catalog,
            fake_prices,
            1_000,
            10_240,
            {"support_plan": "developer"},
            token_prices=flat_token_prices(),
            llm=llm,
        )
        (line,) = [i for i in plan.cost.breakdown if i.key == "support_plan"]
        return line.monthly_usd.max

    # The 1,000-user bill at its max is $2,505.36 of AWS with the flat 30 GB of control-plane logs ($17.70), $2,504.27
    # with the derived ones ($16.61; tests/test_costs_by_hand.py), plus the turns' bytes through
    # the one NAT gateway ($0.01 a GB) and across a zone from the other zones' pods (2/3 x $0.01 each side): 43,800,000
    # turns of 5,620 bytes up and, OpenAI's framing, 500 + 211 x (4 + 288 + 29) = 68,231 down; Bedrock's,
    # 500 + 211 x (4 + 173 + 29) = 43,966. The tokens, (1,155 x $1 + 211 x $5) / 1e6 a turn, are $96,798: AWS usage
    # through Bedrock, not through OpenAI. (Bedrock's bytes go through NAT too: at the 0.1 mean load, 217 GB a month,
    # the fake endpoint's $0.005 a GB saved does not pay its 3 x $0.02 x 730 h.)
    def network(bytes_per_turn: int) -> float:
        gigabytes = 43_800_000 * bytes_per_turn / 1e9
        return gigabytes * 0.01 + gigabytes * 2 / 3 * 2 * 0.01

    # OpenAI's API is outside AWS: the prompts, 43,800,000 x 5,620 bytes = 246.156 GB, are also internet data out, at
    # the fake table's one tier ($0.10 a GB; the answers to users already use the free 100 GB).
    prompts_out = 43_800_000 * 5_620 / 1e9 * 0.10
    aws = 2_505.36 - 17.70 + 16.61  # the bill's max, the derived control-plane logs in place of the flat 30 GB
    assert support("openai:gpt-test") == pytest.approx((aws + network(5_620 + 68_231) + prompts_out) * 0.03, abs=0.01)
    assert support("aws:test-model") == pytest.approx((aws + network(5_620 + 43_966) + 96_798) * 0.03, abs=0.01)


def test_guardrails_count_text_units_turn_by_turn(fake_catalog, fake_prices):
    # The conversation: 945 + 70 = 1,015 tokens (4,060 characters: 5 units), then 1,296 (5,184: 6 units); 211 out
    # (844 characters: 1 unit). A mean of (6 + 7) / 2 = 6.5 units a turn at $0.15 per 1,000.
    plan = build(
        fake_catalog,
        fake_prices,
        1_000,
        10_240,
        {
            "llm": {
                "input_tokens_per_turn": None,
                "cached_input_share": None,
                "system_prompt_tokens": 945,
                "user_tokens_per_turn": 70,
                "turns_per_conversation": 2,
                "guardrails": True,
            }
        },
        token_prices=flat_token_prices(),
        llm="openai:gpt-test",
    )
    (line,) = [i for i in plan.cost.breakdown if i.key == "llm_guardrails"]
    assert line.monthly_usd.max == pytest.approx(43_800_000 * 6.5 * 0.15 / 1_000, abs=0.01)
    assert plan.cost.llm_monthly_usd.max == pytest.approx(plan.llm.monthly_usd.max + line.monthly_usd.max, abs=0.01)
