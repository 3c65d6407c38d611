"""Every assumption can be overridden, and every override moves the plan the way its formula says.

One case per field of ``Assumptions`` and of its sub-models (``test_every_assumption_field_has_a_case`` keeps the
list complete: a new field fails it until it has a case). Each case changes that one field (and, where validation
requires it, its pair: a limit raised with its request) on the fake catalog and prices of tests/conftest.py, from
the explicit assumptions of tests/hand_plans.py, measures one quantity of the plan, and checks that it differs from
the unchanged plan and equals the value derived by hand in the case's comment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from pydantic import BaseModel

from hand_plans import build, flat_token_prices
from sizing.assumptions import Assumptions


class Case(NamedTuple):
    path: str  # the field overridden, dotted
    value: Any
    measure: Callable  # plan -> the quantity the field moves
    expected: Any  # that quantity, by hand
    users: int = 1_000
    workload: dict = {}
    also: dict = {}  # companion overrides validation needs (a limit with its request)


def cost(key: str) -> Callable:
    def line(plan):
        found = [(i.monthly_usd.min, i.monthly_usd.max) for i in plan.cost.breakdown if i.key == key]
        return found[0] if found else None

    return line


def pods(app: str) -> Callable:
    return lambda p: (getattr(p, app).min_replicas, getattr(p, app).max_replicas)


def nodes(p):
    return p.nodes.min_nodes, p.nodes.max_nodes


def approx(*values: float):
    return tuple(pytest.approx(v, abs=0.01) for v in values)


PIN = {"instance_type": "gp1.xlarge"}  # where a change of pod shape could also change the cheapest type
LLM = {"llm": "openai:gpt-test"}

# 1,000 users (medium; 10,240 registered: 50 GiB stored) unless stated: backend 12 .. 24, frontend 2 .. 4,
# 5 .. 10 gp1.xlarge (3 backends and a frontend a node), 50 requests/s, on-demand DynamoDB, one cache.f1.medium,
# one NAT gateway. See test_costs_by_hand. Registered users are always 10.24 x concurrent.
CASES = [
    # 6 a minute: 100 requests/s (from 50).
    Case("requests_per_user_per_minute", 6, lambda p: p.performance.requests_per_second, 100),
    # 300 users: every Deployment's floor rises from 2 to 5; backend max(5, ceil(3.6)) = 5 .. 10, frontend 5 .. 10.
    Case("min_replicas", 5, lambda p: (pods("backend")(p), pods("frontend")(p)), ((5, 10), (5, 10)), users=300),
    Case("backend.users_per_pod", 50, pods("backend"), (24, 48)),  # 1,000 / 50 x 1.2 = 24, x 2
    Case("backend.buffer", 1.5, pods("backend"), (15, 30)),  # 10 x 1.5
    Case("backend.max_multiplier", 3, pods("backend"), (12, 36)),
    # 500m backends: 7 a node, so 12 = 7 + 5 (the 2 frontends beside) = 2 nodes -> 3; 24 = 3 x 7 + 3 (4 frontends
    # beside) = 4 x 1.25 -> 5.
    Case("backend.cpu_request_m", 500, lambda p: (p.backend.cpu_request_m, nodes(p)), (500, (3, 5)), workload=PIN),
    Case("backend.cpu_limit_m", 3_000, lambda p: (p.backend.cpu_limit_m, nodes(p)), (3_000, (5, 10))),
    # 5,000 MiB backends: 2 a node (14,000 MiB), 3 frontends beside; 12 -> 6 nodes x 1.25 -> 8, 24 -> 12 -> 15.
    Case("backend.memory_request_mib", 5_000, lambda p: (p.backend.memory_request_mib, nodes(p)), (5_000, (8, 15)),
         workload=PIN, also={"backend": {"memory_limit_mib": 5_000}}),
    Case("backend.memory_limit_mib", 4_096, lambda p: (p.backend.memory_limit_mib, nodes(p)), (4_096, (5, 10))),
    Case("frontend.users_per_pod", 250, pods("frontend"), (4, 8)),
    Case("frontend.buffer", 1.5, pods("frontend"), (3, 6)),  # ceil(2 x 1.5)
    Case("frontend.max_multiplier", 5, pods("frontend"), (2, 10)),
    # 1,000m frontends: none fits beside 3 backends (500m left), 3 on an empty node: 4 + 1 = 5 -> 7, 8 + 2 = 10 -> 13.
    Case("frontend.cpu_request_m", 1_000, lambda p: (p.frontend.cpu_request_m, nodes(p)), (1_000, (7, 13)),
         workload=PIN),
    Case("frontend.cpu_limit_m", 2_000, lambda p: (p.frontend.cpu_limit_m, nodes(p)), (2_000, (5, 10))),
    # 12,000 MiB frontends are now the larger shape (packed first): one a node, with 1 backend beside (2,000 MiB
    # left). Min: 2 nodes + 10 backends on ceil(10/3) = 4 = 6 -> 8; max: 4 + ceil(20/3) = 7 = 11 -> 14.
    Case("frontend.memory_request_mib", 12_000, lambda p: (p.frontend.memory_request_mib, nodes(p)),
         (12_000, (8, 14)), workload=PIN, also={"frontend": {"memory_limit_mib": 12_000}}),
    Case("frontend.memory_limit_mib", 2_048, lambda p: (p.frontend.memory_limit_mib, nodes(p)), (2_048, (5, 10))),
    # 26 DaemonSet pods leave 29 - 26 = 3 slots: 3 backends and no frontend beside; 4 + ceil(2/3) = 5 -> 7,
    # 8 + 2 = 10 -> 13.
    Case("daemonsets.pods", 26, lambda p: (p.nodes.pod_slots, nodes(p)), (3, (7, 13)), workload=PIN),
    # 920m leaves 3,000m: 3 backends and nothing beside; frontends 6 a node: 4 + 1 = 5 -> 7, 8 + 1 = 9 -> 12.
    Case("daemonsets.cpu_m", 920, nodes, (7, 12), workload=PIN),
    # 11,481 MiB leaves 3,000 MiB: 2 backends (2,048) and 1 frontend beside; 6 -> 8, 12 -> 15.
    Case("daemonsets.memory_mib", 11_481, nodes, (8, 15), workload=PIN),
    # 300 users on bt1.large: busy 1,930 x 0.5 / 2,000 = 0.4825, 0.0825 over the baseline x 2 vCPU x $0.05 x 1,000 h
    # = $8.25 a node at peak (from $27.55); 10 nodes.
    Case("hpa_target_cpu_percent", 50, cost("burstable_credits"), approx(0, 82.5), users=300),
    # 4 x 1.5 = 6, 8 x 1.5 = 12 (gp1.xlarge still cheapest: 18 x $202 against 9 x $442 and bt1.large's $4,339.80).
    Case("node_buffer", 1.5, nodes, (6, 12)),
    Case("min_nodes", 7, nodes, (7, 10)),
    Case("node_disk_gib", 100, cost("ebs_volumes"), approx(50, 100)),  # 5 / 10 x 100 GiB x $0.10
    # 300 users without burstable types: gp1.xlarge, 3 .. 4 nodes, no credits line.
    Case("burstable_tiers", [], lambda p: (p.nodes.instance_type, nodes(p), cost("burstable_credits")(p)),
         ("gp1.xlarge", (3, 4), None), users=300),
    Case("database.reads_per_user_per_second", 1.0, lambda p: p.database.read_capacity_units, 500),
    Case("database.writes_per_user_per_second", 0.3, lambda p: p.database.write_capacity_units, 300),
    Case("database.read_item_kb", 9, lambda p: p.database.read_capacity_units, 750),  # 500 x ceil(9/4) / 2
    # 100 writes x ceil(2.5) = 300 WCU; on demand (250 x $0.20 + 300 x $1) x 3,600 / 1e6 = $1.26/h, + $25 storage.
    Case("database.write_item_kb", 2.5, lambda p: (p.database.write_capacity_units, cost("dynamodb")(p)),
         (300, approx(126 + 25, 1_260 + 25))),
    Case("database.eventually_consistent_reads", False, lambda p: p.database.read_capacity_units, 500),
    # 10,240 x 10 MiB = 100 GiB x $0.50: $25 more on both bounds of the on-demand line (79 .. 565).
    Case("database.storage_mib_per_user", 10, cost("dynamodb"), approx(104, 590)),
    # Provisioned at 1,000 users: the floor (50 RCU, 20 WCU) at 10%, 312.5 / 125 at peak, + $25 storage.
    Case("database.billing_mode", "PROVISIONED", lambda p: (p.database.billing_mode, cost("dynamodb")(p)),
         ("PROVISIONED", approx(40, 118.75))),
    # Ceilings 250 / 0.5 = 500 RCU and 200 WCU.
    Case("database.target_utilization", 0.5,
         lambda p: (p.database.read_autoscaling.max, p.database.write_autoscaling.max), (500, 200)),
    Case("database.min_capacity_fraction", 0.5,
         lambda p: (p.database.read_autoscaling.min, p.database.write_autoscaling.min), (125, 50)),
    Case("cache.enabled", False, lambda p: (p.cache.enabled, cost("elasticache")(p)), (False, (0, 0))),
    # 8 MiB a session: 7.81 GiB, which one cache.f1.large (12 GiB usable) holds; cache.f1.medium would need shards.
    Case("cache.mib_per_session", 8, lambda p: (p.cache.node_type, p.cache.shards, p.cache.monthly_usd),
         ("cache.f1.large", 1, 200)),
    # 10% usable: cache.f1.medium holds 0.4 GiB < 0.49 GiB; cache.f1.large 1.6 GiB.
    Case("cache.usable_fraction", 0.1, lambda p: (p.cache.node_type, p.cache.usable_memory_gib_per_node),
         ("cache.f1.large", 1.6)),
    Case("cache.min_node_type", "cache.f1.large", lambda p: (p.cache.node_type, p.cache.monthly_usd),
         ("cache.f1.large", 200)),
    Case("cache.replica_from_tier", "medium", lambda p: (p.cache.num_nodes, p.cache.monthly_usd), (2, 100)),
    # Half the peak on average: NAT 50 + 1,440 GB x $0.01; the NLB's 2.88 LCU; on-demand DynamoDB $270 + $25.
    Case("traffic.duty_cycle", 0.5, lambda p: (cost("nat_gateways")(p)[0], cost("load_balancer")(p)[0],
                                               cost("dynamodb")(p)[0]), approx(64.4, 48.8, 295)),
    Case("traffic.egress_kb_per_request", 0, cost("nat_gateways"), approx(50, 50)),
    Case("traffic.response_kb_per_request", 64, cost("load_balancer"), approx(20 + 11.52, 20 + 115.2)),
    # --- the LLM (a stand-in price of $1 / $5 per million, $0.10 for cache reads; 1,000 h a month) ------------------
    # 2 turns a minute: 120,000,000 turns at peak x $0.00221.
    Case("llm.turns_per_user_per_minute", 2, lambda p: p.cost.llm_monthly_usd.max, pytest.approx(265_200),
         workload=LLM),
    # 2,000 in: $0.003055 a turn; 2,000,000 input tokens a minute at peak.
    Case("llm.input_tokens_per_turn", 2_000, lambda p: (p.llm.turn_usd, p.llm.peak.input_tokens_per_minute),
         (pytest.approx(0.003055), 2_000_000), workload=LLM),
    # 300 out: $0.002655 a turn, streams 1 + 300 / 100 = 4 s.
    Case("llm.output_tokens_per_turn", 300, lambda p: (p.llm.turn_usd, p.llm.peak.stream_seconds),
         (pytest.approx(0.002655), 4), workload=LLM),
    Case("llm.output_tokens_per_turn_p90", 1_000, lambda p: p.llm.peak.stream_seconds_p90, 11, workload=LLM),
    # Half the input from the prompt cache: round(577.5) = 578 tokens at $0.10, 577 at $1, 211 at $5.
    Case("llm.cached_input_share", 0.5, lambda p: p.llm.turn_usd,
         pytest.approx((577 * 1 + 578 * 0.1 + 211 * 5) / 1e6), workload=LLM),
    Case("llm.time_to_first_token_s", 3, lambda p: p.llm.peak.stream_seconds, pytest.approx(5.11), workload=LLM),
    Case("llm.output_tokens_per_s", 211, lambda p: p.llm.peak.stream_seconds, 2, workload=LLM),
    # 1,000/60 x 3.11 s = 51.8 open streams at 2 a pod: 26 backend pods at peak (above the 24 the users need);
    # at 10% load 5.2 streams need 3, under the 12.
    Case("llm.streams_per_backend_pod", 2, pods("backend"), (12, 26), workload=LLM),
    Case("llm.quota_tokens_per_minute", 1_000, lambda p: (p.llm.quota.tokens_per_minute, p.llm.quota.source),
         (1_000, "your assumptions (llm.quota_*)"), workload=LLM),
    Case("llm.quota_requests_per_minute", 500, lambda p: (p.llm.quota.requests_per_minute, p.llm.quota.source),
         (500, "your assumptions (llm.quota_*)"), workload=LLM),
    # --- the network -------------------------------------------------------------------------------------------------
    # No single-gateway tier: three gateways at 1,000 users, 3 x $50 + the same 2,880 GB at peak.
    Case("single_nat_gateway_tiers", [], lambda p: (p.network.nat_gateways, cost("nat_gateways")(p)),
         (3, approx(150 + 2.88, 150 + 28.8))),
    # 5,000 users (large): a gateway per zone.
    Case("availability_zones", 4, lambda p: (p.network.availability_zones, p.network.nat_gateways), (4, 4),
         users=5_000),
]


def nested(path: str, value: Any) -> dict:
    head, _, rest = path.partition(".")
    return {head: nested(rest, value) if rest else value}


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        out[key] = deep_merge(a[key], value) if isinstance(value, dict) and isinstance(a.get(key), dict) else value
    return out


def leaf_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    fields = set()
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields |= leaf_fields(kind, f"{prefix}{name}.")
        else:
            fields.add(f"{prefix}{name}")
    return fields


def test_every_assumption_field_has_a_case():
    assert leaf_fields(Assumptions) == {c.path for c in CASES}
    assert len(CASES) == len({c.path for c in CASES})


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_each_override_moves_the_plan_as_its_formula_says(fake_catalog, fake_prices, case):
    def plan(overrides):
        workload = dict(case.workload)
        token_prices = flat_token_prices(1, 5, 0.1) if workload.get("llm") else None
        total = case.users * 1024 // 100
        return build(fake_catalog, fake_prices, case.users, total, overrides, token_prices=token_prices, **workload)

    base = plan({})
    changed = plan(deep_merge(nested(case.path, case.value), case.also))
    assert case.measure(base) != case.expected, "the case would pass without the override"
    assert case.measure(changed) == case.expected
