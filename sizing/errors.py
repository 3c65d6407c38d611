"""Input errors, reduced to the one line a person needs: which input, what is wrong with it."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


class SizingError(ValueError):
    """Input the engine cannot size (unknown region or type, a load no layout can hold).

    ``field`` names the Workload input at fault as a dotted path (``instance_type``, ``assumptions.cache.min_node_type``)
    so each edge can name it the way its user spelled it: a flag for the command, a config key for the stack.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _label(loc: list[str], names: Mapping[str, str]) -> str:
    head, rest = loc[0], loc[1:]
    if head not in names:
        return ".".join(loc)
    return f"{names[head]}: {'.'.join(rest)}" if rest else names[head]


def describe(error: ValidationError | SizingError, names: Mapping[str, str] | None = None) -> str:
    """One line for the first problem, naming the input as the user spelled it (a flag, a config key).

    ``names`` maps a Workload field to the user's name for it; nested assumption fields keep their dotted path
    under the name given for ``assumptions`` (``--assumptions: backend.users_per_pod: ...``).
    """
    names = names or {}
    if isinstance(error, SizingError):
        return f"{_label(error.field.split('.'), names)}: {error}" if error.field else str(error)
    first = error.errors(include_url=False)[0]
    loc = [str(part) for part in first["loc"]]
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message.replace("Input should be", "must be", 1)
    if first["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling)"
    elif first["type"] in ("model_type", "model_attributes_type", "dict_type"):
        message = "must be a mapping of settings"
    if not loc:
        return message
    label = _label(loc, names)
    shown = first.get("input")
    if first["type"] not in ("missing", "extra_forbidden") and isinstance(shown, (int, float, str)):
        return f"{label}: {message} (got {shown!r})"
    return f"{label}: {message}"
