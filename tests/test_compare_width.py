"""`compare`'s table never cuts a number, at any width from 40 columns up (issue 18): the scenarios are dealt into
as many tables as the width needs, each figure whole on one line; only labels and names fold."""

from __future__ import annotations

import json

import pytest

from sizing.cli.command import main

HAIKU = "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
ARGS = ("compare", "300", "3000", "30000", "--llm", "openai:gpt-4o-mini", "--llm", HAIKU, "--llm", "none")


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value < 1_000 else f"${value:,.0f}"


def _usd_range(low: float, high: float) -> str:
    cents = high < 1_000
    one = (lambda v: f"${v:,.2f}") if cents else (lambda v: f"${v:,.0f}")
    return one(low) if low == high else f"{one(low)} - {one(high)}"


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("c") / "plans.json"
    assert main([*ARGS, "-f", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text())


def _figures(plan: dict) -> list[str]:
    """Every figure the table shows for a plan, written from the JSON by the report's rules."""
    cost, nodes = plan["cost"], plan["nodes"]
    figures = [
        f"{plan['backend']['min_replicas']:,}-{plan['backend']['max_replicas']:,}",
        f"{nodes['min_nodes']:,}-{nodes['max_nodes']:,}",
        _usd_range(cost["infrastructure_monthly_usd"]["min"], cost["infrastructure_monthly_usd"]["max"]),
        _usd_range(cost["llm_monthly_usd"]["min"], cost["llm_monthly_usd"]["max"]),
        _usd(cost["expected_monthly_usd"]),
        _usd_range(cost["monthly_usd"]["min"], cost["monthly_usd"]["max"]),
        f"${cost['per_user_usd']['min']:.4f}-${cost['per_user_usd']['max']:.4f}",
    ]
    if plan["llm"]:
        figures.append(f"{plan['llm']['peak']['tokens_per_minute']:,.0f}")
    return figures


@pytest.mark.parametrize("columns", [40, 41, 60, 80, 100, 200])
def test_no_number_is_cut_at_any_width(columns, plans, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(list(ARGS)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= columns
    assert "…" not in out and "..." not in out
    cells = [cell.strip() for line in lines for cell in line.split("|")]
    for plan in plans:
        for figure in _figures(plan):
            # Whole, in a cell of its own: not cut, not wrapped onto two lines.
            assert figure in cells, (columns, figure)
    # The $1,451,970 - $2,903,940 of issue 18's 100-column terminal, whole.
    haiku_30k = next(
        p for p in plans if p["workload"]["concurrent_users"] == 30_000 and p["llm"] and "haiku" in p["llm"]["model"]
    )
    assert _usd_range(haiku_30k["cost"]["llm_monthly_usd"]["min"], haiku_30k["cost"]["llm_monthly_usd"]["max"]) in cells


def test_a_wide_terminal_keeps_one_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    assert main(list(ARGS)) == 0
    out = capsys.readouterr().out
    assert "Scenario comparison" in out and "(1 of" not in out


def test_a_narrow_terminal_deals_the_scenarios_into_tables(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    assert main(list(ARGS)) == 0
    out = capsys.readouterr().out
    assert "(1 of 9)" in out and "(9 of 9)" in out  # one scenario a table at 40 columns
