"""The load a plan is sized for, validated once at the edge so the engine can trust it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sizing.assumption_sources import split_sources
from sizing.assumptions import Assumptions
from sizing.engine.exact import ceil_scaled
from sizing.errors import SizingError
from sizing.llm.choice import DEFAULT_LLM, LLMChoice, parse_llm

_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
MAX_USERS = 10_000_000
MAX_TOTAL_USERS = 100 * MAX_USERS
DEFAULT_ACTIVE_RATIO = 0.10


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge so an override of one nested field (``backend.users_per_pod``) keeps its siblings' defaults."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged


# The inputs only: a derived value (traffic.duty_cycle) must follow an overridden profile, not pin the default's.
_DEFAULTS = Assumptions().model_dump(exclude_computed_fields=True)
# Likewise the p90 answer follows an overridden mean at the defaults' ratio unless it is set too (LLMAssumptions).
del _DEFAULTS["llm"]["output_tokens_per_turn_p90"]


def _approx(count: int) -> str:
    # A subnormal ratio (1e-309) implies more users than a float can hold: say so in Decimal, do not overflow.
    try:
        return f"{float(count):,.3g}"
    except OverflowError:
        return f"{Decimal(count):.3g}"


class Workload(BaseModel):
    # Strict: `True` is not a user count, nor "1000" a number (the edges parse text before it gets here).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    concurrent_users: int = Field(gt=0, le=MAX_USERS, description="peak simultaneous users")
    total_users: int | None = Field(default=None, gt=0, le=MAX_TOTAL_USERS, description="registered users")
    active_ratio: float | None = Field(default=None, gt=0, le=1, description="concurrent / total at peak")
    region: str = Field(default="us-east-1", description="an AWS region name like eu-central-1")
    arch: Literal["x86_64", "arm64"] | None = Field(
        default=None, description="node CPU architecture; None: x86_64, or the pinned instance type's"
    )
    instance_type: str | None = Field(default=None, description="pin the node type instead of choosing the cheapest")
    capacity: Literal["on-demand", "spot-burst"] = Field(
        default="on-demand",
        description="on-demand: every node on-demand; spot-burst: the min fleet on-demand, the burst above it on Spot",
    )
    savings_plan: Literal["none", "1y", "3y"] = Field(
        default="none", description="price the min fleet at a Compute Savings Plan rate of this term"
    )
    llm: str | None = Field(
        default=DEFAULT_LLM, description="PROVIDER:MODEL of the chat model; None (or 'none'): size without an LLM"
    )
    assumptions: Assumptions = Assumptions()
    llm_compare: str | None = Field(
        default=None,
        description="with a self-hosted llm (vllm:MODEL): the API model (PROVIDER:MODEL) its break-even is priced "
        "against; None: the default API model",
    )
    # A tuple, not a dict, so a Workload stays hashable (a cache key).
    assumptions_source: tuple[tuple[str, str], ...] = Field(
        default=(), strict=False, description="(assumption path, where its value came from), from sizing calibrate"
    )

    @field_validator("region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        if not _REGION.fullmatch(value):
            raise ValueError("must be an AWS region name like eu-central-1")
        return value

    @field_validator("llm", mode="before")
    @classmethod
    def _llm_choice(cls, value: Any) -> Any:
        # Normalised once here ("AWS:x" -> "aws:x", "none" -> None), so the plan and the stack see one spelling.
        if isinstance(value, str):
            choice = parse_llm(value)
            return None if choice is None else str(choice)
        return value

    @property
    def llm_choice(self) -> LLMChoice | None:
        return None if self.llm is None else parse_llm(self.llm)

    @field_validator("llm_compare", mode="before")
    @classmethod
    def _compare_choice(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                choice = parse_llm(value)
            except SizingError:  # its message offers `none`, which is no comparison: say what is wanted here
                choice = None
            if choice is None or choice.provider == "vllm":
                raise SizingError(
                    "expected an API model to compare with as PROVIDER:MODEL (e.g. openai:gpt-4o-mini)",
                    field="llm_compare",
                )
            return str(choice)
        return value

    @property
    def compare_choice(self) -> LLMChoice:
        """The API model a self-hosted one is priced against."""
        choice = parse_llm(self.llm_compare or DEFAULT_LLM)
        assert choice is not None
        return choice

    @model_validator(mode="before")
    @classmethod
    def _assumption_overrides(cls, data: Any) -> Any:
        # Accept a partial dict of assumptions (as read from a file or Pulumi config) and fill in the defaults.
        if isinstance(data, dict) and isinstance(data.get("assumptions"), dict):
            overrides, sources = split_sources(data["assumptions"])
            data = {**data, "assumptions": merge_overrides(_DEFAULTS, overrides)}
            if sources:
                data["assumptions_source"] = tuple(sources.items())
        return data

    @model_validator(mode="after")
    def _users_consistent(self) -> Workload:
        if self.total_users is not None and self.active_ratio is not None:
            raise ValueError("give total users or an active ratio, not both")
        if self.total_users is not None and self.total_users < self.concurrent_users:
            raise ValueError(
                f"total users ({self.total_users:,}) cannot be fewer than concurrent users ({self.concurrent_users:,})"
            )
        if self.active_ratio is not None and self.effective_total_users > MAX_TOTAL_USERS:
            total = _approx(self.effective_total_users)
            raise ValueError(
                f"an active ratio of {self.active_ratio:g} means {total} registered users, "
                f"more than {MAX_TOTAL_USERS:,}: use a ratio of at least {self.concurrent_users / MAX_TOTAL_USERS:.2g}"
            )
        return self

    @property
    def effective_total_users(self) -> int:
        if self.total_users is not None:
            return self.total_users
        ratio = self.active_ratio if self.active_ratio is not None else DEFAULT_ACTIVE_RATIO
        return ceil_scaled(self.concurrent_users, per=(ratio,))
