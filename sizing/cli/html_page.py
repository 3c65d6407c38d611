"""`--format html`: the plan (or a comparison) as one self-contained page to open offline, share and print.

One file: the style inline, the charts inline SVG (sizing/cli/charts.py), no script, no font or image from anywhere
(a Content-Security-Policy says so to the browser), light and dark by ``prefers-color-scheme``, a print style.
Every figure is formatted from the plan's own values with the same helpers as the terminal report and Markdown, so
the page says what ``--format json`` says. The same plans give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from itertools import pairwise

from sizing.cli import charts
from sizing.cli.formats import (
    addons_text,
    choice_rows,
    comparison_rows,
    cost_summary_rows,
    group_text,
    llm_rows,
    money,
    money_range,
)
from sizing.engine.addons import fixed_pods
from sizing.engine.exact import exact
from sizing.engine.nodes import pack, packing, workload_capacity
from sizing.engine.pods import hourly_pods
from sizing.plan import SizingPlan

# The loads a cost-against-load chart is drawn through: 1-2-5 steps, as a log axis reads them.
_STEPS = (1, 2, 5)
MAX_SWEEP_USERS = 10_000_000


def sweep_loads(low: int, high: int, *also: int) -> list[int]:
    """1-2-5 steps from ``low`` to ``high``, with ``also`` (the loads the page is about) on the curve itself."""
    loads = {low, high, *also}
    decade = 1
    while decade <= high:
        loads.update(step * decade for step in _STEPS if low <= step * decade <= high)
        decade *= 10
    return sorted(load for load in loads if 1 <= load <= MAX_SWEEP_USERS)


def report_sweep_range(users: int) -> tuple[int, int]:
    """From 10 users to a hundred times the plan's load (at least a million), so the tiers show around it."""
    return 10, min(MAX_SWEEP_USERS, max(1_000_000, users * 100))


def _nodes_for(plan: SizingPlan, backend_pods: int, frontend_pods: int) -> int:
    """Nodes of the plan's type that hold these pods beside the add-ons': the engine's packing, node buffer and floor
    (engine/nodes.py)."""
    from sizing.data.catalog import load_catalog

    a = plan.assumptions
    if (backend_pods, frontend_pods) == (plan.backend.min_replicas, plan.frontend.min_replicas):
        return plan.nodes.min_nodes
    if (backend_pods, frontend_pods) == (plan.backend.max_replicas, plan.frontend.max_replicas):
        return plan.nodes.max_nodes
    shapes = (
        (plan.backend.cpu_request_m, plan.backend.memory_request_mib),
        (plan.frontend.cpu_request_m, plan.frontend.memory_request_mib),
    )
    node = workload_capacity(load_catalog().instance(plan.nodes.instance_type), a.daemonsets)
    prepared = packing(node, *shapes, fixed_pods(plan.nodes.addons))
    needed = pack(prepared, backend_pods, frontend_pods) if prepared is not None else None
    if needed is None:
        return plan.nodes.max_nodes
    buffer = exact(a.node_buffer)
    return min(plan.nodes.max_nodes, max(a.min_nodes, -(-needed * buffer.numerator // buffer.denominator)))


def hourly_fleet(plan: SizingPlan) -> list[tuple[float, int, int, int]]:
    """Per hour: concurrent users, the pods that hour's load needs, the pods the HPA runs and the nodes they take
    (the HPA's day is the engine's, ``engine.pods.hourly_pods``: the same one the control-plane logs are priced on)."""
    a = plan.assumptions
    streams = plan.llm.peak.open_streams if plan.llm is not None else 0.0
    hours = hourly_pods(
        plan.workload.concurrent_users, a.traffic.hourly_profile, a, plan.backend, plan.frontend, streams
    )
    return [
        (h.load, h.backend_needed + h.frontend_needed, h.backend + h.frontend, _nodes_for(plan, h.backend, h.frontend))
        for h in hours
    ]


def break_evens(series: Sequence[tuple[str, Sequence[int], Sequence[float]]]) -> list[tuple[str, str, float, float]]:
    """Loads where two models' expected monthly cost cross, interpolated in log-log space between swept loads."""
    found = []
    for i, (name_a, users_a, cost_a) in enumerate(series):
        for name_b, users_b, cost_b in series[i + 1 :]:
            b_at = dict(zip(users_b, cost_b, strict=True))
            shared = [(u, c, b_at[u]) for u, c in zip(users_a, cost_a, strict=True) if u in b_at]
            for (u0, a0, b0), (u1, a1, b1) in pairwise(shared):
                d0, d1 = a0 - b0, a1 - b1
                if d0 == 0 or d0 * d1 >= 0 or min(a0, a1, b0, b1) <= 0:
                    continue
                # Each line is straight between two loads on log axes: solve log(a) = log(b) there.
                l0, l1 = math.log(a0 / b0), math.log(a1 / b1)
                t = l0 / (l0 - l1)
                load = math.exp(math.log(u0) + t * (math.log(u1) - math.log(u0)))
                cost = math.exp(math.log(a0) + t * (math.log(a1) - math.log(a0)))
                found.append((name_a, name_b, load, cost))
    return found


_CSS = """
:root { color-scheme: light dark; --fg: #1b1b1f; --bg: #ffffff; --muted: #4d4d57; --line: #c9c9d1;
  --card: #f5f6f8; --accent: #005a8c; --warn-bg: #fff4e0; --warn-fg: #5c3b00; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e9e9ee; --bg: #16171b; --muted: #b9b9c4; --line: #44454f; --card: #202128; --accent: #7cc4f0;
    --warn-bg: #3a2c12; --warn-fg: #ffdf9e; }
  figure svg { filter: invert(0.92) hue-rotate(180deg); }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
p.lead, p.note, figcaption { color: var(--muted); }
.tier { display: inline-block; padding: .05rem .5rem; border-radius: .3rem; border: 1px solid var(--line);
  background: var(--card); font-weight: 600; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; text-align: left; }
thead th { border-bottom: 2px solid var(--fg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { font-weight: 600; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 2rem; }
figure { margin: 1rem 0 2rem; padding: .8rem; background: var(--card); border-radius: .4rem; break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; background: #ffffff; border-radius: .3rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
  white-space: nowrap; }
details { margin-top: .4rem; }
summary { cursor: pointer; color: var(--accent); }
.warnings li { background: var(--warn-bg); color: var(--warn-fg); padding: .3rem .6rem; margin: .3rem 0;
  border-radius: .3rem; list-style: none; }
.warnings { padding: 0; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  :root { --fg: #000000; --bg: #ffffff; --muted: #333333; --line: #999999; --card: #ffffff; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  figure svg { filter: none; }
  details::details-content { content-visibility: visible; display: block; }
  summary { display: none; }
  .scroll { overflow: visible; }
  h2 { break-after: avoid; }
  figure, table { break-inside: avoid; }
}
"""

# No script, no network: everything the page shows is in it (inline style, inline SVG).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def _kv_table(rows: Sequence[tuple[str, str]], table_id: str, caption: str) -> str:
    lines = [f'<table class="kv" id="{table_id}"><caption class="visually-hidden">{escape(caption)}</caption>']
    label = ""
    for name, value in rows:
        label = name or label  # a continued row ("Alternative", "") keeps its label for screen readers
        shown = escape(name) if name else f'<span aria-label="{escape(label)}"></span>'
        lines.append(f'<tr><th scope="row">{shown}</th><td>{escape(value)}</td></tr>')
    lines.append("</table>")
    return "\n".join(lines) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], table_id: str, numeric_from: int = 1) -> str:
    head = "".join(
        f'<th scope="col"{" class=num" if i >= numeric_from else ""}>{escape(h)}</th>' for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{escape(cell)}</th>' if i == 0 else f'<td class="num">{escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(table_id.replace("-", " "))}">'
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>\n'
    )


def _figure(chart: charts.Chart, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return (
        f'<figure id="{chart.id}">\n{chart.svg}'
        f"<figcaption>{escape(chart.description)}</figcaption>\n"
        f"<details><summary>The chart's data</summary>\n{_table(header, rows, chart.id + '-data')}</details>\n"
        "</figure>\n"
    )


def _pods_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    rows = []
    for name, pod in (("Backend", plan.backend), ("Frontend", plan.frontend)):
        rows += [
            (f"{name} pods", f"{pod.min_replicas:,} - {pod.max_replicas:,} (HPA min - max)"),
            (
                f"{name} CPU per pod",
                f"{pod.cpu_request_m / 1000:g} - {pod.cpu_limit_m / 1000:g} cores (request - limit)",
            ),
            (f"{name} memory per pod", f"{pod.memory_request_mib} - {pod.memory_limit_mib} MiB (request - limit)"),
        ]
    return rows


def _node_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    nodes = plan.nodes
    return [
        ("Instance type", f"{nodes.instance_type}{' (pinned)' if nodes.pinned else ''} ({nodes.arch})"),
        ("vCPU / memory per node", f"{nodes.vcpu} vCPU, {nodes.memory_gib:g} GiB"),
        (
            "Allocatable",
            f"{nodes.allocatable_cpu_m:,}m CPU, {nodes.allocatable_memory_mib:,} MiB, {nodes.max_pods} pods max",
        ),
        ("Add-on pods", addons_text(nodes)),
        ("Node count", f"{nodes.min_nodes:,} - {nodes.max_nodes:,}"),
        ("Node groups", ", ".join(group_text(g) for g in nodes.groups)),
        ("Fleet cost", f"{money_range(nodes.monthly_usd.min, nodes.monthly_usd.max)} / month"),
    ]


def _data_rows(plan: SizingPlan) -> list[tuple[str, str]]:
    db, cache = plan.database, plan.cache
    return [
        ("DynamoDB mode", "On-Demand" if db.billing_mode == "PAY_PER_REQUEST" else "Provisioned + auto scaling"),
        ("Read / write capacity units", f"{db.read_capacity_units:,} / {db.write_capacity_units:,}"),
        (
            "On-demand cost",
            f"{money(db.expected_monthly_usd_on_demand)} expected "
            f"({money_range(db.monthly_usd_on_demand.min, db.monthly_usd_on_demand.max)})",
        ),
        (
            "Provisioned cost",
            f"{money(db.expected_monthly_usd_provisioned)} expected "
            f"({money_range(db.monthly_usd_provisioned.min, db.monthly_usd_provisioned.max)})",
        ),
        (
            "Session cache",
            f"{cache.num_nodes} x {cache.node_type} ({cache.engine}), {money(cache.monthly_usd)}/month"
            if cache.enabled
            else "off",
        ),
    ]


def _warnings(plan_warnings: Sequence[str]) -> str:
    if not plan_warnings:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in plan_warnings)
    return f'<h2 id="s-warnings">Warnings</h2>\n<ul class="warnings">{items}</ul>\n'


def _describe_range(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(min(values))} to {fmt(max(values))}"


PlanAt = Callable[[int, "str | None"], "SizingPlan | None"]


def report_html(plan: SizingPlan, plan_at: PlanAt) -> str:
    """The page of one plan; ``plan_at(users, llm)``: the same settings at another load (None if it cannot be
    planned), for the cost-against-load chart."""
    choice = f"{plan.llm.provider}:{plan.llm.model}" if plan.llm is not None else "none"
    sweep = [plan_at(users, choice) for users in sweep_loads(*report_sweep_range(plan.workload.concurrent_users))]
    return report_page(plan, [p for p in sweep if p is not None])


def compare_html(plans: Sequence[SizingPlan], llms: Sequence[str | None], plan_at: PlanAt) -> str:
    """The comparison page; each model compared is also swept over the compared loads for the cost chart."""
    loads = sorted({p.workload.concurrent_users for p in plans})
    low, high = (loads[0], loads[-1]) if loads[0] < loads[-1] else report_sweep_range(loads[0])
    sweeps = []
    for llm in llms:
        swept = [plan_at(users, llm) for users in sweep_loads(low, high, *loads)]
        sweeps.append([p for p in swept if p is not None])
    return compare_page(plans, [s for s in sweeps if s])


def report_page(plan: SizingPlan, sweep: Sequence[SizingPlan]) -> str:
    """One plan's page; ``sweep``: the same settings at other loads, for the cost-against-load chart."""
    w, cost = plan.workload, plan.cost
    curve = sorted({p.workload.concurrent_users: p for p in [*sweep, plan]}.items())
    users = [u for u, _ in curve]
    infra = [p.cost.infrastructure_expected_monthly_usd for _, p in curve]
    llm = [p.cost.llm_expected_monthly_usd for _, p in curve]
    tiers = plan.assumptions.tiers
    floors = [("medium", tiers.medium), ("large", tiers.large), ("enterprise", tiers.enterprise)]
    cost_chart = charts.cost_against_load(
        users,
        infra,
        llm,
        floors,
        (w.concurrent_users, cost.expected_monthly_usd),
        f"Expected monthly cost, infrastructure and LLM API stacked, from {users[0]:,} to {users[-1]:,} concurrent "
        f"users on log axes (the same settings at each load); tiers start at "
        + ", ".join(f"{floor:,} ({name})" for name, floor in floors)
        + f". This plan: {w.concurrent_users:,} users, {money(cost.expected_monthly_usd)} a month expected.",
    )
    items = cost.breakdown
    bill_chart = charts.bill_breakdown(
        [i.item for i in items],
        [i.expected_monthly_usd for i in items],
        [i.monthly_usd.min for i in items],
        [i.monthly_usd.max for i in items],
        f"{len(items)} lines of the monthly bill, expected cost with its min - max range; the largest is "
        + max(items, key=lambda i: i.expected_monthly_usd).item
        + f" at {money(max(i.expected_monthly_usd for i in items))} expected. The table below lists every line.",
    )
    hours = hourly_fleet(plan)
    profile_chart = charts.load_profile(
        [h[0] for h in hours],
        [h[2] for h in hours],
        [h[1] for h in hours],
        plan.backend.max_replicas + plan.frontend.max_replicas,
        [h[3] for h in hours],
        f"Concurrent users hour by hour ({_describe_range([h[0] for h in hours], lambda v: f'{v:,.0f}')}), and "
        f"the fleet: the HPA runs {_describe_range([h[2] for h in hours], lambda v: f'{v:,.0f}')} pods "
        f"(backend + frontend, ceiling {plan.backend.max_replicas + plan.frontend.max_replicas:,}) on "
        f"{_describe_range([h[3] for h in hours], lambda v: f'{v:,.0f}')} nodes.",
    )
    body = [
        f'<header><h1>Infrastructure sizing: <span class="tier">{escape(plan.tier)} tier</span></h1>\n'
        f'<p class="lead">{w.concurrent_users:,} concurrent users of {w.total_users:,} (active ratio '
        f"{w.active_ratio:.0%}) in {escape(w.region)}; {plan.performance.requests_per_second:,.0f} requests/s; "
        f"expected latency {plan.performance.latency_ms.min}-{plan.performance.latency_ms.max} ms.</p></header>\n",
        '<h2 id="s-cost">Cost estimate</h2>\n',
        _kv_table(cost_summary_rows(plan), "cost-summary", "Cost summary"),
        _table(
            ("Service", "Expected USD / month", "Min - max USD / month"),
            [(i.item, money(i.expected_monthly_usd), money_range(i.monthly_usd.min, i.monthly_usd.max)) for i in items],
            "cost-breakdown",
        ),
        f'<p class="note">Infrastructure: on-demand list prices ({escape(cost.currency)}), {escape(w.region)}, as of '
        f"{escape(cost.prices_as_of)}"
        + (f"; LLM tokens: {escape(plan.llm.prices_as_of)}" if plan.llm else "")
        + ".</p>\n",
        _figure(
            cost_chart,
            ("Concurrent users", "Infrastructure USD / month", "LLM API USD / month", "Total USD / month"),
            [
                (f"{u:,}", money(i), money(lv), money(p.cost.expected_monthly_usd))
                for (u, p), i, lv in zip(curve, infra, llm, strict=True)
            ],
        ),
        _figure(
            bill_chart,
            ("Service", "Expected USD / month", "Min - max USD / month"),
            [(i.item, money(i.expected_monthly_usd), money_range(i.monthly_usd.min, i.monthly_usd.max)) for i in items],
        ),
        '<h2 id="s-fleet">Pods and nodes</h2>\n<div class="grid">',
        _kv_table(_pods_rows(plan), "pods", "Pods"),
        _kv_table(_node_rows(plan), "nodes", "Nodes"),
        "</div>\n",
        _figure(
            profile_chart,
            ("Hour (UTC)", "Concurrent users", "Pods the load needs", "Pods the HPA runs", "Nodes"),
            [(f"{hour:02d}:00", f"{h[0]:,.0f}", f"{h[1]:,}", f"{h[2]:,}", f"{h[3]:,}") for hour, h in enumerate(hours)],
        ),
        '<h2 id="s-data">Database and cache</h2>\n',
        _kv_table(_data_rows(plan), "data-tier", "Database and cache"),
        '<h2 id="s-llm">LLM</h2>\n',
    ]
    if plan.llm is not None:
        llm_plan = plan.llm
        quota = llm_plan.quota.tokens_per_minute
        quota_chart = charts.tokens_against_quota(
            [llm_plan.model],
            [llm_plan.peak.tokens_per_minute],
            [quota],
            f"At peak {llm_plan.model} needs {llm_plan.peak.tokens_per_minute:,.0f} tokens per minute against "
            + (f"a quota of {quota:,} tokens per minute." if quota is not None else "a quota nobody published.")
            + " See the warnings for what to check.",
        )
        body += [
            _kv_table(llm_rows(llm_plan), "llm-rows", "LLM"),
            _figure(
                quota_chart,
                ("Model", "Peak tokens / minute", "Quota tokens / minute"),
                [
                    (
                        llm_plan.model,
                        f"{llm_plan.peak.tokens_per_minute:,.0f}",
                        f"{quota:,}" if quota is not None else "unknown",
                    )
                ],
            ),
        ]
    else:
        body.append("<p>None: sized without an LLM.</p>\n")
    body += [
        '<h2 id="s-choices">Why these choices</h2>\n',
        _kv_table(choice_rows(plan), "choices", "Why these choices"),
        _warnings(plan.warnings),
        "<footer>Made by <code>sizing report --format html</code> (chat-infra). The numbers are the plan's: "
        "<code>--format json</code> prints the same plan.</footer>\n",
    ]
    return _page(f"Sizing: {w.concurrent_users:,} concurrent users ({plan.tier} tier)", "".join(body))


def _model_name(plan: SizingPlan) -> str:
    return plan.llm.model if plan.llm is not None else "no LLM"


def compare_page(plans: Sequence[SizingPlan], sweeps: Sequence[Sequence[SizingPlan]]) -> str:
    """Scenarios side by side; ``sweeps``: per model compared, its plans over the loads, for the cost chart."""
    header, *rows = comparison_rows(plans)
    series = []
    for sweep in sweeps:
        ordered = sorted(sweep, key=lambda p: p.workload.concurrent_users)
        series.append(
            (
                _model_name(ordered[0]),
                [p.workload.concurrent_users for p in ordered],
                [p.cost.expected_monthly_usd for p in ordered],
            )
        )
    crossings = break_evens(series)
    if crossings:
        said = "; ".join(f"{a} and {b} cost the same at about {load:,.0f} users" for a, b, load, _ in crossings)
    elif len(series) > 1:
        said = "no two models cost the same anywhere in this range"
    else:
        said = "one model, so no break-even"
    model_chart = charts.cost_by_model(
        series,
        crossings,
        f"Expected monthly cost against concurrent users (log axes) for {len(series)} model(s): "
        + ", ".join(name for name, _, _ in series)
        + f"; {said}.",
    )
    labels = [f"{p.workload.concurrent_users:,} users, {_model_name(p)}" for p in plans if p.llm is not None]
    with_llm = [p for p in plans if p.llm is not None]
    figures = [
        _figure(
            model_chart,
            ("Model", "Concurrent users", "Expected USD / month"),
            [(name, f"{u:,}", money(c)) for name, us, cs in series for u, c in zip(us, cs, strict=True)]
            + [(f"break-even: {a} = {b}", f"{load:,.0f}", money(c)) for a, b, load, c in crossings],
        )
    ]
    if with_llm:
        quota_chart = charts.tokens_against_quota(
            labels,
            [p.llm.peak.tokens_per_minute for p in with_llm if p.llm],
            [p.llm.quota.tokens_per_minute for p in with_llm if p.llm],
            "Peak tokens per minute of each scenario with an LLM against its model's quota: "
            + "; ".join(
                f"{label}: {p.llm.peak.tokens_per_minute:,.0f}"
                + (f" of {p.llm.quota.tokens_per_minute:,}" if p.llm.quota.tokens_per_minute else " (quota unknown)")
                for label, p in zip(labels, with_llm, strict=True)
                if p.llm
            )
            + ".",
        )
        figures.append(
            _figure(
                quota_chart,
                ("Scenario", "Peak tokens / minute", "Quota tokens / minute"),
                [
                    (
                        label,
                        f"{p.llm.peak.tokens_per_minute:,.0f}",
                        f"{p.llm.quota.tokens_per_minute:,}" if p.llm.quota.tokens_per_minute else "unknown",
                    )
                    for label, p in zip(labels, with_llm, strict=True)
                    if p.llm
                ],
            )
        )
    warnings = list(dict.fromkeys(w for p in plans for w in p.warnings))
    body = [
        f'<header><h1>Scenario comparison</h1>\n<p class="lead">{len(plans)} scenarios in '
        f"{escape(plans[0].workload.region)}: "
        + ", ".join(f"{u:,}" for u in sorted({p.workload.concurrent_users for p in plans}))
        + " concurrent users; "
        + ", ".join(dict.fromkeys(escape(_model_name(p)) for p in plans))
        + ".</p></header>\n",
        '<h2 id="s-scenarios">Scenarios</h2>\n',
        _table(
            header[:1] + [f"{h} ({_model_name(p)})" for h, p in zip(header[1:], plans, strict=True)], rows, "comparison"
        ),
        '<h2 id="s-charts">Charts</h2>\n',
        *figures,
        _warnings(warnings),
        "<footer>Made by <code>sizing compare --format html</code> (chat-infra). The numbers are the plans': "
        "<code>--format json</code> prints the same plans.</footer>\n",
    ]
    return _page(f"Sizing comparison: {len(plans)} scenarios", "".join(body))
