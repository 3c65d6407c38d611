"""Where an assumptions file says its values came from (``assumptions_source``, written by ``sizing calibrate``).

A mapping of dotted assumption paths to one-line sources. It rides in the assumptions file beside the values it
describes, so the plan can say which of its assumptions were measured (``plan.assumptions_source``) and from what.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

SOURCE_KEY = "assumptions_source"
MAX_SOURCE_CHARS = 2_000


def _names_assumption(path: str, model: type[BaseModel]) -> bool:
    current: Any = model
    for part in path.split("."):
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return False
        current = current.model_fields[part].annotation
    return not (isinstance(current, type) and issubclass(current, BaseModel))


def _sets(overrides: dict[str, Any], path: str) -> bool:
    current: Any = overrides
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False
        current = current[part]
    return True


def split_sources(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The overrides without their sources, and the sources checked: each names an assumption the file sets."""
    from sizing.assumptions import Assumptions

    if SOURCE_KEY not in overrides:
        return overrides, {}
    rest = {k: v for k, v in overrides.items() if k != SOURCE_KEY}
    sources = overrides[SOURCE_KEY]
    if sources is None:
        return rest, {}
    if not isinstance(sources, dict):
        raise ValueError(f"{SOURCE_KEY} must be a mapping of assumption paths (backend.cpu_request_m) to sources")
    for path, source in sources.items():
        if not isinstance(path, str) or not _names_assumption(path, Assumptions):
            raise ValueError(f"{SOURCE_KEY}: {path!r} is not an assumption (a dotted path like backend.cpu_request_m)")
        if not _sets(rest, path):
            raise ValueError(f"{SOURCE_KEY}: {path} is not set in the file; a source needs the value it describes")
        if not isinstance(source, str) or not source.strip() or len(source) > MAX_SOURCE_CHARS:
            raise ValueError(f"{SOURCE_KEY}: {path}: the source must be text of 1 to {MAX_SOURCE_CHARS:,} characters")
    return rest, dict(sources)
