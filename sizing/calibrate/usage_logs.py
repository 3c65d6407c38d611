"""LLM calls' token counts, read from the records providers write: one JSON object per line (``.gz`` too).

Formats, recognised per record:

- **OpenAI** chat completions (``usage.prompt_tokens`` / ``completion_tokens`` /
  ``prompt_tokens_details.cached_tokens``, the prompt count including the cached part), the Responses API
  (``usage.input_tokens`` / ``output_tokens`` / ``input_tokens_details.cached_tokens``), a Batch API output line
  (the same under ``response.body``);
- **Anthropic** messages (``usage.input_tokens`` excluding ``cache_read_input_tokens`` and
  ``cache_creation_input_tokens``, which are added to it);
- **Amazon Bedrock model invocation logs** (``schemaType: ModelInvocationLog``: ``input.inputTokenCount``, which like
  Anthropic's excludes ``input.cacheReadInputTokenCount`` and ``input.cacheWriteInputTokenCount``, and
  ``output.outputTokenCount``), as delivered to S3 or CloudWatch Logs.

Failed calls (an ``error``/``errorCode`` record) bill no tokens and are skipped; anything else that is not one of
these is refused with its file and line, since a silently skipped format would skew every mean.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sizing.calibrate.measurements import LLMUsage, Turn
from sizing.errors import SizingError

WHAT = "--llm-usage"
DEFAULT_CONVERSATION_FIELD = "conversation_id"
DEFAULT_USER_FIELD = "user_id"
# Where a record carries the caller's own identifiers: top level, OpenAI's request metadata, Bedrock's requestMetadata.
_ID_PLACES = (None, "metadata", "requestMetadata")
MAX_LINE_BYTES = 64 * 1024 * 1024


class _Malformed(Exception):
    pass


def _count(record: dict[str, Any], *path: str, required: bool = True) -> int:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None and not required:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Malformed(f"{'.'.join(path)} must be a whole number of tokens, got {value!r}")
    return value


def _identifier(record: dict[str, Any], key: str) -> str | None:
    for place in _ID_PLACES:
        holder = record if place is None else record.get(place)
        if isinstance(holder, dict) and isinstance(holder.get(key), (str, int)) and not isinstance(holder[key], bool):
            return str(holder[key])
    return None


def _batch_body(record: dict[str, Any]) -> dict[str, Any] | None:
    """A Batch API output line holds the call's answer under ``response.body``."""
    response = record.get("response")
    body = response.get("body") if isinstance(response, dict) else None
    return body if isinstance(body, dict) else None


def _tokens(record: dict[str, Any], holder: dict[str, Any]) -> tuple[str, Turn] | str | None:
    if record.get("schemaType") == "ModelInvocationLog":
        if record.get("errorCode") or not isinstance(record.get("output"), dict):
            return None
        read = _count(record, "input", "cacheReadInputTokenCount", required=False)
        written = _count(record, "input", "cacheWriteInputTokenCount", required=False)
        total = _count(record, "input", "inputTokenCount") + read + written
        return "Bedrock invocation log", Turn(total, read, _count(record, "output", "outputTokenCount"))
    if record.get("error") or holder.get("error"):
        return None
    usage = holder.get("usage")
    if not isinstance(usage, dict):
        return (
            "neither an OpenAI-style usage record (usage.prompt_tokens) nor a Bedrock model invocation log "
            "record (schemaType ModelInvocationLog)"
        )
    u = {"usage": usage}
    if "prompt_tokens" in usage:
        cached = _count(u, "usage", "prompt_tokens_details", "cached_tokens", required=False)
        turn = Turn(_count(u, "usage", "prompt_tokens"), cached, _count(u, "usage", "completion_tokens"))
        return "OpenAI usage", turn
    if "cache_read_input_tokens" in usage or "cache_creation_input_tokens" in usage:
        read = _count(u, "usage", "cache_read_input_tokens", required=False)
        written = _count(u, "usage", "cache_creation_input_tokens", required=False)
        total = _count(u, "usage", "input_tokens") + read + written
        return "Anthropic usage", Turn(total, read, _count(u, "usage", "output_tokens"))
    cached = _count(u, "usage", "input_tokens_details", "cached_tokens", required=False)
    return "OpenAI usage", Turn(_count(u, "usage", "input_tokens"), cached, _count(u, "usage", "output_tokens"))


def parse_record(record: Any, conversation_field: str, user_field: str) -> tuple[str, Turn] | str | None:
    """(format, turn); None for a failed call; a string saying what is wrong for anything else."""
    if not isinstance(record, dict):
        return "not a JSON object"
    holder = _batch_body(record) or record
    try:
        found = _tokens(record, holder)
    except _Malformed as problem:
        return str(problem)
    if found is None or isinstance(found, str):
        return found
    kind, turn = found
    if turn.cached_tokens > turn.input_tokens:
        return f"{turn.cached_tokens:,} cached tokens is more than the {turn.input_tokens:,} input tokens"
    conversation = _identifier(record, conversation_field) or _identifier(holder, conversation_field)
    user = _identifier(record, user_field) or _identifier(holder, user_field)
    return kind, Turn(turn.input_tokens, turn.cached_tokens, turn.output_tokens, conversation, user)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if len(line) > MAX_LINE_BYTES:
                    raise SizingError(f"{WHAT}: {path} line {number} is longer than 64 MiB: not a usage record")
                yield number, line
    except (OSError, EOFError, zlib.error) as error:
        raise SizingError(f"{WHAT}: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None


def read_usage(
    paths: list[Path],
    conversation_field: str = DEFAULT_CONVERSATION_FIELD,
    user_field: str = DEFAULT_USER_FIELD,
) -> LLMUsage:
    turns: list[Turn] = []
    kinds: list[str] = []
    skipped = 0
    for path in paths:
        found = 0
        for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                raise SizingError(f"{WHAT}: {path} line {number} is not JSON (one record per line)") from None
            parsed = parse_record(record, conversation_field, user_field)
            if parsed is None:
                skipped += 1
                continue
            if isinstance(parsed, str):
                raise SizingError(f"{WHAT}: {path} line {number}: {parsed}")
            kind, turn = parsed
            found += 1
            turns.append(turn)
            if kind not in kinds:
                kinds.append(kind)
        if not found:
            raise SizingError(f"{WHAT}: {path} holds no usage records of a successful call")
    return LLMUsage(tuple(str(p) for p in paths), tuple(kinds), tuple(turns), skipped)
