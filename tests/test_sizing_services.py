"""DynamoDB, ElastiCache, network and cost, checked against the price table by hand."""

import math

import pytest

from sizing import SizingError, Workload, calculate
from sizing.data.catalog import load_catalog
from sizing.data.pricing import region_prices

PRICES = region_prices("us-east-1")


def item(plan, prefix):
    return next(i for i in plan.cost.breakdown if i.item.startswith(prefix))


def test_dynamodb_capacity_follows_the_seed():
    db = calculate(Workload(concurrent_users=1_000)).database
    assert (db.reads_per_second, db.writes_per_second) == (500, 100)
    assert (db.read_capacity_units, db.write_capacity_units) == (250, 100)
    # 70% target tracking: the ceiling keeps peak utilisation at the target; the floor is a quarter of the peak.
    assert (db.read_autoscaling.min, db.read_autoscaling.max) == (63, 358)
    assert (db.write_autoscaling.min, db.write_autoscaling.max) == (25, 143)


def test_item_size_and_consistency_change_the_units():
    db = calculate(
        Workload(
            concurrent_users=1_000,
            assumptions={"database": {"read_item_kb": 6, "eventually_consistent_reads": False, "write_item_kb": 2.5}},
        )
    ).database
    assert db.read_capacity_units == 1_000  # 500 reads x 2 RCU (6 KB -> two 4 KB units), strongly consistent
    assert db.write_capacity_units == 300  # 100 writes x 3 WCU


@pytest.mark.parametrize("users", [10, 300, 2_499, 2_500, 50_000])
def test_billing_mode_is_the_cheaper_on_the_load_profile(users):
    db = calculate(Workload(concurrent_users=users)).database
    cheaper = (
        "PROVISIONED" if db.expected_monthly_usd_provisioned < db.expected_monthly_usd_on_demand else "PAY_PER_REQUEST"
    )
    assert db.billing_mode == cheaper
    assert f"${db.expected_monthly_usd_provisioned:,.2f}" in db.mode_reason
    assert f"${db.expected_monthly_usd_on_demand:,.2f}" in db.mode_reason


def test_billing_mode_is_tunable_and_both_costs_are_shown():
    plan = calculate(Workload(concurrent_users=300, assumptions={"database": {"billing_mode": "PROVISIONED"}}))
    assert plan.database.billing_mode == "PROVISIONED"
    assert item(plan, "DynamoDB").item == "DynamoDB (provisioned)"
    assert item(plan, "DynamoDB").monthly_usd == plan.database.monthly_usd_provisioned
    assert plan.database.monthly_usd_on_demand.max > 0


def test_dynamodb_prices_by_hand():
    db = calculate(Workload(concurrent_users=1_000, total_users=10_000)).database
    seconds = 730 * 3600
    # 10,000 users x 5 MiB of their own data, and the messages the 90-day retention keeps: 100 writes/s of 1 KB at
    # peak are 100 x 86,400 / 1,024^2 = 8.24 GiB a day, 741.58 GiB over 90 days at peak, half at the 0.5 mean load.
    users_gib = 10_000 * 5 / 1024
    retained_peak = 100 * 86_400 * 1 / 1024**2 * 90
    storage, storage_mean = (users_gib + retained_peak) * 0.25, (users_gib + retained_peak * 0.5) * 0.25
    assert db.storage_gib == pytest.approx(users_gib + retained_peak * 0.5, abs=0.01)
    assert (db.retention_days, db.ttl_attribute) == (90, "expiresAt")
    requests_peak = (250 * seconds * 0.125 + 100 * seconds * 0.625) / 1e6
    on_demand_peak = requests_peak + storage
    assert db.monthly_usd_on_demand.max == pytest.approx(on_demand_peak, abs=0.01)
    assert db.monthly_usd_on_demand.min == pytest.approx(requests_peak * 0.5 + storage_mean, abs=0.01)
    provisioned_peak = (250 / 0.7 * 0.00013 + 100 / 0.7 * 0.00065) * 730 + storage
    assert db.monthly_usd_provisioned.max == pytest.approx(provisioned_peak, abs=0.01)


def test_dynamodb_quota_warning():
    assert not [w for w in calculate(Workload(concurrent_users=50_000, llm=None)).warnings if "DynamoDB" in w]
    plan = calculate(Workload(concurrent_users=200_000))
    assert any("read units" in w and "40,000" in w for w in plan.warnings)


def test_the_max_fleets_vcpus_are_reported_and_warned_about_above_the_assumed_ec2_quota():
    plan = calculate(Workload(concurrent_users=8_000))
    nodes = plan.nodes
    # The max fleet counts every node's vCPUs against L-1216C47A.
    assert nodes.max_vcpus == nodes.max_nodes * nodes.vcpu
    assert plan.model_dump(mode="json")["nodes"]["max_vcpus"] == nodes.max_vcpus
    assert plan.assumptions.quotas.ec2_on_demand_vcpus == 1_152
    assert nodes.max_vcpus <= 1_152 and not [w for w in plan.warnings if "L-1216C47A" in w]

    def quota_warnings(quota: int) -> list[str]:
        assumed = calculate(Workload(concurrent_users=8_000, assumptions={"quotas": {"ec2_on_demand_vcpus": quota}}))
        return [w for w in assumed.warnings if "vCPUs" in w]

    assert quota_warnings(nodes.max_vcpus) == []
    (warning,) = quota_warnings(nodes.max_vcpus - 1)
    assert warning.startswith(
        f"the max fleet runs {nodes.max_vcpus:,} vCPUs, above the {nodes.max_vcpus - 1:,} assumed "
    )
    assert '"Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (L-1216C47A)' in warning
    assert warning.endswith("set assumptions.quotas.ec2_on_demand_vcpus to it")
    # Nothing else about the plan moves with the assumed quota.
    unchanged = calculate(Workload(concurrent_users=8_000, assumptions={"quotas": {"ec2_on_demand_vcpus": 1}}))
    assert (unchanged.nodes, unchanged.cost) == (plan.nodes, plan.cost)


def test_cache_off_for_small_on_from_medium_with_a_replica():
    assert not calculate(Workload(concurrent_users=499)).cache.enabled
    cache = calculate(Workload(concurrent_users=500)).cache
    assert cache.enabled and cache.num_nodes == 2 and cache.replicas_per_shard == 1
    forced = calculate(Workload(concurrent_users=100, assumptions={"cache": {"enabled": True}})).cache
    assert forced.enabled
    assert not calculate(Workload(concurrent_users=5_000, assumptions={"cache": {"enabled": False}})).cache.enabled


def test_cache_is_the_cheapest_layout_that_holds_every_session_with_headroom():
    catalog = load_catalog()
    floor = catalog.cache_node("cache.t3.small").memory_gib
    for users in (1_000, 20_000, 100_000, 1_000_000):
        plan = calculate(Workload(concurrent_users=users))
        cache = plan.cache
        per_shard = 2  # a replica from the medium tier up
        required = users * 0.5 / 1024  # GiB of sessions
        # Each node may fill 80% of the 75% of its memory left for data; Valkey nodes cost 20% less than Redis OSS.
        layouts = sorted(
            (
                round(
                    math.ceil(required / (n.memory_gib * 0.75 * 0.8))
                    * per_shard
                    * PRICES.elasticache_hour[n.name]
                    * 0.8
                    * 730,
                    2,
                ),
                math.ceil(required / (n.memory_gib * 0.75 * 0.8)),
                n.name,
            )
            for n in catalog.cache_node_types.values()
            if n.memory_gib >= floor
        )
        monthly, shards, name = layouts[0]
        assert (cache.node_type, cache.shards, cache.monthly_usd) == (name, shards, monthly), users
        assert cache.engine == "valkey" and cache.num_nodes == shards * per_shard
        assert cache.required_memory_gib <= 0.8 * cache.shards * catalog.cache_node(name).memory_gib * 0.75 + 1e-9


def test_sharding_wins_when_it_is_cheaper_than_one_big_node():
    # 100,000 users hold 48.8 GiB: 4 shards of cache.r6g.xlarge (26.32 GiB, 15.8 usable) cost less than one
    # cache.r6g.4xlarge (105.81 GiB) pair, which the old single-node-first rule took.
    cache = calculate(Workload(concurrent_users=100_000)).cache
    assert cache.shards > 1
    assert "vs 2 x cache.r" in cache.reason


def test_redis_costs_a_quarter_more_than_valkey_on_the_same_nodes():
    valkey = calculate(Workload(concurrent_users=8_000)).cache
    redis = calculate(Workload(concurrent_users=8_000, assumptions={"cache": {"engine": "redis"}})).cache
    assert (redis.node_type, redis.num_nodes) == (valkey.node_type, valkey.num_nodes)
    assert redis.monthly_usd == pytest.approx(valkey.monthly_usd / 0.8, abs=0.02)
    assert redis.engine == "redis"


def test_unknown_cache_floor_is_an_error():
    with pytest.raises(SizingError, match="unknown cache node type 'cache.x9.huge'"):
        calculate(Workload(concurrent_users=1_000, assumptions={"cache": {"min_node_type": "cache.x9.huge"}}))


def test_nat_gateways_by_tier():
    assert calculate(Workload(concurrent_users=2_499)).network.nat_gateways == 1
    plan = calculate(Workload(concurrent_users=2_500))
    assert plan.network.nat_gateways == 3
    assert item(plan, "NAT").item == "NAT gateways (3)"


def test_cost_breakdown_by_hand():
    # Pinned to a burstable type so that every line of the bill appears.
    plan = calculate(Workload(concurrent_users=1_000, total_users=10_000, instance_type="t3a.medium"))
    cost = plan.cost
    assert [i.item for i in cost.breakdown] == [
        "EKS control plane",
        "EC2 nodes",
        "Node EBS volumes (gp3)",
        "Burstable CPU credits",
        "KMS key (secrets encryption)",
        "Control-plane logs (17.8 GB/month, up to 23.9; 90 days kept)",
        "NAT gateway (1)",
        "Public IPv4 addresses (4)",
        "Data transfer (internet out, between zones)",
        "Cross-zone hops (pods to the shared NAT gateway)",
        "Bedrock VPC endpoint (3 zones)",
        "Load balancer (ALB)",
        "WAF web ACL (1 rule)",
        "DynamoDB (provisioned)",
        "DynamoDB point-in-time recovery",
        "ElastiCache (Valkey)",
        "LLM API tokens",
    ]
    assert [i.key for i in cost.breakdown] == [
        "eks_control_plane",
        "ec2_nodes",
        "ebs_volumes",
        "burstable_credits",
        "kms_key",
        "control_plane_logs",
        "nat_gateways",
        "public_ipv4",
        "data_transfer",
        "cross_zone_hops",
        "llm_endpoint",
        "load_balancer",
        "waf",
        "dynamodb",
        "dynamodb_pitr",
        "elasticache",
        "llm_api",
    ]
    # The LLM's bytes at peak (43,800,000 turns a month of 5,622 bytes up and 43,966 down) go through the Bedrock
    # endpoint: at the 0.5 mean load 1,086 GB, which through the endpoint cost 3 zones x $0.01 x 730 h + $0.01 a GB
    # (calls to another zone's interface are not billed), and through the one NAT gateway $0.045 a GB plus 2/3 x
    # $0.01 x 2 for the other zones' pods crossing to it. The endpoint pays from 21.90 / (0.05833 - 0.01) = 453 GB.
    llm_gb = 43_800_000 * (5_622 + 43_966) / 1e9
    crossing = 2 / 3 * 2 * 0.01
    route = plan.network.llm_route
    assert route is not None and route.via == "interface_endpoint"
    assert route.endpoint_expected_usd == pytest.approx(3 * 0.01 * 730 + llm_gb * 0.5 * 0.01, abs=0.01)
    assert route.nat_expected_usd == pytest.approx(llm_gb * 0.5 * (0.045 + crossing), abs=0.01)
    assert route.break_even_gb == pytest.approx(3 * 0.01 * 730 / (0.045 + crossing - 0.01), abs=0.01)
    assert item(plan, "Bedrock VPC").monthly_usd.max == pytest.approx(3 * 0.01 * 730 + llm_gb * 0.01, abs=0.01)
    # Nothing else goes through the gateway (egress_kb_per_request is 0), so it bills its hours alone and nothing
    # crosses a zone to it; the ALB's traffic to pods in other zones is not billed either.
    assert item(plan, "NAT").monthly_usd.max == pytest.approx(0.045 * 730)
    assert item(plan, "Cross-zone").monthly_usd.max == 0
    # The small lines the stack's resources add: a KMS key; the control-plane logs (below); the NAT gateway's Elastic
    # IP and the ALB's three zonal addresses at $0.005 an hour;
    # point-in-time recovery of the table (10,000 x 5 MiB and, at peak, 90 days of 100 writes/s of 1 KB) at $0.20
    # per GB-month.
    assert item(plan, "KMS").monthly_usd.max == 1.0
    # The logs at the max fleet (docs/methodology.md, "Control-plane logs", the shipped estimates): an hour, 15,055
    # steady audit events of 1,300 bytes ((2 + 2) leaders x 1,800 + (1 + 2) standbys x 1,125 + 2 API servers' leases
    # x 360 + the autoscaler's 2 x 360 + 100 watches x 16 + 2 HPAs x 720) and the API server's 200,000 bytes in 1,000
    # lines; per node 564 events of 1,300 bytes and 60 sign-ins of 450; 14 events of 2,500 bytes a pod started, 74 a
    # day at the max (a rollout of 39 + 6, and the HPA's rise of 26 + 3). Ingested at $0.50 a GB; 15% and 26 bytes
    # an event stored 90 days, a stock of 90 / (365 / 12) months, at $0.03. (The expected 17.8 GB in the label is the
    # min fleet's: 945 fewer events an hour than before standbys and API servers were told apart, 0.90 GB less.)
    # The max fleet: 17 t3a.medium (tests/test_sizing_nodes.py derives it).
    top = plan.nodes.max_nodes
    assert (top, plan.backend.max_replicas, plan.frontend.max_replicas) == (17, 39, 6)
    log_gb = ((15_055 * 1_300 + 200_000 + top * (564 * 1_300 + 60 * 450)) * 730 + 74 * 35_000 * 730 / 24) / 1e9
    log_events = (15_055 + 1_000 + top * (564 + 60)) * 730 + 74 * 14 * 730 / 24
    assert item(plan, "Control-plane").monthly_usd.max == pytest.approx(
        log_gb * 0.50 + (log_gb * 0.15 + log_events * 26 / 1e9) * 90 / (365 / 12) * 0.03, abs=0.01
    )
    assert item(plan, "Public IPv4").monthly_usd.max == pytest.approx(4 * 0.005 * 730)
    assert item(plan, "DynamoDB point").monthly_usd.max == pytest.approx(
        (10_000 * 5 / 1024 + 100 * 86_400 / 1024**2 * 90) * 0.20, abs=0.01
    )
    assert not any(i.key == "eks_extended_support" for i in cost.breakdown)
    extended = calculate(Workload(concurrent_users=1_000, assumptions={"cluster": {"support": "EXTENDED"}}))
    assert next(i for i in extended.cost.breakdown if i.key == "eks_extended_support").monthly_usd.max == (
        pytest.approx((0.60 - 0.10) * 730)
    )
    assert item(plan, "Burstable").monthly_usd == plan.nodes.credits_monthly_usd
    assert item(plan, "EKS").monthly_usd.max == pytest.approx(0.10 * 730)
    nodes = plan.nodes
    assert item(plan, "EC2").monthly_usd.max == pytest.approx(nodes.max_nodes * nodes.hourly_usd * 730, abs=0.01)
    assert item(plan, "EC2").monthly_usd.min == pytest.approx(nodes.min_nodes * nodes.hourly_usd * 730, abs=0.01)
    assert item(plan, "Node EBS").monthly_usd.max == pytest.approx(nodes.max_nodes * 20 * 0.08, abs=0.01)
    # The LLM's bytes above: the default conversation's mean turn sends a 1,000-byte envelope + 1,155.5 tokens x 4
    # bytes = 5,622 bytes; the answer streams back in 500 bytes of headers and 211 Bedrock event-stream messages,
    # each 4 bytes of text + 173 of framing (12 prelude + 32 + 33 + 22 of headers + 70 of JSON around the text + 4
    # CRC) + 29 of TLS record: 43,966 bytes. 43,800,000 turns a month at peak.
    assert llm_gb == pytest.approx(43_800_000 * (5_622 + 500 + 211 * (4 + 12 + 32 + 33 + 22 + 70 + 4 + 29)) / 1e9)
    # ALB LCU dimensions: (1,000 users + the open answer streams) / 3,000 active connections, 5 / 25 new
    # connections/s and 50 x 32 KB x 3,600 s = 5.76 GB/h processed, which dominates.
    streams = plan.llm.peak.open_streams if plan.llm else 0
    lcus = max((1_000 + streams) / 3_000, 50 / 10 / 25, 50 * 32 * 3_600 / 1e6)
    assert lcus == pytest.approx(5.76)
    assert item(plan, "Load").monthly_usd.max == pytest.approx((0.0225 + lcus * 0.008) * 730, abs=0.01)
    # WAF: $5 the web ACL, $1 its rate-based rule, 50/s x 3,600 x 730 = 131.4 million requests at $0.60.
    assert item(plan, "WAF").monthly_usd.max == pytest.approx(5 + 1 + 131.4 * 0.60, abs=0.01)
    assert item(plan, "ElastiCache").monthly_usd.max == pytest.approx(
        2 * PRICES.elasticache_hour[plan.cache.node_type] * 0.8 * 730, abs=0.01
    )  # a Valkey pair
    # 50 requests/s x 32 KB out to the internet all month = 4,204.8 GB; the first 100 GB are free, the rest $0.09.
    # and two thirds of it crosses zones on its way from a backend to a frontend pod: $0.01 a GB out and in.
    gigabytes = 50 * 32 * 730 * 3600 / 1e6
    assert item(plan, "Data transfer").monthly_usd.max == pytest.approx(
        (gigabytes - 100) * 0.09 + gigabytes * 2 / 3 * 0.02, abs=0.01
    )
    assert cost.monthly_usd.min == pytest.approx(sum(i.monthly_usd.min for i in cost.breakdown), abs=0.02)
    assert cost.monthly_usd.max == pytest.approx(sum(i.monthly_usd.max for i in cost.breakdown), abs=0.02)
    assert cost.per_user_usd.max == pytest.approx(cost.monthly_usd.max / 10_000, abs=1e-4)
    assert cost.prices_as_of == PRICES.as_of


def test_regions_price_the_same_plan():
    east = calculate(Workload(concurrent_users=1_000, region="us-east-1"))
    west = calculate(Workload(concurrent_users=1_000, region="us-west-2"))
    assert west.workload.region == "us-west-2"
    assert west.nodes.instance_type == east.nodes.instance_type
    with pytest.raises(
        SizingError,
        match="no price data for region 'eu-north-9' in the shipped prices "
        r"\(which has: us-east-1, us-west-2\); fetch it with `sizing prices refresh --region eu-north-9",
    ):
        calculate(Workload(concurrent_users=1_000, region="eu-north-9"))


def test_fleets_beyond_a_16_vpc_warn():
    assert calculate(Workload(concurrent_users=1_000_000)).network.vpc_ips_max > 3 * 8_187
    assert any("VPC addresses" in w and "24,561" in w for w in calculate(Workload(concurrent_users=1_000_000)).warnings)
    plan = calculate(Workload(concurrent_users=100_000))
    assert plan.network.vpc_ips_max <= 24_561 and not any("VPC" in w for w in plan.warnings)


def test_tier_rules_are_assumptions():
    moved = calculate(
        Workload(concurrent_users=250, assumptions={"tiers": {"medium": 100, "large": 200, "enterprise": 300}})
    )
    assert moved.tier == "large" and moved.network.nat_gateways == 3  # one NAT gateway per zone from large up
    assert calculate(Workload(concurrent_users=250)).tier == "small"
    later = calculate(Workload(concurrent_users=1_000, assumptions={"cache": {"enabled_from_tier": "large"}}))
    assert not later.cache.enabled and calculate(Workload(concurrent_users=1_000)).cache.enabled
    with pytest.raises(ValueError, match="tier floors must ascend"):
        Workload(concurrent_users=1, assumptions={"tiers": {"medium": 3_000}})
