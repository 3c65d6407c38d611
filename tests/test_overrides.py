"""Every assumption can be overridden, and every override moves the plan the way its formula says.

One case per field of ``Assumptions`` and of its sub-models (``test_every_assumption_field_has_a_case`` keeps the
list complete: a new field fails it until it has a case). Each case changes that one field (and, where validation
requires it, its pair: a limit raised with its request) on the fake catalog and prices of tests/conftest.py, from
the explicit assumptions of tests/hand_plans.py, measures one quantity of the plan, and checks that it differs from
the unchanged plan and equals the value derived by hand, in the case, from the formula of docs/methodology.md.

The plan every case starts from, by hand: 1,000 concurrent users (medium tier) of 10,240 registered, unless a case
says otherwise.

- 50 requests/s; backend 1,000 / 100 x 1.2 = 12 .. 24 pods, frontend 1,000 / 500 = 2 .. 4.
- A month is ``traffic.days_per_month`` x 24 = 730 h (the fake price table's 1,000 h is replaced by it).
- After kube-reserved and the DaemonSets (420m, 481 MiB, 2 pods) gp1.xlarge offers 3,920 - 420 = 3,500m,
  floor(16,384 x 0.925 - (255 + 11 x 29) - 100) - 481 = 14,000 MiB and 27 pods: 3 backends and 1 frontend beside
  them a node; bt1.large offers 1,930 - 420 = 1,510m, 6,609 MiB, 10 pods: 1 backend and 1 frontend a node;
  gp1.2xlarge 7,490m: 7 backends a node.
- The cluster add-ons' 7 pods (700m, 1,396 MiB: tests/test_costs_by_hand.py) take the first node; the app's pods fill
  what they leave: 2 backends and a frontend on gp1.xlarge, 6 backends and a frontend on gp1.2xlarge, a frontend
  alone on bt1.large. gp1.xlarge: 2 + 3 x 3 + 1 backends on 5 nodes x 1.25 -> 7, 2 + 7 x 3 + 1 on 9 -> 12;
  gp1.2xlarge: 6 + 6 on 2 nodes -> 3, 6 + 2 x 7 + 4 on 4 -> 5; bt1.large: the add-ons' node and a node a backend,
  13 -> 17 and 25 -> 32.
- Selection, min + max fleet, each node at its hourly price x 730 + 20 GiB x $0.10: gp1.xlarge (7 + 12) x $148 =
  $2,812; gp1.2xlarge (3 + 5) x $323.20 = $2,585.60; bt1.large (17 + 32) x $45.80 = $2,244.20 plus the max fleet's
  credits, (24 x 1,000m + 4 x 500m + 32 x 420m + the add-ons' 700m) x 70% = 28.098 vCPU busy against a baseline of
  32 x 2 x 40% = 25.6, so 2.498 vCPU x $0.05 x 730 = $91.18: $2,335.38, the cheapest. ``PIN`` cases pin gp1.xlarge
  instead, where packing is easier to follow.
- The profile's mean is (1 + 23 x 1.4/23) / 24 = 0.1: the min bound's load.
- DynamoDB: 250 RCU (0.5 reads of half a unit), 100 WCU; floors 50 and 20, ceilings 312.5 and 125 at 80%; 50 GiB.
- One cache.f1.medium (Redis OSS, 3 GiB usable), no replica below large; one NAT gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Any, NamedTuple

import pytest
from hand_plans import build, flat_token_prices, merged
from pydantic import BaseModel

from sizing.assumptions import Assumptions
from sizing.llm.traffic import USER_QUOTA


class Case(NamedTuple):
    path: str  # the field overridden, dotted
    value: Any
    measure: Callable  # plan -> the quantity the field moves
    expected: Any  # that quantity, by hand
    users: int = 1_000
    workload: tuple[tuple[str, str], ...] = ()  # Workload fields: a pinned type, an LLM
    also: dict | None = None  # companion overrides validation needs (a limit with its request)


HOURS = 730  # 365 / 12 days x 24 h
GP1_XLARGE = 0.20 * HOURS + 20 * 0.10  # a node-month: instance and root volume
GP1_2XLARGE = 0.44 * HOURS + 20 * 0.10
SURPLUS_VCPU_MONTH = 0.05 * HOURS
RCU_MONTH, WCU_MONTH = 0.0001 * HOURS, 0.0005 * HOURS
STORAGE = 10_240 * 5 / 1024 * 0.50  # 50 GiB
LOW = 1.4 / 23  # the share of the peak in the 23 hours after the peak hour
MEAN = 0.1
NAT_HOUR, NAT_GB = 0.05 * HOURS, 50 * 16 * 3600 * HOURS / 1e6 * 0.01  # one gateway; its data at peak all month
CACHE_F1_MEDIUM = 0.05 * HOURS
TURN = (1_155 * 1 + 211 * 5) / 1e6
# The control-plane logs of the max fleet (32 nodes, 42 pods started a day; ``logs`` below): 32.24 GB a month in
# 26.31 million log events.
MAX_LOG_GB = ((15_055 * 1_300 + 200_000 + 32 * (564 * 1_300 + 60 * 450)) * HOURS + 42 * 35_000 * HOURS / 24) / 1e9
MAX_LOG_EVENTS = (15_055 + 200_000 / 200 + 32 * (564 + 60)) * HOURS + 42 * 14 * HOURS / 24
# And of the min fleet, the expected bound (17 nodes, 14 pods): 23.88 GB in 19.47 million events.
MIN_LOG_GB = ((15_055 * 1_300 + 200_000 + 17 * (564 * 1_300 + 60 * 450)) * HOURS + 14 * 35_000 * HOURS / 24) / 1e9
MIN_LOG_EVENTS = (
    15_055 + 200_000 / 200 + 17 * (564 + 60)
) * HOURS + 14 * 14 * HOURS / 24  # a turn at the stand-in $1 / $5 per million tokens

# A self-hosted Llama-3.1-8B on the fake GPU prices (tests/conftest.py: g5.xlarge $0.50, g5.2xlarge $1, an L40S at
# $50 never chosen). Pinned to bf16 where a case measures a size: 8.03e9 x 2 bytes of weights, 14.957 GiB.
VLLM = (("llm", "vllm:meta-llama/Llama-3.1-8B-Instruct"),)
BF16 = {"llm": {"self_hosted": {"weight_format": "bf16"}}}
BF16_GIB = 8.03e9 * 2 / 2**30


def _sh(field: str) -> Callable:
    return lambda p: getattr(p.llm.self_hosted, field)


def _kv_tokens(utilization: float, overhead_gib: float) -> int:
    """One A10G (22,888 MiB usable) x utilization - overhead - the bf16 weights, over 128 KiB a token."""
    return int((22888 * 2**20 * utilization - overhead_gib * 2**30 - 8.03e9 * 2) // (2 * 32 * 8 * 128 * 2))


G5_BF16 = {"llm": {"self_hosted": {"weight_format": "bf16", "instance_type": "g5.2xlarge"}}}


def _prompt_wait_share(plan) -> float:
    """g in TTFT = overhead + P + step(c - 1) / 2 + g x u' / (1 - u') x Q, from the plan's figures on one A10G
    (speed.py): a prompt's own step P = prefill + the step overhead + the c - 1 riding sequences' KV reads (one
    2,048-token chunk holds it), its share of full steps f = 1,155 / (2,048 - (c - 1)) and the GPU time it holds in
    the queue Q = prefill + f x (overhead + the riders' KV reads), u' = x Q with x = turns/s x (c - 1) / c the others'
    prompts a second, and ITL = 1 / (x f + (1 - u') / step(c)), so step(c) = (1 - u') / (1 / ITL - x f) and
    step(c - 1) is one sequence's KV read less."""
    sh = plan.llm.self_hosted
    c, out = sh.max_num_seqs, 211
    prefill = 2 * 8.03e9 * 1155 / (125e12 * 0.355)  # bf16 TFLOPs x prefill efficiency
    per_seq = (1155 + out / 2) * 128 * 1024 / (600e9 * 0.898)  # the mean context's KV at the decode bandwidth
    ride = 0.000016 + (c - 1) * per_seq  # the step overhead and the riders' KV reads
    share = 1155 / (2048 - (c - 1))
    own, held = prefill + ride, prefill + share * ride
    x = sh.output_tokens_per_s / out * (c - 1) / c
    u = x * held
    step_before = (1 - u) / (1 / sh.inter_token_latency_s - x * share) - per_seq
    wait = sh.time_to_first_token_s - 0.0026 - own - step_before / 2
    return round(wait / (u / (1 - u) * held), 2)


PIN = (("instance_type", "gp1.xlarge"),)
PIN_BURSTABLE = (("instance_type", "bt1.large"),)
LLM = (("llm", "openai:gpt-test"),)
# The conversation model instead of the flat one the base pins.
CONV = {"llm": {"input_tokens_per_turn": None, "cached_input_share": None}}


def line(key: str) -> Callable:
    """A cost line as (min, expected, max), None when the plan has no such line."""

    def measure(plan):
        found = [i for i in plan.cost.breakdown if i.key == key]
        return (found[0].monthly_usd.min, found[0].expected_monthly_usd, found[0].monthly_usd.max) if found else None

    return measure


def pods(app: str) -> Callable:
    return lambda p: (getattr(p, app).min_replicas, getattr(p, app).max_replicas)


def nodes(p):
    return p.nodes.min_nodes, p.nodes.max_nodes


def money(*values: float) -> tuple:
    return tuple(pytest.approx(v, abs=0.01) for v in values)


def logs(
    steady: float = 15_055,
    event_bytes: float = 1_300,
    node_events: float = 564,
    sign_ins: tuple[float, float] = (60, 450),
    api: tuple[float, float] = (200_000, 200),
    pod: tuple[float, float] = (14, 2_500),
    share: float = 0.15,
    pods: tuple[float, float] = (14, 42),
) -> tuple:
    """The control-plane logs line by hand (docs/methodology.md, "Control-plane logs") on the base plan. An hour:
    15,055 steady audit events ((2 + 2) leaders x 1,800 + (1 + 2) standbys x 1,125 + 2 API servers' leases x 360 +
    the autoscaler's 2 x 360 + 100 watches x 16 + 2 HPAs x 720) of 1,300 bytes, the API server's 200,000 bytes in
    lines of 200, and per node 564 events (360 Lease renewals, 12 status patches, 12 watches x 16) and 60 sign-ins of
    450 bytes; a day, 14 events of 2,500 bytes a pod started: 14 (a rollout of the floor's 12 + 2) at the min and
    expected, 42 at the max (28 rolled out, 14 the HPA adds). 17 nodes, 32 at the max. GB ingested at $0.50;
    ``share`` of them and 26 bytes a log event stored 90 days, a stock of 90 / (365 / 12) months, at $0.03."""

    def usd(nodes: int, pods_a_day: float) -> float:
        hourly = steady * event_bytes + api[0] + nodes * (node_events * event_bytes + sign_ins[0] * sign_ins[1])
        gb = (hourly * HOURS + pods_a_day * pod[0] * pod[1] * HOURS / 24) / 1e9
        events = (steady + api[0] / api[1] + nodes * (node_events + sign_ins[0])) * HOURS + pods_a_day * pod[0] * (
            HOURS / 24
        )
        return gb * 0.50 + (gb * share + events * 26 / 1e9) * 90 / (365 / 12) * 0.03

    return money(usd(17, pods[0]), usd(17, pods[0]), usd(32, pods[1]))


def provisioned(rcu_floor: float, rcu_top: float, wcu_floor: float, wcu_top: float, storage: float) -> tuple:
    """Provisioned DynamoDB on the base profile, by hand: ``top`` is the peak's units / the target. Min: the mean
    load held all month; expected: the peak for two hours (the peak hour, and the next, as auto scaling lags an
    hour), max(floor, top x 1.4/23) for the other 22; max: the peak all month."""

    def month(rcu: float, wcu: float) -> float:
        return rcu * RCU_MONTH + wcu * WCU_MONTH + storage

    return money(
        month(max(rcu_floor, rcu_top * MEAN), max(wcu_floor, wcu_top * MEAN)),
        month(
            (2 * rcu_top + 22 * max(rcu_floor, rcu_top * LOW)) / 24,
            (2 * wcu_top + 22 * max(wcu_floor, wcu_top * LOW)) / 24,
        ),
        month(rcu_top, wcu_top),
    )


CASES = [
    # --- tiers ---------------------------------------------------------------------------------------------------
    # 1,000 < 1,001: small, where the cache (from medium) is off.
    Case("tiers.medium", 1_001, lambda p: (p.tier, p.cache.enabled), ("small", False)),
    # Large from 1,000: a NAT gateway per zone, a cache replica (replica_from_tier: large), no burstable type, so
    # gp1.2xlarge ($2,585.60 against gp1.xlarge's $2,812).
    Case(
        "tiers.large",
        1_000,
        lambda p: (p.tier, p.network.nat_gateways, p.cache.num_nodes, p.nodes.instance_type),
        ("large", 3, 1 + 1, "gp1.2xlarge"),
    ),
    # Enterprise from 1,000 (large moved below it to keep the floors ascending): the enterprise latency band.
    Case(
        "tiers.enterprise",
        1_000,
        lambda p: (p.tier, (p.performance.latency_ms.min, p.performance.latency_ms.max)),
        ("enterprise", (100, 300)),
        also={"tiers": {"large": 999}},
    ),
    # --- load and pods -------------------------------------------------------------------------------------------
    Case("requests_per_user_per_minute", 6, lambda p: p.performance.requests_per_second, 1_000 * 6 / 60),
    # 300 users: every Deployment's floor rises from 2 to 5; backend max(5, ceil(300 / 100 x 1.2)) = 5 .. 5 x 2,
    # frontend max(5, ceil(300 / 500)) = 5 .. 5 x 2.
    Case("min_replicas", 5, lambda p: (pods("backend")(p), pods("frontend")(p)), ((5, 5 * 2), (5, 5 * 2)), users=300),
    Case("backend.users_per_pod", 50, pods("backend"), (1_000 // 50 * 12 // 10, 1_000 // 50 * 12 // 10 * 2)),
    Case("backend.buffer", 1.5, pods("backend"), (1_000 // 100 * 15 // 10, 1_000 // 100 * 15 // 10 * 2)),
    Case("backend.max_multiplier", 3, pods("backend"), (12, 12 * 3)),
    # 500m backends: 3,500 / 500 = 7 a node and nothing beside them; 5 beside the add-ons (2,800m) and a frontend.
    # 12 = 5 + 7, the other frontend on a node of its own: 3 nodes -> 4; 24 = 5 + 2 x 7 + 5, 2 frontends beside the
    # 5 (1,000m left), the last on a node of its own: 5 nodes -> 7.
    Case(
        "backend.cpu_request_m",
        500,
        lambda p: (p.backend.cpu_request_m, nodes(p)),
        (500, (ceil(3 * 1.25), ceil(5 * 1.25))),
        workload=PIN,
    ),
    # A limit is not packed: the nodes stay 17 .. 32 bt1.large.
    Case("backend.cpu_limit_m", 3_000, lambda p: (p.backend.cpu_limit_m, nodes(p)), (3_000, (17, 32))),
    # 5,000 MiB backends: 14,000 // 5,000 = 2 a node, 3 frontends beside (1,500m, 4,000 MiB left); beside the
    # add-ons (2,800m, 12,604 MiB) 2 as well, and a frontend. 12 -> 6 nodes, 24 -> 12.
    Case(
        "backend.memory_request_mib",
        5_000,
        lambda p: (p.backend.memory_request_mib, nodes(p)),
        (5_000, (ceil(6 * 1.25), ceil(12 * 1.25))),
        workload=PIN,
        also={"backend": {"memory_limit_mib": 5_000}},
    ),
    Case("backend.memory_limit_mib", 4_096, lambda p: (p.backend.memory_limit_mib, nodes(p)), (4_096, (17, 32))),
    Case("frontend.users_per_pod", 250, pods("frontend"), (1_000 // 250, 1_000 // 250 * 2)),
    Case("frontend.buffer", 1.5, pods("frontend"), (ceil(1_000 / 500 * 1.5), ceil(1_000 / 500 * 1.5) * 2)),
    Case("frontend.max_multiplier", 5, pods("frontend"), (2, 2 * 5)),
    # 1,000m frontends: none beside 3 backends (500m left) nor beside the add-ons' 2 (800m left), 2 beside a lone
    # backend, 3 on an empty node. 12 = 2 + 3 x 3 + 1 (the 2 frontends beside it): 5 nodes; 24 = 2 + 7 x 3 + 1 (2
    # frontends beside) + ceil(2 / 3): 10.
    Case(
        "frontend.cpu_request_m",
        1_000,
        lambda p: (p.frontend.cpu_request_m, nodes(p)),
        (1_000, (ceil(5 * 1.25), ceil(10 * 1.25))),
        workload=PIN,
    ),
    Case("frontend.cpu_limit_m", 2_000, lambda p: (p.frontend.cpu_limit_m, nodes(p)), (2_000, (17, 32))),
    # 12,000 MiB frontends are now the larger shape (packed first): one a node, with 1 backend beside (2,000 MiB
    # left); one beside the add-ons (12,604 MiB), with no backend (604 MiB left). Min: the add-ons' node, 1 node of a
    # frontend (and a backend) + ceil(11 / 3) = 4 = 6; max: 1 + 3 (3 backends beside) + ceil(21 / 3) = 7 = 11.
    Case(
        "frontend.memory_request_mib",
        12_000,
        lambda p: (p.frontend.memory_request_mib, nodes(p)),
        (12_000, (ceil(6 * 1.25), ceil(11 * 1.25))),
        workload=PIN,
        also={"frontend": {"memory_limit_mib": 12_000}},
    ),
    Case("frontend.memory_limit_mib", 2_048, lambda p: (p.frontend.memory_limit_mib, nodes(p)), (2_048, (17, 32))),
    # --- nodes ---------------------------------------------------------------------------------------------------
    # 26 DaemonSet pods leave 29 - 26 = 3 slots: 3 backends and no frontend beside. The add-ons' 7 pods take 3 nodes
    # (3 + 3 + 1 of them, in their order: each is 1/3 of a node's slots), the third with 2 slots for 2 backends.
    # 12 = 2 + 3 x 3 + 1 (the 2 frontends beside it): 3 + 4 = 7 nodes -> 9; 24 = 2 + 7 x 3 + 1 (2 frontends beside)
    # + ceil(2 / 3): 3 + 9 = 12 -> 15.
    Case(
        "daemonsets.pods",
        26,
        lambda p: (p.nodes.pod_slots, nodes(p)),
        (29 - 26, (ceil(7 * 1.25), ceil(12 * 1.25))),
        workload=PIN,
    ),
    # 1,420m leaves 3,920 - 1,420 = 2,500m: 2 backends and 1 frontend beside, 1 backend and 1 frontend beside the
    # add-ons (1,800m). 12 = 1 + 5 x 2 + 1: 7 nodes -> 9; 24 = 1 + 11 x 2 + 1: 13 -> 17 (the frontends all beside).
    Case("daemonsets.cpu_m", 1_420, nodes, (ceil(7 * 1.25), ceil(13 * 1.25)), workload=PIN),
    # 11,481 MiB leaves 14,481 - 11,481 = 3,000 MiB: 2 backends (2,048) and 1 frontend beside; beside the add-ons
    # (1,604 MiB) 1 backend and 1 frontend. 12 = 1 + 5 x 2 + 1: 7 nodes -> 9; 24 = 1 + 11 x 2 + 1: 13 -> 17.
    Case("daemonsets.memory_mib", 11_481, nodes, (ceil(7 * 1.25), ceil(13 * 1.25)), workload=PIN),
    # bt1.large's 8 GiB is below 10: the next cheapest, gp1.2xlarge ($2,585.60 against $2,812).
    Case(
        "nodes.min_memory_gib",
        10,
        lambda p: (p.nodes.instance_type, nodes(p), (p.nodes.monthly_usd.min, p.nodes.monthly_usd.max)),
        ("gp1.2xlarge", (3, 5), money(3 * GP1_2XLARGE, 5 * GP1_2XLARGE)),
    ),
    # bt1.large pinned: the HPA holds the pods at 90% of their requests. Max fleet: (24 x 1,000 + 4 x 500 + 32 x 420
    # + 700 of add-ons) x 0.9 = 36.126 vCPU busy against 25.6 of baseline; the min fleet (12 x 1,000 + 2 x 500 =
    # 13,000m of pods, 17 nodes) is above its baseline of 13.6 vCPU only in the peak hour; at the mean load never.
    Case(
        "hpa_target_cpu_percent",
        90,
        line("burstable_credits"),
        # Expected: the day's average use, (0.1 x 13,000 + 17 x 420 + 700) x 90% = 8.226 vCPU, is under the 13.6
        # vCPU baseline, so the peak hour's surplus is paid down by the day's earned credits: nothing billed.
        money(
            0,
            0,
            ((24 * 1_000 + 4 * 500 + 32 * 420 + 700) * 0.9 / 1000 - 32 * 2 * 0.4) * SURPLUS_VCPU_MONTH,
        ),
        workload=PIN_BURSTABLE,
    ),
    # gp1.xlarge packs 5 and 9 nodes (the docstring).
    Case("node_buffer", 1.5, nodes, (ceil(5 * 1.5), ceil(9 * 1.5)), workload=PIN),
    Case("min_nodes", 10, nodes, (max(10, 7), max(10, 12)), workload=PIN),
    # 100 GiB root volumes ($10 a node-month) make bt1.large's many nodes dearer: (43.80 + 10) x 49 + 91.18 =
    # $2,727.38 against gp1.2xlarge's (321.20 + 10) x 8 = $2,649.60 and gp1.xlarge's (146 + 10) x 19 = $2,964.
    Case(
        "node_disk_gib",
        100,
        lambda p: (p.nodes.instance_type, line("ebs_volumes")(p)),
        ("gp1.2xlarge", money(3 * 100 * 0.10, 3 * 100 * 0.10, 5 * 100 * 0.10)),
    ),
    # No burstable type at 1,000 users: gp1.2xlarge, and no credits line.
    Case(
        "burstable_tiers",
        [],
        lambda p: (p.nodes.instance_type, nodes(p), line("burstable_credits")(p)),
        ("gp1.2xlarge", (3, 5), None),
    ),
    # --- DynamoDB ------------------------------------------------------------------------------------------------
    Case("database.reads_per_user_per_second", 1.0, lambda p: p.database.read_capacity_units, 1_000 * 1.0 / 2),
    Case("database.writes_per_user_per_second", 0.3, lambda p: p.database.write_capacity_units, 1_000 * 0.3),
    Case("database.read_item_kb", 9, lambda p: p.database.read_capacity_units, 1_000 * 0.5 * ceil(9 / 4) / 2),
    # 100 writes x ceil(2.5) = 300 WCU: floor 60, ceiling 375. Provisioned (on demand would be (250 x $0.20 + 300 x
    # $1) x 3,600 / 1e6 x 730 h x 0.1 + $25 = $116.98 expected).
    Case(
        "database.write_item_kb",
        2.5,
        lambda p: (p.database.write_capacity_units, p.database.billing_mode, line("dynamodb")(p)),
        (100 * 3, "PROVISIONED", provisioned(50, 250 / 0.8, 300 * 0.2, 300 / 0.8, STORAGE)),
    ),
    Case("database.eventually_consistent_reads", False, lambda p: p.database.read_capacity_units, 1_000 * 0.5),
    # 10,240 x 10 MiB = 100 GiB: $50 of storage a month, $20 of point-in-time recovery.
    Case(
        "database.storage_mib_per_user",
        10,
        lambda p: (p.database.storage_gib, line("dynamodb_pitr")(p), line("dynamodb")(p)),
        (10_240 * 10 / 1024, money(100 * 0.2, 100 * 0.2, 100 * 0.2), provisioned(50, 312.5, 20, 125, 100 * 0.5)),
    ),
    # Each write a new 1 KB item kept 30 days: 100 writes/s at peak are 100 x 86,400 / 1,024^2 = 8.24 GiB a day,
    # 247.19 GiB over 30 days at peak, a tenth at the mean load (24.72 GiB), beside the users' 50 GiB. Point-in-time
    # recovery at $0.20 per GB-month on each.
    Case(
        "database.retention_days",
        30,
        lambda p: (
            p.database.storage_gib,
            p.database.storage_gib_max,
            p.database.ttl_attribute,
            line("dynamodb_pitr")(p),
        ),
        (
            pytest.approx(50 + 100 * 86_400 / 1024**2 * 30 * 0.1, abs=0.005),
            pytest.approx(50 + 100 * 86_400 / 1024**2 * 30, abs=0.005),
            "expiresAt",
            money(
                (50 + 100 * 86_400 / 1024**2 * 30 * 0.1) * 0.2,
                (50 + 100 * 86_400 / 1024**2 * 30 * 0.1) * 0.2,
                (50 + 100 * 86_400 / 1024**2 * 30) * 0.2,
            ),
        ),
    ),
    # On demand: (250 RCU x $0.20 + 100 WCU x $1) per million x 3,600 s x 730 h at peak, a tenth of it on average.
    Case(
        "database.billing_mode",
        "PAY_PER_REQUEST",
        lambda p: (p.database.billing_mode, line("dynamodb")(p)),
        (
            "PAY_PER_REQUEST",
            money(
                (250 * 0.20 + 100 * 1.00) * 3600 / 1e6 * HOURS * MEAN + STORAGE,
                (250 * 0.20 + 100 * 1.00) * 3600 / 1e6 * HOURS * MEAN + STORAGE,
                (250 * 0.20 + 100 * 1.00) * 3600 / 1e6 * HOURS + STORAGE,
            ),
        ),
    ),
    Case(
        "database.target_utilization",
        0.5,
        lambda p: (p.database.read_autoscaling.max, p.database.write_autoscaling.max),
        (250 / 0.5, 100 / 0.5),
    ),
    Case(
        "database.min_capacity_fraction",
        0.5,
        lambda p: (p.database.read_autoscaling.min, p.database.write_autoscaling.min),
        (250 * 0.5, 100 * 0.5),
    ),
    # --- ElastiCache ---------------------------------------------------------------------------------------------
    Case("cache.enabled", False, lambda p: (p.cache.enabled, line("elasticache")(p)), (False, (0, 0, 0))),
    # 300 users (small): on from small, 300 x 0.5 MiB in one cache.f1.medium.
    Case(
        "cache.enabled_from_tier",
        "small",
        lambda p: (p.cache.enabled, p.cache.node_type, p.cache.monthly_usd),
        (True, "cache.f1.medium", pytest.approx(CACHE_F1_MEDIUM)),
        users=300,
    ),
    # Valkey: the region's 20% off the Redis OSS node price.
    Case(
        "cache.engine",
        "valkey",
        lambda p: (p.cache.engine, p.cache.monthly_usd),
        ("valkey", pytest.approx(CACHE_F1_MEDIUM * (1 - 0.2))),
    ),
    # 8 MiB a session: 7.81 GiB, ceil(7.81 / 3) = 3 shards of cache.f1.medium ($109.50) rather than one
    # cache.f1.large ($146).
    Case(
        "cache.mib_per_session",
        8,
        lambda p: (p.cache.node_type, p.cache.shards, p.cache.monthly_usd),
        ("cache.f1.medium", ceil(1_000 * 8 / 1024 / 3), pytest.approx(3 * CACHE_F1_MEDIUM)),
    ),
    # 10% usable: 0.4 GiB a cache.f1.medium, so 2 shards hold the 0.49 GiB ($73, against a cache.f1.large's $146).
    Case(
        "cache.usable_fraction",
        0.1,
        lambda p: (p.cache.shards, p.cache.usable_memory_gib_per_node, p.cache.monthly_usd),
        (2, pytest.approx(4 * 0.1), pytest.approx(2 * CACHE_F1_MEDIUM)),
    ),
    # Filled at most 10%: 4 x 0.75 x 0.1 = 0.3 GiB a node; 2 shards.
    Case(
        "cache.max_memory_use",
        0.1,
        lambda p: (p.cache.shards, p.cache.usable_memory_gib_per_node, p.cache.monthly_usd),
        (2, pytest.approx(4 * 0.75 * 0.1), pytest.approx(2 * CACHE_F1_MEDIUM)),
    ),
    Case(
        "cache.min_node_type",
        "cache.f1.large",
        lambda p: (p.cache.node_type, p.cache.monthly_usd),
        ("cache.f1.large", pytest.approx(0.20 * HOURS)),
    ),
    Case(
        "cache.replica_from_tier",
        "medium",
        lambda p: (p.cache.num_nodes, p.cache.replicas_per_shard, p.cache.monthly_usd),
        (2, 1, pytest.approx(2 * CACHE_F1_MEDIUM)),
    ),
    # --- traffic -------------------------------------------------------------------------------------------------
    # Twelve hours at the peak, twelve at half of it: a mean of 0.75. NAT data at 0.75 of the peak; provisioned
    # DynamoDB held at the peak for 13 hours (the half-load hour after the busy ones lags), at half for 11.
    Case(
        "traffic.hourly_profile",
        [1.0] * 12 + [0.5] * 12,
        lambda p: (p.assumptions.traffic.duty_cycle, line("nat_gateways")(p), line("dynamodb")(p)),
        (
            (12 * 1.0 + 12 * 0.5) / 24,
            money(NAT_HOUR + NAT_GB * 0.75, NAT_HOUR + NAT_GB * 0.75, NAT_HOUR + NAT_GB),
            money(
                234.375 * RCU_MONTH + 93.75 * WCU_MONTH + STORAGE,
                (13 * 312.5 + 11 * 156.25) / 24 * RCU_MONTH + (13 * 125 + 11 * 62.5) / 24 * WCU_MONTH + STORAGE,
                312.5 * RCU_MONTH + 125 * WCU_MONTH + STORAGE,
            ),
        ),
    ),
    # 31 days: 744 hours of the control plane and the nodes (bt1.large still cheapest: (0.06 x 744 + 2) x 49 +
    # 2.498 x 0.05 x 744 = $2,378.29 against (0.44 x 744 + 2) x 8 = $2,634.88).
    Case(
        "traffic.days_per_month",
        31,
        lambda p: (line("eks_control_plane")(p), line("ec2_nodes")(p)),
        (money(0.10 * 744, 0.10 * 744, 0.10 * 744), money(17 * 0.06 * 744, 17 * 0.06 * 744, 32 * 0.06 * 744)),
    ),
    Case("traffic.egress_kb_per_request", 0, line("nat_gateways"), money(NAT_HOUR, NAT_HOUR, NAT_HOUR)),
    # 50 requests/s x 64 KB x 3,600 / 1e6 = 11.52 GB an hour: 11.52 NLCUs at peak (above 0.01 for the connections).
    Case(
        "traffic.response_kb_per_request",
        64,
        line("load_balancer"),
        # The ALB's processed bytes, 11.52 GB/h at peak, beat its 1,000 / 3,000 active and 5 / 25 new connections.
        money(
            (0.03 + 50 * 64 * 3600 / 1e6 * MEAN * 0.01) * HOURS,
            (0.03 + 50 * 64 * 3600 / 1e6 * MEAN * 0.01) * HOURS,
            (0.03 + 50 * 64 * 3600 / 1e6 * 0.01) * HOURS,
        ),
    ),
    # --- the LLM (a stand-in price of $1 / $5 per million, $0.10 for cache reads) ----------------------------------
    Case(
        "llm.turns_per_user_per_minute",
        2,
        lambda p: p.cost.llm_monthly_usd.max,
        pytest.approx(1_000 * 2 * 60 * HOURS * TURN, abs=0.01),
        workload=LLM,
    ),
    Case(
        "llm.input_tokens_per_turn",
        2_000,
        lambda p: (p.llm.turn_usd, p.llm.peak.input_tokens_per_minute),
        (pytest.approx((2_000 * 1 + 211 * 5) / 1e6), 1_000 * 2_000),
        workload=LLM,
    ),
    # 300 tokens out: the stream lasts 1 s to the first token + 300 / 100 tokens/s.
    Case(
        "llm.output_tokens_per_turn",
        300,
        lambda p: (p.llm.turn_usd, p.llm.peak.stream_seconds),
        (pytest.approx((1_155 * 1 + 300 * 5) / 1e6), pytest.approx(1 + 300 / 100)),
        workload=LLM,
    ),
    Case(
        "llm.output_tokens_per_turn_p90",
        1_000,
        lambda p: p.llm.peak.stream_seconds_p90,
        pytest.approx(1 + 1_000 / 100),
        workload=LLM,
    ),
    # Half the input from the prompt cache: round(577.5) = 578 tokens at $0.10, 577 at $1.
    Case(
        "llm.cached_input_share",
        0.5,
        lambda p: p.llm.turn_usd,
        pytest.approx((577 * 1 + 578 * 0.1 + 211 * 5) / 1e6),
        workload=LLM,
    ),
    # Guardrails on every turn: ceil(1,155 x 4 chars / 1,000) = 5 text units in, ceil(211 x 4 / 1,000) = 1 out, at
    # $0.15 per 1,000: $0.0009 a turn, 43,800,000 turns at peak, a tenth at the mean load.
    Case(
        "llm.guardrails",
        True,
        line("llm_guardrails"),
        money(4_380_000 * 6 * 0.15 / 1_000, 4_380_000 * 6 * 0.15 / 1_000, 43_800_000 * 6 * 0.15 / 1_000),
        workload=LLM,
    ),
    # Content filters and denied topics: $0.30 per 1,000 text units.
    Case(
        "llm.guardrails_usd_per_1000_text_units",
        0.30,
        line("llm_guardrails"),
        money(4_380_000 * 6 * 0.30 / 1_000, 4_380_000 * 6 * 0.30 / 1_000, 43_800_000 * 6 * 0.30 / 1_000),
        workload=LLM,
        also={"llm": {"guardrails": True}},
    ),
    # --- the conversation (the base pins the flat model; CONV turns it back on) ------------------------------------
    # Shipped shape otherwise: 70-token messages, 211-token answers, two turns, a 32,000-token budget; "gpt-test"
    # has no caching rule. Turn 1 sends S + 70, turn 2 S + 70 + 281: a mean of S + 210.5.
    Case(
        "llm.system_prompt_tokens",
        3_000,
        lambda p: (p.llm.conversation.mean_input_tokens_per_turn, p.llm.turn_usd),
        (3_210.5, pytest.approx((3_210.5 * 1 + 211 * 5) / 1e6)),
        workload=LLM,
        also=CONV,
    ),
    # 945 + 170 = 1,115, then 1,115 + 211 + 170 = 1,496: a mean of 1,305.5 (and 1,305,500 input tokens a minute).
    Case(
        "llm.user_tokens_per_turn",
        170,
        lambda p: (p.llm.conversation.mean_input_tokens_per_turn, p.llm.peak.input_tokens_per_minute),
        (1_305.5, pytest.approx(1_000 * 1_305.5)),
        workload=LLM,
        also=CONV,
    ),
    # Four turns: 1,015, 1,296, 1,577, 1,858 tokens, a mean of 1,436.5.
    Case(
        "llm.turns_per_conversation",
        4,
        lambda p: (p.llm.conversation.last_turn_input_tokens, p.llm.conversation.mean_input_tokens_per_turn),
        (1_858, 1_436.5),
        workload=LLM,
        also=CONV,
    ),
    # A 1,200-token budget cuts turn 2's 1,296 to 1,200: a mean of (1,015 + 1,200) / 2 = 1,107.5.
    Case(
        "llm.context_budget_tokens",
        1_200,
        lambda p: (p.llm.conversation.truncated_turns, p.llm.conversation.mean_input_tokens_per_turn),
        (1, 1_107.5),
        workload=LLM,
        also=CONV,
    ),
    # gpt-4o-mini caches automatically from 1,024 tokens in 128-token steps. With a 3,000-token system prompt, auto
    # would read 1,024 + 15 x 128 = 2,944 tokens a turn at $0.10; off, the turns (3,070 and 3,351) bill in full:
    # (3,210.5 x $1 + 211 x $5) / 1e6.
    Case(
        "llm.prompt_caching",
        "off",
        lambda p: (p.llm.caching.mode, p.llm.turn_usd),
        ("off", pytest.approx((3_210.5 * 1 + 211 * 5) / 1e6)),
        workload=(("llm", "openai:gpt-4o-mini"),),
        also={"llm": {**CONV["llm"], "system_prompt_tokens": 3_000}},
    ),
    Case(
        "llm.time_to_first_token_s",
        3,
        lambda p: p.llm.peak.stream_seconds,
        pytest.approx(3 + 211 / 100),
        workload=LLM,
    ),
    Case(
        "llm.output_tokens_per_s", 211, lambda p: p.llm.peak.stream_seconds, pytest.approx(1 + 211 / 211), workload=LLM
    ),
    # 1,000 / 60 turns/s x 3.11 s = 51.8 open streams at 2 a pod: 26 backend pods at peak (above the 24 the users
    # need); at the mean load 5.2 streams need 3, under the 12.
    Case(
        "llm.streams_per_backend_pod",
        2,
        pods("backend"),
        (max(12, ceil(1_000 / 60 * 3.11 * MEAN / 2)), max(24, ceil(1_000 / 60 * 3.11 / 2))),
        workload=LLM,
    ),
    Case(
        "llm.quota_tokens_per_minute",
        1_000,
        lambda p: (p.llm.quota.tokens_per_minute, p.llm.quota.requests_per_minute, p.llm.quota.source),
        (1_000, None, USER_QUOTA),
        workload=LLM,
    ),
    Case(
        "llm.quota_requests_per_minute",
        500,
        lambda p: (p.llm.quota.tokens_per_minute, p.llm.quota.requests_per_minute, p.llm.quota.source),
        (None, 500, USER_QUOTA),
        workload=LLM,
    ),
    # --- the network ---------------------------------------------------------------------------------------------
    # No single-gateway tier: three gateways at 1,000 users, the same data.
    Case(
        "single_nat_gateway_tiers",
        [],
        lambda p: (p.network.nat_gateways, line("nat_gateways")(p)),
        (3, money(3 * NAT_HOUR + NAT_GB * MEAN, 3 * NAT_HOUR + NAT_GB * MEAN, 3 * NAT_HOUR + NAT_GB)),
    ),
    # A Bedrock model's bytes through the interface endpoint although NAT is cheaper here (auto keeps NAT): 1,000
    # turns a minute x 60 x 730 of 5,620 bytes up (1,000 + 1,155 x 4) and 43,966 down, 2,171.87 GB at peak. The
    # endpoint bills 3 zones x $0.02 x 730 h = $43.80 and $0.005 a GB: 217.19 GB at the 0.1 mean.
    Case(
        "bedrock_vpc_endpoint",
        True,
        lambda p: (p.network.llm_route.via, line("llm_endpoint")(p)),
        (
            "interface_endpoint",
            money(43.80 + 217.18668 * 0.005, 43.80 + 217.18668 * 0.005, 43.80 + 2_171.8668 * 0.005),
        ),
        workload=(("llm", "aws:test-model"),),
    ),
    # Four zones, still one gateway (medium): 1 + 4 public addresses; 3 answers in 4 cross a zone, both ways at
    # $0.01 a GB. 50 requests/s x 32 KB x 3,600 x 730 / 1e6 = 4,204.8 GB at peak, 100 of them free.
    Case(
        "availability_zones",
        4,
        lambda p: (p.network.nat_gateways, line("public_ipv4")(p)[2], line("data_transfer")(p)[2]),
        (1, *money((1 + 4) * 0.01 * HOURS, (4_204.8 - 100) * 0.10 + 4_204.8 * 3 / 4 * 2 * 0.01)),
    ),
    # --- the edge: the WAF rate limit per client IP is 3 requests a minute x 10 x 5 min = 150 unless changed ------
    Case(
        "edge.rate_limit_window_s",
        60,
        lambda p: (p.edge.waf.rate_limit_per_ip, p.edge.waf.evaluation_window_s),
        (3 * 10 * 1, 60),
    ),
    Case("edge.rate_limit_headroom", 2, lambda p: p.edge.waf.rate_limit_per_ip, 3 * 2 * 5),
    Case(
        "edge.rate_limit_per_ip",
        1_000,
        lambda p: (p.edge.waf.rate_limit_per_ip, p.edge.waf.rate_limit_source, p.edge.waf.derived_rate_limit_per_ip),
        (1_000, "override", 150),
    ),
    # One more rule ($1): $5 + 2 x $1, and 50/s x 3,600 x 730 = 131.4 million requests at $0.50 at peak.
    Case(
        "edge.waf_managed_rules",
        True,
        lambda p: (p.edge.waf.rules, line("waf")(p)),
        (2, money(7 + 13.14 * 0.50, 7 + 13.14 * 0.50, 7 + 131.4 * 0.50)),
    ),
    # --- a self-hosted model (vllm:MODEL) ---------------------------------------------------------------------------
    # One stream's first token on an A10G: a 1,155-token prompt's prefill, 2 x 8.03e9 x 1,155 / (125e12 x 0.355) =
    # 0.418 s, above 0.31 s (any format: int4 multiplies in bf16); a tighter target than the default 1.5 s takes fewer
    # streams or a faster GPU, so the time to first token at peak falls within it.
    Case(
        "llm.self_hosted.target_time_to_first_token_s",
        0.31,
        lambda p: _sh("time_to_first_token_s")(p) <= 0.31,
        True,
        workload=VLLM,
    ),
    Case(
        "llm.self_hosted.target_inter_token_latency_s",
        0.04,
        lambda p: _sh("inter_token_latency_s")(p) <= 0.04,
        True,
        workload=VLLM,
    ),
    Case(
        "llm.self_hosted.weight_format",
        "bf16",
        lambda p: (_sh("weight_format")(p), _sh("weights_gib")(p)),
        ("bf16", round(BF16_GIB, 2)),
        workload=VLLM,
    ),
    Case(
        "llm.self_hosted.instance_type",
        "g6e.xlarge",
        lambda p: (_sh("instance_type")(p), _sh("gpu")(p)),
        ("g6e.xlarge", "L40S"),
        workload=VLLM,
    ),
    Case(
        "llm.self_hosted.gpu_memory_utilization",
        0.8,
        _sh("kv_cache_tokens"),
        _kv_tokens(0.8, 1.5),
        workload=VLLM,
        also=BF16,
    ),
    Case(
        "llm.self_hosted.runtime_overhead_gib", 3, _sh("kv_cache_tokens"), _kv_tokens(0.9, 3), workload=VLLM, also=BF16
    ),
    # Fixed-length prompts: the prompt queue's wait is g = (1 + cv²) / 2 = 0.5 of the exponential one (speed.py),
    # read back from the plan's own figures (_prompt_wait_share).
    Case("llm.self_hosted.prompt_length_cv2", 0.0, _prompt_wait_share, 0.5, workload=VLLM, also=G5_BF16),
    Case("llm.self_hosted.max_model_len", 4096, _sh("max_model_len"), 4096, workload=VLLM),
    # Twice the bf16 weights (29.9 GiB) in host memory: not the 16 GiB g5.xlarge, the 32 GiB g5.2xlarge.
    Case("llm.self_hosted.host_memory_per_weight", 2.0, _sh("instance_type"), "g5.2xlarge", workload=VLLM, also=BF16),
    # The scale-up lag: node start + engine start + 14.957 GiB at 0.125 GiB/s.
    Case(
        "llm.self_hosted.node_start_s",
        1000,
        _sh("scale_up_lag_s"),
        round(1000 + 60 + BF16_GIB / 0.125),
        workload=VLLM,
        also=BF16,
    ),
    Case(
        "llm.self_hosted.engine_start_s",
        30,
        _sh("load_seconds"),
        round(30 + BF16_GIB / 0.125),
        workload=VLLM,
        also=BF16,
    ),
    Case(
        "llm.self_hosted.weight_load_gib_per_s",
        1.0,
        _sh("load_seconds"),
        round(60 + BF16_GIB / 1.0),
        workload=VLLM,
        also=BF16,
    ),
    # The node's volume: the image twice, one replica's weights, 20 GiB.
    Case("llm.self_hosted.image_gib", 20, _sh("node_disk_gib"), ceil(2 * 20 + BF16_GIB + 20), workload=VLLM, also=BF16),
    Case("llm.self_hosted.weights_in_s3", False, line("llm_weights_storage"), (0, 0, 0), workload=VLLM),
    Case(
        "llm.self_hosted.measured_tokens_per_s",
        422.0,
        lambda p: (_sh("max_num_seqs")(p), _sh("output_tokens_per_s")(p), _sh("measured")(p)),
        (20, 422.0, True),
        workload=VLLM,
        also={
            "llm": {"self_hosted": {"measured_concurrency": 20, "instance_type": "g5.2xlarge", "weight_format": "bf16"}}
        },
    ),
    Case(
        "llm.self_hosted.measured_concurrency",
        10,
        lambda p: (_sh("max_num_seqs")(p), _sh("output_tokens_per_s")(p)),
        (10, 300.0),
        workload=VLLM,
        also={
            "llm": {
                "self_hosted": {"measured_tokens_per_s": 300.0, "instance_type": "g5.2xlarge", "weight_format": "bf16"}
            }
        },
    ),
    # --- quotas and the cluster ----------------------------------------------------------------------------------
    # The max fleet's 32 bt1.large run 64 vCPUs.
    Case(
        "quotas.ec2_on_demand_vcpus",
        63,
        lambda p: [w.split(" assumed")[0] for w in p.warnings],
        [f"the max fleet runs {32 * 2} vCPUs, above the 63"],
    ),
    Case(
        "cluster.support",
        "EXTENDED",
        line("eks_extended_support"),
        money((0.60 - 0.10) * HOURS, (0.60 - 0.10) * HOURS, (0.60 - 0.10) * HOURS),
    ),
    # 60 GB set: ingested at $0.50, 15% of it kept 90 days, a stock of 60 x 0.15 x 90 / (365 / 12) GB at $0.03, and
    # 26 bytes for each of its events, at the derived expected bound's mean event size (MIN_LOG_GB / MIN_LOG_EVENTS).
    Case(
        "cluster.log_gb_per_month",
        60,
        line("control_plane_logs"),
        money(*(60 * 0.50 + (60 * 0.15 + 60 * MIN_LOG_EVENTS / MIN_LOG_GB * 26 / 1e9) * 90 / (365 / 12) * 0.03,) * 3),
    ),
    # Kept forever: priced as a year's stock, 365 days of the derived 23.88 GB (``logs``), 32.24 at the max.
    Case(
        "cluster.log_retention_days",
        0,
        lambda p: [(i.item, i.monthly_usd.max) for i in p.cost.breakdown if i.key == "control_plane_logs"],
        [
            (
                "Control-plane logs (23.9 GB/month, up to 32.2; 365 days kept)",
                pytest.approx(
                    MAX_LOG_GB * 0.50 + (MAX_LOG_GB * 0.15 + MAX_LOG_EVENTS * 26 / 1e9) * 365 / (365 / 12) * 0.03,
                    abs=0.01,
                ),
            )
        ],
    ),
    # The logs' estimates, each moving its term of the formula (``logs``). Six more leaders: 6 x 3,600 / 2 s more
    # events an hour; six more standbys, 6 x 3,600 / 3.2 s; three more API servers, 3 x 3,600 / 10 s.
    Case("cluster.logs.other_leaders", 8, line("control_plane_logs"), logs(steady=15_055 + 6 * 1_800)),
    Case("cluster.logs.other_standbys", 8, line("control_plane_logs"), logs(steady=15_055 + 6 * 1_125)),
    Case("cluster.logs.api_servers", 5, line("control_plane_logs"), logs(steady=15_055 + 3 * 360)),
    Case("cluster.logs.cluster_watches", 200, line("control_plane_logs"), logs(steady=15_055 + 100 * 16)),
    Case("cluster.logs.watches_per_node", 24, line("control_plane_logs"), logs(node_events=564 + 12 * 16)),
    Case("cluster.logs.audit_event_bytes", 2_000, line("control_plane_logs"), logs(event_bytes=2_000)),
    Case("cluster.logs.pod_events", 1_000, line("control_plane_logs"), logs(pod=(1_000, 2_500))),
    Case("cluster.logs.pod_event_bytes", 100_000, line("control_plane_logs"), logs(pod=(14, 100_000))),
    # 100 rollouts a day: 100 x 14 pods at the min, 100 x 28 + 14 at the max.
    Case("cluster.logs.rollouts_per_day", 100, line("control_plane_logs"), logs(pods=(100 * 14, 100 * 28 + 14))),
    Case("cluster.logs.authenticator_lines_per_node_hour", 600, line("control_plane_logs"), logs(sign_ins=(600, 450))),
    Case("cluster.logs.authenticator_line_bytes", 4_500, line("control_plane_logs"), logs(sign_ins=(60, 4_500))),
    Case("cluster.logs.api_server_bytes_per_hour", 20_000_000, line("control_plane_logs"), logs(api=(20_000_000, 200))),
    Case("cluster.logs.api_server_line_bytes", 2, line("control_plane_logs"), logs(api=(200_000, 2))),
    Case("cluster.logs.archived_share", 1.0, line("control_plane_logs"), logs(share=1.0)),
    # Business support on the month's AWS charges, tests/test_costs_by_hand.py's 1,000-user bill: $1,099.67 at the
    # min, $1,104.46 expected, $2,505.36 at the max with the flat 30 GB of logs ($17.70); with the derived logs
    # ($12.30, $12.30, $16.61) $1,094.27, $1,099.06 and $2,504.27. 10% of the first $10,000: $109.43, $109.91 and
    # $250.43, each above the $100 minimum.
    Case(
        "support_plan",
        "business",
        line("support_plan"),
        money((1_099.67 - 17.70 + 12.30) * 0.10, (1_104.46 - 17.70 + 12.30) * 0.10, (2_505.36 - 17.70 + 16.61) * 0.10),
    ),
]


def nested(path: str, value: Any) -> dict:
    head, _, rest = path.partition(".")
    return {head: nested(rest, value) if rest else value}


def leaf_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every input field, dotted, down through the sub-models (computed fields, like traffic.duty_cycle, are not
    inputs: they are not in model_fields)."""
    fields = set()
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields |= leaf_fields(kind, f"{prefix}{name}.")
        else:
            fields.add(f"{prefix}{name}")
    return fields


def test_every_assumption_field_has_a_case():
    assert len(CASES) == len({c.path for c in CASES})
    assert leaf_fields(Assumptions) == {c.path for c in CASES}


def plan(fake_catalog, fake_prices, case: Case, overrides: dict | None = None):
    workload = dict(case.workload)
    token_prices = flat_token_prices(1, 5, 0.1) if "llm" in workload else None
    total = case.users * 1024 // 100
    return build(fake_catalog, fake_prices, case.users, total, overrides, token_prices=token_prices, **workload)


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_each_override_moves_the_plan_as_its_formula_says(fake_catalog, fake_prices, case):
    base = plan(fake_catalog, fake_prices, case)
    changed = plan(fake_catalog, fake_prices, case, merged(nested(case.path, case.value), case.also or {}))
    assert case.measure(base) != case.expected, "the case would pass without the override"
    assert case.measure(changed) == case.expected
