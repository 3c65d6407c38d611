"""Which of a plan's assumptions were measured (``plan.assumptions_source``), as rows the report formats print."""

from __future__ import annotations

from typing import Any

from sizing.plan import SizingPlan

MAX_VALUE_CHARS = 60


def _value(plan: SizingPlan, path: str) -> Any:
    current: Any = plan.assumptions
    for part in path.split("."):
        current = getattr(current, part)
    return current


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + "]"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 4] + " ...]"


def calibrated_rows(plan: SizingPlan) -> list[tuple[str, str, str]]:
    """(assumption, value in the plan, where it came from), in the file's order."""
    return [(path, _text(_value(plan, path)), source) for path, source in plan.assumptions_source.items()]
