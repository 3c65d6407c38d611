"""The HTML pages opened in a real browser: headless Chromium (Debian's `chromium` package) driven by Playwright.

No console error, no request but the file itself, every chart drawn with a box of its own, the key numbers equal to
the JSON plan's, no serious or critical accessibility violation (axe-core, run in the page, light and dark), and a
screenshot that is not blank. Playwright's own browser download is never used: the system's chromium is.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from sizing.cli.command import main

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's `chromium` package (apt-get install -y chromium); .ci/run installs it"
)
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (the test extra)")
axe_package = pytest.importorskip("axe_playwright_python", reason="needs axe-playwright-python (the test extra)")

HAIKU = "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
MINI = "openai:gpt-4o-mini"
REPORT_CHARTS = ("chart-cost-load", "chart-bill", "chart-profile", "chart-quota")
COMPARE_CHARTS = ("chart-models", "chart-quota")


def _sizing(*args: str) -> None:
    assert main(list(args)) == 0


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    _sizing("report", "-c", "3000", "-f", "html", "-o", str(folder / "plan.html"))
    _sizing("report", "-c", "3000", "-f", "json", "-o", str(folder / "plan.json"))
    loads, models = ("300", "3000", "30000"), ("--llm", MINI, "--llm", HAIKU, "--llm", "none")
    _sizing("compare", *loads, *models, "-f", "html", "-o", str(folder / "compare.html"))
    _sizing("compare", *loads, *models, "-f", "json", "-o", str(folder / "compare.json"))
    return folder


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Visit:
    """A page opened in a fresh context, with what it logged and what it asked the network for."""

    def __init__(self, browser, path: Path, scheme: str = "light", bypass_csp: bool = False) -> None:
        self.context = browser.new_context(
            color_scheme=scheme, viewport={"width": 1100, "height": 900}, bypass_csp=bypass_csp
        )
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Anything but the page itself would be a fetch from elsewhere: refuse it (and it is recorded above).
        self.page.route("**/*", lambda route: route.continue_() if route.request.url == self.url else route.abort())
        self.page.goto(self.url, wait_until="load")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(params=["plan", "compare"])
def visit(request, browser, pages):
    opened = Visit(browser, pages / f"{request.param}.html")
    yield request.param, opened
    opened.close()


def test_no_console_error_and_no_request_but_the_file(visit):
    _, opened = visit
    opened.page.wait_for_timeout(200)  # anything lazy (a font, an image) would have asked by now
    assert opened.errors == []
    assert opened.requests == [opened.url]


def test_every_chart_is_drawn_with_a_box_and_a_name(visit):
    name, opened = visit
    for chart in REPORT_CHARTS if name == "plan" else COMPARE_CHARTS:
        svg = opened.page.locator(f"#{chart} svg[role=img]")
        assert svg.count() == 1, chart
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, (chart, box)
        # The accessible name is the chart's <title>, its description the <desc>: both said, both non-empty.
        title_id, desc_id = svg.get_attribute("aria-labelledby").split()
        assert opened.page.locator(f"#{title_id}").text_content().strip()
        assert len(opened.page.locator(f"#{desc_id}").text_content().strip()) > 40
        # Text drawn in the chart is real text (svg.fonttype none): its title is readable inside the svg.
        assert svg.locator("text").count() > 5


def _usd(value: float) -> str:
    """The report's rule, written out: cents below $1,000, whole dollars from there."""
    return f"${value:,.2f}" if value < 1_000 else f"${value:,.0f}"


def _usd_range(low: float, high: float) -> str:
    cents = high < 1_000
    one = (lambda v: f"${v:,.2f}") if cents else (lambda v: f"${v:,.0f}")
    return one(low) if low == high else f"{one(low)} - {one(high)}"


def _rows(page, table: str) -> dict[str, str]:
    cells = page.locator(f"#{table} tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').innerText, r.querySelector('td').innerText])"
    )
    return {label.strip(): value.strip() for label, value in cells}


def test_the_cost_summary_rows_are_the_plans_figures_whole(browser, pages):
    plan = json.loads((pages / "plan.json").read_text())
    cost = plan["cost"]
    opened = Visit(browser, pages / "plan.html")
    try:
        rows = _rows(opened.page, "cost-summary")
    finally:
        opened.close()
    infra, llm = cost["infrastructure_monthly_usd"], cost["llm_monthly_usd"]
    assert rows["Expected (Monthly)"] == f"{_usd(cost['expected_monthly_usd'])} on the day's load profile"
    assert rows["Infrastructure"] == (
        f"{_usd(cost['infrastructure_expected_monthly_usd'])} expected ({_usd_range(infra['min'], infra['max'])})"
    )
    assert (
        rows["LLM API"] == f"{_usd(cost['llm_expected_monthly_usd'])} expected ({_usd_range(llm['min'], llm['max'])})"
    )
    per_user = cost["per_user_usd"]
    assert rows["Cost per User"] == f"${per_user['min']:.4f} - ${per_user['max']:.4f}"


def test_the_bill_and_the_comparison_show_the_plans_numbers(browser, pages):
    plan = json.loads((pages / "plan.json").read_text())
    opened = Visit(browser, pages / "plan.html")
    try:
        cells = opened.page.locator("#cost-breakdown tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.children].map(c => c.innerText))"
        )
    finally:
        opened.close()
    assert [row[0] for row in cells] == [item["item"] for item in plan["cost"]["breakdown"]]
    for (_, expected, _), item in zip(cells, plan["cost"]["breakdown"], strict=True):
        shown = float(expected.replace("$", "").replace(",", ""))
        assert shown == pytest.approx(item["expected_monthly_usd"], abs=0.5 if shown >= 1_000 else 0.005)

    plans = json.loads((pages / "compare.json").read_text())
    opened = Visit(browser, pages / "compare.html")
    try:
        table = opened.page.locator("#comparison tr").evaluate_all(
            "rows => rows.map(r => [...r.children].map(c => c.innerText.trim()))"
        )
    finally:
        opened.close()
    by_label = {row[0]: row[1:] for row in table[1:]}
    assert len(by_label["Expected monthly"]) == len(plans) == 9
    for shown, compared in zip(by_label["Expected monthly"], plans, strict=True):
        assert shown == _usd(compared["cost"]["expected_monthly_usd"])
    for shown, compared in zip(by_label["LLM peak TPM"], plans, strict=True):
        llm = compared["llm"]
        assert shown == (f"{llm['peak']['tokens_per_minute']:,.0f}" if llm else "-")


AXE = Path(axe_package.__file__).with_name("axe.min.js")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["plan", "compare"])
def test_no_serious_accessibility_violation(browser, pages, name, scheme):
    # The page's CSP forbids every script; axe is the test's, injected past it in this context only.
    opened = Visit(browser, pages / f"{name}.html", scheme=scheme, bypass_csp=True)
    try:
        opened.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        results = opened.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        opened.close()
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert results["testEngine"]["name"] == "axe-core"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_screenshot_is_not_blank_and_dark_is_dark(browser, pages, scheme):
    opened = Visit(browser, pages / "plan.html", scheme=scheme)
    try:
        shot = opened.page.screenshot(full_page=True)
        background = opened.page.evaluate("getComputedStyle(document.body).backgroundColor")
    finally:
        opened.close()
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with matplotlib; without it, a blank page still compresses to almost nothing
        assert len(shot) > 100_000
    else:
        image = Image.open(io.BytesIO(shot)).convert("RGB")
        assert image.height > 2_000  # the whole report, not an empty viewport
        colours = image.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 200  # text, charts, tables: far more than a blank page's few
        commonest = max(colours)[0] / (image.width * image.height)
        assert commonest < 0.9  # the background is not nearly everything
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(22, 23, 27)")


def test_the_page_prints(browser, pages):
    opened = Visit(browser, pages / "plan.html")
    try:
        opened.page.emulate_media(media="print")
        hidden = opened.page.locator("#chart-bill-data").is_visible()  # the chart data tables print open
        pdf = opened.page.pdf(format="A4")
    finally:
        opened.close()
    assert hidden and pdf.startswith(b"%PDF") and len(pdf) > 50_000
