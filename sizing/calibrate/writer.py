"""The calibration as an assumptions file: YAML that ``--assumptions`` (and the stack's ``assumptions`` config) read.

Each value has a comment above it naming its source, and the same sources are kept as data under
``assumptions_source`` (a comment does not survive parsing), which the plan reports back (``plan.assumptions_source``).
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from sizing.calibrate.measurements import Calibration

SOURCE_KEY = "assumptions_source"


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"no YAML form for {value!r}")


def to_yaml(calibration: Calibration, generated: str, inputs: Sequence[str]) -> str:
    lines = [
        f"# Assumptions measured by `sizing calibrate` at {generated}.",
        "# Use: sizing report -c USERS --assumptions THIS_FILE (what is not here keeps its default;",
        "# `sizing diff --defaults` shows what these values change).",
        *(f"# From: {_one_line(i)}" for i in inputs),
    ]
    if calibration.observed:
        lines.append("# Observed, not assumptions:")
        lines += [f"#   {_one_line(o)}" for o in calibration.observed]
    if calibration.notes:
        lines.append("# Not measured (the defaults stand):")
        lines += [f"#   {_one_line(n)}" for n in calibration.notes]
    sections: dict[str, list[tuple[str, object, str]]] = {}
    for item in calibration.values:
        head, _, rest = item.path.rpartition(".")
        sections.setdefault(head, []).append((rest, item.value, item.source))
    for head, items in sections.items():
        indent = "  " if head else ""
        if head:
            lines.append(f"{head}:")
        for key, value, source in items:
            lines.append(f"{indent}# {_one_line(source)}")
            lines.append(f"{indent}{key}: {_scalar(value)}")
    sources = {item.path: _one_line(item.source) for item in calibration.values}
    if sources:
        lines.append(yaml.safe_dump({SOURCE_KEY: sources}, width=1_000_000, sort_keys=False).rstrip("\n"))
    return "\n".join(lines) + "\n"
