"""`sizing diff` as text: one table of rows (what, before, after, change, how it applies), in rich or Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sizing.cli.formats import money
from sizing.engine.plan_diff import Delta, PlanDiff

HEADER = ("What", "Before", "After", "Change", "Applies")


def _signed(delta: Delta, money_value: bool = False) -> str:
    if not delta.delta:
        return "="
    sign = "+" if delta.delta > 0 else "-"
    size = abs(delta.delta)
    return f"{sign}{money(size, True)}" if money_value else f"{sign}{size:,.10g}"


def _count(value: float) -> str:
    return f"{value:,.10g}"


def diff_rows(diff: PlanDiff) -> list[tuple[str, str, str, str, str]]:
    """Every row, in the report's order; unchanged parts are listed too, so the reader sees they were compared."""
    rows = [
        (
            "Concurrent users",
            _count(diff.concurrent_users.before),
            _count(diff.concurrent_users.after),
            _signed(diff.concurrent_users),
            "",
        ),
        ("Tier", diff.tier_before, diff.tier_after, "=" if diff.tier_before == diff.tier_after else "changed", ""),
    ]
    for group in diff.node_groups:
        change = f"min {_signed(group.min_nodes)}, max {_signed(group.max_nodes)}"
        rows.append(
            (f"Node group {group.name}", group.before or "-", group.after or "-", change, _applies(group.applies, ""))
        )
    for pods in diff.deployments:
        rows.append(
            (
                f"{pods.name.capitalize()} HPA replicas",
                f"{pods.min_replicas.before:g}-{pods.max_replicas.before:g}",
                f"{pods.min_replicas.after:g}-{pods.max_replicas.after:g}",
                f"min {_signed(pods.min_replicas)}, max {_signed(pods.max_replicas)}",
                _applies("in place" if pods.applies == "rolling" else pods.applies, ""),
            )
        )
        if pods.resources_before != pods.resources_after:
            rows.append(
                (
                    f"{pods.name.capitalize()} pod resources",
                    pods.resources_before,
                    pods.resources_after,
                    "changed",
                    "rolling (pods replaced under their disruption budget)",
                )
            )
    table = diff.table
    rows.append(("DynamoDB mode", table.mode_before, table.mode_after, _same(table.mode_before, table.mode_after), ""))
    rows.append(("DynamoDB reads", table.read_before, table.read_after, _same(table.read_before, table.read_after), ""))
    rows.append(
        (
            "DynamoDB writes",
            table.write_before,
            table.write_after,
            _same(table.write_before, table.write_after),
            _applies(table.applies, table.note),
        )
    )
    cache = diff.cache
    rows.append(("Cache layout", cache.before, cache.after, _same(cache.before, cache.after), ""))
    rows.append(
        (
            "Cache usable memory (GiB)",
            _count(cache.usable_gib.before),
            _count(cache.usable_gib.after),
            _signed(cache.usable_gib),
            _applies(cache.applies, cache.note),
        )
    )
    llm = diff.llm
    rows.append(("LLM model", llm.model_before, llm.model_after, _same(llm.model_before, llm.model_after), ""))
    quota = f"quota {llm.quota_tokens_per_minute:,}" if llm.quota_tokens_per_minute is not None else "quota unpublished"
    rows.append(
        (
            "LLM peak tokens/min",
            _count(llm.tokens_per_minute.before),
            _count(llm.tokens_per_minute.after),
            _signed(llm.tokens_per_minute),
            _applies(llm.applies, "; ".join(filter(None, [quota, llm.note]))),
        )
    )
    rows.append(
        (
            "LLM peak requests/min",
            _count(llm.requests_per_minute.before),
            _count(llm.requests_per_minute.after),
            _signed(llm.requests_per_minute),
            "",
        )
    )
    bill = diff.bill
    for label, delta in (("expected", bill.expected), ("min", bill.min), ("max", bill.max)):
        rows.append(
            (
                f"Monthly bill, {label}",
                money(delta.before, True),
                money(delta.after, True),
                _signed(delta, True),
                "",
            )
        )
    for line in bill.lines:
        rows.append(
            (
                f"  {line.item} (expected)",
                money(line.expected.before, True),
                money(line.expected.after, True),
                _signed(line.expected, True),
                "",
            )
        )
    return rows


def _same(before: str, after: str) -> str:
    return "=" if before == after else "changed"


def _applies(applies: str, note: str) -> str:
    if applies == "unchanged":
        return ""
    return f"{applies}: {note}" if note else applies


def title(diff: PlanDiff) -> str:
    return f"Plan diff: {diff.before_label} -> {diff.after_label}"


def to_json(diff: PlanDiff) -> str:
    return json.dumps(diff.model_dump(mode="json"), indent=2) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_md_cell(cell) or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(diff: PlanDiff) -> str:
    parts = [f"# {title(diff)}\n", _md_table(diff_rows(diff))]
    if diff.warnings:
        parts.append("\n## Warnings\n\n" + "".join(f"- {warning}\n" for warning in diff.warnings))
    return "\n".join(parts)


def diff_renderables(diff: PlanDiff, style) -> list[object]:
    from rich.table import Table

    table = Table(box=style.box, title=title(diff))
    for index, name in enumerate(HEADER):
        table.add_column(name, style="bold" if index == 0 else None, justify="right" if index == 3 else "left")
    for row in diff_rows(diff):
        table.add_row(*row)
    out: list[object] = [table]
    out += [f"{style.title('⚠️', 'Warning:')} {warning}" for warning in diff.warnings]
    return out
