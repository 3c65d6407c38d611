"""Input errors, reduced to the one line a person needs: which input, what is wrong with it."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


class SizingError(ValueError):
    """Input the engine cannot size (unknown region or type, a load no layout can hold)."""


def describe(error: ValidationError | SizingError, names: Mapping[str, str] | None = None) -> str:
    """One line for the first problem, naming the input as the user spelled it (a flag, a config key).

    ``names`` maps a Workload field to the user's name for it; nested assumption fields keep their dotted path
    under the name given for ``assumptions`` (``--assumptions: backend.users_per_pod: ...``).
    """
    if isinstance(error, SizingError):
        return str(error)
    names = names or {}
    first = error.errors(include_url=False)[0]
    loc = [str(part) for part in first["loc"]]
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message.replace("Input should be", "must be", 1)
    if first["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling)"
    if not loc:
        return message
    head, rest = loc[0], loc[1:]
    label = names.get(head, head)
    if rest:
        label = f"{label}: {'.'.join(rest)}" if head in names else ".".join(loc)
    shown = first.get("input")
    if first["type"] not in ("missing", "extra_forbidden") and isinstance(shown, (int, float, str)):
        return f"{label}: {message} (got {shown!r})"
    return f"{label}: {message}"
