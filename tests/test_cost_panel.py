"""The cost panel's summary rows, each read whole (issue 18): a figure written into the wrong row must fail.

A substring check passes when the LLM row shows the infrastructure figure, since the breakdown rows below hold the
same amounts; here each summary row is found by its label and compared, label to end, with the text written by hand
from the JSON plan. tests/test_html_page.py and tests/test_html_browser.py do the same for the HTML page.
"""

from __future__ import annotations

import json
import re

import pytest

from sizing.cli.command import main

ARGS = ("report", "-c", "3000", "--llm", "openai:gpt-4o-mini")


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("p") / "plan.json"
    assert main([*ARGS, "-f", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text())


def _summary_rows(out: str) -> dict[str, str]:
    """The Cost Estimate panel's label/value rows, up to its blank line (the breakdown follows)."""
    panel = out[out.index("Cost Estimate") :].splitlines()[1:]
    rows = {}
    for line in panel:
        inner = line.strip().strip("|").strip()
        if not inner:
            break
        label, value = re.split(r"\s{2,}", inner, maxsplit=1)
        rows[label] = value
    return rows


def test_every_summary_row_is_the_plans_figures_whole(plan, capsys):
    assert main(list(ARGS)) == 0
    rows = _summary_rows(capsys.readouterr().out)
    cost = plan["cost"]
    infra, llm, total = cost["infrastructure_monthly_usd"], cost["llm_monthly_usd"], cost["monthly_usd"]
    # 3,000 users on gpt-4o-mini: every amount is over $1,000, in whole dollars (the report's rule).
    assert min(infra["min"], llm["min"], cost["infrastructure_expected_monthly_usd"]) > 1_000
    assert rows == {
        "Expected (Monthly)": f"${cost['expected_monthly_usd']:,.0f} on the day's load profile",
        "Range (Monthly)": f"${total['min']:,.0f} - ${total['max']:,.0f} (all at minimum - all at the HPA ceiling)",
        "Infrastructure": f"${cost['infrastructure_expected_monthly_usd']:,.0f} expected "
        f"(${infra['min']:,.0f} - ${infra['max']:,.0f})",
        "LLM API": f"${cost['llm_expected_monthly_usd']:,.0f} expected (${llm['min']:,.0f} - ${llm['max']:,.0f})",
        "Cost per User": f"${cost['per_user_usd']['min']:.4f} - ${cost['per_user_usd']['max']:.4f}",
    }
    assert cost["llm_expected_monthly_usd"] != cost["infrastructure_expected_monthly_usd"]
