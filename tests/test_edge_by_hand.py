"""The public edge by hand: the ALB's LCUs and the WAF's bill at three loads with an LLM streaming answers, and the
WAF rate limit's derivation (sizing/engine/edge.py, docs/methodology.md "The public edge").

The fake prices (tests/conftest.py): ALB $0.03 an hour + $0.01 an LCU-hour; WAF $5 a web ACL-month, $1 a rule-month,
$0.50 a million requests. The month is 730 h, the day's mean load 0.1 of the peak (tests/hand_plans.py). The LLM's
streams: 1 turn a user a minute, 1 s to the first token + 211 tokens at 100 a second = 3.11 s each (Little's law:
open streams = turns/s x 3.11); a turn costs (1,155 x $1 + 211 x $5) / 1e6 = $0.00221 at the stand-in prices.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

from sizing.assumptions import Assumptions
from sizing.engine.edge import derived_rate_limit

H = 730
MEAN = 0.1
LLM = {"llm": "openai:gpt-test", "token_prices": flat_token_prices(1.0, 5.0, 0.10)}
TURN_USD = (1_155 * 1 + 211 * 5) / 1e6
STREAM_S = 1 + 211 / 100


def plan(fake_catalog, fake_prices, users, overrides=None, **workload):
    return build(fake_catalog, fake_prices, users, users * 10, overrides, **{**LLM, **workload})


def line(plan, key):
    item = next(i for i in plan.cost.breakdown if i.key == key)
    return item.monthly_usd.min, item.expected_monthly_usd, item.monthly_usd.max


def about(*values):
    return tuple(pytest.approx(v, abs=0.01) for v in values)


# (users, requests/s, open streams at peak, LCUs at peak, the dimension billed)
LOADS = [
    # 100 users: 5 requests/s, 0.5 new connections/s (0.02 LCU); 100 + 100/60 x 3.11 = 105.18 active (0.035 LCU);
    # 5 x 32 KB x 3,600 = 0.576 GB/h (0.576 LCU): bytes.
    (100, 5, 100 / 60 * STREAM_S, 0.576, "processed bytes"),
    # 10,000 users: 500/s; 50 new connections/s (2 LCU); 10,000 + 518.3 active (3.506 LCU); 57.6 GB/h: bytes.
    (10_000, 500, 10_000 / 60 * STREAM_S, 57.6, "processed bytes"),
    # 1,000 users with no response bytes: active connections, 1,000 + 51.83 = 1,051.83 / 3,000 = 0.3506 LCU, beat
    # 5 new connections/s (0.2 LCU).
    (1_000, 50, 1_000 / 60 * STREAM_S, (1_000 + 1_000 / 60 * STREAM_S) / 3_000, "active connections"),
]


@pytest.mark.parametrize(("users", "rps", "streams", "lcus", "billed"), LOADS)
def test_alb_lcus_and_bill_by_hand(fake_catalog, fake_prices, users, rps, streams, lcus, billed):
    overrides = {"traffic": {"response_kb_per_request": 0}} if billed == "active connections" else None
    got = plan(fake_catalog, fake_prices, users, overrides)
    assert got.llm.peak.open_streams == pytest.approx(streams)
    lb = got.edge.load_balancer
    assert lb.active_connections == pytest.approx(users + streams, abs=0.01)
    assert lb.new_connections_per_second == pytest.approx(rps / 10)
    assert (lb.lcus, lb.billed_dimension) == (pytest.approx(lcus, abs=1e-4), billed)
    assert lb.rule_evaluations_per_second == 0  # one listener rule, under the ten free
    # Min and expected at the mean load (every dimension is linear in it), max at peak all month.
    assert line(got, "load_balancer") == about(
        (0.03 + lcus * MEAN * 0.01) * H, (0.03 + lcus * MEAN * 0.01) * H, (0.03 + lcus * 0.01) * H
    )


@pytest.mark.parametrize(("users", "rps"), [(100, 5), (1_000, 50), (10_000, 500)])
def test_waf_bill_by_hand(fake_catalog, fake_prices, users, rps):
    got = plan(fake_catalog, fake_prices, users)
    million = rps * 3_600 * H / 1e6  # requests a month at peak, in millions
    assert (got.edge.waf.requests_per_month.min, got.edge.waf.requests_per_month.max) == (
        pytest.approx(million * MEAN * 1e6),
        pytest.approx(million * 1e6),
    )
    # The web ACL ($5) and its one rate-based rule ($1), and the requests it inspects.
    assert line(got, "waf") == about(6 + million * MEAN * 0.50, 6 + million * MEAN * 0.50, 6 + million * 0.50)
    # The managed common rule set is one more rule a month.
    managed = plan(fake_catalog, fake_prices, users, {"edge": {"waf_managed_rules": True}})
    assert line(managed, "waf")[2] == pytest.approx(7 + million * 0.50, abs=0.01)
    assert (managed.edge.waf.rules, managed.edge.waf.managed_rules) == (2, True)


def test_the_rate_limit_is_a_users_request_rate_with_headroom_over_the_window(fake_catalog, fake_prices):
    got = plan(fake_catalog, fake_prices, 1_000)
    waf = got.edge.waf
    # 3 requests a user a minute (1 of them a turn) x 10 headroom x 5 minutes.
    assert (waf.rate_limit_per_ip, waf.evaluation_window_s, waf.rate_limit_source) == (150, 300, "derived")
    # At the limit, an address makes 150 requests every 5 minutes, 1,800 an hour: at most that many turns.
    assert waf.max_llm_usd_per_ip_hour == pytest.approx(round(1_800 * TURN_USD, 2))
    assert waf.rate_limit_reason.startswith("150 requests per client IP per 5 min: 3 requests a user makes")
    assert f"${1_800 * TURN_USD:.2f} an hour" in waf.rate_limit_reason


@pytest.mark.parametrize(
    ("assumptions", "limit"),
    [
        ({}, 150),
        # A turn rate above the request rate sets the base: 6 a minute x 10 x 5.
        ({"llm": {"turns_per_user_per_minute": 6}}, 300),
        # One minute's window: 3 x 10 x 1.
        ({"edge": {"rate_limit_window_s": 60}}, 30),
        # Ten minutes with double headroom: 3 x 20 x 10.
        ({"edge": {"rate_limit_window_s": 600, "rate_limit_headroom": 20}}, 600),
        # Below WAF's minimum of 10: 0.1 x 1 x 1 = 0.1 -> 10.
        (
            {
                "requests_per_user_per_minute": 0.1,
                "llm": {"turns_per_user_per_minute": 0.1},
                "edge": {"rate_limit_window_s": 60, "rate_limit_headroom": 1},
            },
            10,
        ),
        # Whole products stay: 2.5 x 7 x 2 = 35; fractions round up, even below a half: 2.6 x 7 x 2 = 36.4 -> 37.
        ({"requests_per_user_per_minute": 2.5, "edge": {"rate_limit_window_s": 120, "rate_limit_headroom": 7}}, 35),
        (
            {"requests_per_user_per_minute": 2.6, "edge": {"rate_limit_window_s": 120, "rate_limit_headroom": 7}},
            37,
        ),
    ],
)
def test_the_derived_limit(assumptions, limit):
    assert derived_rate_limit(Assumptions(**assumptions))[0] == limit


def test_an_override_is_the_limit_and_the_report_says_what_it_replaces(fake_catalog, fake_prices):
    got = plan(fake_catalog, fake_prices, 1_000, {"edge": {"rate_limit_per_ip": 40}})
    waf = got.edge.waf
    assert (waf.rate_limit_per_ip, waf.rate_limit_source, waf.derived_rate_limit_per_ip) == (40, "override", 150)
    assert "set by rateLimitPerIp" in waf.rate_limit_reason and "give 150" in waf.rate_limit_reason


@pytest.mark.parametrize(
    "edge",
    [
        {"rate_limit_per_ip": 9},  # under WAF's minimum
        {"rate_limit_per_ip": 2_000_000_001},
        {"rate_limit_window_s": 90},  # not a window WAF offers
        {"rate_limit_headroom": 0.5},
        {"waf_managed_rules": "yes"},
    ],
)
def test_out_of_range_edge_assumptions_are_refused(edge):
    with pytest.raises(ValueError):
        Assumptions(edge=edge)


def test_without_an_llm_there_is_no_spend_figure_and_no_streams(fake_catalog, fake_prices):
    got = build(fake_catalog, fake_prices, 1_000, 10_000)
    assert got.llm is None
    assert got.edge.waf.max_llm_usd_per_ip_hour is None
    assert got.edge.load_balancer.active_connections == 1_000
    assert "LLM" not in got.edge.waf.rate_limit_reason
