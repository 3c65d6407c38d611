"""The human report: rich panels in the seed's order on a terminal, the same content as plain ASCII elsewhere."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from typing import IO, cast

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sizing.cli.formats import (
    addons_text,
    choice_rows,
    comparison_rows,
    cost_summary_rows,
    edge_rows,
    group_text,
    llm_rows,
    money,
    money_range,
    network_rows,
)
from sizing.plan import PodPlan, SizingPlan

TIER_BADGE = {"small": "🟢", "medium": "🟡", "large": "🟠", "enterprise": "🔴"}
TIER_STYLE = {"small": "green", "medium": "yellow", "large": "dark_orange", "enterprise": "red"}


class Style:
    """Terminal or plain: decides boxes and emoji once, so each panel stays a plain description of its content."""

    def __init__(self, fancy: bool) -> None:
        self.fancy = fancy
        self.box = box.ROUNDED if fancy else box.ASCII

    def title(self, emoji: str, text: str) -> str:
        return f"{emoji} {text}" if self.fancy else text


def _grid(rows: Sequence[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def _panel(style: Style, emoji: str, title: str, body: RenderableType) -> Panel:
    return Panel(body, title=style.title(emoji, title), title_align="left", box=style.box, expand=False)


def _pods(pod: PodPlan) -> list[tuple[str, str]]:
    return [
        ("Pod Count", f"{pod.min_replicas:,} - {pod.max_replicas:,}"),
        ("CPU per Pod", f"{pod.cpu_request_m / 1000:g} - {pod.cpu_limit_m / 1000:g} cores (request - limit)"),
        ("Memory per Pod", f"{pod.memory_request_mib} - {pod.memory_limit_mib} MiB (request - limit)"),
    ]


def _scaling(mode: str, scaling) -> str:
    return f" (auto scaling {scaling.min:,}-{scaling.max:,})" if mode == "PROVISIONED" else ""


def report_panels(plan: SizingPlan, style: Style) -> list[Panel]:
    w, perf, nodes, db, cache, cost = plan.workload, plan.performance, plan.nodes, plan.database, plan.cache, plan.cost
    banner = Text(
        style.title(TIER_BADGE[plan.tier], f"{plan.tier.upper()} TIER"), style=f"bold {TIER_STYLE[plan.tier]}"
    )
    banner.append("\nInfrastructure Recommendation", style="")
    node_rows = [
        ("Instance Type", f"{nodes.instance_type}{' (pinned)' if nodes.pinned else ''} ({nodes.arch})"),
        ("vCPU per Node", str(nodes.vcpu)),
        ("Memory per Node", f"{nodes.memory_gib:g} GiB"),
        (
            "Allocatable",
            f"{nodes.allocatable_cpu_m:,}m CPU, {nodes.allocatable_memory_mib:,} MiB, {nodes.max_pods} pods max",
        ),
        ("Add-on Pods", addons_text(nodes)),
        ("Node Count", f"{nodes.min_nodes:,} - {nodes.max_nodes:,}"),
        (
            "Max Fleet vCPUs",
            f"{nodes.max_vcpus:,} (EC2 On-Demand quota assumed: {plan.assumptions.quotas.ec2_on_demand_vcpus:,})",
        ),
        ("Node Groups", ", ".join(group_text(g) for g in nodes.groups)),
        ("Fleet Cost", f"{money_range(nodes.monthly_usd.min, nodes.monthly_usd.max)} / month"),
    ]
    node_rows += [
        (
            "Alternative" if i == 0 else "",
            f"{o.instance_type}: {o.min_nodes}-{o.max_nodes} nodes, "
            f"{money_range(o.monthly_usd.min, o.monthly_usd.max)}",
        )
        for i, o in enumerate(nodes.alternatives)
    ]
    cache_text = (
        f"{'✅ ' if style.fancy else ''}{cache.num_nodes} x {cache.node_type} ({cache.engine}"
        + (f", {cache.shards} shards" if cache.shards > 1 else "")
        + f"), {money(cache.monthly_usd)}/month"
        if cache.enabled
        else f"{'❌ ' if style.fancy else ''}off"
    )
    database_rows = [
        ("DynamoDB Mode", "On-Demand" if db.billing_mode == "PAY_PER_REQUEST" else "Provisioned + auto scaling"),
        ("Estimated RCU", f"{db.read_capacity_units:,}" + _scaling(db.billing_mode, db.read_autoscaling)),
        ("Estimated WCU", f"{db.write_capacity_units:,}" + _scaling(db.billing_mode, db.write_autoscaling)),
        (
            "On-Demand Cost",
            f"{money(db.expected_monthly_usd_on_demand)} expected "
            f"({money_range(db.monthly_usd_on_demand.min, db.monthly_usd_on_demand.max)})",
        ),
        (
            "Provisioned Cost",
            f"{money(db.expected_monthly_usd_provisioned)} expected "
            f"({money_range(db.monthly_usd_provisioned.min, db.monthly_usd_provisioned.max)})",
        ),
        ("Session Cache", cache_text),
    ]
    breakdown = Table(box=None, padding=(0, 2))
    breakdown.add_column("Service")
    breakdown.add_column("Expected", justify="right")
    breakdown.add_column("Min - Max", justify="right")
    for item in cost.breakdown:
        breakdown.add_row(
            item.item, money(item.expected_monthly_usd), money_range(item.monthly_usd.min, item.monthly_usd.max)
        )
    sources = f"Infrastructure: on-demand list prices ({cost.currency}), {w.region}, as of {cost.prices_as_of}"
    if plan.llm is not None and plan.llm.self_hosted is not None:
        sources += f"; LLM: self-hosted GPU nodes at the same prices, speed from {plan.llm.speed.source}"
    elif plan.llm is not None:
        sources += f"; LLM tokens: {plan.llm.prices_as_of}"
    cost_body = Group(
        _grid(cost_summary_rows(plan)),
        Text(""),
        breakdown,
        Text(sources, style="dim"),
    )
    panels = [
        Panel(banner, box=style.box, expand=False),
        _panel(
            style,
            "📊",
            "User Load",
            _grid(
                [
                    ("Concurrent Users", f"{w.concurrent_users:,}"),
                    ("Total Users", f"{w.total_users:,} (active ratio {w.active_ratio:.0%})"),
                    ("Requests/Second", f"{perf.requests_per_second:,.0f}"),
                    ("Expected Latency", f"{perf.latency_ms.min}-{perf.latency_ms.max} ms"),
                    ("Region", w.region),
                ]
            ),
        ),
        _panel(style, "🔧", "Backend Configuration", _grid(_pods(plan.backend))),
        _panel(style, "🎨", "Frontend Configuration", _grid(_pods(plan.frontend))),
        _panel(style, "🖥️", "Node Configuration", _grid(node_rows)),
        _panel(style, "🗄️", "Database Configuration", _grid(database_rows)),
        _panel(style, "🤖", "LLM", _grid(llm_rows(plan.llm)) if plan.llm else Text("none: sized without an LLM")),
        _panel(style, "🛡️", "Network and Public Edge", _grid(network_rows(plan) + edge_rows(plan))),
        _panel(style, "💰", "Cost Estimate", cost_body),
        _panel(style, "🧭", "Why These Choices", _grid(choice_rows(plan))),
    ]
    if plan.assumptions_source:
        from sizing.cli.calibrated_view import calibrated_rows

        rows = [(path, f"{value}  (measured: {source})") for path, value, source in calibrated_rows(plan)]
        panels.append(_panel(style, "📏", "Calibrated Assumptions", _grid(rows)))
    if plan.warnings:
        panels.append(_panel(style, "⚠️", "Warnings", Text("\n".join(f"- {w}" for w in plan.warnings))))
    return panels


def comparison_table(plans: Sequence[SizingPlan], style: Style) -> Table:
    header, *rows = comparison_rows(plans)
    table = Table(box=style.box, title="Scenario comparison")
    table.add_column(header[0], style="bold")
    for name in header[1:]:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


# A terminal narrower than this (or COLUMNS=0, which rich takes literally and then prints nothing) still gets a
# readable report that wraps; wider than the maximum gains nothing.
MIN_WIDTH, MAX_WIDTH = 60, 500


def terminal_width() -> int:
    # shutil ignores COLUMNS=0 or junk and asks the terminal; rich would take COLUMNS=0 as a width of zero.
    return min(max(shutil.get_terminal_size((100, 24)).columns, MIN_WIDTH), MAX_WIDTH)


def render_text(renderables: Sequence[object], fancy: bool, width: int | None = None) -> str:
    """Render to a string so the caller can write stdout or a file in one piece (nothing half-written).

    ``NO_COLOR`` (set and not empty, per no-color.org) turns terminal escapes off; the boxes and emoji stay.
    """
    escapes = fancy and not os.environ.get("NO_COLOR")
    console = Console(
        record=False,
        force_terminal=escapes,
        no_color=not escapes,
        emoji=fancy,
        width=width or (terminal_width() if fancy else 100),
        highlight=False,
        file=cast(IO[str], _Sink()),
    )
    with console.capture() as capture:
        for renderable in renderables:
            console.print(renderable)
    return capture.get()


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
