"""The conversation token model and prompt caching, derived by hand (docs/methodology.md, "Conversations").

Turn k of N sends S + (k - 1) x (u + a) + u input tokens. With S = 5,000, u = 70, a = 211 and N = 6 the turns send
5,070, 5,351, 5,632, 5,913, 6,194 and 6,475 tokens: 34,635 in all, a mean of 5,772.5. Each turn re-sends the previous
turn's whole prompt; turn 1 re-sends the system prompt every conversation shares.

Invented providers, so the rules are the test's: "xp" caches explicitly (a breakpoint at the end of each prompt, a
4,096-token minimum, a 300 s lifetime) and counts quotas as Anthropic does (cache reads excluded from input); "au"
caches automatically from 1,024 tokens in 128-token steps and counts input + output; "bk" caches as "xp" does and
counts as Bedrock does (every input token). Stand-in prices: $1 input, $0.10 cache read, $1.25 cache write, $5 output
per million. 1,000 users at a turn a minute: 60 s between one user's turns, 16.7 turns/s over the whole load.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

from sizing import Workload, calculate
from sizing.llm.profiles import CacheRule, LLMProfiles, ProviderRules, Speed

PROFILES = LLMProfiles(
    as_of="2000-01-01",
    providers={
        "xp": ProviderRules(name="Explicit", counting="input_output", enforces_rpm=True, raise_with="the console"),
        "au": ProviderRules(name="Automatic", counting="total", enforces_rpm=True, raise_with="the console"),
        "bk": ProviderRules(name="Bedrock-like", counting="bedrock", enforces_rpm=False, raise_with="quotas"),
    },
    speeds=(Speed(provider="*", match="", time_to_first_token_s=1, output_tokens_per_s=100, source="test speed"),),
    quotas=(),
    caching=(
        CacheRule(provider="xp", match="", mode="explicit", min_tokens=4_096, ttl_s=300, source="test explicit"),
        CacheRule(provider="bk", match="", mode="explicit", min_tokens=4_096, ttl_s=300, source="test bedrock"),
        CacheRule(
            provider="au", match="", mode="automatic", min_tokens=1_024, increment_tokens=128, ttl_s=300, source="au"
        ),
    ),
)
CONVERSATION = {
    "input_tokens_per_turn": None,
    "cached_input_share": None,
    "system_prompt_tokens": 5_000,
    "user_tokens_per_turn": 70,
    "output_tokens_per_turn": 211,
    "turns_per_conversation": 6,
    "context_budget_tokens": 32_000,
    "prompt_caching": "auto",
}
INPUTS = (5_070, 5_351, 5_632, 5_913, 6_194, 6_475)
TURNS_MAX = 1_000 * 60 * 730  # a turn a minute per user, all month at peak
MEAN_LOAD = 0.1  # tests/hand_plans.py's hourly profile


def conversation_plan(fake_catalog, fake_prices, llm="xp:model", users=1_000, **overrides):
    return build(
        fake_catalog,
        fake_prices,
        users,
        users * 10,
        {"llm": {**CONVERSATION, **overrides}},
        token_prices=flat_token_prices(1, 5, 0.1, 1.25),
        llm_profiles=PROFILES,
        llm=llm,
    )


def test_the_turns_grow_with_the_history(fake_catalog, fake_prices):
    conversation = conversation_plan(fake_catalog, fake_prices, prompt_caching="off").llm.conversation
    assert (conversation.first_turn_input_tokens, conversation.last_turn_input_tokens) == (INPUTS[0], INPUTS[-1])
    assert sum(INPUTS) == 34_635
    assert conversation.mean_input_tokens_per_turn == 34_635 / 6 == 5_772.5
    assert conversation.truncated_turns == 0


def test_the_budget_cuts_the_longest_turns(fake_catalog, fake_prices):
    # A 5,700-token budget: turns 4-6 (5,913, 6,194, 6,475) are cut to 5,700.
    conversation = conversation_plan(fake_catalog, fake_prices, context_budget_tokens=5_700).llm.conversation
    assert conversation.truncated_turns == 3
    assert conversation.mean_input_tokens_per_turn == pytest.approx((5_070 + 5_351 + 5_632 + 3 * 5_700) / 6)


def test_explicit_caching_reads_the_previous_prompt_and_writes_the_rest(fake_catalog, fake_prices):
    llm = conversation_plan(fake_catalog, fake_prices).llm
    # Reads: the shared system prompt (5,000 >= 4,096) on turn 1, then each previous prompt: 5,000 + 5,070 + 5,351 +
    # 5,632 + 5,913 + 6,194 = 33,160. Writes: the rest of each prompt, 70 on turn 1 and 281 on each later turn: 1,475.
    reads, writes = 33_160, 70 + 5 * 281
    assert llm.caching.applied and llm.caching.mode == "explicit"
    assert llm.caching.cache_read_tokens_per_turn == pytest.approx(reads / 6)
    assert llm.caching.cache_write_tokens_per_turn == pytest.approx(writes / 6)
    assert llm.caching.cached_share == pytest.approx(reads / 34_635)
    # Every input token is read or written: (33,160 x $0.10 + 1,475 x $1.25 + 6 x 211 x $5) / 6 a turn.
    turn = (reads * 0.10 + writes * 1.25 + 6 * 211 * 5) / 6 / 1e6
    uncached = (34_635 * 1 + 6 * 211 * 5) / 6 / 1e6
    assert llm.turn_usd == pytest.approx(turn)
    assert llm.caching.uncached_turn_usd == pytest.approx(uncached)
    assert llm.monthly_usd.max == pytest.approx(round(TURNS_MAX * turn, 2))
    saving = llm.caching.saving_monthly_usd
    assert (saving.min, saving.max) == (
        pytest.approx(TURNS_MAX * MEAN_LOAD * (uncached - turn), abs=0.01),
        pytest.approx(TURNS_MAX * (uncached - turn), abs=0.01),
    )
    assert llm.monthly.cached_input_tokens.max == pytest.approx(TURNS_MAX * reads / 6)
    assert llm.monthly.cache_write_tokens.max == pytest.approx(TURNS_MAX * writes / 6)
    assert llm.monthly.input_tokens.max == pytest.approx(TURNS_MAX * 5_772.5)


def test_pricing_cached_input_at_the_full_input_rate_is_caught(fake_catalog, fake_prices):
    # The 33,160 cache-read tokens at $0.10, not $1: at the full rate the turn would cost 33,160 x $0.90 / 6 more.
    llm = conversation_plan(fake_catalog, fake_prices).llm
    full_rate = (33_160 * 1.0 + 1_475 * 1.25 + 6 * 211 * 5) / 6 / 1e6
    assert llm.turn_usd == pytest.approx(full_rate - 33_160 * 0.9 / 6 / 1e6)
    assert llm.turn_usd != pytest.approx(full_rate)


def test_automatic_caching_hits_in_increments_above_the_minimum(fake_catalog, fake_prices):
    llm = conversation_plan(fake_catalog, fake_prices, llm="au:model").llm
    # The cacheable part of each re-sent prefix: 1,024 + whole 128-token steps above it.
    # 5,000 -> 1,024 + 31 x 128 = 4,992; 5,070 -> 4,992; 5,351 -> 1,024 + 33 x 128 = 5,248; 5,632 -> 5,632 (36 steps);
    # 5,913 -> 1,024 + 38 x 128 = 5,888; 6,194 -> 1,024 + 40 x 128 = 6,144.
    reads = 4_992 + 4_992 + 5_248 + 5_632 + 5_888 + 6_144
    assert reads == 32_896
    assert llm.caching.cache_write_tokens_per_turn == 0  # no write fee: the written tokens bill as input
    assert llm.caching.cache_read_tokens_per_turn == pytest.approx(reads / 6)
    assert llm.turn_usd == pytest.approx(((34_635 - reads) * 1 + reads * 0.10 + 6 * 211 * 5) / 6 / 1e6)
    # "total" counting: every input token counts toward the quota, cached or not.
    assert llm.peak.input_tokens_per_minute == pytest.approx(1_000 * 5_772.5)


def test_quotas_count_cache_reads_as_each_provider_does(fake_catalog, fake_prices):
    anthropic_like = conversation_plan(fake_catalog, fake_prices).llm
    # Cache reads do not count toward the input limit: (34,635 - 33,160) / 6 = 245.83 tokens a turn.
    assert anthropic_like.peak.input_tokens_per_minute == pytest.approx(1_000 * (34_635 - 33_160) / 6)
    bedrock_like = conversation_plan(fake_catalog, fake_prices, llm="bk:model").llm
    # Bedrock reserves every input token, cache reads and writes included.
    assert bedrock_like.peak.input_tokens_per_minute == pytest.approx(1_000 * 5_772.5)
    assert bedrock_like.caching.cache_read_tokens_per_turn == pytest.approx(33_160 / 6)


def test_a_think_time_past_the_lifetime_leaves_only_the_system_prompt_cached(fake_catalog, fake_prices):
    # A turn every 10 minutes: 600 s between a user's turns outlive the 300 s cache; the 1,000 users still send a
    # turn every 0.6 s, which keeps the shared system prompt warm. Each turn reads 5,000, writes nothing.
    llm = conversation_plan(fake_catalog, fake_prices, turns_per_user_per_minute=0.1).llm
    assert llm.caching.think_time_s == 600
    assert llm.caching.cache_read_tokens_per_turn == 5_000 and llm.caching.cache_write_tokens_per_turn == 0
    assert llm.turn_usd == pytest.approx(((5_772.5 - 5_000) * 1 + 5_000 * 0.10 + 211 * 5) / 1e6)
    assert "outlives" in llm.caching.reason


def test_a_load_sparser_than_the_lifetime_caches_nothing(fake_catalog, fake_prices):
    # One user, a turn every 10 minutes: nothing refreshes even the system prompt within 300 s.
    llm = conversation_plan(fake_catalog, fake_prices, users=1, turns_per_user_per_minute=0.1).llm
    assert not llm.caching.applied and llm.turn_usd == pytest.approx((5_772.5 + 211 * 5) / 1e6)


def test_a_prefix_under_the_minimum_is_not_cached(fake_catalog, fake_prices):
    # A 945-token system prompt: the longest re-sent prefix is turn 5's 945 + 4 x 281 + 70 = 2,139 < 4,096.
    llm = conversation_plan(fake_catalog, fake_prices, system_prompt_tokens=945).llm
    assert not llm.caching.applied
    assert llm.caching.reason.startswith("not cached: the longest prefix a turn re-sends (2,139 tokens)")


def test_caching_is_dropped_where_the_write_premium_outweighs_the_reads(fake_catalog, fake_prices):
    # No system prompt, two turns of long answers, a 64-token minimum: turn 1 writes its 70 tokens, turn 2 reads them
    # and writes 2,000 + 70. Cached: 70 x 1.25 + 70 x 0.10 + 2,070 x 1.25 = 2,682 input-dollars against 70 + 2,140 =
    # 2,210 uncached. Auto keeps the cheaper: uncached.
    cheap = LLMProfiles(
        **{
            **PROFILES.model_dump(exclude={"caching"}),
            "caching": (CacheRule(provider="xp", match="", mode="explicit", min_tokens=64, ttl_s=300, source="t"),),
        }
    )
    llm = build(
        fake_catalog,
        fake_prices,
        1_000,
        10_000,
        {
            "llm": {
                **CONVERSATION,
                "system_prompt_tokens": 0,
                "turns_per_conversation": 2,
                "output_tokens_per_turn": 2_000,
                "output_tokens_per_turn_p90": 2_000,
            }
        },
        token_prices=flat_token_prices(1, 5, 0.1, 1.25),
        llm_profiles=cheap,
        llm="xp:model",
    ).llm
    assert not llm.caching.applied and "write premium" in llm.caching.reason
    assert llm.turn_usd == pytest.approx(((70 + 2_140) / 2 + 2_000 * 5) / 1e6)


def test_the_flat_model_is_the_one_turn_conversation_without_a_system_prompt(fake_catalog, fake_prices):
    flat = build(fake_catalog, fake_prices, 1_000, 10_000, token_prices=flat_token_prices(), llm="openai:gpt-test")
    one_turn = conversation_plan(
        fake_catalog,
        fake_prices,
        llm="openai:gpt-test",
        system_prompt_tokens=0,
        user_tokens_per_turn=1_155,
        turns_per_conversation=1,
    )
    assert flat.llm.conversation.model == "flat" and one_turn.llm.conversation.model == "conversation"
    assert one_turn.llm.conversation.mean_input_tokens_per_turn == 1_155
    skip = {"conversation", "caching"}
    assert one_turn.llm.model_dump(exclude=skip) == flat.llm.model_dump(exclude=skip)
    assert one_turn.cost == flat.cost


def test_real_prices_bill_cache_reads_and_writes_at_their_own_rates():
    # Claude Sonnet 4.5 on Anthropic's API (genai-prices): $3 input, $0.30 cache read, $3.75 cache write, $15 output;
    # a 1,024-token minimum (data/llm_models.yaml). A 2,000-token system prompt, two turns: 2,070 and 2,351 tokens.
    # Turn 1 reads the shared 2,000 and writes 70; turn 2 reads turn 1's 2,070 and writes 281.
    llm = calculate(
        Workload(
            concurrent_users=1_000,
            llm="anthropic:claude-sonnet-4-5",
            assumptions={"llm": {"system_prompt_tokens": 2_000, "turns_per_conversation": 2}},
        )
    ).llm
    turn_1 = 2_000 * 0.30 + 70 * 3.75 + 211 * 15
    turn_2 = 2_070 * 0.30 + 281 * 3.75 + 211 * 15
    assert llm.turn_usd == pytest.approx((turn_1 + turn_2) / 2 / 1e6)  # $0.004434 a turn
    assert llm.caching.uncached_turn_usd == pytest.approx(((2_070 + 2_351) / 2 * 3 + 211 * 15) / 1e6)
    assert llm.price_per_million.cache_write == pytest.approx(3.75)
