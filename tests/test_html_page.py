"""`--format html` without a browser: one self-contained, deterministic, small page whose numbers are the plan's;
the charts' data derived by hand; matplotlib left out of every other format's start."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from sizing import Workload, calculate
from sizing.cli.command import main
from sizing.cli.html_page import break_evens, hourly_fleet, sweep_loads


def _page(tmp_path, *args: str) -> str:
    out = tmp_path / "page.html"
    assert main([*args, "-f", "html", "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    return _page(tmp_path_factory.mktemp("r"), "report", "-c", "3000")


def test_the_page_is_self_contained(report_page):
    assert report_page.startswith("<!DOCTYPE html>") and '<html lang="en">' in report_page
    assert "<script" not in report_page.lower()
    # References inside the page (a chart's clip path, url(#p1a2b)) only; nothing to load from elsewhere.
    assert not re.search(r"""\b(?:src|href)\s*=\s*["'](?!#)|url\((?!#)|@import|@font-face""", report_page, re.I)
    # The only URLs are XML namespaces, which no browser fetches.
    assert set(re.findall(r"https?://[^\s\"'<>]+", report_page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "default-src 'none'" in report_page  # the browser is told to fetch nothing
    assert "prefers-color-scheme: dark" in report_page and "@media print" in report_page


def test_the_page_is_small_and_deterministic(tmp_path, report_page):
    assert len(report_page.encode("utf-8")) < 1_000_000
    assert _page(tmp_path, "report", "-c", "3000") == report_page


def test_the_page_is_well_formed_with_four_labelled_charts(report_page):
    class Check(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: list[str] = []
            self.charts: list[dict] = []

        def handle_starttag(self, tag, attrs):
            found = dict(attrs)
            if "id" in found:
                self.ids.append(found["id"])
            if tag == "svg":
                self.charts.append(found)

    check = Check()
    check.feed(report_page)
    assert len(check.ids) == len(set(check.ids)), "duplicate ids"
    assert [c["id"] for c in check.charts] == [
        "chart-cost-load-svg",
        "chart-bill-svg",
        "chart-profile-svg",
        "chart-quota-svg",
    ]
    for chart in check.charts:
        assert chart["role"] == "img"
        title, desc = chart["aria-labelledby"].split()
        assert title in check.ids and desc in check.ids
    for label in (
        "Concurrent users at peak (log scale)",
        "USD per month",
        "Hour of the day (UTC)",
        "Tokens per minute",
    ):
        assert label in report_page


def _summary(page: str) -> dict[str, str]:
    table = page[page.index('<table class="kv" id="cost-summary">') :]
    table = table[: table.index("</table>")]
    return dict(re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', table))


def test_the_cost_summary_rows_are_the_plans_whole(tmp_path):
    # 3,000 users with gpt-4o-mini: every figure is over $1,000, shown in whole dollars (the report's rule).
    page = _page(tmp_path, "report", "-c", "3000", "--llm", "openai:gpt-4o-mini")
    assert main(["report", "-c", "3000", "--llm", "openai:gpt-4o-mini", "-f", "json", "-o", str(tmp_path / "p")]) == 0
    cost = json.loads((tmp_path / "p").read_text())["cost"]
    infra, llm, total = cost["infrastructure_monthly_usd"], cost["llm_monthly_usd"], cost["monthly_usd"]
    rows = _summary(page)
    assert rows["Expected (Monthly)"] == f"${cost['expected_monthly_usd']:,.0f} on the day&#x27;s load profile"
    assert rows["Range (Monthly)"] == (
        f"${total['min']:,.0f} - ${total['max']:,.0f} (all at minimum - all at the HPA ceiling)"
    )
    assert rows["Infrastructure"] == (
        f"${cost['infrastructure_expected_monthly_usd']:,.0f} expected (${infra['min']:,.0f} - ${infra['max']:,.0f})"
    )
    assert rows["LLM API"] == (
        f"${cost['llm_expected_monthly_usd']:,.0f} expected (${llm['min']:,.0f} - ${llm['max']:,.0f})"
    )
    assert rows["Cost per User"] == f"${cost['per_user_usd']['min']:.4f} - ${cost['per_user_usd']['max']:.4f}"


def test_the_comparison_page_has_every_scenario(tmp_path):
    page = _page(tmp_path, "compare", "300", "3000", "--llm", "openai:gpt-4o-mini", "--llm", "none")
    assert 'id="chart-models"' in page and 'id="chart-quota"' in page
    table = page[page.index('<table id="comparison">') :]
    table = table[: table.index("</thead>")]
    assert table.count('<th scope="col" class=num>') == 4  # 2 loads x 2 models
    assert len(page.encode()) < 1_000_000


def test_sweep_loads_are_1_2_5_steps_with_the_plans_load():
    assert sweep_loads(10, 1_000, 300) == [10, 20, 50, 100, 200, 300, 500, 1_000]
    assert sweep_loads(300, 30_000) == [300, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000]


def test_break_even_is_where_two_lines_cross_on_log_axes():
    # a = u and b = 100,000 / u, straight lines on log axes: they meet at u = sqrt(100,000) = 316.2, cost 316.2.
    found = break_evens([("A", [100, 1_000], [100.0, 1_000.0]), ("B", [100, 1_000], [1_000.0, 100.0])])
    assert len(found) == 1
    a, b, load, cost = found[0]
    assert (a, b) == ("A", "B")
    assert load == pytest.approx(math.sqrt(100_000)) and cost == pytest.approx(math.sqrt(100_000))
    assert break_evens([("A", [1, 10], [1.0, 2.0]), ("B", [1, 10], [3.0, 4.0])]) == []


def test_the_hourly_fleet_holds_the_hpa_floor_and_follows_the_profile():
    plan = calculate(Workload(concurrent_users=3_000, llm="none"))
    a = plan.assumptions
    hours = hourly_fleet(plan)
    assert len(hours) == 24
    for (users, needed, run, nodes), share in zip(hours, a.traffic.hourly_profile, strict=True):
        assert users == pytest.approx(3_000 * share)
        # The load alone needs ceil(users / users_per_pod x buffer) pods of each, at least the floor.
        backend = max(a.min_replicas, math.ceil(math.ceil(users) / a.backend.users_per_pod * a.backend.buffer - 1e-9))
        frontend = max(
            a.min_replicas, math.ceil(math.ceil(users) / a.frontend.users_per_pod * a.frontend.buffer - 1e-9)
        )
        assert needed == backend + frontend
        # The HPA floor is sized for the peak: it runs all day, on the min fleet.
        assert run == plan.backend.min_replicas + plan.frontend.min_replicas
        assert nodes == plan.nodes.min_nodes


def test_other_formats_do_not_import_matplotlib():
    probe = (
        "import sys; from sizing.cli.command import main; "
        "main(['report', '-c', '1000', '-f', 'json', '-o', '/dev/null']); "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
