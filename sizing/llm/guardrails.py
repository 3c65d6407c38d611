"""Bedrock Guardrails on the chat turns (``llm.guardrails``): billed per text unit evaluated, input and output apart.

A text unit is up to 1,000 characters, counted per evaluation (Bedrock pricing page), so a turn costs
ceil(input characters / 1,000) + ceil(output characters / 1,000) units. Characters come from tokens at 4 a token,
OpenAI's rule of thumb for English text (help.openai.com, "What are tokens"). Every turn of the conversation is
evaluated whole (its system prompt and history too, as Converse does without guard-content blocks), so the units are
counted turn by turn. Any provider's turns can be screened (ApplyGuardrail), and the charge is AWS usage.
"""

from __future__ import annotations

import math

from sizing.assumptions import LLMAssumptions
from sizing.llm.conversation import conversation_inputs
from sizing.plan import CostItem, LLMPlan, Range

CHARS_PER_TOKEN = 4
CHARS_PER_TEXT_UNIT = 1_000


def text_units_per_turn(llm: LLMAssumptions) -> float:
    """The mean over the conversation's turns."""
    output_units = math.ceil(llm.output_tokens_per_turn * CHARS_PER_TOKEN / CHARS_PER_TEXT_UNIT)
    turns = conversation_inputs(llm)
    units = [math.ceil(t.input_tokens * CHARS_PER_TOKEN / CHARS_PER_TEXT_UNIT) + output_units for t in turns]
    return sum(units) / len(units)


def guardrails_cost_items(plan: LLMPlan | None, llm: LLMAssumptions) -> list[CostItem]:
    if plan is None or not llm.guardrails:
        return []
    per_turn = text_units_per_turn(llm) * llm.guardrails_usd_per_1000_text_units / 1_000
    low, high = round(plan.monthly.turns.min * per_turn, 2), round(plan.monthly.turns.max * per_turn, 2)
    return [
        CostItem(
            key="llm_guardrails",
            item="Bedrock Guardrails",
            monthly_usd=Range(min=low, max=high),
            expected_monthly_usd=low,
            source=f"${llm.guardrails_usd_per_1000_text_units:g} per 1,000 text units (llm.guardrails_usd_per_1000_text_units)",
        )
    ]
