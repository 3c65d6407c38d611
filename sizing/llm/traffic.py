"""A load in, the plan's LLM section out: turns, tokens, streams, their cost, and the quota they need at peak.

Peak turns/s = concurrent users x turns per user per minute / 60. Monthly volumes take the fleet's min/max meaning:
max = the peak held all month, min = the peak x the load profile's mean (``traffic.duty_cycle``), which is also the
expected volume: tokens are billed linearly, hour by hour. Open streams follow Little's law: arrivals
per second x seconds each answer streams (time to first token + output tokens / output tokens per second).
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

from sizing.assumptions import LLMAssumptions
from sizing.llm.choice import LLMChoice
from sizing.llm.conversation import conversation_inputs, mean_input_tokens
from sizing.llm.conversation_prices import MeanTurn, PricedConversation
from sizing.llm.profiles import LLMProfiles, ProviderRules, QuotaEntry, Tier
from sizing.llm.token_prices import TokenPrices, TurnUsage
from sizing.llm.wire_bytes import turn_bytes
from sizing.plan import (
    CostItem,
    LLMMonthly,
    LLMPeak,
    LLMPlan,
    LLMQuota,
    LLMSpeed,
    LLMWirePlan,
    PromptCachingPlan,
    Range,
    TokenPricesPerMillion,
)


def turn_usage(llm: LLMAssumptions) -> TurnUsage:
    """The mean turn, rounded, as one usage (the flat model's turn exactly)."""
    tokens = round(mean_input_tokens(conversation_inputs(llm)))
    return TurnUsage(tokens, round(tokens * (llm.cached_input_share or 0)), llm.output_tokens_per_turn)


def _range(low: float, high: float) -> Range:
    return Range(min=low, max=high)


USER_QUOTA = "your assumptions (llm.quota_*)"


def _quota(entry: QuotaEntry | None, llm: LLMAssumptions) -> LLMQuota:
    tier = entry.default if entry is not None else Tier(name="unknown")
    tokens, requests = llm.quota_tokens_per_minute, llm.quota_requests_per_minute
    overridden = tokens is not None or requests is not None
    return LLMQuota(
        tokens_per_minute=tokens if tokens is not None else tier.tokens_per_minute,
        requests_per_minute=requests if requests is not None else tier.requests_per_minute,
        # A token quota of the user's replaces the default input/output limits too (docs/methodology.md, "The LLM").
        input_tokens_per_minute=None if tokens is not None else tier.input_tokens_per_minute,
        output_tokens_per_minute=None if tokens is not None else tier.output_tokens_per_minute,
        name=None if entry is None else entry.name or tier.name,
        source=USER_QUOTA if overridden else entry.source if entry is not None else "no published default",
    )


_LIMITS = ("requests_per_minute", "tokens_per_minute", "input_tokens_per_minute", "output_tokens_per_minute")


def _over(limits: Tier | LLMQuota, peak: LLMPeak, enforces_rpm: bool) -> list[str]:
    """The limits the peak exceeds; requests are skipped where the provider does not enforce them."""
    return [
        f
        for f in _LIMITS
        if (f != "requests_per_minute" or enforces_rpm)
        and getattr(limits, f) is not None
        and getattr(peak, f) > getattr(limits, f)
    ]


def quota_warnings(plan: LLMPlan, entry: QuotaEntry | None, enforces_rpm: bool, raise_with: str) -> list[str]:
    """Over the quota, or the quota unknown: say what to request and how much, as the provider counts it."""
    peak, quota = plan.peak, plan.quota
    what = f"{plan.provider_name} {plan.model}"
    needs = (
        f"{math.ceil(peak.input_tokens_per_minute):,} input and {math.ceil(peak.output_tokens_per_minute):,} "
        f"output tokens/min"
        if plan.counting == "input_output"
        else f"{math.ceil(peak.tokens_per_minute):,} tokens/min"
    )
    if enforces_rpm:
        needs += f" and {math.ceil(peak.requests_per_minute):,} requests/min"
    named = f" '{quota.name}'" if quota.name else ""
    if all(getattr(quota, f) is None for f in _LIMITS[1:]):
        return [
            f"LLM quota unknown for {what}: at peak it needs {needs}; check that your {raise_with} "
            f"quota{named} allows that ({quota.source})"
        ]
    if not _over(quota, peak, enforces_rpm):
        return []
    if entry is not None and entry.tiers and quota.source != USER_QUOTA:
        tier = next((t for t in entry.tiers if not _over(t, peak, enforces_rpm)), None)
        advice = (
            f"that takes {tier.name} or higher"
            if tier is not None
            else f"that is above the highest published tier ({entry.tiers[-1].name}): ask for a custom limit"
        )
    else:
        advice = f"request an increase of{named or ' the quota'} through {raise_with}"
    return [f"LLM quota exceeded for {what}: at peak it needs {needs}, above its quota ({quota.source}); {advice}"]


class _Model(NamedTuple):
    """What depends on the model and the assumptions but not on the load: worked out once per model, not per plan."""

    rules: ProviderRules
    entry: QuotaEntry | None
    burndown: float
    ttft: float
    tps: float
    speed: LLMSpeed
    prices: TokenPricesPerMillion
    quota: LLMQuota


@cache
def _model(profiles: LLMProfiles, choice: LLMChoice, prices: TokenPrices, llm: LLMAssumptions) -> _Model:
    speed, entry = profiles.speed(choice), profiles.quota(choice)
    ttft = llm.time_to_first_token_s if llm.time_to_first_token_s is not None else speed.time_to_first_token_s
    tps = llm.output_tokens_per_s if llm.output_tokens_per_s is not None else speed.output_tokens_per_s
    overridden = llm.time_to_first_token_s is not None or llm.output_tokens_per_s is not None
    return _Model(
        rules=profiles.rules(choice.provider),
        entry=entry,
        burndown=entry.burndown if entry is not None else 1.0,
        ttft=ttft,
        tps=tps,
        speed=LLMSpeed(
            time_to_first_token_s=ttft,
            output_tokens_per_s=tps,
            source="your assumptions (llm.*)" if overridden else speed.source,
        ),
        prices=TokenPricesPerMillion(
            input=prices.input_per_million,
            cached_input=prices.cached_input_per_million,
            output=prices.output_per_million,
            cache_write=prices.cache_write_per_million,
        ),
        quota=_quota(entry, llm),
    )


def plan_llm(
    concurrent_users: int,
    llm: LLMAssumptions,
    duty_cycle: float,
    hours_per_month: float,
    choice: LLMChoice,
    prices: TokenPrices,
    profiles: LLMProfiles,
    priced: PricedConversation | None = None,
) -> tuple[LLMPlan, list[str]]:
    """``priced``: the conversation priced turn by turn (engine/calculator.py); None prices ``prices`` as one turn of
    ``turn_usage``."""
    rules, entry, burndown, ttft, tps, speed, unit_prices, quota = _model(profiles, choice, prices, llm)
    if priced is not None:
        usage = priced.mean
    else:
        flat = turn_usage(llm)
        usage = MeanTurn(flat.input_tokens, flat.cached_input_tokens, flat.cache_write_tokens, flat.output_tokens)

    # Requests per minute first: 1,000 users at 1 turn a minute is 1,000.0 exactly, and the token counts that
    # multiply it stay exact in floating point; dividing by 60 first would leave 1000.0000000000001.
    rpm = concurrent_users * llm.turns_per_user_per_minute
    turns_per_s = rpm / 60
    input_pm, output_pm = rpm * usage.input_tokens, rpm * usage.output_tokens
    if rules.counting == "bedrock":
        # Bedrock reserves the whole input (cache reads included) at admission and burns output x the factor.
        counted_input, counted_output = input_pm, output_pm * burndown
    elif rules.counting == "input_output":
        # Anthropic: prompt-cache reads do not count toward the input limit of current models.
        counted_input, counted_output = rpm * (usage.input_tokens - usage.cached_input_tokens), output_pm
    else:
        counted_input, counted_output = input_pm, output_pm
    stream_s = ttft + usage.output_tokens / tps
    peak = LLMPeak(
        turns_per_second=turns_per_s,
        requests_per_minute=rpm,
        tokens_per_minute=counted_input + counted_output,
        input_tokens_per_minute=counted_input,
        output_tokens_per_minute=counted_output,
        open_streams=rpm * stream_s / 60,
        stream_seconds=stream_s,
        stream_seconds_p90=ttft + llm.output_tokens_per_turn_p90 / tps,
    )
    turns_max = rpm * 60 * hours_per_month
    turns = _range(turns_max * duty_cycle, turns_max)
    plan = LLMPlan(
        provider=choice.provider,
        provider_name=prices.provider_name,
        model=choice.model,
        priced_as=prices.priced_as,
        prices_as_of=prices.prices_as_of,
        price_per_million=unit_prices,
        turn_usd=prices.turn_usd,
        counting=rules.counting,
        output_burndown=burndown,
        speed=speed,
        peak=peak,
        monthly=LLMMonthly(
            turns=turns,
            input_tokens=_range(turns.min * usage.input_tokens, turns.max * usage.input_tokens),
            output_tokens=_range(turns.min * usage.output_tokens, turns.max * usage.output_tokens),
            cached_input_tokens=_range(turns.min * usage.cached_input_tokens, turns.max * usage.cached_input_tokens),
            cache_write_tokens=_range(turns.min * usage.cache_write_tokens, turns.max * usage.cache_write_tokens),
        ),
        monthly_usd=_range(round(turns.min * prices.turn_usd, 2), round(turns.max * prices.turn_usd, 2)),
        expected_monthly_usd=round(turns.min * prices.turn_usd, 2),
        quota=quota,
        wire=_wire(choice, usage, turns),
        conversation=priced.conversation if priced is not None else None,
        caching=_caching_plan(priced, turns, llm) if priced is not None else None,
    )
    return plan, quota_warnings(plan, entry, rules.enforces_rpm, rules.raise_with)


def _wire(choice: LLMChoice, usage: MeanTurn, turns: Range) -> LLMWirePlan:
    wire = turn_bytes(choice.provider, usage.input_tokens, usage.output_tokens)
    per_turn_gb = (wire.request + wire.response) / 1e9
    return LLMWirePlan(
        request_bytes_per_turn=wire.request,
        response_bytes_per_turn=wire.response,
        chunk_overhead_bytes=wire.framing.chunk_overhead_bytes,
        framing=wire.framing.source,
        monthly_gb=_range(turns.min * per_turn_gb, turns.max * per_turn_gb),
    )


def _caching_plan(priced: PricedConversation, turns: Range, llm: LLMAssumptions) -> PromptCachingPlan:
    """What caching saves: the same turns priced uncached, less what they cost, over the month's turns."""
    mean, decision, rule = priced.mean, priced.decision, priced.rule
    per_turn = priced.uncached_turn_usd - priced.prices.turn_usd
    low, high = round(turns.min * per_turn, 2), round(turns.max * per_turn, 2)
    return PromptCachingPlan(
        setting="flat" if decision.mode == "assumed" else llm.prompt_caching,
        mode=decision.mode,
        applied=mean.cached_input_tokens > 0 or mean.cache_write_tokens > 0,
        reason=decision.reason,
        min_tokens=rule.min_tokens,
        ttl_s=rule.ttl_s,
        think_time_s=priced.think_time_s,
        cache_read_tokens_per_turn=mean.cached_input_tokens,
        cache_write_tokens_per_turn=mean.cache_write_tokens,
        cached_share=mean.cached_input_tokens / mean.input_tokens,
        uncached_turn_usd=priced.uncached_turn_usd,
        saving_monthly_usd=Range(min=low, max=high),
        saving_expected_monthly_usd=low,
        source=rule.source,
    )


def backend_stream_floor(plan: LLMPlan | None, llm: LLMAssumptions, duty_cycle: float) -> tuple[int, int]:
    """Backend pods the open streams need at min load (peak x duty cycle) and at peak."""
    if plan is None:
        return 0, 0
    streams = plan.peak.open_streams
    per_pod = llm.streams_per_backend_pod
    return math.ceil(streams * duty_cycle / per_pod), math.ceil(streams / per_pod)


def llm_cost_items(plan: LLMPlan | None) -> list[CostItem]:
    if plan is None:
        return []
    return [
        CostItem(
            key="llm_api",
            item="LLM API tokens",
            monthly_usd=plan.monthly_usd,
            expected_monthly_usd=plan.expected_monthly_usd,
            source=f"token prices: {plan.prices_as_of}",
        )
    ]
