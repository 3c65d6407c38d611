"""``PROVIDER:MODEL`` as typed on the command line or in Pulumi config, or ``none`` for a plan without an LLM."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from sizing.errors import SizingError

# Claude Haiku 4.5 through Bedrock's global cross-Region profile: a current model priced for chat volume ($1 / $5 per
# million tokens), fast to first token, reached with the backend's IAM role (no API key to hold), and ~10% cheaper
# than a geographic profile. docs/methodology.md "The LLM" says why.
DEFAULT_LLM = "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
NONE = "none"
# Provider ids as genai-prices names them: lowercase letters, digits, - and _. Model ids may hold . : / @ too.
# Bedrock is what AWS calls the service and what its console and docs say; genai-prices files its models under aws.
PROVIDER_SYNONYMS = {"bedrock": "aws"}
_CHOICE = re.compile(r"(?P<provider>[a-z0-9][a-z0-9_-]{0,63}):(?P<model>[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199})")


class LLMChoice(NamedTuple):
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def bedrock(self) -> bool:
        """Called with the stack's IAM role rather than an API key."""
        return self.provider == "aws"


@cache
def parse_llm(text: str) -> LLMChoice | None:
    """None for ``none``; the provider is case-insensitive, the model id kept as written (Bedrock ids are exact)."""
    cleaned = text.strip()
    if cleaned.lower() == NONE:
        return None
    provider, sep, model = cleaned.partition(":")
    candidate = f"{provider.lower()}{sep}{model}"
    if not _CHOICE.fullmatch(candidate):
        raise SizingError(f"expected PROVIDER:MODEL (e.g. {DEFAULT_LLM} or openai:gpt-4o-mini) or none", field="llm")
    provider = provider.lower()
    return LLMChoice(PROVIDER_SYNONYMS.get(provider, provider), model)
