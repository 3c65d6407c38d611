"""What token prices do not say about a model, loaded from ``data/llm_models.yaml``: stream speed, default quotas
and how its provider counts tokens against them. Matching is by regex on the model id, first entry wins, so a
specific profile (``us.`` Bedrock profile) can stand before a general one."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sizing.llm.choice import LLMChoice

Counting = Literal["bedrock", "total", "input_output"]
CacheMode = Literal["explicit", "automatic", "none"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderRules(_Data):
    name: str
    counting: Counting
    enforces_rpm: bool
    raise_with: str


class Speed(_Data):
    provider: str
    match: str
    time_to_first_token_s: float = Field(gt=0)
    output_tokens_per_s: float = Field(gt=0)
    source: str


class Tier(_Data):
    name: str
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    input_tokens_per_minute: int | None = None
    output_tokens_per_minute: int | None = None


class QuotaEntry(_Data):
    provider: str
    match: str
    source: str
    burndown: float = Field(default=1, ge=1)
    name: str | None = None
    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None
    tiers: tuple[Tier, ...] = ()

    @model_validator(mode="after")
    def _tiers_or_values(self) -> QuotaEntry:
        if self.tiers and (self.tokens_per_minute or self.requests_per_minute):
            raise ValueError(f"{self.match}: give tiers or flat quota values, not both")
        return self

    @property
    def default(self) -> Tier:
        """A new account's quota: the lowest tier, or the flat values."""
        if self.tiers:
            return self.tiers[0]
        return Tier(
            name=self.name or "default",
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
        )


class CacheRule(_Data):
    """How a provider caches a model's prompt prefix: ``explicit`` (the app marks a breakpoint; writes may cost a
    premium), ``automatic`` (every long prompt; no write fee) or ``none``. Prices are not here: they come from
    genai-prices (cache read and write per million)."""

    provider: str
    match: str
    mode: CacheMode
    min_tokens: int = Field(default=0, ge=0)  # the shortest prefix the provider caches
    increment_tokens: int = Field(default=1, ge=1)  # hits above the minimum come in steps of this many tokens
    ttl_s: float = Field(default=0, ge=0)  # how long an unused entry lives (each hit refreshes it)
    source: str


NO_CACHING = CacheRule(provider="*", match="", mode="none", source="no prompt-caching rule known for this model")


class LLMProfiles(_Data):
    as_of: str
    providers: dict[str, ProviderRules]
    speeds: tuple[Speed, ...]
    quotas: tuple[QuotaEntry, ...]
    caching: tuple[CacheRule, ...] = ()

    @model_validator(mode="after")
    def _fallback_speed(self) -> LLMProfiles:
        if not any(s.provider == "*" and s.match == "" for s in self.speeds):
            raise ValueError("llm_models.yaml needs a catch-all speed entry (provider '*', match '')")
        return self

    def __hash__(self) -> int:
        return id(self)

    def rules(self, provider: str) -> ProviderRules:
        # A provider without published rules: count input + output, assume nothing about its quotas.
        return self.providers.get(provider) or ProviderRules(
            name=provider, counting="total", enforces_rpm=True, raise_with=f"{provider}'s rate-limit settings"
        )

    def speed(self, choice: LLMChoice) -> Speed:
        return next(s for s in self.speeds if _matches(s.provider, s.match, choice))

    def quota(self, choice: LLMChoice) -> QuotaEntry | None:
        return next((q for q in self.quotas if _matches(q.provider, q.match, choice)), None)

    def cache_rule(self, choice: LLMChoice) -> CacheRule:
        return next((c for c in self.caching if _matches(c.provider, c.match, choice)), NO_CACHING)


def _matches(provider: str, pattern: str, choice: LLMChoice) -> bool:
    return provider in ("*", choice.provider) and re.search(pattern, choice.model.lower()) is not None


@cache
def load_llm_profiles() -> LLMProfiles:
    from sizing.data.packaged_data import read_data

    return LLMProfiles.model_validate(read_data("llm_models.yaml"))
