"""`compare`'s terminal table at any width: a number is never cut, whatever the terminal.

Scenarios are columns (the eye reads a metric across loads). Each scenario's column is exactly as wide as its
longest figure, so no figure ever wraps or is cut; the labels (metric names, headers, model ids) fold instead.
When the scenarios do not all fit beside one another, they are dealt into several tables, each as many scenarios
as the width takes, down to one scenario per table at 40 columns.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from rich.table import Table

from sizing.cli.formats import comparison_rows
from sizing.cli.report import Style
from sizing.plan import SizingPlan

MIN_WIDTH, MAX_WIDTH = 40, 500
# Rows whose values are names, not figures: they may fold like labels (a Bedrock model id is 47 characters).
NAME_ROWS = frozenset({"LLM", "Instance type", "Cache"})
_LABEL_MIN = 8
_CELL = 3  # a column's two padding spaces and its right border


def compare_width() -> int:
    """The terminal's width (COLUMNS when set, even when piped), between 40 and 500; 100 when nothing says."""
    return min(max(shutil.get_terminal_size((100, 24)).columns, MIN_WIDTH), MAX_WIDTH)


def _figure_width(labels: Sequence[str], cells: Sequence[str]) -> int:
    widths = [len(cell) for label, cell in zip(labels, cells, strict=True) if label not in NAME_ROWS]
    return max([*widths, 1])


def _groups(widths: Sequence[int], width: int) -> list[list[int]]:
    """Scenarios dealt in order into tables that fit beside the narrowest label column."""
    groups: list[list[int]] = [[]]
    used = 1 + _LABEL_MIN + _CELL
    for index, needed in enumerate(widths):
        if groups[-1] and used + needed + _CELL > width:
            groups.append([])
            used = 1 + _LABEL_MIN + _CELL
        groups[-1].append(index)
        used += needed + _CELL
    return groups


def comparison_tables(plans: Sequence[SizingPlan], style: Style, width: int) -> list[Table]:
    header, *rows = comparison_rows(plans)
    labels = [row[0] for row in rows]
    widths = [_figure_width(labels, [row[i + 1] for row in rows]) for i in range(len(plans))]
    groups = _groups(widths, width)
    tables = []
    for part, group in enumerate(groups, start=1):
        room = width - 1 - _CELL - sum(widths[i] + _CELL for i in group)
        title = "Scenario comparison" + (f" ({part} of {len(groups)})" if len(groups) > 1 else "")
        table = Table(box=style.box, title=title)
        table.add_column(
            header[0], style="bold", width=max(_LABEL_MIN, min(max(map(len, labels)), room)), overflow="fold"
        )
        for i in group:
            table.add_column(header[i + 1], justify="right", width=widths[i], overflow="fold")
        for row in rows:
            table.add_row(row[0], *(row[i + 1] for i in group))
        tables.append(table)
    return tables
