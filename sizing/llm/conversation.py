"""The tokens a chat conversation sends, turn by turn: chat APIs are stateless, so every turn re-sends the system
prompt and the conversation so far.

Turn k of N sends ``system + (k - 1) x (user + answer) + user`` input tokens, cut at the context budget (the app drops
the oldest turns beyond it). Conversations start and end all the time, so in a steady month every position 1..N is
equally common: the mean turn is the mean over one conversation. The flat model of earlier versions (every turn the
same ``input_tokens_per_turn``) is the one-turn conversation without a system prompt.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.assumptions import LLMAssumptions


class TurnTokens(NamedTuple):
    """One turn's input before caching, and whether the context budget cut its history."""

    input_tokens: int
    truncated: bool


def is_flat(llm: LLMAssumptions) -> bool:
    """The user pinned the flat model (``input_tokens_per_turn``), as files written before conversations do."""
    return llm.input_tokens_per_turn is not None


def conversation_inputs(llm: LLMAssumptions) -> tuple[TurnTokens, ...]:
    """Each turn's input tokens, first to last."""
    if llm.input_tokens_per_turn is not None:
        return (TurnTokens(llm.input_tokens_per_turn, False),)
    exchange = llm.user_tokens_per_turn + llm.output_tokens_per_turn
    turns = []
    for k in range(1, llm.turns_per_conversation + 1):
        full = llm.system_prompt_tokens + (k - 1) * exchange + llm.user_tokens_per_turn
        turns.append(TurnTokens(min(full, llm.context_budget_tokens), full > llm.context_budget_tokens))
    return tuple(turns)


def mean_input_tokens(turns: tuple[TurnTokens, ...]) -> float:
    return sum(t.input_tokens for t in turns) / len(turns)
