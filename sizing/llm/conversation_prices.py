"""A conversation priced turn by turn: every turn of one conversation through the token-price resolver (so a turn
past a long-context threshold lands in its tier), with and without the prompt cache. The mean turn is the plan's
turn; caching is kept only where it costs less than the same turns sent uncached (a write premium can outweigh the
reads of a short conversation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from sizing.assumptions import LLMAssumptions
from sizing.llm.caching import CacheDecision, CachedTurn, cache_turns, think_time_s, uncached
from sizing.llm.choice import LLMChoice
from sizing.llm.conversation import TurnTokens, conversation_inputs, is_flat
from sizing.llm.profiles import CacheRule, LLMProfiles
from sizing.llm.token_prices import TokenPrices, TurnUsage
from sizing.plan import ConversationPlan

TokenPriceResolver = Callable[[LLMChoice, TurnUsage], TokenPrices]


class MeanTurn(NamedTuple):
    """Means over the conversation's turns."""

    input_tokens: float
    cached_input_tokens: float
    cache_write_tokens: float
    output_tokens: int


class PricedConversation(NamedTuple):
    prices: TokenPrices  # the first turn's unit prices; turn_usd: the mean turn
    mean: MeanTurn
    decision: CacheDecision
    rule: CacheRule
    uncached_turn_usd: float
    think_time_s: float
    conversation: ConversationPlan


def _mean_usd(choice: LLMChoice, turns: tuple[CachedTurn, ...], output: int, resolver: TokenPriceResolver) -> float:
    priced: dict[CachedTurn, float] = {}
    for t in turns:
        if t not in priced:
            priced[t] = resolver(
                choice, TurnUsage(t.input_tokens, t.cache_read_tokens, output, t.cache_write_tokens)
            ).turn_usd
    return sum(priced[t] for t in turns) / len(turns)


def _conversation_plan(llm: LLMAssumptions, inputs: tuple[TurnTokens, ...]) -> ConversationPlan:
    flat = is_flat(llm)
    return ConversationPlan(
        model="flat" if flat else "conversation",
        turns_per_conversation=len(inputs),
        system_prompt_tokens=0 if flat else llm.system_prompt_tokens,
        user_tokens_per_turn=inputs[0].input_tokens if flat else llm.user_tokens_per_turn,
        output_tokens_per_turn=llm.output_tokens_per_turn,
        context_budget_tokens=None if flat else llm.context_budget_tokens,
        first_turn_input_tokens=inputs[0].input_tokens,
        last_turn_input_tokens=inputs[-1].input_tokens,
        truncated_turns=sum(t.truncated for t in inputs),
        mean_input_tokens_per_turn=sum(t.input_tokens for t in inputs) / len(inputs),
    )


def price_conversation(
    choice: LLMChoice,
    llm: LLMAssumptions,
    profiles: LLMProfiles,
    resolver: TokenPriceResolver,
    turns_per_second: float,
) -> PricedConversation:
    inputs = conversation_inputs(llm)
    rule = profiles.cache_rule(choice)
    output = llm.output_tokens_per_turn
    decision = cache_turns(inputs, llm, rule, turns_per_second)
    plain = uncached(inputs)
    uncached_usd = _mean_usd(choice, plain, output, resolver)
    cached_usd = uncached_usd if decision.turns == plain else _mean_usd(choice, decision.turns, output, resolver)
    if decision.mode != "assumed" and cached_usd > uncached_usd:
        decision = CacheDecision(
            plain, decision.mode, "not cached: the write premium would cost more than the reads save on these turns"
        )
        cached_usd = uncached_usd
    first = decision.turns[0]
    unit = resolver(choice, TurnUsage(first.input_tokens, first.cache_read_tokens, output, first.cache_write_tokens))
    n = len(decision.turns)
    return PricedConversation(
        prices=unit.model_copy(update={"turn_usd": cached_usd}),
        mean=MeanTurn(
            input_tokens=sum(t.input_tokens for t in decision.turns) / n,
            cached_input_tokens=sum(t.cache_read_tokens for t in decision.turns) / n,
            cache_write_tokens=sum(t.cache_write_tokens for t in decision.turns) / n,
            output_tokens=output,
        ),
        decision=decision,
        rule=rule,
        uncached_turn_usd=uncached_usd,
        think_time_s=think_time_s(llm),
        conversation=_conversation_plan(llm, inputs),
    )
