"""Every number of a plan at four loads, derived on paper from the fake catalog and prices (tests/conftest.py).

Nothing here is copied from the program's output: each figure is worked out in the comments from the inputs and the
formulas in README "How the plan is computed", with the month the fake table declares (1,000 hours). The assumptions
are spelt out in full, so a change of a shipped default does not move these numbers; the shipped catalog and prices
are not used at all.

Per node, after kube-reserved and the DaemonSets below (420m, 481 MiB, 2 pods):
- gp1.xlarge: CPU 4,000 - 80 = 3,920m - 420 = 3,500m; memory 16,384 x 0.925 = 15,155.2 - (255 + 11 x 29) - 100 =
  14,481 - 481 = 14,000 MiB; pods 29 - 2 = 27. Holds 3 backend pods (1,000m each) and beside them 1 frontend
  (500m); 7 frontends on an empty node.
- gp1.2xlarge: 8,000 - 90 - 420 = 7,490m; 7 backends (490m left: no frontend beside), 14 frontends on an empty node.
- bt1.large: 2,000 - 70 - 420 = 1,510m; 1 backend + 1 frontend beside, 3 frontends on an empty node. Burstable:
  busy share at the 70% HPA target = 1,930 x 0.7 / 2,000 = 0.6755 of each vCPU, 0.2755 above its 0.4 baseline,
  x 2 vCPU x $0.05 = $0.02755/h = $27.55 a node-month at peak; at the min fleet 0.6755 x 0.1 < 0.4: nothing.
Node month = instance + 20 GiB x $0.10 = $2 of gp3.
"""

from __future__ import annotations

import math

import pytest

from hand_plans import build, flat_token_prices
from sizing import Workload, calculate
from sizing.network import load_balancer_lcus


@pytest.fixture
def plan(fake_catalog, fake_prices):
    def make(users, total=None, overrides=None, **workload):
        return build(fake_catalog, fake_prices, users, total, overrides, **workload)

    return make


# Registered users are multiples of 1,024 so storage (x 5 MiB / 1,024) is a round number of GiB.
LOADS = {
    # --- 300 users, small. 15 requests/s. Backend ceil(3 x 1.2) = 4 .. 8, frontend max(2, ceil(0.6)) = 2 .. 4.
    # gp1.xlarge: min 4 backends = 1 full node + 1 beside 2,500m (the 2 frontends fit) = 2 nodes x 1.25 -> 3;
    #   max 8 = 2 full + 2 (4 frontends fit) = 3 x 1.25 -> 4. Score (3 + 4) x $202 = $1,414.
    # gp1.2xlarge: 1 node -> 3 (the floor), 2 -> 3. Score 6 x $442 = $2,652.
    # bt1.large: 4 backends, 4 nodes (a frontend beside each) x 1.25 -> 5; 8 -> 10. Score 5 x $62 + 10 x $89.55 =
    #   $1,205.50: the cheapest, so burstable credits appear: 0 .. 10 x $27.55 = $275.50.
    300: dict(
        total=3_072, tier="small", backend=(4, 8), frontend=(2, 4), instance_type="bt1.large", nodes=(5, 10),
        # 8 + 4 pods, and per node its primary address and the warm ENI's 6: 10 x 7.
        vpc_ips=12 + 10 * (1 + 6),
        costs={
            "eks_control_plane": (100, 100),  # $0.10 x 1,000 h
            "ec2_nodes": (300, 600),  # 5 / 10 x $60
            "ebs_volumes": (10, 20),  # 5 / 10 x 20 GiB x $0.10
            "burstable_credits": (0, 275.50),
            # One gateway: $50 a month. Peak: 15/s x 16 KB x 3,600,000 s = 864 GB x $0.01 = $8.64; average 10%.
            "nat_gateways": (50 + 0.864, 50 + 8.64),
            # LCUs: max(15/10/800, 300/100,000, 15 x 32 KB x 3,600 / 1e6 = 1.728 GB/h) = 1.728 at peak.
            "load_balancer": ((0.02 + 0.1728 * 0.01) * 1000, (0.02 + 1.728 * 0.01) * 1000),
            # On demand (small): 75 read units/s x 3,600 x $0.20/1e6 + 30 write units x 3,600 x $1/1e6 = $0.162/h
            # = $162 at peak, $16.20 at 10%; storage 3,072 x 5 / 1,024 = 15 GiB x $0.50 = $7.50.
            "dynamodb": (16.2 + 7.5, 162 + 7.5),
            "elasticache": (0, 0),  # off for small
        },
        database=dict(mode="PAY_PER_REQUEST", rcu=75, wcu=30, read_scaling=(15, 94), write_scaling=(6, 38),
                      # Provisioned: peak (93.75 x $0.0001 + 37.5 x $0.0005) x 1,000 = $28.125; at 10% the floor
                      # holds 15 RCU and 6 WCU: $4.50. Plus $7.50 storage.
                      provisioned=(12.0, 35.625), on_demand=(23.7, 169.5)),
        cache=dict(enabled=False, node_type=None, nodes=0, shards=0),
        nat_gateways=1,
    ),
    # --- 1,000 users, medium. 50 requests/s. Backend 12 .. 24, frontend 2 .. 4.
    # gp1.xlarge: 12 backends = 4 full nodes (the 2 frontends beside) x 1.25 = 5; 24 = 8 x 1.25 = 10.
    #   Score 15 x $202 = $3,030.
    # gp1.2xlarge: 12 = 7 + 5 (2,490m left: 2 frontends fit) = 2 nodes -> 3; 24 = 3 x 7 + 3 (4 frontends fit) = 4
    #   x 1.25 -> 5. Score 8 x $442 = $3,536.
    # bt1.large: 12 nodes x 1.25 = 15; 24 x 1.25 = 30. Score 15 x $62 + 30 x $89.55 = $3,616.50.
    1_000: dict(
        total=10_240, tier="medium", backend=(12, 24), frontend=(2, 4), instance_type="gp1.xlarge", nodes=(5, 10),
        vpc_ips=28 + 10 * (1 + 10),
        alternatives=[("gp1.2xlarge", 3, 5), ("bt1.large", 15, 30)],
        costs={
            "eks_control_plane": (100, 100),
            "ec2_nodes": (1_000, 2_000),
            "ebs_volumes": (10, 20),
            # 50/s x 16 KB x 3,600,000 s = 2,880 GB at peak.
            "nat_gateways": (50 + 2.88, 50 + 28.8),
            # 50 x 32 x 3,600 / 1e6 = 5.76 GB/h: 5.76 LCU at peak, 0.576 at 10%.
            "load_balancer": (20 + 5.76, 20 + 57.6),
            # On demand: (250 x $0.20 + 100 x $1) x 3,600 / 1e6 = $0.54/h; storage 50 GiB = $25.
            "dynamodb": (54 + 25, 540 + 25),
            # 0.49 GiB of sessions: one cache.f1.medium (3 GiB usable), no replica below large.
            "elasticache": (50, 50),
        },
        database=dict(mode="PAY_PER_REQUEST", rcu=250, wcu=100, read_scaling=(50, 313), write_scaling=(20, 125),
                      # Peak (312.5 x $0.0001 + 125 x $0.0005) x 1,000 = $93.75; at 10% the floor (50, 20): $15.
                      provisioned=(15 + 25, 93.75 + 25), on_demand=(79, 565)),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=1, shards=1),
        nat_gateways=1,
    ),
    # --- 5,000 users, large. 250 requests/s. Backend 60 .. 120, frontend 10 .. 20. No burstable types.
    # gp1.xlarge: 20 nodes (10 frontends beside) x 1.25 = 25; 40 x 1.25 = 50. Score 75 x $202 = $15,150.
    # gp1.2xlarge: 60 = 8 x 7 + 4 (6 frontends fit, 4 more take a node) = 10 -> 13; 120 = 17 x 7 + 1 (12 fit,
    #   8 more) = 19 -> 24. Score 37 x $442 = $16,354.
    5_000: dict(
        total=51_200, tier="large", backend=(60, 120), frontend=(10, 20), instance_type="gp1.xlarge", nodes=(25, 50),
        vpc_ips=140 + 50 * 11,
        costs={
            "eks_control_plane": (100, 100),
            "ec2_nodes": (5_000, 10_000),
            "ebs_volumes": (50, 100),
            # Three gateways (one per AZ from large): 3 x $50. 250/s x 16 KB x 3,600,000 s = 14,400 GB at peak.
            "nat_gateways": (150 + 14.4, 150 + 144),
            # 250 x 32 x 3,600 / 1e6 = 28.8 LCU at peak.
            "load_balancer": (20 + 28.8, 20 + 288),
            # Provisioned (large): peak (1,562.5 x $0.0001 + 625 x $0.0005) x 1,000 = $468.75; at 10% the floor
            # (250 RCU, 100 WCU) = $75; storage 250 GiB = $125.
            "dynamodb": (75 + 125, 468.75 + 125),
            # 2.44 GiB: one cache.f1.medium shard and its replica (large): 2 x $50.
            "elasticache": (100, 100),
        },
        database=dict(mode="PROVISIONED", rcu=1_250, wcu=500, read_scaling=(250, 1_563), write_scaling=(100, 625),
                      # On demand: (1,250 x 0.2 + 500 x 1) x 3,600 / 1e6 = $2.70/h.
                      provisioned=(200, 593.75), on_demand=(270 + 125, 2_700 + 125)),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=2, shards=1),
        nat_gateways=3,
    ),
    # --- 100,000 users, enterprise. 5,000 requests/s. Backend 1,200 .. 2,400, frontend 200 .. 400.
    # gp1.xlarge: 400 nodes (200 frontends beside) x 1.25 = 500; 800 x 1.25 = 1,000. Score 1,500 x $202 = $303,000.
    # gp1.2xlarge: 1,200 = 171 x 7 + 3 (8 frontends fit, 192 more on ceil(192/14) = 14 nodes) = 186 x 1.25 -> 233;
    #   2,400 = 342 x 7 + 6 (2 fit, 398 more on 29) = 372 x 1.25 = 465. Score 698 x $442 = $308,516.
    100_000: dict(
        total=1_024_000, tier="enterprise", backend=(1_200, 2_400), frontend=(200, 400), instance_type="gp1.xlarge",
        nodes=(500, 1_000), groups=[(167, 334), (167, 333), (166, 333)],  # ceil(1,000 / 450) = 3 groups
        vpc_ips=2_800 + 1_000 * 11,
        costs={
            "eks_control_plane": (100, 100),
            "ec2_nodes": (100_000, 200_000),
            "ebs_volumes": (1_000, 2_000),
            # 5,000/s x 16 KB x 3,600,000 s = 288,000 GB at peak.
            "nat_gateways": (150 + 288, 150 + 2_880),
            # 5,000 x 32 x 3,600 / 1e6 = 576 LCU at peak.
            "load_balancer": (20 + 576, 20 + 5_760),
            # Provisioned: peak (31,250 x $0.0001 + 12,500 x $0.0005) x 1,000 = $9,375; at 10% demand is 3,125 RCU
            # and 1,250 WCU, below the floor of 5,000 and 2,000, which is what is held: $1,500. Storage 5,000 GiB.
            "dynamodb": (1_500 + 2_500, 9_375 + 2_500),
            # 48.83 GiB: cache.f1.medium ceil(48.83 / 3) = 17 shards x 2 x $50 = $1,700, cheaper than
            # cache.f1.large 5 shards x 2 x $200 = $2,000.
            "elasticache": (1_700, 1_700),
        },
        database=dict(mode="PROVISIONED", rcu=25_000, wcu=10_000, read_scaling=(5_000, 31_250),
                      write_scaling=(2_000, 12_500), provisioned=(4_000, 11_875),
                      # (25,000 x 0.2 + 10,000 x 1) x 3,600 / 1e6 = $54/h.
                      on_demand=(5_400 + 2_500, 54_000 + 2_500)),
        cache=dict(enabled=True, node_type="cache.f1.medium", nodes=34, shards=17),
        nat_gateways=3,
    ),
}
ORDER = ["eks_control_plane", "ec2_nodes", "ebs_volumes", "burstable_credits", "nat_gateways", "load_balancer",
         "dynamodb", "elasticache"]
LABELS = {
    "eks_control_plane": "EKS control plane",
    "ec2_nodes": "EC2 nodes",
    "ebs_volumes": "Node EBS volumes (gp3)",
    "burstable_credits": "Burstable CPU credits",
    "load_balancer": "Load balancer (NLB)",
    "elasticache": "ElastiCache",
}
CENT = 0.01


def lines(plan) -> dict[str, tuple[float, float]]:
    return {i.key: (i.monthly_usd.min, i.monthly_usd.max) for i in plan.cost.breakdown}


@pytest.mark.parametrize("users", list(LOADS))
def test_pods_nodes_and_the_chosen_type_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    assert got.tier == want["tier"]
    assert got.performance.requests_per_second == users * 3 / 60
    assert (got.backend.min_replicas, got.backend.max_replicas) == want["backend"]
    assert (got.frontend.min_replicas, got.frontend.max_replicas) == want["frontend"]
    assert got.nodes.instance_type == want["instance_type"]
    assert (got.nodes.min_nodes, got.nodes.max_nodes) == want["nodes"]
    groups = want.get("groups", [want["nodes"]])
    assert [(g.min_nodes, g.max_nodes) for g in got.nodes.groups] == groups
    assert {g.instance_type for g in got.nodes.groups} == {want["instance_type"]}


@pytest.mark.parametrize("users", list(LOADS))
def test_every_cost_line_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    expected = want["costs"]
    # Each line keeps its key, its label and its own amount: two rows swapped would show here.
    assert lines(got) == {key: (pytest.approx(low, abs=CENT), pytest.approx(high, abs=CENT))
                          for key, (low, high) in expected.items()}
    assert [k for k in (i.key for i in got.cost.breakdown) if k in ORDER] == [k for k in ORDER if k in expected]
    labels = {i.key: i.item for i in got.cost.breakdown}
    gateways = want["nat_gateways"]
    assert labels["nat_gateways"] == ("NAT gateway (1)" if gateways == 1 else f"NAT gateways ({gateways})")
    assert labels["dynamodb"] == ("DynamoDB (on-demand)" if want["database"]["mode"] == "PAY_PER_REQUEST"
                                  else "DynamoDB (provisioned)")
    assert {k: labels[k] for k in LABELS if k in labels} == {k: v for k, v in LABELS.items() if k in expected}


@pytest.mark.parametrize("users", list(LOADS))
def test_totals_and_cost_per_user_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    low = sum(c[0] for c in want["costs"].values())
    high = sum(c[1] for c in want["costs"].values())
    cost = got.cost
    assert (cost.infrastructure_monthly_usd.min, cost.infrastructure_monthly_usd.max) == (
        pytest.approx(low, abs=0.03), pytest.approx(high, abs=0.03))
    assert (cost.llm_monthly_usd.min, cost.llm_monthly_usd.max) == (0, 0)
    assert (cost.monthly_usd.min, cost.monthly_usd.max) == (pytest.approx(low, abs=0.03), pytest.approx(high, abs=0.03))
    assert cost.per_user_usd.min == pytest.approx(low / want["total"], abs=1e-4)
    assert cost.per_user_usd.max == pytest.approx(high / want["total"], abs=1e-4)
    assert cost.prices_as_of == "2000-01-02"


def test_the_totals_in_figures():
    # The sums above, added up once more by hand so a wrong expected table cannot agree with itself.
    assert sum(c[1] for c in LOADS[1_000]["costs"].values()) == pytest.approx(2_891.40)
    assert sum(c[0] for c in LOADS[1_000]["costs"].values()) == pytest.approx(1_317.64)
    assert sum(c[1] for c in LOADS[100_000]["costs"].values()) == pytest.approx(224_485)
    assert sum(c[0] for c in LOADS[100_000]["costs"].values()) == pytest.approx(107_834)


@pytest.mark.parametrize("users", list(LOADS))
def test_vpc_addresses_and_gateways_by_hand(plan, users):
    want, got = LOADS[users], plan(users, LOADS[users]["total"])
    assert got.network.vpc_ips_max == want["vpc_ips"]
    assert got.network.nat_gateways == want["nat_gateways"]
    assert got.network.availability_zones == 3
    assert got.warnings == []


@pytest.mark.parametrize("users", list(LOADS))
def test_dynamodb_capacity_and_both_modes_by_hand(plan, users):
    want, got = LOADS[users]["database"], plan(users, LOADS[users]["total"]).database
    assert got.billing_mode == want["mode"]
    assert got.reads_per_second == users * 0.5 and got.writes_per_second == pytest.approx(users * 0.1)
    assert (got.read_capacity_units, got.write_capacity_units) == (want["rcu"], want["wcu"])
    assert (got.read_autoscaling.min, got.read_autoscaling.max) == want["read_scaling"]
    assert (got.write_autoscaling.min, got.write_autoscaling.max) == want["write_scaling"]
    assert got.storage_gib == LOADS[users]["total"] * 5 / 1024
    for actual, expected in ((got.monthly_usd_provisioned, want["provisioned"]),
                             (got.monthly_usd_on_demand, want["on_demand"])):
        assert (actual.min, actual.max) == (pytest.approx(expected[0], abs=CENT), pytest.approx(expected[1], abs=CENT))


@pytest.mark.parametrize("users", list(LOADS))
def test_cache_by_hand(plan, users):
    want, got = LOADS[users]["cache"], plan(users, LOADS[users]["total"]).cache
    assert (got.enabled, got.node_type, got.num_nodes, got.shards) == (
        want["enabled"], want["node_type"], want["nodes"], want["shards"])
    assert got.required_memory_gib == round(users * 0.5 / 1024, 3)
    if got.enabled:
        assert got.usable_memory_gib_per_node == 3.0  # 4 GiB x 0.75


def test_a_single_node_is_preferred_to_cheaper_shards(plan):
    # 10,000 users: 4.88 GiB. cache.f1.medium needs 2 shards (+ replicas: 4 x $50 = $200), cache.f1.large holds it on
    # one node (+ replica: 2 x $200 = $400). Shards only when no single node holds the sessions.
    cache = plan(10_000, 102_400).cache
    assert (cache.node_type, cache.shards, cache.num_nodes, cache.monthly_usd) == ("cache.f1.large", 1, 2, 400)


def test_the_runner_ups_are_ranked_and_priced_by_hand(plan):
    got = plan(1_000, 10_240).nodes
    assert [(o.instance_type, o.min_nodes, o.max_nodes) for o in got.alternatives] == LOADS[1_000]["alternatives"]
    by_name = {o.instance_type: o for o in got.alternatives}
    assert (by_name["gp1.2xlarge"].monthly_usd.min, by_name["gp1.2xlarge"].monthly_usd.max) == (3 * 442, 5 * 442)
    # bt1.large: 15 x $62 at 10% load (no credits), 30 x ($62 + $27.55) at peak.
    bt1 = by_name["bt1.large"]
    assert (bt1.monthly_usd.min, bt1.monthly_usd.max) == (930, pytest.approx(2_686.5))
    assert (bt1.credits_monthly_usd.min, bt1.credits_monthly_usd.max) == (0, pytest.approx(826.5))
    assert (got.hourly_usd, got.monthly_usd.min, got.monthly_usd.max) == (0.20, 5 * 202, 10 * 202)
    assert (got.vcpu, got.allocatable_cpu_m, got.allocatable_memory_mib, got.max_pods, got.pod_slots) == (
        4, 3_920, 14_481, 29, 27)


def test_arm64_takes_the_graviton_type(plan):
    # Only ar1.xlarge is arm64: the same shape as gp1.xlarge, so the same 5 .. 10 nodes, at $160 + $2.
    got = plan(1_000, 10_240, arch="arm64")
    assert (got.nodes.instance_type, got.nodes.min_nodes, got.nodes.max_nodes) == ("ar1.xlarge", 5, 10)
    assert lines(got)["ec2_nodes"] == (800, 1_600)
    assert got.workload.arch == "arm64"


def test_a_pinned_type_is_priced_the_same_way(plan):
    # gp1.2xlarge pinned at 1,000 users: 3 .. 5 nodes (see LOADS), $440 each, 12 + 1 + 15 addresses a node.
    got = plan(1_000, 10_240, instance_type="gp1.2xlarge")
    assert (got.nodes.min_nodes, got.nodes.max_nodes, got.nodes.pinned) == (3, 5, True)
    assert lines(got)["ec2_nodes"] == (1_320, 2_200)
    assert lines(got)["ebs_volumes"] == (6, 10)
    assert got.network.vpc_ips_max == 28 + 5 * (1 + 15)


@pytest.mark.parametrize("zones", [2, 3, 6])
def test_nat_hours_are_paid_per_gateway(plan, zones):
    # Large tier: a gateway per zone. Hours: zones x $50; data processed does not depend on the number of gateways.
    got = plan(5_000, 51_200, {"availability_zones": zones})
    assert got.network.nat_gateways == zones
    assert lines(got)["nat_gateways"] == (pytest.approx(zones * 50 + 14.4), pytest.approx(zones * 50 + 144))


@pytest.mark.parametrize(
    ("overrides", "dominant"),
    [
        # Bytes: 1,000 users x 3/min = 50/s x 32 KB x 3,600 = 5.76 GB/h (the LOADS case).
        ({}, 5.76),
        # Active connections: no response bytes, and 1,000 / 100,000 = 0.01 beats 50 / 10 / 800 = 0.00625.
        ({"traffic": {"response_kb_per_request": 0}}, 0.01),
        # New connections: 60 requests a minute = 1,000/s, / 10 per connection / 800 = 0.125 beats 0.01.
        ({"traffic": {"response_kb_per_request": 0}, "requests_per_user_per_minute": 60}, 0.125),
    ],
    ids=["processed-bytes", "active-connections", "new-connections"],
)
def test_each_load_balancer_dimension_is_billed_when_it_dominates(plan, overrides, dominant):
    got = plan(1_000, 10_240, overrides)
    low, high = lines(got)["load_balancer"]
    assert high == pytest.approx((0.02 + dominant * 0.01) * 1000, abs=CENT)
    assert low == pytest.approx((0.02 + dominant * 0.1 * 0.01) * 1000, abs=CENT)


def test_load_balancer_capacity_units_of_each_dimension():
    # NLCU: 800 new connections/s, 100,000 active connections, 1 GB/h; a new connection per 10 requests.
    assert load_balancer_lcus(0, 8_000, 0) == 1  # 8,000 req/s = 800 new connections/s
    assert load_balancer_lcus(100_000, 0, 0) == 1
    assert load_balancer_lcus(0, 1_000, 1_000 / 3_600) == pytest.approx(1)  # 1,000/s x 277.8 KB = 1 GB/h
    assert load_balancer_lcus(250_000, 16_000, 0) == 2.5
    assert load_balancer_lcus(50_000, 16_000, 0) == 2


def test_the_llm_line_uses_the_tables_month(plan):
    # 1,000 users x 1 turn a minute = 60,000 turns an hour x 1,000 h = 60,000,000 turns at peak; at $1 / $5 per
    # million, a turn of 1,155 in + 211 out costs $0.00221: $132,600 a month, $13,260 at 10%.
    got = plan(1_000, 10_240, llm="openai:gpt-test", token_prices=flat_token_prices(1, 5))
    assert got.llm.turn_usd == pytest.approx(0.00221)
    assert lines(got)["llm_api"] == (pytest.approx(13_260, abs=CENT), pytest.approx(132_600, abs=CENT))
    assert (got.cost.llm_monthly_usd.min, got.cost.llm_monthly_usd.max) == (
        pytest.approx(13_260, abs=CENT), pytest.approx(132_600, abs=CENT))
    infra = LOADS[1_000]["costs"]
    assert got.cost.monthly_usd.max == pytest.approx(sum(c[1] for c in infra.values()) + 132_600, abs=0.03)
    assert got.cost.monthly_usd.min == pytest.approx(sum(c[0] for c in infra.values()) + 13_260, abs=0.03)
    # 1,000/60 turns/s x (1 s + 2.11 s) = 51.8 open streams: one backend pod's worth, the 12 .. 24 stand.
    assert got.llm.peak.open_streams == pytest.approx(1_000 / 60 * 3.11)
    assert (got.backend.min_replicas, got.backend.max_replicas) == (12, 24)
    assert got.cost.breakdown[-1].key == "llm_api"
    # Tokens a month: 60,000,000 turns x 1,155 in and x 211 out at peak, a tenth of that at the average load.
    monthly = got.llm.monthly
    assert (monthly.turns.min, monthly.turns.max) == (pytest.approx(6e6), pytest.approx(6e7))
    assert (monthly.input_tokens.min, monthly.input_tokens.max) == (pytest.approx(6.93e9), pytest.approx(6.93e10))
    assert (monthly.output_tokens.min, monthly.output_tokens.max) == (pytest.approx(1.266e9), pytest.approx(1.266e10))


def test_a_price_table_must_cover_the_catalog(fake_catalog, fake_prices):
    from sizing.pricing import PriceTable

    data = fake_prices.model_dump()
    del data["ec2_hour"]["gp1.2xlarge"]
    holed = PriceTable.model_validate(data)
    with pytest.raises(ValueError, match="no price for gp1.2xlarge"):
        calculate(Workload(concurrent_users=1_000, llm=None), catalog=fake_catalog, prices=holed)
    with pytest.raises(ValueError, match=r"no \['us-east-1'\] price for gp1.xlarge"):
        PriceTable.model_validate({**data, "ec2_hour": {**data["ec2_hour"], "gp1.xlarge": {"us-west-2": 1.0}}})
    # The shipped prices do not price the fake types, nor the fake prices the shipped ones.
    with pytest.raises(ValueError, match="no price for"):
        calculate(Workload(concurrent_users=1_000, llm=None), catalog=fake_catalog)
    with pytest.raises(ValueError, match="no price for"):
        calculate(Workload(concurrent_users=1_000, llm=None), prices=fake_prices)


def test_hand_figures_of_the_fake_nodes():
    # The per-node figures the module docstring derives, from the README's kubelet formulas.
    assert 4_000 - (60 + 10 + 5 + 5) - 420 == 3_500
    assert math.floor(16 * 1024 * 0.925 - (255 + 11 * 29) - 100) - 481 == 14_000
    assert 8_000 - (60 + 10 + 5 + 5 + 4 * 2.5) - 420 == 7_490
    assert round((1_930 * 0.7 / 2_000 - 0.4) * 2 * 0.05 * 1_000, 2) == 27.55
