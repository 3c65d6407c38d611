"""What one chat turn costs, from the maintained ``genai-prices`` package (its offline snapshot, no network).

The package is priced per request, as providers bill: a turn of 1M input tokens lands in the >200k long-context tier
of a model that has one. So one turn's usage is priced and the plan multiplies by the number of turns.

This is the engine's only I/O, and it sits at the edge: ``calculate`` takes a resolver and defaults to
``resolve_token_prices``. Importing genai-prices costs about a third of a second (its price data is a 1.6 MB
module), more than the command's whole cold-start budget, so answers are kept in a small JSON file under the user's
cache folder, keyed by the installed package version and the day, and the package is imported only on a miss.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import date
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from sizing.data.user_cache import cache_dir, write_atomic
from sizing.errors import SizingError
from sizing.llm.choice import LLMChoice

PACKAGE = "genai-prices"
CACHE_FILE = "llm-prices.json"
_CACHE_FORMAT = 1


class TurnUsage(NamedTuple):
    """One chat turn's tokens; ``cached_input_tokens`` is the part of the input billed as prompt-cache reads."""

    input_tokens: int
    cached_input_tokens: int
    output_tokens: int


class TokenPrices(BaseModel):
    """USD per million tokens at this turn's size (its long-context tier), and the turn's total."""

    model_config = ConfigDict(frozen=True)

    provider: str
    provider_name: str
    model: str
    priced_as: str  # the genai-prices model id the choice resolved to
    prices_as_of: str
    input_per_million: float
    cached_input_per_million: float
    output_per_million: float
    turn_usd: float


def _package_stamp() -> str:
    """``genai-prices 0.2.3``, found without importing the package (that is what the cache saves)."""
    spec = find_spec("genai_prices")
    if spec is None or not spec.origin:
        raise SizingError(
            f"pricing an LLM needs the {PACKAGE} package: pip install {PACKAGE} (or use --llm none)", field="llm"
        )
    package_dir = Path(spec.origin).parent
    versions = sorted(
        p.name.removesuffix(".dist-info").partition("-")[2] for p in package_dir.parent.glob("genai_prices-*.dist-info")
    )
    return f"{PACKAGE} {versions[-1] if versions else 'unknown version'}"


def _key(choice: LLMChoice, usage: TurnUsage, stamp: str, today: str) -> str:
    return "|".join((stamp, today, str(choice), *map(str, usage)))


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _write_cache(path: Path, entries: dict[str, Any]) -> None:
    write_atomic(path, json.dumps({"format": _CACHE_FORMAT, "entries": entries}).encode("utf-8"))


# Bedrock's inference-profile prefixes: `anthropic.claude-haiku-4-5` and `global.anthropic.claude-haiku-4-5-…`
# name one model, the second through a cross-Region profile.
_PROFILE_PREFIX = re.compile(r"^(?:global|regional|us|eu|apac|jp|au|ca|us-gov)\.")
# A model's family is its id without the version: `anthropic.claude-haiku-4-5-20251001-v1:0` -> `anthropic.claude-haiku`.
_VERSION = re.compile(r"(?:[-.:@][0-9][0-9a-z.]*|-v[0-9]+(?::[0-9]+)?|-latest)+$")


def _family(name: str) -> str:
    return _VERSION.sub("", _PROFILE_PREFIX.sub("", name))


def _bare_matches(name: str, start: str) -> bool:
    """`name`, less its profile prefix, starts with `start`, with or without its vendor (`anthropic.`)."""
    bare = _PROFILE_PREFIX.sub("", name)
    return bare.startswith(start) or bare.partition(".")[2].startswith(start)


def _suggestions(wanted: str, names: list[str]) -> str:
    """Ids that extend what was typed first (a missing version suffix or Bedrock profile prefix is the usual slip),
    then the same family's other versions (a Haiku typo gets Haikus, not an Opus that spells closer), then similar
    spellings; the global profile (the default's) first among equals."""
    wanted = wanted.lower()

    def order(name: str) -> tuple[bool, int, str]:
        return (not name.startswith("global."), len(name), name)

    bare = _PROFILE_PREFIX.sub("", wanted)
    extended = sorted((n for n in names if _bare_matches(n.lower(), bare)), key=order)
    family = _family(wanted)
    kin = sorted((n for n in names if family and _bare_matches(_family(n.lower()), family)), key=order)
    similar = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    close = list(dict.fromkeys([*extended, *kin, *similar]))[:3]
    return f"; did you mean {', '.join(close)}?" if close else ""


def _price_with_package(choice: LLMChoice, usage: TurnUsage, stamp: str) -> TokenPrices:
    from genai_prices import Usage, calc_price
    from genai_prices.data_snapshot import get_snapshot

    providers = get_snapshot().providers
    provider = next((p for p in providers if p.id == choice.provider), None)
    if provider is None:
        raise SizingError(
            f"unknown LLM provider {choice.provider!r}{_suggestions(choice.provider, [p.id for p in providers])}"
            f" (providers are named as in genai-prices: aws, openai, anthropic, google, ...)",
            field="llm",
        )

    def price(**tokens: int) -> Any:
        try:
            return calc_price(Usage(**tokens), model_ref=choice.model, provider_id=choice.provider)
        except LookupError:
            names = [m.id for m in provider.models]
            raise SizingError(
                f"unknown {provider.name} model {choice.model!r}{_suggestions(choice.model, names)}", field="llm"
            ) from None

    n, cached, m = usage
    turn = price(input_tokens=n, cache_read_tokens=cached, output_tokens=m)
    per_million = 1_000_000
    return TokenPrices(
        provider=choice.provider,
        provider_name=provider.name,
        model=choice.model,
        priced_as=turn.model.id,
        prices_as_of=stamp,
        # Each at this turn's input size, so a model's long-context tier shows in the unit prices too.
        input_per_million=float(price(input_tokens=n).input_price) * per_million / n,
        cached_input_per_million=float(price(input_tokens=n, cache_read_tokens=n).input_price) * per_million / n,
        output_per_million=float(price(input_tokens=n, output_tokens=m).output_price) * per_million / m,
        turn_usd=float(turn.total_price),
    )


@cache
def resolve_token_prices(choice: LLMChoice, usage: TurnUsage) -> TokenPrices:
    """The default resolver: the on-disk answer when the same package priced the same turn today, else the package."""
    stamp, today = _package_stamp(), date.today().isoformat()
    path = cache_dir() / CACHE_FILE
    entries = _read_cache(path)
    key = _key(choice, usage, stamp, today)
    if key in entries:
        try:
            return TokenPrices.model_validate(entries[key])
        except ValueError:
            pass
    prices = _price_with_package(choice, usage, stamp)
    # Keep only today's answers: yesterday's may predate a price change the package knows the date of.
    kept = {k: v for k, v in entries.items() if k.startswith(f"{stamp}|{today}|")}
    _write_cache(path, {**kept, key: prices.model_dump()})
    return prices
