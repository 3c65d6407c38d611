"""The LLM in the plan: token volume, cost, quotas and open streams, each derived by hand from the issue's formulas.

Peak turns/s = users x turns/user/min / 60; monthly max = peak all month (730 h), min = max x duty cycle (0.5);
streams = turns/s x (TTFT + output tokens / tokens per s). Most tests pin the flat model at the Azure trace's 1,155
in / 211 out (``FLAT``); those about the shipped defaults say so. Unit prices come from a stand-in resolver with round numbers where the test is about arithmetic, and from the
real genai-prices snapshot where the test is about the prices themselves (checked against the providers' lists).
"""

from __future__ import annotations

import json
import math

import pytest

from sizing import SizingError, Workload, calculate
from sizing.llm.choice import DEFAULT_LLM, LLMChoice, parse_llm
from sizing.llm.token_prices import CACHE_FILE, TokenPrices, TurnUsage, resolve_token_prices

HAIKU = "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_US = "aws:us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MINI = "openai:gpt-4o-mini"
ANTHROPIC_HAIKU = "anthropic:claude-haiku-4-5"
HOURS = 730


def flat_prices(input_pm: float, output_pm: float, cached_pm: float | None = None):
    """A resolver with fixed unit prices, priced the way providers bill: per token class, no tiers."""
    cached_pm = input_pm if cached_pm is None else cached_pm

    def resolve(choice: LLMChoice, usage: TurnUsage) -> TokenPrices:
        fresh = usage.input_tokens - usage.cached_input_tokens
        turn = (fresh * input_pm + usage.cached_input_tokens * cached_pm + usage.output_tokens * output_pm) / 1e6
        return TokenPrices(
            provider=choice.provider,
            provider_name=f"{choice.provider} (test)",
            model=choice.model,
            priced_as=choice.model,
            prices_as_of="test prices",
            input_per_million=input_pm,
            cached_input_per_million=cached_pm,
            output_per_million=output_pm,
            turn_usd=turn,
        )

    return resolve


# The Azure trace's mean turn pinned as the flat model: most tests here are about the arithmetic on one turn, not
# about the conversation that makes it (tests/test_conversation_by_hand.py is).
FLAT = {"input_tokens_per_turn": 1_155}


def plan(users: int, llm: str | None = HAIKU, prices=flat_prices(1.0, 5.0), conversation=False, **assumptions):
    llm_assumptions = assumptions if conversation else {**FLAT, **assumptions}
    return calculate(
        Workload(concurrent_users=users, llm=llm, assumptions={"llm": llm_assumptions}),
        token_prices=prices,
    )


@pytest.mark.parametrize("users", [100, 1_000, 100_000])
def test_token_volume_and_cost_by_hand(users):
    llm = plan(users).llm
    turns_per_s = users / 60
    assert llm.peak.turns_per_second == pytest.approx(turns_per_s)
    assert llm.peak.requests_per_minute == users
    turns_max = turns_per_s * 3600 * HOURS  # 1,000 users: 43,800,000 turns a month at peak
    assert llm.monthly.turns.max == pytest.approx(turns_max)
    assert llm.monthly.turns.min == pytest.approx(turns_max * 0.5)
    assert llm.monthly.input_tokens.max == pytest.approx(turns_max * 1_155)
    assert llm.monthly.output_tokens.min == pytest.approx(turns_max * 0.5 * 211)
    per_turn = (1_155 * 1.0 + 211 * 5.0) / 1e6  # $0.00221
    assert llm.turn_usd == pytest.approx(0.00221)
    assert llm.monthly_usd.max == pytest.approx(turns_max * per_turn, abs=0.01)
    assert llm.monthly_usd.min == pytest.approx(turns_max * per_turn / 2, abs=0.01)


def test_one_thousand_users_cost_what_the_issue_says():
    # The shipped conversation: a 945-token system prompt, 70-token messages, 211-token answers, two turns. Turn 1
    # sends 945 + 70 = 1,015 tokens, turn 2 1,015 + 211 + 70 = 1,296: a mean of 1,155.5. Haiku 4.5 caches nothing
    # under 4,096 tokens, so a turn costs (1,155.5 x $1 + 211 x $5) / 1e6 = $0.0022105; 43,800,000 turns a month at
    # peak: $96,819.90 (the flat 1,155-token turn gave $96,798), half of it at the 0.5 mean load.
    cost = plan(1_000, conversation=True).cost
    assert cost.llm_monthly_usd.max == pytest.approx(43_800_000 * 0.0022105, abs=0.01) == 96_819.90
    assert cost.monthly_usd.max == pytest.approx(cost.infrastructure_monthly_usd.max + 96_819.90, abs=0.01)
    assert cost.monthly_usd.min == pytest.approx(cost.infrastructure_monthly_usd.min + 48_409.95, abs=0.01)
    llm_items = [i for i in cost.breakdown if i.key == "llm_api"]
    assert len(llm_items) == 1 and llm_items[0].monthly_usd == cost.llm_monthly_usd
    infra = [i for i in cost.breakdown if i.key != "llm_api"]
    assert cost.infrastructure_monthly_usd.max == pytest.approx(sum(i.monthly_usd.max for i in infra), abs=0.02)


def test_cached_input_is_billed_at_the_cache_read_price():
    llm = plan(1_000, prices=flat_prices(3.0, 15.0, cached_pm=0.3), cached_input_share=0.5).llm
    cached = round(1_155 * 0.5)  # 578 of the 1,155 input tokens are cache reads
    assert llm.turn_usd == pytest.approx(((1_155 - cached) * 3.0 + cached * 0.3 + 211 * 15.0) / 1e6)


@pytest.mark.parametrize("users", [100, 1_000, 20_000])
def test_open_streams_by_littles_law(users):
    llm = plan(users).llm  # Haiku 4.5: TTFT 0.6 s, 65 tokens/s (data/llm_models.yaml)
    seconds = 0.6 + 211 / 65
    assert llm.peak.stream_seconds == pytest.approx(seconds)  # 3.85 s
    assert llm.peak.stream_seconds_p90 == pytest.approx(0.6 + 424 / 65)
    assert llm.peak.open_streams == pytest.approx(users / 60 * seconds)  # 1,000 users: 64 streams


def test_stream_speed_overrides_are_honoured():
    llm = plan(1_000, time_to_first_token_s=2.0, output_tokens_per_s=20.0).llm
    assert llm.peak.stream_seconds == pytest.approx(2.0 + 211 / 20)
    assert llm.speed.source == "your assumptions (llm.*)"


def test_the_backend_holds_the_open_streams_and_the_defaults_keep_the_seeds_replicas():
    assert (plan(1_000).backend.min_replicas, plan(1_000).backend.max_replicas) == (13, 39)
    # One stream per pod: 64.1 streams at peak need 65 pods, 32.05 at the min load (x0.5) need 33.
    streams = 1_000 / 60 * (0.6 + 211 / 65)
    backend = plan(1_000, streams_per_backend_pod=1).backend
    assert (backend.min_replicas, backend.max_replicas) == (math.ceil(streams / 2), math.ceil(streams)) == (33, 65)
    # Without an LLM there are no streams to hold: the seed's formula alone.
    assert (
        calculate(
            Workload(concurrent_users=1_000, llm=None, assumptions={"llm": {"streams_per_backend_pod": 1}})
        ).backend.max_replicas
        == 39
    )


def test_bedrock_counts_output_at_the_models_burndown():
    haiku = plan(1_000).llm
    assert haiku.output_burndown == 1 and haiku.peak.tokens_per_minute == 1_000 * (1_155 + 211)
    sonnet = plan(1_000, SONNET_US).llm  # Sonnet 4.5 burns output 5x on Bedrock
    assert sonnet.output_burndown == 5
    assert sonnet.peak.tokens_per_minute == 1_000 * (1_155 + 5 * 211) == 2_210_000


def test_bedrock_quota_known_default_fits_then_is_exceeded():
    small = plan(1_000, SONNET_US)
    assert small.llm.quota.tokens_per_minute == 5_000_000 and small.llm.quota.requests_per_minute is None
    assert not [w for w in small.warnings if "LLM" in w]
    big = plan(3_000, SONNET_US)  # 3,000 x 2,210 = 6,630,000 tokens/min > 5,000,000
    (warning,) = [w for w in big.warnings if "LLM" in w]
    assert "exceeded" in warning and "6,630,000 tokens/min" in warning and "L-F4DDD3EB" in warning
    assert "requests/min" not in warning  # Bedrock no longer enforces requests per minute


def test_an_unknown_quota_names_what_to_check_and_how_much():
    (warning,) = [w for w in plan(1_000).warnings if "LLM" in w]
    assert "unknown" in warning and "1,366,000 tokens/min" in warning
    assert "Global cross-Region model inference tokens per minute for Anthropic Claude Haiku 4.5" in warning


def test_openai_quota_names_the_usage_tier_needed():
    assert not [w for w in plan(100, MINI).warnings if "LLM" in w]  # 136,600 TPM, 100 RPM within Tier 1
    (warning,) = [w for w in plan(1_000, MINI).warnings if "LLM" in w]  # 1,366,000 TPM: Tier 2 holds 2,000,000
    assert "Tier 2 or higher" in warning and "1,366,000 tokens/min and 1,000 requests/min" in warning
    # 100,000 RPM is over Tier 5's 30,000 although 136,600,000 TPM fits its 150,000,000.
    (warning,) = [w for w in plan(100_000, MINI).warnings if "LLM" in w]
    assert "above the highest published tier (Tier 5)" in warning


def test_anthropic_limits_input_and_output_apart_and_skips_cache_reads():
    llm = plan(400, ANTHROPIC_HAIKU).llm
    assert (llm.peak.input_tokens_per_minute, llm.peak.output_tokens_per_minute) == (400 * 1_155, 400 * 211)
    (warning,) = [w for w in plan(400, ANTHROPIC_HAIKU).warnings if "LLM" in w]
    assert "Tier 3 or higher" in warning  # 462,000 input tokens/min > Tier 2's 450,000
    cached = plan(400, ANTHROPIC_HAIKU, cached_input_share=0.5)
    assert cached.llm.peak.input_tokens_per_minute == 400 * (1_155 - 578)  # 230,800: cache reads do not count
    (warning,) = [w for w in cached.warnings if "LLM" in w]
    assert "Tier 2 or higher" in warning


def test_a_quota_of_your_own_replaces_the_default():
    warnings = plan(1_000, HAIKU, quota_tokens_per_minute=1_000_000).warnings
    (warning,) = [w for w in warnings if "LLM" in w]
    assert "exceeded" in warning and "your assumptions" in warning
    assert not [w for w in plan(1_000, HAIKU, quota_tokens_per_minute=2_000_000).warnings if "LLM" in w]


def test_no_llm_means_no_llm_section_and_no_llm_cost():
    none = calculate(Workload(concurrent_users=1_000, llm="none"))
    assert none.llm is None and none.cost.llm_monthly_usd.max == 0
    assert not [i for i in none.cost.breakdown if i.key == "llm_api"]
    assert none.cost.monthly_usd == none.cost.infrastructure_monthly_usd


# The real genai-prices snapshot, against the providers' price lists (../shared/llm-facts.md, section 1).
# Cache writes: 1.25x input on Claude (the 5-minute write), no premium on OpenAI's automatic caching.
@pytest.mark.parametrize(
    ("llm", "input_pm", "output_pm", "cached_pm", "write_pm"),
    [
        (HAIKU, 1.00, 5.00, 0.10, 1.25),  # Bedrock global profile
        ("aws:us.anthropic.claude-haiku-4-5-20251001-v1:0", 1.10, 5.50, 0.11, 1.375),  # geographic profile: +10%
        (MINI, 0.15, 0.60, 0.075, 0.15),
        ("anthropic:claude-sonnet-4-5", 3.00, 15.00, 0.30, 3.75),
    ],
)
def test_genai_prices_gives_the_providers_list_prices(llm, input_pm, output_pm, cached_pm, write_pm):
    got = calculate(Workload(concurrent_users=1_000, llm=llm)).llm
    assert got.price_per_million.input == pytest.approx(input_pm)
    assert got.price_per_million.output == pytest.approx(output_pm)
    assert got.price_per_million.cached_input == pytest.approx(cached_pm)
    assert got.price_per_million.cache_write == pytest.approx(write_pm)
    # The shipped conversation's turns (1,015 and 1,296 tokens in) re-send at most 1,015 tokens, under every one of
    # these models' minimum cacheable prefix (1,024 or 4,096): nothing cached, a mean of 1,155.5 tokens in.
    assert got.caching is not None and not got.caching.applied
    assert got.turn_usd == pytest.approx((1_155.5 * input_pm + 211 * output_pm) / 1e6)
    assert got.prices_as_of.startswith("genai-prices ")


def test_a_long_context_turn_is_priced_at_its_tier():
    # Sonnet 4.5 bills prompts over 200k tokens at $6 / $22.50 per million (Anthropic's list): priced per turn, the
    # 300k-token turn lands in that tier, where pricing the month's total tokens at once would not tell.
    llm = plan(10, "anthropic:claude-sonnet-4-5", prices=None, input_tokens_per_turn=300_000).llm
    assert llm.price_per_million.input == pytest.approx(6.0)
    assert llm.turn_usd == pytest.approx((300_000 * 6.0 + 211 * 22.5) / 1e6)
    short = plan(10, "anthropic:claude-sonnet-4-5", prices=None).llm
    assert short.price_per_million.input == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("llm", "message"),
    [
        ("openai:gpt-4o-minii", "unknown OpenAI model 'gpt-4o-minii'; did you mean gpt-4o-mini"),
        ("aws:global.anthropic.claude-haiku-4-5", "did you mean global.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("opnai:gpt-4o-mini", "unknown LLM provider 'opnai'; did you mean openai"),
    ],
)
def test_unknown_models_and_providers_name_close_matches(llm, message):
    with pytest.raises(SizingError) as raised:
        calculate(Workload(concurrent_users=100, llm=llm))
    assert message in str(raised.value) and raised.value.field == "llm"


@pytest.mark.parametrize(
    "text", ["gpt-4o-mini", "openai:", ":gpt", "open ai:gpt-4o", "openai:gpt 4o", "a:" + "x" * 300]
)
def test_malformed_choices_are_refused(text):
    with pytest.raises(SizingError, match="expected PROVIDER:MODEL"):
        parse_llm(text)


def test_choices_are_normalised():
    assert parse_llm(" OpenAI:gpt-4o-mini ") == LLMChoice("openai", "gpt-4o-mini")
    assert parse_llm("NONE") is None
    assert Workload(concurrent_users=1, llm="AWS:x.y").llm == "aws:x.y"
    assert Workload(concurrent_users=1).llm == DEFAULT_LLM


def test_resolved_prices_are_kept_on_disk_and_read_back(fresh_cache):
    choice, usage = parse_llm(MINI), TurnUsage(1_155, 0, 211)
    first = resolve_token_prices(choice, usage)
    stored = json.loads((fresh_cache / CACHE_FILE).read_text())["entries"]
    (key,) = stored
    assert stored[key]["turn_usd"] == pytest.approx(first.turn_usd)
    # A planted answer under the same key is what the next cold start uses: the package is not consulted.
    stored[key]["turn_usd"] = 123.0
    (fresh_cache / CACHE_FILE).write_text(json.dumps({"format": 2, "entries": stored}))
    resolve_token_prices.cache_clear()
    assert resolve_token_prices(choice, usage).turn_usd == 123.0
    # A damaged file is ignored and rewritten, never trusted.
    (fresh_cache / CACHE_FILE).write_text("{not json")
    resolve_token_prices.cache_clear()
    assert resolve_token_prices(choice, usage).turn_usd == pytest.approx(first.turn_usd)
    assert json.loads((fresh_cache / CACHE_FILE).read_text())["format"] == 2


def test_an_unwritable_cache_costs_nothing_but_time(fresh_cache, monkeypatch):
    blocker = fresh_cache / "file"
    blocker.write_text("")
    monkeypatch.setenv("SIZING_CACHE_DIR", str(blocker / "sub"))  # a folder under a file cannot be made
    assert resolve_token_prices(parse_llm(MINI), TurnUsage(100, 0, 10)).turn_usd > 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"turns_per_user_per_minute": 0}, "turns_per_user_per_minute"),
        ({"input_tokens_per_turn": -5}, "input_tokens_per_turn"),
        ({"cached_input_share": 1.5}, "cached_input_share"),
        ({"output_tokens_per_turn_p90": 100}, "output_tokens_per_turn_p90 must be at least output_tokens_per_turn"),
        ({"streams_per_backend_pod": "many"}, "streams_per_backend_pod"),
        ({"quota_tokens_per_minute": 0}, "quota_tokens_per_minute"),
        ({"tokens": 5}, "assumptions.llm.tokens"),
    ],
)
def test_bad_llm_assumptions_are_refused(override, message):
    with pytest.raises(ValueError, match=message):
        Workload(concurrent_users=1_000, assumptions={"llm": override})


def test_the_llm_data_file_dates_and_sources_every_figure():
    import re
    from datetime import date

    from sizing.llm.profiles import load_llm_profiles

    profiles = load_llm_profiles()
    assert date.fromisoformat(profiles.as_of)
    for entry in (*profiles.speeds, *profiles.quotas):
        assert entry.source.strip(), entry.match
        re.compile(entry.match)
    for entry in profiles.quotas:
        # A flat quota names the Service Quotas quota; a tiered one lists tiers from the lowest up.
        assert entry.tiers or entry.name
        rpms = [t.requests_per_minute for t in entry.tiers]
        assert rpms == sorted(rpms), entry.match
    # Every Bedrock entry knows its burndown; Sonnet 4.5's is AWS's documented 5x.
    assert profiles.quota(parse_llm(SONNET_US)).burndown == 5
    assert profiles.quota(parse_llm(HAIKU)).burndown == 1
    # Unknown models fall back to the catch-all speed, which says it is one.
    assert "no measurement" in profiles.speed(LLMChoice("mistral", "mistral-large")).source
