"""Turning what a person typed (flags, prompts, an assumptions file) into engine inputs, or one clear error line."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from sizing.errors import SizingError


# ASCII digits only (str.isdigit() also accepts "²" and other scripts' digits, which int() then refuses), with
# thousands separators only where they separate thousands: "1,000" and "1_000" but not "1,5".
_USERS = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:_[0-9]{3})+|[0-9]+)")
_MAX_DIGITS = 15


def parse_users(text: str, what: str) -> int:
    """Accept ``1000``, ``1,000`` and ``1_000``; reject fractions, words, NaN and absurd lengths by name."""
    cleaned = text.strip()
    if not _USERS.fullmatch(cleaned):
        shown = cleaned if len(cleaned) <= 40 else cleaned[:37] + "..."
        raise SizingError(f"{what}: expected a whole number of users, got {shown!r}")
    digits = cleaned.lstrip("+-").replace(",", "").replace("_", "")
    if len(digits) > _MAX_DIGITS:
        raise SizingError(f"{what}: a {len(digits)}-digit number of users is out of range")
    return int(cleaned.replace(",", "").replace("_", ""))


def parse_ratio(text: str, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:37] + "..."
        raise SizingError(f"{what}: expected a number between 0 and 1, e.g. 0.1, got {shown!r}")
    return value


def _yaml_loader() -> type:
    """Safe YAML that also reads ``1e3`` as a number: YAML 1.1 insists on ``1.0e+3``, so a plain loader hands the
    strict assumptions a string and the user a puzzling "must be a valid number (got '1e3')"."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
    )
    return Loader


def load_assumptions(path: Path, what: str = "--assumptions") -> dict[str, Any]:
    """Read YAML or JSON overrides; the values are validated later, with the workload, by pydantic."""
    return read_mapping(path, what, "a mapping of assumption names to values")


def read_mapping(path: Path, what: str, holds: str) -> dict[str, Any]:
    """A YAML or JSON file that must hold a mapping (empty: ``{}``), or one line saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SizingError(f"{what}: cannot read {path}: {reason}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SizingError(f"{what}: {path} is not valid JSON: {error}") from None
    else:
        import yaml

        try:
            data = yaml.load(text, Loader=_yaml_loader())
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise SizingError(f"{what}: {path} is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SizingError(f"{what}: {path} must hold {holds}")
    return data
