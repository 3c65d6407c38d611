"""The public edge: the Application Load Balancer in front of the frontend and the WAF web ACL on it.

What the plan says about them (``EdgePlan``) and what they cost (the ``load_balancer`` and ``waf`` lines of the bill).
Pure: the load, the assumptions and the prices in; no Pulumi, no I/O.

An LCU (AWS's Load Balancer Capacity Unit for an ALB, aws.amazon.com/elasticloadbalancing/pricing/) is the largest of
four dimensions an hour: 25 new connections a second, 3,000 active connections a minute, 1 GB processed an hour (IP
and instance targets), 1,000 rule evaluations a second (the first 10 rules a request processes are free).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sizing.assumptions import Assumptions
from sizing.data.pricing import RegionPrices
from sizing.engine.cost import linear_item
from sizing.engine.load_profile import LoadProfile
from sizing.plan import CostItem, EdgePlan, LLMPlan, LoadBalancerPlan, Range, WafPlan

LCU_NEW_CONNECTIONS_PER_S = 25
LCU_ACTIVE_CONNECTIONS = 3_000
LCU_GB_PER_HOUR = 1
LCU_RULE_EVALUATIONS_PER_S = 1_000
FREE_RULES = 10
# Browsers reuse keep-alive connections: a new connection per ten requests (as the NLB was priced before).
REQUESTS_PER_CONNECTION = 10
# The listener rules a request meets: the Ingress's one path (the HTTP listener only redirects). Under the 10 free.
LISTENER_RULES = 1
# What WAF accepts as a rate-based rule's Limit (wafv2 RateBasedStatement).
WAF_MIN_LIMIT, WAF_MAX_LIMIT = 10, 2_000_000_000
DIMENSIONS = ("new connections", "active connections", "processed bytes", "rule evaluations")


def alb_dimensions(
    concurrent_users: float, requests_per_second: float, open_streams: float, response_kb: float
) -> dict[str, float]:
    """Each LCU dimension's measure, at one load.

    Active connections: each concurrent user holds one keep-alive connection between its requests (they come every
    60 / requests-a-minute seconds, well inside the idle timeout), and an answer streaming holds one more for its whole
    length (a browser's HTTP/1.1 connection carries one response at a time)."""
    return {
        "new connections": requests_per_second / REQUESTS_PER_CONNECTION,
        "active connections": concurrent_users + open_streams,
        "processed bytes": requests_per_second * response_kb * 3_600 / 1_000_000,
        "rule evaluations": requests_per_second * max(0, LISTENER_RULES - FREE_RULES),
    }


def alb_lcus(dimensions: dict[str, float]) -> tuple[float, str]:
    """The LCUs an hour bills (its largest dimension) and which dimension that is."""
    per = {
        "new connections": dimensions["new connections"] / LCU_NEW_CONNECTIONS_PER_S,
        "active connections": dimensions["active connections"] / LCU_ACTIVE_CONNECTIONS,
        "processed bytes": dimensions["processed bytes"] / LCU_GB_PER_HOUR,
        "rule evaluations": dimensions["rule evaluations"] / LCU_RULE_EVALUATIONS_PER_S,
    }
    billed = max(DIMENSIONS, key=lambda name: per[name])
    return per[billed], billed


def derived_rate_limit(assumptions: Assumptions) -> tuple[int, float]:
    """(limit per window, the per-user request rate it starts from).

    WAF counts every request an address makes, and a chat turn is one of a user's requests: the base is the user's
    request rate at peak (or its turn rate, should that be set higher), times the headroom, over the window."""
    edge = assumptions.edge
    per_minute = max(assumptions.requests_per_user_per_minute, assumptions.llm.turns_per_user_per_minute)
    exact = per_minute * edge.rate_limit_headroom * edge.rate_limit_window_s / 60
    # Rounded to the millionth first, so 3 x 10 x 300 / 60 is 150, not 150.00000000000003 -> 151.
    return min(WAF_MAX_LIMIT, max(WAF_MIN_LIMIT, math.ceil(round(exact, 6)))), per_minute


def _window(seconds: int) -> str:
    return f"{seconds // 60} min"


def plan_edge(
    concurrent_users: int,
    requests_per_second: float,
    assumptions: Assumptions,
    llm: LLMPlan | None,
    profile: LoadProfile,
) -> EdgePlan:
    edge = assumptions.edge
    streams = llm.peak.open_streams if llm is not None else 0.0
    dims = alb_dimensions(concurrent_users, requests_per_second, streams, assumptions.traffic.response_kb_per_request)
    lcus, billed = alb_lcus(dims)
    derived, per_minute = derived_rate_limit(assumptions)
    limit = edge.rate_limit_per_ip if edge.rate_limit_per_ip is not None else derived
    window = edge.rate_limit_window_s
    spend = round(limit * 3_600 / window * llm.turn_usd, 2) if llm is not None else None
    if edge.rate_limit_per_ip is None:
        why = (
            f"{limit:,} requests per client IP per {_window(window)}: {per_minute:g} requests a user makes a minute at "
            f"peak x {edge.rate_limit_headroom:g} headroom x {window // 60} min"
            + (" (WAF's minimum is 10)" if limit == WAF_MIN_LIMIT else "")
        )
    else:
        why = (
            f"{limit:,} requests per client IP per {_window(window)}: set by rateLimitPerIp "
            f"(assumptions.edge.rate_limit_per_ip); the assumptions give {derived:,}"
        )
    if spend is not None:
        why += f"; an address at the limit all hour costs at most ${spend:,.2f} an hour in LLM turns"
    monthly_requests = requests_per_second * 3_600 * profile.hours_per_month
    return EdgePlan(
        load_balancer=LoadBalancerPlan(
            new_connections_per_second=round(dims["new connections"], 4),
            active_connections=round(dims["active connections"], 2),
            processed_gb_per_hour=round(dims["processed bytes"], 4),
            rule_evaluations_per_second=round(dims["rule evaluations"], 4),
            lcus=round(lcus, 4),
            billed_dimension=billed,
        ),
        waf=WafPlan(
            rate_limit_per_ip=limit,
            evaluation_window_s=window,
            rate_limit_source="derived" if edge.rate_limit_per_ip is None else "override",
            derived_rate_limit_per_ip=derived,
            rate_limit_reason=why,
            max_llm_usd_per_ip_hour=spend,
            managed_rules=edge.waf_managed_rules,
            rules=1 + int(edge.waf_managed_rules),
            requests_per_month=Range(min=round(monthly_requests * profile.mean), max=round(monthly_requests)),
        ),
    )


def edge_cost_items(
    plan: EdgePlan,
    concurrent_users: int,
    requests_per_second: float,
    open_streams: float,
    response_kb: float,
    profile: LoadProfile,
    prices: RegionPrices,
) -> list[CostItem]:
    """The ALB (hours and LCUs) and the WAF web ACL (the ACL and its rules a month, requests per million), at the
    average load (min, and expected: each dimension is linear in the load, so the hour-by-hour sum is the mean's) and
    at peak all month (max)."""
    hours, price = profile.hours_per_month, prices.service

    def load_balancer(load: float) -> float:
        lcus, _ = alb_lcus(
            alb_dimensions(concurrent_users * load, requests_per_second * load, open_streams * load, response_kb)
        )
        return (price("alb_hour") + lcus * price("alb_lcu_hour")) * hours

    def waf(load: float) -> float:
        requests = requests_per_second * load * 3_600 * hours
        fixed = price("waf_web_acl_month") + plan.waf.rules * price("waf_rule_month")
        return fixed + requests / 1_000_000 * price("waf_request_million")

    def item(key: str, label: str, monthly: Callable[[float], float], source: str) -> CostItem:
        return linear_item(key, label, monthly, source, profile.mean)

    rules = plan.waf.rules
    return [
        item(
            "load_balancer",
            "Load balancer (ALB)",
            load_balancer,
            "hourly and LCU list prices",
        ),
        item(
            "waf",
            f"WAF web ACL ({rules} rule{'s' if rules > 1 else ''})",
            waf,
            "per web ACL-month, rule-month and million requests list prices",
        ),
    ]
