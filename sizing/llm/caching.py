"""Which part of each turn's input the provider serves from its prompt cache, and which part the app writes to it.

Derived, not assumed (docs/methodology.md, "Prompt caching"): a turn re-sends the previous turn's whole prompt, so
that prefix is a cache hit when (1) the provider caches this model (``data/llm_models.yaml``, ``caching``), (2) the
prefix reaches the model's minimum cacheable length (above it, in the provider's increments), and (3) the user's think
time between turns is shorter than the cache's lifetime. The system prompt is shared by every conversation, so it
stays warm while any turn of the whole load arrives within the lifetime. With explicit caching the app marks a
breakpoint at the end of each prompt and pays the write premium on what was not read; automatic caching has no write
fee. A turn whose history the context budget cut shares only the system prompt with the turn before it.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.assumptions import LLMAssumptions
from sizing.llm.conversation import TurnTokens
from sizing.llm.profiles import CacheRule


class CachedTurn(NamedTuple):
    input_tokens: int  # everything sent, cache reads and writes included (as providers report and genai-prices prices)
    cache_read_tokens: int
    cache_write_tokens: int


class CacheDecision(NamedTuple):
    turns: tuple[CachedTurn, ...]
    mode: str  # the rule's mode, "off" (llm.prompt_caching: off) or "assumed" (the flat model's cached_input_share)
    reason: str  # why this much is cached, in one line


def think_time_s(llm: LLMAssumptions) -> float:
    """Seconds between one user's turns at peak: what the per-conversation cache entry must outlive."""
    return 60 / llm.turns_per_user_per_minute


def _cacheable(tokens: int, rule: CacheRule) -> int:
    """The longest cacheable prefix of ``tokens``: nothing under the minimum, then whole increments above it."""
    if tokens < rule.min_tokens or tokens == 0:
        return 0
    return rule.min_tokens + (tokens - rule.min_tokens) // rule.increment_tokens * rule.increment_tokens


def uncached(inputs: tuple[TurnTokens, ...]) -> tuple[CachedTurn, ...]:
    return tuple(CachedTurn(t.input_tokens, 0, 0) for t in inputs)


def cache_turns(
    inputs: tuple[TurnTokens, ...], llm: LLMAssumptions, rule: CacheRule, turns_per_second: float
) -> CacheDecision:
    if llm.input_tokens_per_turn is not None:
        share = llm.cached_input_share or 0.0
        assumed = tuple(CachedTurn(t.input_tokens, round(t.input_tokens * share), 0) for t in inputs)
        return CacheDecision(assumed, "assumed", f"flat model: {share:.0%} of the input billed as cache reads")
    if llm.prompt_caching == "off":
        return CacheDecision(uncached(inputs), "off", "off (llm.prompt_caching)")
    if rule.mode == "none":
        return CacheDecision(uncached(inputs), "none", f"not cached: {rule.source}")

    think = think_time_s(llm)
    history_lives = think < rule.ttl_s
    system = llm.system_prompt_tokens
    # Any turn of the whole load refreshes the shared system prompt: warm unless the load is sparser than the TTL.
    system_warm = turns_per_second > 0 and 1 / turns_per_second < rule.ttl_s
    turns = []
    for i, turn in enumerate(inputs):
        if i > 0 and history_lives and not turn.truncated:
            prefix = inputs[i - 1].input_tokens
        else:
            prefix = system if system_warm else 0
        read = _cacheable(prefix, rule)
        write = 0
        if rule.mode == "explicit" and history_lives and not turn.truncated and turn.input_tokens >= rule.min_tokens:
            write = turn.input_tokens - read
        turns.append(CachedTurn(turn.input_tokens, read, write))

    longest = max((t.input_tokens for t in inputs[:-1]), default=0) if history_lives else system
    if not any(t.cache_read_tokens or t.cache_write_tokens for t in turns):
        reason = (
            f"not cached: the longest prefix a turn re-sends ({longest:,} tokens) is under this model's "
            f"{rule.min_tokens:,}-token minimum"
        )
    elif history_lives:
        reason = (
            f"{rule.mode} caching: each turn reads the previous prompt from the cache ({think:g} s between turns, "
            f"within the {rule.ttl_s:g} s lifetime)"
        )
    else:
        reason = (
            f"{rule.mode} caching of the system prompt only: {think:g} s between a user's turns outlives the "
            f"{rule.ttl_s:g} s cache"
        )
    return CacheDecision(tuple(turns), rule.mode, reason)
