"""What the hand-derived plans do not pin down, each found by a surviving mutant (docs/development.md, "Mutation
testing"): edges of the packing rules that realistic loads never reach; the engine's refusals and what they name;
what every cost line carries besides its amount (whole cents, its price source, the currency); the boundaries of
the warnings; the cache layouts' ties and refusals; the DynamoDB mode's tie; the load balancer's capacity units and
the free internet egress. Plans run on the fake catalog and prices of tests/conftest.py, from the explicit
assumptions of tests/hand_plans.py; a month is 730 hours (``traffic.days_per_month``, whatever the price table says).
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

from sizing import SizingError
from sizing.data.catalog import InstanceType
from sizing.data.pricing import Egress
from sizing.engine.cost import summarize_cost
from sizing.engine.limits import cluster_warnings
from sizing.engine.nodes import Allocatable, PodShape, max_pods, nodes_to_pack
from sizing.plan import CostItem, Range

HOURS = 730


def node(vcpu: int, enis: int, ipv4_per_eni: int) -> InstanceType:
    return InstanceType(
        name=f"x1.{vcpu}",
        vcpu=vcpu,
        memory_gib=vcpu * 4,
        enis=enis,
        ipv4_per_eni=ipv4_per_eni,
        eni_max_pods=enis * (ipv4_per_eni - 1) + 2,
        arch="x86_64",
        family_kind="general",
    )


@pytest.mark.parametrize(
    ("vcpu", "enis", "ipv4_per_eni", "pods"),
    [
        (29, 15, 50, 110),  # ENI limit 15 x 49 + 2 = 737; below 30 vCPU managed node groups cap at 110
        (30, 15, 50, 250),  # from 30 vCPU at 250
        (30, 8, 30, 234),  # and never above the ENI limit, 8 x 29 + 2
        (4, 4, 15, 58),  # 4 x 14 + 2, under the cap
    ],
)
def test_managed_node_groups_cap_max_pods_from_30_vcpu(vcpu, enis, ipv4_per_eni, pods):
    assert max_pods(node(vcpu, enis, ipv4_per_eni)) == pods


@pytest.mark.parametrize(
    "capacity",
    [
        Allocatable(0, 8_000, 20),
        Allocatable(4_000, 0, 20),
        Allocatable(4_000, 8_000, 0),
        Allocatable(-100, 8_000, 20),
    ],
)
def test_a_node_with_nothing_left_packs_nothing(capacity):
    shape = PodShape(1, 100, 100)
    assert nodes_to_pack(capacity, shape, shape) is None


def test_packing_two_shapes_by_hand():
    # 4,000m / 8,000 MiB / 20 pods: 1,000m pods (4 a node) first, then 500m pods beside (none: the CPU is used up)
    # and 8 on an empty node. 10 large = 3 nodes, the last with 2,000m left for 4 small; 6 more small = 1 node.
    node = Allocatable(4_000, 8_000, 20)
    assert nodes_to_pack(node, PodShape(10, 1_000, 1_000), PodShape(10, 500, 500)) == 4
    assert nodes_to_pack(node, PodShape(10, 500, 500), PodShape(10, 1_000, 1_000)) == 4
    # Pod slots bind: 20 tiny pods a node.
    assert nodes_to_pack(node, PodShape(30, 10, 10), PodShape(15, 10, 10)) == 3
    # A pod larger than the node never fits.
    assert nodes_to_pack(node, PodShape(1, 5_000, 100), PodShape(0, 1, 1)) is None


# --- what every line of the bill carries ----------------------------------------------------------------------------

SOURCES = {
    "eks_control_plane": "on-demand list price",
    "ec2_nodes": "on-demand list price",
    "ebs_volumes": "on-demand list price",
    "burstable_credits": "surplus vCPU-hour list price",
    "kms_key": "per key-month list price",
    # After what the volume is derived from (tests/test_control_plane_logs.py), the prices it is billed at.
    "control_plane_logs": "CloudWatch Logs ingestion (uncompressed bytes) and storage (15% of them, the Pricing "
    "Calculator's gzip estimate, + 26 bytes an event) list prices",
    "eks_extended_support": "extended over standard cluster-hour list price",
    "nat_gateways": "hourly and per-GB list prices",
    "public_ipv4": "per address-hour list price",
    "load_balancer": "hourly and LCU list prices",
    "waf": "per web ACL-month, rule-month and million requests list prices",
    "data_transfer": "tiered internet per-GB list price (100 GB free) and the cross-zone per-GB price",
    "cross_zone_hops": "cross-zone per-GB list price, both sides",
    "dynamodb": "request, capacity-unit and storage list prices",
    "dynamodb_pitr": "per GB-month list price",
    "elasticache": "on-demand node list price",
    "llm_api": "token prices: test prices",
}
ODD = 1.0123457  # every fake price x this: amounts with digits below the cent, which the plan must round away


@pytest.fixture(scope="module")
def odd_prices(fake_prices):
    def scaled(table: dict[str, float]) -> dict[str, float]:
        return {name: price * ODD for name, price in table.items()}

    egress = fake_prices.internet_egress
    return fake_prices.model_copy(
        update={
            "services": scaled(fake_prices.services),
            "ec2_hour": scaled(fake_prices.ec2_hour),
            "elasticache_hour": scaled(fake_prices.elasticache_hour),
            "burstable_surplus_vcpu_hour": scaled(fake_prices.burstable_surplus_vcpu_hour),
            "internet_egress": Egress(free_gb=egress.free_gb, tiers=tuple((b, p * ODD) for b, p in egress.tiers)),
        }
    )


def whole(value: float, places: int = 2) -> bool:
    scaled = value * 10**places
    return abs(scaled - round(scaled)) < 1e-6


@pytest.mark.parametrize("users", [300, 1_000, 5_000, 100_000])
def test_every_amount_is_in_whole_cents(fake_catalog, odd_prices, users):
    plan = build(
        fake_catalog,
        odd_prices,
        users,
        users * 7,
        {"cluster": {"support": "EXTENDED"}},
        llm="openai:gpt-test",
        token_prices=flat_token_prices(1.0123457, 5.0123457, 0.1),
    )
    cost, nodes, db = plan.cost, plan.nodes, plan.database
    ranges = [
        *(i.monthly_usd for i in cost.breakdown),
        cost.monthly_usd,
        cost.infrastructure_monthly_usd,
        cost.llm_monthly_usd,
        db.monthly_usd_on_demand,
        db.monthly_usd_provisioned,
        nodes.monthly_usd,
        nodes.credits_monthly_usd,
        plan.llm.monthly_usd,
        *(o.monthly_usd for o in nodes.alternatives),
        *(o.credits_monthly_usd for o in nodes.alternatives),
    ]
    assert all(whole(r.min) and whole(r.max) for r in ranges)
    expected = [
        *(i.expected_monthly_usd for i in cost.breakdown),
        cost.expected_monthly_usd,
        cost.infrastructure_expected_monthly_usd,
        cost.llm_expected_monthly_usd,
        db.expected_monthly_usd_on_demand,
        db.expected_monthly_usd_provisioned,
        nodes.credits_expected_monthly_usd,
        plan.llm.expected_monthly_usd,
        plan.cache.monthly_usd,
    ]
    assert all(whole(value) for value in expected)
    assert whole(cost.per_user_usd.min, 4) and whole(cost.per_user_usd.max, 4)
    if users == 1_000:
        # The same 17 .. 32 bt1.large as at round prices (every price x ODD ranks the fleets alike; see
        # tests/test_costs_by_hand.py): 17 nodes x ($0.06 x 730 + 20 GiB x $0.10) x ODD; the max fleet's 32 nodes and
        # its 2.498 surplus vCPU x $0.05 x 730, x ODD.
        assert (nodes.instance_type, nodes.min_nodes, nodes.max_nodes) == ("bt1.large", 17, 32)
        assert (nodes.monthly_usd.min, nodes.monthly_usd.max) == (
            round(17 * (0.06 * HOURS + 20 * 0.10) * ODD, 2),
            round((32 * (0.06 * HOURS + 20 * 0.10) + 2.498 * 0.05 * HOURS) * ODD, 2),
        )
    # EKS: $0.10 x ODD x 730 h = $73.9012, billed as $73.90; extended support ($0.60 - $0.10) x ODD x 730 h.
    line = {i.key: i for i in cost.breakdown}
    assert line["eks_control_plane"].monthly_usd == Range(min=73.90, max=73.90)
    assert line["eks_extended_support"].expected_monthly_usd == round((0.60 - 0.10) * ODD * HOURS, 2)


@pytest.mark.parametrize(
    ("users", "engine", "support"),
    [
        (300, "redis", "STANDARD"),  # small: bt1.large with CPU credits; no cache (its line at $0 all the same)
        (5_000, "valkey", "EXTENDED"),  # large: no burstable type
    ],
)
def test_every_line_names_its_price_source_and_the_bill_its_currency(fake_catalog, fake_prices, users, engine, support):
    overrides = {"cache": {"engine": engine}, "cluster": {"support": support}}
    plan = build(
        fake_catalog, fake_prices, users, users * 10, overrides, llm="openai:gpt-test", token_prices=flat_token_prices()
    )
    absent = {"eks_extended_support"} if support == "STANDARD" else {"burstable_credits"}
    valkey = {"elasticache": SOURCES["elasticache"] + ", Valkey discount"} if engine == "valkey" else {}
    sources = {i.key: i.source for i in plan.cost.breakdown}
    volume, _, prices = sources["control_plane_logs"].rpartition("; ")
    assert volume.startswith("derived from the API server's activity (cluster.logs, estimates: measure IncomingBytes)")
    assert {**sources, "control_plane_logs": prices} == {
        **{k: v for k, v in SOURCES.items() if k not in absent},
        **valkey,
    }
    assert plan.cost.currency == "USD"


def test_the_transfer_line_names_the_price_files_free_allowance(fake_catalog, fake_prices):
    stingy = fake_prices.model_copy(update={"internet_egress": Egress(free_gb=1.5, tiers=((None, 0.10),))})
    plan = build(fake_catalog, stingy, 1_000, 10_000, {})
    (line,) = [i for i in plan.cost.breakdown if i.key == "data_transfer"]
    assert line.source == "tiered internet per-GB list price (1.5 GB free) and the cross-zone per-GB price"


def test_two_lines_with_one_key_are_refused():
    line = CostItem(key="ec2_nodes", item="EC2 nodes", monthly_usd=Range(min=1, max=2), expected_monthly_usd=1)
    with pytest.raises(ValueError, match=r"duplicate cost keys: \['ec2_nodes', 'ec2_nodes'\]"):
        summarize_cost([line, line], [], total_users=10, prices_as_of="today")


# --- the network --------------------------------------------------------------------------------------------------


def cost_line(plan, key: str):
    return next(i for i in plan.cost.breakdown if i.key == key)


def test_nat_data_is_counted_in_decimal_gigabytes(fake_catalog, fake_prices):
    # The largest egress an assumption allows: 100,000 users x 3 / 60 = 5,000 requests/s x 100,000 KB x 730 x 3,600 s
    # / 1,000,000 KB per GB = 1,314,000,000 GB x $0.01 = $13,140,000, plus 3 gateways x $0.05 x 730.
    plan = build(fake_catalog, fake_prices, 100_000, 1_024_000, {"traffic": {"egress_kb_per_request": 100_000}})
    assert cost_line(plan, "nat_gateways").monthly_usd.max == pytest.approx(
        5_000 * 100_000 * 3_600 * HOURS / 1_000_000 * 0.01 + 3 * 0.05 * HOURS, abs=0.01
    )


@pytest.mark.parametrize(
    ("users", "zones", "nat", "addresses"),
    [
        (1_000, 3, "NAT gateway (1)", "Public IPv4 addresses (4)"),  # medium: one gateway, 1 + 3 addresses
        (5_000, 2, "NAT gateways (2)", "Public IPv4 addresses (4)"),  # large: one a zone, 2 + 2
        (5_000, 3, "NAT gateways (3)", "Public IPv4 addresses (6)"),
    ],
)
def test_the_nat_and_address_lines_say_how_many(fake_catalog, fake_prices, users, zones, nat, addresses):
    plan = build(fake_catalog, fake_prices, users, users * 10, {"availability_zones": zones})
    assert (cost_line(plan, "nat_gateways").item, cost_line(plan, "public_ipv4").item) == (nat, addresses)


@pytest.mark.parametrize(
    ("overrides", "lcus_at_peak"),
    [
        # No bytes: 1,000 active connections are 1/3 LCU, above 50 requests/s / 10 a connection / 25 = 0.2.
        ({"traffic": {"response_kb_per_request": 0}}, 1_000 / 3_000),
        # 600 requests a minute: 10,000/s, 1,000 new connections/s = 40 LCUs.
        ({"traffic": {"response_kb_per_request": 0}, "requests_per_user_per_minute": 600}, 1_000 * 600 / 60 / 10 / 25),
    ],
)
def test_the_load_balancer_bills_its_largest_dimension(fake_catalog, fake_prices, overrides, lcus_at_peak):
    lb = cost_line(build(fake_catalog, fake_prices, 1_000, 10_240, overrides), "load_balancer")
    # Every dimension is linear in the load: the mean load (a tenth of the peak) needs a tenth of the LCUs.
    assert (lb.monthly_usd.min, lb.expected_monthly_usd, lb.monthly_usd.max) == (
        pytest.approx((0.03 + lcus_at_peak / 10 * 0.01) * HOURS, abs=0.01),
        pytest.approx((0.03 + lcus_at_peak / 10 * 0.01) * HOURS, abs=0.01),
        pytest.approx((0.03 + lcus_at_peak * 0.01) * HOURS, abs=0.01),
    )


def test_the_free_internet_egress_leaves_only_the_cross_zone_traffic(fake_catalog, fake_prices):
    # 100 users: 5 requests/s x 32 KB x 3,600 x 730 / 1e6 = 420.48 GB at peak, 42.048 at the mean load: under the
    # 100 free GB, so the min bills only the two thirds that cross a zone, $0.01 a GB each way.
    line = cost_line(build(fake_catalog, fake_prices, 100, 1_000), "data_transfer")
    assert (line.monthly_usd.min, line.monthly_usd.max) == (
        pytest.approx(42.048 * 2 / 3 * 2 * 0.01, abs=0.01),
        pytest.approx((420.48 - 100) * 0.10 + 420.48 * 2 / 3 * 2 * 0.01, abs=0.01),
    )


def test_the_vpc_addresses_of_the_max_fleet_by_hand(fake_catalog, fake_prices):
    # 1,000 users: 24 + 4 pods at most and the add-ons' 7 over 32 bt1.large, 1 or 2 a node. The VPC CNI keeps a whole
    # ENI's 5 secondaries free beside them (WARM_ENI_TARGET=1): ceil(2 / 5) + 1 = 2 ENIs, each with its 6 addresses.
    assert build(fake_catalog, fake_prices, 1_000, 10_240).network.vpc_ips_max == 32 * 2 * 6


def test_a_node_holds_whole_enis_a_warm_one_beyond_its_pods():
    """aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md, WARM_ENI_TARGET=1: p3dn.24xlarge (15 ENIs of 50 addresses,
    49 secondaries) holds 1 ENI at 0 pods, 2 at 3 and 3 at 95; t3.small (3 ENIs of 4) 1 at 0, 3 at 5 and at 9."""
    from sizing.engine.network import NodeGroupShape, fleet_addresses, node_addresses

    p3dn = (50, 15)

    assert [node_addresses(pods, 50, 15) for pods in (0, 3, 95)] == [50, 100, 150]
    assert [node_addresses(pods, 4, 3) for pods in (0, 5, 9)] == [4, 12, 12]
    # 10 pods over 3 p3dn: 4, 3 and 3, each node 2 ENIs
    assert fleet_addresses(10, [NodeGroupShape(3, *p3dn)]) == 3 * 100
    # 99 over 2: 50 need a third ENI to keep 49 free, 49 fill one and keep the second free
    assert fleet_addresses(99, [NodeGroupShape(2, *p3dn)]) == 150 + 100
    # Two shapes: 7 pods over 1 p3dn and 2 t3.small, 2 each and the one left over on the first listed: the p3dn's 3
    # take 2 ENIs of 50, each t3.small's 2 take ceil(2 / 3) + 1 = 2 ENIs of 4.
    assert fleet_addresses(7, [NodeGroupShape(1, *p3dn), NodeGroupShape(2, 4, 3)]) == 100 + 2 * 8


# --- DynamoDB -----------------------------------------------------------------------------------------------------


def test_no_traffic_still_provisions_one_capacity_unit(fake_catalog, fake_prices):
    # Nobody reads or writes: DynamoDB still needs 1 RCU and 1 WCU, scaling from 1 to ceil(1 / 0.8) = 2.
    plan = build(
        fake_catalog,
        fake_prices,
        1_000,
        10_240,
        {"database": {"reads_per_user_per_second": 0, "writes_per_user_per_second": 0}},
    )
    db = plan.database
    assert (db.read_capacity_units, db.write_capacity_units) == (1, 1)
    assert (db.read_autoscaling.min, db.read_autoscaling.max, db.write_autoscaling.min) == (1, 2, 1)


def test_storage_is_reported_to_the_hundredth_of_a_gib(fake_catalog, fake_prices):
    # 10,000 registered users x 5 MiB / 1,024 = 48.828125 GiB.
    assert build(fake_catalog, fake_prices, 1_000, 10_000).database.storage_gib == 48.83


def dynamodb_warnings(plan):
    return [w for w in plan.warnings if w.startswith("DynamoDB")]


def test_dynamodb_warns_above_the_per_table_quota_not_at_it(fake_catalog, fake_prices):
    # Reads and writes of 0.25 units a user a second: 128,000 users need 32,000 units, scaled up to 32,000 / 0.8 =
    # 40,000, the quota exactly; 128,004 users need 32,001, ceil(40,001.25) = 40,002.
    both = {"database": {"reads_per_user_per_second": 0.5, "writes_per_user_per_second": 0.25}}
    assert dynamodb_warnings(build(fake_catalog, fake_prices, 128_000, 1_280_000, both)) == []
    assert dynamodb_warnings(build(fake_catalog, fake_prices, 128_004, 1_280_040, both)) == [
        "DynamoDB needs up to 40,002 read units per second, above the default per-table quota of 40,000: request a "
        "quota increase or shard the table",
        "DynamoDB needs up to 40,002 write units per second, above the default per-table quota of 40,000: request a "
        "quota increase or shard the table",
    ]


@pytest.mark.parametrize(("wcu_hour", "mode"), [(0.0018, "PAY_PER_REQUEST"), (0.00179, "PROVISIONED")])
def test_a_tie_between_the_modes_goes_to_on_demand(fake_catalog, fake_prices, wcu_hour, mode):
    # A flat day at the peak and a 50% target: provisioned holds 250 / 0.5 = 500 RCU and 200 WCU every hour. At
    # $0.00036 and $0.0018 a unit-hour that is 500 x 0.00036 + 200 x 0.0018 = $0.54 an hour, what on-demand bills
    # for (250 x $0.20 + 100 x $1) x 3,600 / 1e6: a tie, which goes to on-demand; a hair cheaper WCU tips it.
    services = {
        **fake_prices.services,
        "dynamodb_provisioned_rcu_hour": 0.00036,
        "dynamodb_provisioned_wcu_hour": wcu_hour,
    }
    prices = fake_prices.model_copy(update={"services": services})
    flat = {"traffic": {"hourly_profile": [1.0] * 24}, "database": {"target_utilization": 0.5}}
    db = build(fake_catalog, prices, 1_000, 10_240, flat).database
    on_demand = (250 * 0.20 + 100 * 1.00) * 3_600 / 1e6 * HOURS + 25
    assert db.expected_monthly_usd_on_demand == pytest.approx(on_demand)
    assert db.expected_monthly_usd_provisioned == pytest.approx((500 * 0.00036 + 200 * wcu_hour) * HOURS + 25)
    assert db.billing_mode == mode


# --- ElastiCache --------------------------------------------------------------------------------------------------


def test_a_disabled_cache_has_no_nodes_and_costs_nothing(fake_catalog, fake_prices):
    plan = build(fake_catalog, fake_prices, 300, 3_072)
    cache = plan.cache
    assert (cache.enabled, cache.node_type, cache.num_nodes, cache.shards, cache.replicas_per_shard) == (
        False,
        None,
        0,
        0,
        0,
    )
    # 300 x 0.5 / 1,024 = 0.146484 GiB it would need.
    assert (cache.usable_memory_gib_per_node, cache.monthly_usd, cache.required_memory_gib) == (0, 0, 0.146)
    assert cache.reason == "off: cache.enabled is auto (small tier)"
    assert cost_line(plan, "elasticache").item == "ElastiCache"


def test_the_cache_warns_above_ninety_nodes_not_at_ninety(fake_catalog, fake_prices):
    # 10,000 users x 13.8 MiB = 134.8 GiB: ceil(134.8 / 3) = 45 cache.f1.medium shards + replicas = 90 nodes
    # (90 x $36.50 = $3,285, against 12 cache.f1.large pairs at 24 x $146 = $3,504). At 13.9 MiB, 135.7 GiB: 46
    # shards, 92 nodes.
    def cache_warnings(mib):
        plan = build(fake_catalog, fake_prices, 10_000, 102_400, {"cache": {"mib_per_session": mib}})
        return plan.cache.num_nodes, [w for w in plan.warnings if w.startswith("ElastiCache")]

    assert cache_warnings(13.8) == (90, [])
    assert cache_warnings(13.9) == (
        92,
        ["ElastiCache needs 92 nodes, above the default quota of 90 nodes per cluster: request an increase"],
    )


def test_on_a_price_tie_the_layout_with_fewer_shards_wins_and_names_the_other(fake_catalog, fake_prices):
    # 1,000 users x 10 MiB = 9.77 GiB: 4 shards of cache.f1.medium (3 GiB usable) at 4 x $36.50 = $146, or one
    # cache.f1.large (12 GiB usable) at $146.
    cache = build(fake_catalog, fake_prices, 1_000, 10_240, {"cache": {"mib_per_session": 10}}).cache
    assert (cache.node_type, cache.shards, cache.monthly_usd) == ("cache.f1.large", 1, 0.20 * HOURS)
    assert cache.reason == "1 x cache.f1.large ($146.00), Redis OSS, vs 4 shards of 1 x cache.f1.medium ($146.00)"


def test_the_valkey_discount_is_the_regions(fake_catalog, fake_prices):
    prices = fake_prices.model_copy(update={"elasticache_valkey_discount": 0.5})
    plan = build(fake_catalog, prices, 1_000, 10_240, {"cache": {"engine": "valkey"}})
    assert plan.cache.monthly_usd == 0.05 * HOURS * (1 - 0.5)
    assert cost_line(plan, "elasticache").item == "ElastiCache (Valkey)"


def test_a_cache_floor_the_region_does_not_offer_is_refused(fake_catalog, fake_prices):
    prices = fake_prices.model_copy(update={"elasticache_hour": {"cache.f1.medium": 0.05}})
    with pytest.raises(
        SizingError, match="^no ElastiCache node type as large as cache.f1.large is offered in us-east-1$"
    ) as e:
        build(fake_catalog, prices, 1_000, 10_240, {"cache": {"min_node_type": "cache.f1.large"}})
    assert e.value.field == "assumptions.cache.min_node_type"


def test_sessions_no_cache_layout_holds_are_refused(fake_catalog, fake_prices):
    # 10,000 users x 1 GiB = 10,000 GiB; 500 shards of cache.f1.large hold 500 x 16 x 0.75 = 6,000 GiB.
    with pytest.raises(
        SizingError, match="^no ElastiCache layout of up to 500 shards holds 10,000 GiB of sessions$"
    ) as e:
        build(fake_catalog, fake_prices, 10_000, 102_400, {"cache": {"mib_per_session": 1_024}})
    assert e.value.field == "assumptions.cache.mib_per_session"


# --- selection and its refusals -----------------------------------------------------------------------------------


def test_types_that_cannot_hold_a_pod_are_passed_over(fake_catalog, fake_prices):
    # 3,600m backends fit neither gp1.xlarge (3,500m) nor bt1.large; gp1.2xlarge (7,490m) holds 2 and no frontend
    # beside them, 14 frontends on an empty node: 6 + 1 = 7 nodes x 1.25 -> 9; 12 + 1 = 13 -> 17.
    plan = build(fake_catalog, fake_prices, 1_000, 10_240, {"backend": {"cpu_request_m": 3_600, "cpu_limit_m": 3_600}})
    assert (plan.nodes.instance_type, plan.nodes.min_nodes, plan.nodes.max_nodes) == ("gp1.2xlarge", 9, 17)
    assert plan.nodes.alternatives == []


def test_node_groups_are_numbered_from_one_and_share_the_fleet(fake_catalog, fake_prices):
    # 100,000 users: 1,200 .. 2,400 backends, 3 a gp1.xlarge with a frontend beside, 2 beside the add-ons: 401 .. 801
    # nodes x 1.25 -> 502 .. 1,002 ((502 + 1,002) x $148 = $222,592 against gp1.2xlarge's (233 + 465) x $323.20 =
    # $225,593.60; tests/test_costs_by_hand.py), in ceil(1,002 / 450) = 3.
    plan = build(fake_catalog, fake_prices, 100_000, 1_024_000)
    assert [(g.name, g.min_nodes, g.max_nodes) for g in plan.nodes.groups] == [
        ("workers-1", 168, 334),
        ("workers-2", 167, 334),
        ("workers-3", 167, 334),
    ]


def test_a_pinned_graviton_type_takes_its_architecture(fake_catalog, fake_prices):
    # ar1.xlarge is arm64: the plan is arm64 and the runner-ups are other arm64 types (the fake catalog has none).
    plan = build(fake_catalog, fake_prices, 1_000, 10_240, instance_type="ar1.xlarge")
    assert (plan.nodes.arch, plan.workload.arch, plan.nodes.alternatives) == ("arm64", "arm64", [])
    contradiction = "^x86_64 contradicts the pinned instance type ar1.xlarge, which is arm64$"
    with pytest.raises(SizingError, match=contradiction) as e:
        build(fake_catalog, fake_prices, 1_000, 10_240, instance_type="ar1.xlarge", arch="x86_64")
    assert e.value.field == "arch"


def test_only_a_pinned_burstable_type_beyond_its_tiers_warns(fake_catalog, fake_prices):
    assert build(fake_catalog, fake_prices, 5_000, 51_200, instance_type="gp1.xlarge").warnings == []
    assert build(fake_catalog, fake_prices, 5_000, 51_200, instance_type="bt1.large").warnings == [
        "bt1.large is burstable, which this plan reserves for the small/medium tiers: a large fleet runs above its "
        "baseline and pays for CPU credits (counted in the cost)"
    ]
    # The tiers are the assumption's: burstable only for small, so a medium fleet of bt1.large warns too.
    small_only = {"burstable_tiers": ["small"]}
    assert build(fake_catalog, fake_prices, 1_000, 10_240, small_only, instance_type="bt1.large").warnings == [
        "bt1.large is burstable, which this plan reserves for the small tiers: a medium fleet runs above its "
        "baseline and pays for CPU credits (counted in the cost)"
    ]


def test_a_pinned_type_with_nothing_left_after_the_daemonsets_is_refused(fake_catalog, fake_prices):
    # bt1.large: 1,930m allocatable less 2,000m of DaemonSets; 7,090 - 481 MiB; 12 - 2 pod slots.
    with pytest.raises(
        SizingError,
        match=r"^instance type bt1.large cannot schedule the pods \(the app's and the cluster add-ons'\): after "
        r"kube-reserved and DaemonSets it offers -70m CPU, 6609 MiB, 10 pod slots; pick a larger type$",
    ) as e:
        build(fake_catalog, fake_prices, 300, 3_072, {"daemonsets": {"cpu_m": 2_000}}, instance_type="bt1.large")
    assert e.value.field == "instance_type"


def test_pods_no_type_can_hold_are_refused_naming_the_assumptions(fake_catalog, fake_prices):
    # 8,000m backends: more than any fake type's allocatable CPU (gp1.2xlarge: 7,490m).
    with pytest.raises(
        SizingError,
        match="^no x86_64 instance type offered in us-east-1 with at least 2 GiB can schedule the pods; lower the "
        "pod requests$",
    ) as e:
        build(fake_catalog, fake_prices, 1_000, 10_240, {"backend": {"cpu_request_m": 8_000, "cpu_limit_m": 8_000}})
    assert e.value.field == "assumptions"


# One application pod a node: gp1.xlarge keeps 3,920 - 3,420 = 500m after the DaemonSets; a backend per user and two
# frontends, no buffers. The add-ons' 7 pods of 100m take 2 more nodes (5 on one, 2 on the next, 300m left: no room
# for a 500m pod). The max fleet is users + 2 + 2 nodes.
ONE_POD_A_NODE = {
    "daemonsets": {"cpu_m": 3_420},
    "backend": {"cpu_request_m": 500, "users_per_pod": 1, "buffer": 1, "max_multiplier": 1},
    "frontend": {"users_per_pod": 100_000, "max_multiplier": 1},
    "node_buffer": 1,
}


def test_more_than_ten_clusters_of_nodes_is_refused_naming_what_to_change(fake_catalog, fake_prices):
    # Pinned gp1.xlarge with 500m left a node and a buffer of 10: 200,000 users need 4,800 backends and 800 frontends
    # at most, and the add-ons 2 nodes (ONE_POD_A_NODE) = 5,602 nodes x 10 = 56,020, above 50,000.
    tiny = {"daemonsets": {"cpu_m": 3_420}, "backend": {"cpu_request_m": 500}, "node_buffer": 10}
    with pytest.raises(
        SizingError,
        match=r"^the plan would need 56,020 nodes at its maximum, more than the 50,000 "
        r"\(ten clusters' worth\) this tool sizes: pin a larger instance type$",
    ) as e:
        build(fake_catalog, fake_prices, 200_000, 2_000_000, tiny, instance_type="gp1.xlarge")
    assert e.value.field == "instance_type"
    # Unpinned, 2,000,000 users need more than 50,000 of even the roomiest type: the load is what to change.
    with pytest.raises(
        SizingError,
        match=r"^the plan would need [\d,]+ nodes at its maximum, more than the 50,000 "
        r"\(ten clusters' worth\) this tool sizes: lower the load or raise the assumptions' "
        r"users_per_pod$",
    ) as e:
        build(fake_catalog, fake_prices, 2_000_000, 20_000_000, {"node_buffer": 10})
    assert e.value.field == "concurrent_users"


def test_more_than_ten_clusters_of_pods_is_refused_naming_the_load(fake_catalog, fake_prices):
    # 1,000,000 users at 1 a backend pod: 1,200,000 .. 2,400,000 backends + 4,000 frontends at most.
    with pytest.raises(
        SizingError,
        match=r"^the plan would need 2,404,000 pods at its maximum, more than the "
        r"1,500,000 \(ten clusters' worth\) this tool sizes: lower the load or raise the assumptions' "
        r"users_per_pod$",
    ) as e:
        build(fake_catalog, fake_prices, 1_000_000, 10_000_000, {"backend": {"users_per_pod": 1}})
    assert e.value.field == "concurrent_users"


def kubernetes_warnings(plan):
    return [w for w in plan.warnings if "Kubernetes supports" in w]


def test_one_cluster_warns_above_5000_nodes_not_at_them(fake_catalog, fake_prices):
    def at(users):
        return kubernetes_warnings(
            build(fake_catalog, fake_prices, users, users, ONE_POD_A_NODE, instance_type="gp1.xlarge")
        )

    assert at(4_996) == []  # 4,996 + 2 + 2 = 5,000 nodes
    assert at(4_997) == [
        "5,001 nodes exceed the 5,000 nodes Kubernetes supports in one cluster: split the load across clusters"
    ]


def test_one_cluster_warns_above_150000_pods_not_at_them(fake_catalog, fake_prices):
    # 24 DaemonSet pods a node leave 29 - 24 = 5 slots, and the add-ons' 7 pods still take 2 nodes (5 + 2). The pods
    # are the app's users + 2, the add-ons' 7 and 24 on each of the users + 2 + 2 nodes: 25 x users + 105. 5,995
    # users: 149,980; 5,996: 150,005.
    many = {**ONE_POD_A_NODE, "daemonsets": {"cpu_m": 3_420, "pods": 24}}

    def pods_warnings(users):
        plan = build(fake_catalog, fake_prices, users, users, many, instance_type="gp1.xlarge")
        return [w for w in kubernetes_warnings(plan) if "pods" in w]

    assert pods_warnings(5_995) == []
    assert pods_warnings(5_996) == [
        "150,005 pods exceed the 150,000 pods Kubernetes supports in one cluster: split the load across clusters or "
        "raise users_per_pod"
    ]
    # No load lands on 150,000 exactly: the limit itself, on the rule's own numbers (5,000 nodes of 24 DaemonSet pods).
    assert cluster_warnings(5_000, 30_000, 24) == []
    assert cluster_warnings(5_000, 30_001, 24) == [
        "150,001 pods exceed the 150,000 pods Kubernetes supports in one cluster: split the load across clusters or "
        "raise users_per_pod"
    ]


# --- what the plan reports ------------------------------------------------------------------------------------------


def test_figures_the_plan_reports_as_they_are_rounded(fake_catalog, fake_prices):
    # 4 GiB x 0.7777 (x 1.0 max memory use) = 3.1108 GiB usable, reported to the thousandth; 1,000 x 0.5 / 1,024 =
    # 0.48828125 GiB of sessions; 1,000 / 10,240 = 0.09765625 active.
    plan = build(fake_catalog, fake_prices, 1_000, 10_240, {"cache": {"usable_fraction": 0.7777}})
    assert (plan.cache.usable_memory_gib_per_node, plan.cache.required_memory_gib) == (3.111, 0.488)
    assert plan.workload.active_ratio == 0.097656


@pytest.mark.parametrize(
    ("users", "latency"), [(300, (50, 150)), (1_000, (50, 200)), (5_000, (75, 250)), (10_000, (100, 300))]
)
def test_each_tier_states_its_latency_band(fake_catalog, fake_prices, users, latency):
    plan = build(fake_catalog, fake_prices, users, users * 10)
    assert (plan.performance.latency_ms.min, plan.performance.latency_ms.max) == latency


def test_the_selection_rule_says_whether_the_type_was_pinned(fake_catalog, fake_prices):
    pinned = build(fake_catalog, fake_prices, 1_000, 10_240, instance_type="gp1.xlarge").nodes
    chosen = build(fake_catalog, fake_prices, 1_000, 10_240).nodes
    assert (pinned.pinned, pinned.selection_rule) == (True, "pinned by the user")
    assert chosen.pinned is False and chosen.selection_rule.startswith("cheapest monthly fleet: minimise")


def test_a_spot_burst_counts_its_spot_nodes_addresses_by_the_pool_types():
    """1,000 users on spot-burst: 6 on-demand t3a.medium (3 ENIs of 6 addresses) and 11 Spot nodes of a pool of
    c6i/c5a/c5/c6a.large (3 ENIs of 10 each). 39 backends, 6 frontends and the 7 add-ons' pods: 52 over 17 nodes,
    3 each and one left over. Every node's 3 or 4 pods take 2 ENIs (one beyond its pods'): 6 x 12 + 11 x 20."""
    from sizing import Workload, calculate

    plan = calculate(Workload(concurrent_users=1_000, capacity="spot-burst"))
    nodes = plan.nodes
    assert (nodes.instance_type, nodes.min_nodes, nodes.max_nodes) == ("t3a.medium", 6, 17)
    assert nodes.spot is not None and nodes.spot.burst_nodes == 11
    assert {t.instance_type for t in nodes.spot.instance_types} == {"c6i.large", "c5a.large", "c5.large", "c6a.large"}
    assert plan.backend.max_replicas + plan.frontend.max_replicas + 7 == 52
    assert plan.network.vpc_ips_max == 6 * 2 * 6 + 11 * 2 * 10  # not 17 t3a.medium (204)
