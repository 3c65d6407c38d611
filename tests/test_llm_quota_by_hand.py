"""LLM quotas on invented provider profiles: what the plan compares, and the warning it gives, derived by hand.

Two invented providers: "tp" counts input and output apart and enforces requests per minute, with two usage tiers
for models matching "tiered"; "bt" counts as Bedrock does (input + output x a burndown of 5), enforces no request
limit, and has one flat quota for models matching "flat" (a request limit too, which it does not enforce). A turn
is 1,155 tokens in and 211 out, one a minute per user (tests/hand_plans.py), so 1,000 users need 1,000 requests,
1,155,000 input and 211,000 output tokens a minute.
"""

from __future__ import annotations

import pytest

from hand_plans import build, flat_token_prices
from sizing.llm.profiles import LLMProfiles, ProviderRules, QuotaEntry, Speed, Tier
from sizing.llm.traffic import USER_QUOTA

PROFILES = LLMProfiles(
    as_of="2000-01-01",
    providers={
        "tp": ProviderRules(name="Tiered Provider", counting="input_output", enforces_rpm=True,
                            raise_with="the test console"),
        "bt": ProviderRules(name="Bedrock-like", counting="bedrock", enforces_rpm=False, raise_with="Service Quotas"),
    },
    speeds=(Speed(provider="*", match="", time_to_first_token_s=1, output_tokens_per_s=100, source="test speed"),),
    quotas=(
        QuotaEntry(provider="tp", match="tiered", source="test tiers", tiers=(
            Tier(name="Tier 1", requests_per_minute=500, input_tokens_per_minute=600_000,
                 output_tokens_per_minute=200_000),
            Tier(name="Tier 2", requests_per_minute=5_000, input_tokens_per_minute=6_000_000,
                 output_tokens_per_minute=2_000_000),
        )),
        QuotaEntry(provider="bt", match="flat", source="test flat", name="Tokens per minute for flat",
                   tokens_per_minute=1_000_000, requests_per_minute=100, burndown=5),
    ),
)


@pytest.fixture
def plan(fake_catalog, fake_prices):
    def make(users, llm, llm_overrides=None):
        return build(fake_catalog, fake_prices, users, users * 10, {"llm": llm_overrides or {}},
                     token_prices=flat_token_prices(), llm_profiles=PROFILES, llm=llm)

    return make


def quota(p):
    q = p.llm.quota
    return (q.tokens_per_minute, q.requests_per_minute, q.input_tokens_per_minute, q.output_tokens_per_minute,
            q.name, q.source)


def llm_warnings(p):
    return [w for w in p.warnings if w.startswith("LLM")]


def test_a_tiered_quota_is_the_lowest_tiers_and_the_warning_names_the_tier_that_fits(plan):
    p = plan(1_000, "tp:tiered")
    assert quota(p) == (None, 500, 600_000, 200_000, "Tier 1", "test tiers")
    assert (p.llm.counting, p.llm.peak.input_tokens_per_minute, p.llm.peak.output_tokens_per_minute) == (
        "input_output", 1_155_000, 211_000)
    assert p.llm.peak.tokens_per_minute == 1_366_000
    # Over on all three: 1,000 > 500 requests, 1,155,000 > 600,000 input, 211,000 > 200,000 output. Tier 2 holds it.
    assert llm_warnings(p) == [
        "LLM quota exceeded for test tiered: at peak it needs 1,155,000 input and 211,000 output tokens/min and "
        "1,000 requests/min, above its quota (test tiers); that takes Tier 2 or higher"]


def test_beyond_the_highest_tier_asks_for_a_custom_limit(plan):
    # 10,000 users: 11,550,000 input tokens a minute, above Tier 2's 6,000,000.
    (warning,) = llm_warnings(plan(10_000, "tp:tiered"))
    assert warning.endswith("that is above the highest published tier (Tier 2): ask for a custom limit")


def test_exactly_at_a_limit_is_within_it(plan):
    # 500 users: 500 requests a minute, Tier 1's limit exactly; 577,500 input and 105,500 output tokens, under.
    assert llm_warnings(plan(500, "tp:tiered")) == []
    assert llm_warnings(plan(501, "tp:tiered")) != []


def test_requests_alone_over_an_enforced_limit_warn(plan):
    # 600 users of 500-token turns: 600 requests (> 500), 300,000 input and 126,600 output tokens (under).
    (warning,) = llm_warnings(plan(600, "tp:tiered", {"input_tokens_per_turn": 500}))
    assert "needs 300,000 input and 126,600 output tokens/min and 600 requests/min" in warning


def test_a_token_quota_of_your_own_replaces_the_tiers_token_limits(plan):
    p = plan(1_000, "tp:tiered", {"quota_tokens_per_minute": 2_000_000})
    # Tokens: 1,366,000 < 2,000,000; the tier's 500 requests still apply and are exceeded.
    assert quota(p) == (2_000_000, 500, None, None, "Tier 1", USER_QUOTA)
    assert llm_warnings(p) == [
        "LLM quota exceeded for test tiered: at peak it needs 1,155,000 input and 211,000 output tokens/min and "
        f"1,000 requests/min, above its quota ({USER_QUOTA}); request an increase of 'Tier 1' through the test "
        "console"]
    within = plan(1_000, "tp:tiered", {"quota_tokens_per_minute": 2_000_000, "quota_requests_per_minute": 1_000})
    assert quota(within)[:2] == (2_000_000, 1_000) and llm_warnings(within) == []


def test_a_flat_bedrock_style_quota_counts_output_at_the_burndown(plan):
    p = plan(1_000, "bt:flat")
    assert quota(p) == (1_000_000, 100, None, None, "Tokens per minute for flat", "test flat")
    # 1,155,000 + 211,000 x 5 = 2,210,000 tokens a minute; requests are not limited.
    assert (p.llm.output_burndown, p.llm.peak.tokens_per_minute) == (5, 2_210_000)
    assert llm_warnings(p) == [
        "LLM quota exceeded for test flat: at peak it needs 2,210,000 tokens/min, above its quota (test flat); "
        "request an increase of 'Tokens per minute for flat' through Service Quotas"]
    # 400 users: 884,000 tokens a minute, under; 400 requests a minute (> 100) are not enforced, so not compared.
    assert llm_warnings(plan(400, "bt:flat")) == []


def test_no_published_quota_names_what_to_check(plan):
    p = plan(1_000, "tp:other")
    assert quota(p) == (None, None, None, None, None, "no published default")
    assert llm_warnings(p) == [
        "LLM quota unknown for test other: at peak it needs 1,155,000 input and 211,000 output tokens/min and "
        "1,000 requests/min; check that your the test console quota allows that (no published default)"]


def test_an_unknown_provider_counts_input_plus_output_and_requests(plan):
    p = plan(1_000, "zz:model")
    assert (p.llm.counting, p.llm.peak.tokens_per_minute, p.llm.output_burndown) == ("total", 1_366_000, 1)
    assert llm_warnings(p) == [
        "LLM quota unknown for test model: at peak it needs 1,366,000 tokens/min and 1,000 requests/min; check that "
        "your zz's rate-limit settings quota allows that (no published default)"]


def test_your_own_quota_without_a_published_one_asks_for_an_increase_of_the_quota(plan):
    p = plan(1_000, "tp:other", {"quota_tokens_per_minute": 1_000_000})
    assert quota(p) == (1_000_000, None, None, None, None, USER_QUOTA)
    assert llm_warnings(p) == [
        "LLM quota exceeded for test other: at peak it needs 1,155,000 input and 211,000 output tokens/min and "
        f"1,000 requests/min, above its quota ({USER_QUOTA}); request an increase of the quota through the test "
        "console"]
