"""Turning what a person typed (flags, prompts, an assumptions file) into engine inputs, or one clear error line."""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path
from typing import Any, NamedTuple

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


# An assumptions file is a few dozen lines (`sizing assumptions` prints about 1 KiB). The caps keep a hostile or
# mistaken file (/dev/zero, a log) from costing more than a second or so of the pure-Python YAML parser, which
# takes ~40 s and ~800 MB for a MiB of `[1,1,...]`: size before parsing, values and depth while parsing.
MAX_FILE_BYTES = 256 * 1024
MAX_VALUES = 1_000
# The assumptions nest two levels; the limit keeps a hostile file from exhausting the parser's stack.
MAX_DEPTH = 20


class Limits(NamedTuple):
    max_bytes: int
    max_values: int
    max_depth: int
    typical: str  # what a normal file of this kind is, for the size error


ASSUMPTION_FILE = Limits(MAX_FILE_BYTES, MAX_VALUES, MAX_DEPTH, "an assumptions file holds a few dozen lines")
# A refreshed price file holds about 400 values a region (`sizing prices refresh`), so a few dozen regions fit.
PRICE_FILE = Limits(1024 * 1024, 25_000, MAX_DEPTH, "a price file holds about 400 lines a region")
# No assumption needs more than a 64-bit integer; thousands of digits would trip Python's int-to-str limit later.
_MAX_INT_DIGITS = 20


class _Refused(Exception):
    """A file that parses but that this loader will not read; ``line`` is 1-based when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.line = line


def _int_text(text: str, line: int | None = None) -> str:
    """Refuse integers YAML 1.1 and 1.2 read differently (``010``: 8 or 10) and absurd lengths; return the digits."""
    digits = text.replace("_", "").lstrip("+-")
    if len(digits) > _MAX_INT_DIGITS:
        raise _Refused(f"a {len(digits)}-digit number is out of range", line)
    if len(digits) > 1 and digits[0] == "0" and digits[1] not in "bx":
        raise _Refused(
            f"{text} has a leading zero, which YAML 1.1 reads as an octal number: write it without the zero, "
            "or quote it",
            line,
        )
    return digits


@functools.cache
def _yaml_loader(limits: Limits = ASSUMPTION_FILE) -> type:
    """Safe YAML with the surprises taken out.

    - ``1e3`` is a number (YAML 1.1 insists on ``1.0e+3``, so a plain loader hands the strict assumptions a string
      and the user a puzzling "must be a valid number (got '1e3')");
    - ``1:30`` is a string, as in YAML 1.2, not the base-60 number 90 (which validation then refuses by name);
    - ``010`` (octal 8 in YAML 1.1, 10 in YAML 1.2), duplicate keys (last one silently wins), and nesting deeper
      than ``MAX_DEPTH`` or more values than the cap are refused with a line; anchors and aliases are read, each
      alias counted as the values it repeats (a few lines of aliases could otherwise stand for billions).
    """
    import yaml

    class Loader(yaml.SafeLoader):
        depth = 0
        values = 0
        deepest = 0

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            # What each finished anchor stands for: (values, levels), charged again wherever an alias repeats it.
            self.expanded: dict[str, tuple[int, int]] = {}

        def _check(self, line: int) -> None:
            if self.deepest > limits.max_depth:
                raise _Refused(f"nested deeper than {limits.max_depth} levels", line)
            if self.values > limits.max_values:
                raise _Refused(f"more than {limits.max_values:,} values", line)

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            line = event.start_mark.line + 1
            if self.check_event(yaml.AliasEvent):
                # Anchors and aliases are read (the shipped prices.yaml uses them), but an alias counts as the values
                # and nesting it repeats: a few lines of aliases cannot stand for billions of values.
                if event.anchor not in self.expanded:
                    raise _Refused(f"alias *{event.anchor} refers to itself or to no finished anchor", line)
                size, levels = self.expanded[event.anchor]
                self.values += size
                self.deepest = max(self.deepest, self.depth + levels)
                self._check(line)
                return super().compose_node(parent, index)
            # Depth counts mappings and lists, as for JSON: a scalar nests nothing.
            nests = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
            start_values, start_deepest = self.values, self.deepest
            self.depth += nests
            self.deepest = self.depth
            self.values += parent is None or index is not None  # the root and every value; keys are not counted
            try:
                self._check(line)
                node = super().compose_node(parent, index)
                anchor = getattr(event, "anchor", None)
                if anchor is not None:
                    self.expanded[anchor] = (self.values - start_values, self.deepest - self.depth + nests)
                return node
            finally:
                self.depth -= nests
                self.deepest = max(start_deepest, self.deepest)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = self.construct_object(key_node)
                    if key in seen:
                        raise _Refused(f"duplicate key {key!r}: give each setting once", key_node.start_mark.line + 1)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> Any:
            _int_text(self.construct_scalar(node), node.start_mark.line + 1)
            return super().construct_yaml_int(node)

    Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
    # Replace YAML 1.1's number forms by the same ones minus base 60 (``1:30``), plus ``1e3``.
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[0-9][0-9_]*)$"),
        list("-+0123456789"),
    )
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )
    return Loader


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _Refused(f"duplicate key {key!r}: give each setting once")
        data[key] = value
    return data


def _json_int(text: str) -> int:
    return int(_int_text(text)) * (-1 if text.startswith("-") else 1)


def shape_problem(value: Any, limits: Limits = ASSUMPTION_FILE) -> str | None:
    """Nesting beyond ``max_depth`` or more than ``max_values`` values, for data parsed elsewhere (JSON, Pulumi
    config). Breadth-first, so a hostile depth cannot exhaust the stack that a recursive walk would use."""
    level, count = [value], 1
    for _ in range(limits.max_depth):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        count += len(level)
        if count > limits.max_values:
            return f"more than {limits.max_values:,} values"
        if not level:
            return None
    return f"nested deeper than {limits.max_depth} levels" if any(isinstance(i, (dict, list)) for i in level) else None


def _read_capped(path: Path, what: str, limits: Limits = ASSUMPTION_FILE) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise SizingError(f"{what}: cannot read {path}: {error.strerror or error}") from None
    if len(data) > limits.max_bytes:
        raise SizingError(f"{what}: {path} is larger than {limits.max_bytes // 1024:,} KiB; {limits.typical}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SizingError(f"{what}: cannot read {path}: not UTF-8 text (byte {error.start + 1})") from None


def load_assumptions(path: Path, what: str = "--assumptions") -> dict[str, Any]:
    """Read YAML or JSON overrides; the values are validated later, with the workload, by pydantic."""
    return read_mapping(path, what, "a mapping of assumption names to values")


def read_mapping(path: Path, what: str, holds: str, limits: Limits = ASSUMPTION_FILE) -> dict[str, Any]:
    """A YAML or JSON file that must hold a mapping (empty: ``{}``), or one line saying why it cannot be read."""
    text = _read_capped(path, what, limits)
    try:
        if path.suffix.lower() == ".json":
            data = _load_json(text, path, what, limits)
        else:
            data = _load_yaml(text, path, what, limits)
    except _Refused as refused:
        where = f" line {refused.line}" if refused.line else ""
        raise SizingError(f"{what}: {path}{where}: {refused}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SizingError(f"{what}: {path} must hold {holds}")
    return data


def _load_json(text: str, path: Path, what: str, limits: Limits) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_json_object, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise SizingError(f"{what}: {path} is not valid JSON: {error}") from None
    except RecursionError:
        raise _Refused(f"nested deeper than {limits.max_depth} levels") from None
    problem = shape_problem(data, limits)
    if problem:
        raise _Refused(problem)
    return data


def _load_yaml(text: str, path: Path, what: str, limits: Limits) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader(limits))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SizingError(f"{what}: {path} is not valid YAML{where}: {problem}") from None
