"""The HTML page's charts, drawn by matplotlib's SVG backend into text that is inlined in the page.

Why matplotlib: it is the well-kept standard for static plots in Python, draws log axes, stacked areas, step lines
and error bars without help, and its SVG backend writes plain vector markup that needs no script, no font file and
no network to show; with a fixed ``svg.hashsalt``, no date and text kept as text (``svg.fonttype: none``) the
same data gives the same bytes, a few tens of kB a chart. It is imported only when an HTML page is asked for, so
the other formats' cold start does not pay for it.

Each function takes plain numbers (the caller reads them from the plans) and returns one ``<svg>`` element with a
``<title>`` and ``<desc>`` its ``role="img"`` points at; the page adds each chart's data as a table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind-safe (Okabe-Ito), readable printed in grey too.
INFRA, LLM, MARK, GRID = "#0072B2", "#E69F00", "#D55E00", "#BBBBBB"
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Chart:
    """One chart: its id in the page, the svg markup, and what a screen reader says instead."""

    id: str
    title: str
    description: str
    svg: str


def _pyplot():
    import matplotlib

    matplotlib.use("svg")  # no display, no GUI toolkit: the same output on a server as on a laptop
    import matplotlib.pyplot as plt

    return plt


def _style(salt: str) -> dict[str, object]:
    return {
        "svg.hashsalt": salt,  # the ids matplotlib writes derive from it: fixed salt, same bytes
        "svg.fonttype": "none",  # text as <text>, drawn with the page's fonts: small, selectable, searchable
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": GRID,
        "grid.linewidth": 0.5,
        "figure.dpi": 100,
    }


def _svg(figure, chart_id: str, title: str, description: str) -> Chart:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    _pyplot().close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)  # RDF naming matplotlib: noise
    # Several charts share a page: matplotlib's ids (axes_1, patch_2, clip paths) made unique to this chart.
    text = re.sub(r'\bid="([^"]+)"', rf'id="{chart_id}-\1"', text)
    text = re.sub(r'(url\(#|href="#)([^")]+)', rf"\1{chart_id}-\2", text)
    # The page sizes the chart (CSS width 100%, height from the viewBox); the points matplotlib set would not shrink.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    label = (
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}-svg" '
        f'preserveAspectRatio="xMidYMid meet"'
    )
    text = text.replace("<svg", label, 1)
    head_end = text.index(">") + 1
    text = (
        text[:head_end]
        + f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + text[head_end:]
    )
    return Chart(chart_id, title, description, text.strip() + "\n")


def _money_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))


def _users_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def cost_against_load(
    users: Sequence[int],
    infrastructure: Sequence[float],
    llm: Sequence[float],
    tier_floors: Sequence[tuple[str, int]],
    marked: tuple[int, float],
    description: str,
) -> Chart:
    """Expected monthly cost (infrastructure below, the LLM on top) against concurrent users, both axes log."""
    plt = _pyplot()
    title = "Monthly cost against concurrent users"
    with plt.rc_context(_style("cost-vs-load")):
        figure, axes = plt.subplots(figsize=(7.5, 4.2))
        axes.stackplot(
            users, infrastructure, llm, labels=("Infrastructure", "LLM API"), colors=(INFRA, LLM), alpha=0.85
        )
        axes.set_xscale("log")
        axes.set_yscale("log")
        low = min(v for v in infrastructure if v > 0)
        axes.set_ylim(bottom=low / 2)
        axes.set_xlim(users[0], users[-1])
        for name, floor in tier_floors:
            if users[0] < floor < users[-1]:
                axes.axvline(floor, color="#555555", linestyle="--", linewidth=0.8)
                axes.annotate(
                    f"{name} from {floor:,}",
                    (floor, 1),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, -3),
                    textcoords="offset points",
                    rotation=90,
                    va="top",
                    fontsize=8,
                )
        load, total = marked
        axes.plot([load], [total], marker="o", color=MARK, markersize=8, linestyle="none", label="This plan")
        axes.annotate(
            f"this plan: {load:,} users, ${total:,.0f}",
            (load, total),
            xytext=(8, -14),
            textcoords="offset points",
            fontsize=9,
            color=MARK,
        )
        axes.set_title(title)
        axes.set_xlabel("Concurrent users at peak (log scale)")
        axes.set_ylabel("Expected cost (USD per month, log scale)")
        _users_axis(axes.xaxis)
        _money_axis(axes.yaxis)
        axes.legend(loc="upper left", frameon=False)
        return _svg(figure, "chart-cost-load", title, description)


def bill_breakdown(
    items: Sequence[str], expected: Sequence[float], low: Sequence[float], high: Sequence[float], description: str
) -> Chart:
    """One bar per bill line at its expected cost, the whisker from its min to its max."""
    plt = _pyplot()
    title = "The monthly bill, line by line"
    with plt.rc_context(_style("bill")):
        figure, axes = plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(items)))
        rows = list(range(len(items)))[::-1]
        below = [max(e - lo, 0.0) for e, lo in zip(expected, low, strict=True)]
        above = [max(hi - e, 0.0) for e, hi in zip(expected, high, strict=True)]
        axes.barh(rows, expected, color=INFRA, height=0.6, label="Expected")
        axes.errorbar(
            expected, rows, xerr=[below, above], fmt="none", ecolor="#333333", capsize=3, linewidth=1, label="Min - max"
        )
        axes.set_yticks(rows, items)
        axes.set_xscale("symlog", linthresh=10)
        axes.set_xlim(left=0)
        axes.set_title(title)
        axes.set_xlabel("USD per month (expected bar, min - max whisker; log scale above $10)")
        _money_axis(axes.xaxis)
        axes.grid(axis="y", visible=False)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14 - 1.2 / (3 + len(items))), ncols=2, frameon=False)
        return _svg(figure, "chart-bill", title, description)


def load_profile(
    users: Sequence[float],
    pods_run: Sequence[int],
    pods_needed: Sequence[int],
    pods_ceiling: int,
    nodes_run: Sequence[int],
    description: str,
) -> Chart:
    """The day's load, hour by hour, over the pods and nodes the HPA and the cluster run in each hour."""
    plt = _pyplot()
    title = "The day's load and the fleet that runs it"
    hours = list(range(24))
    with plt.rc_context(_style("profile")):
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True, height_ratios=(1, 1.2))
        top.bar(hours, users, color=LLM, width=0.8)
        top.set_title(title)
        top.set_ylabel("Concurrent users")
        _users_axis(top.yaxis)
        bottom.step(hours, pods_run, where="mid", color=INFRA, linewidth=2, label="Pods the HPA runs (its floor)")
        bottom.step(
            hours,
            pods_needed,
            where="mid",
            color=MARK,
            linestyle="--",
            linewidth=1.2,
            label="Pods the hour's load needs",
        )
        bottom.axhline(pods_ceiling, color="#555555", linestyle=":", linewidth=1, label="HPA ceiling")
        bottom.step(hours, nodes_run, where="mid", color="#009E73", linewidth=1.5, label="Nodes")
        bottom.set_ylim(bottom=0)
        bottom.set_ylabel("Pods and nodes (count)")
        bottom.set_xlabel("Hour of the day (UTC)")
        bottom.set_xticks(range(0, 24, 2))
        bottom.legend(loc="upper left", frameon=False, fontsize=8, ncols=2)
        return _svg(figure, "chart-profile", title, description)


def cost_by_model(
    series: Sequence[tuple[str, Sequence[int], Sequence[float]]],
    crossings: Sequence[tuple[str, str, float, float]],
    description: str,
) -> Chart:
    """Expected monthly cost against load, one line per model, with the loads where two of them cost the same."""
    plt = _pyplot()
    title = "Monthly cost against load, per model"
    with plt.rc_context(_style("models")):
        figure, axes = plt.subplots(figsize=(7.5, 4.2))
        markers = "osD^vP*X"
        for index, (name, users, cost) in enumerate(series):
            axes.plot(
                users,
                cost,
                color=SERIES[index % len(SERIES)],
                marker=markers[index % len(markers)],
                markersize=4,
                linewidth=1.6,
                label=name,
            )
        for _a, _b, load, at_cost in crossings:
            axes.plot([load], [at_cost], marker="o", markersize=10, markerfacecolor="none", color="#000000")
            axes.annotate(
                f"break-even {load:,.0f} users", (load, at_cost), xytext=(6, 6), textcoords="offset points", fontsize=8
            )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_title(title)
        axes.set_xlabel("Concurrent users at peak (log scale)")
        axes.set_ylabel("Expected cost (USD per month, log scale)")
        _users_axis(axes.xaxis)
        _money_axis(axes.yaxis)
        axes.legend(loc="upper left", frameon=False, fontsize=8)
        return _svg(figure, "chart-models", title, description)


def tokens_against_quota(
    labels: Sequence[str], peak: Sequence[float], quota: Sequence[float | None], description: str
) -> Chart:
    """Peak tokens per minute per scenario, and the quota it must fit (a cross where the quota is published)."""
    plt = _pyplot()
    title = "Peak tokens per minute against the quota"
    with plt.rc_context(_style("quota")):
        figure, axes = plt.subplots(figsize=(7.5, 1.2 + 0.4 * len(labels)))
        rows = list(range(len(labels)))[::-1]
        base = min([*peak, *(q for q in quota if q is not None)]) / 10  # a log axis has no zero to start at
        axes.barh(rows, [p - base for p in peak], left=base, color=LLM, height=0.6, label="Peak tokens/minute")
        known = [(row, q) for row, q in zip(rows, quota, strict=True) if q is not None]
        if known:
            axes.plot(
                [q for _, q in known],
                [row for row, _ in known],
                marker="|",
                markersize=22,
                markeredgewidth=3,
                linestyle="none",
                color=MARK,
                label="Quota",
            )
        for row, q in zip(rows, quota, strict=True):
            if q is None:
                axes.annotate(
                    "quota unknown",
                    (0, row),
                    xycoords=("axes fraction", "data"),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                )
        axes.set_yticks(rows, labels)
        axes.set_xscale("log")
        axes.set_xlim(left=base)
        axes.set_title(title)
        axes.set_xlabel("Tokens per minute (input + output; log scale)")
        from matplotlib.ticker import FuncFormatter

        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.grid(axis="y", visible=False)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2 - 1.2 / (3 + len(labels))), ncols=2, frameon=False)
        return _svg(figure, "chart-quota", title, description)
