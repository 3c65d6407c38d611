"""What the hand-derived plans did not pin down, each found by a surviving mutant (README "Tests and benchmark"):
edges of the packing rules that realistic loads never reach, and what every cost line carries besides its amount:
whole cents, its price source, the currency; and NAT data at a volume where a small slip in the units would show.
Cost checks run on the fake catalog and prices (tests/conftest.py)."""

from __future__ import annotations

import pytest

from hand_plans import build, flat_token_prices
from sizing import SizingError
from sizing.catalog import InstanceType
from sizing.cost import summarize_cost
from sizing.nodes import Allocatable, PodShape, max_pods, nodes_to_pack
from sizing.plan import CostItem, Range
from sizing.pricing import PriceTable


def node(vcpu: int, eni_max_pods: int) -> InstanceType:
    return InstanceType(name=f"x1.{vcpu}", vcpu=vcpu, memory_gib=vcpu * 4, eni_max_pods=eni_max_pods, ipv4_per_eni=50,
                        arch="x86_64", family_kind="general")


@pytest.mark.parametrize(("vcpu", "eni_max_pods", "pods"), [
    (29, 737, 110),  # below 30 vCPU managed node groups cap at 110
    (30, 737, 250),  # from 30 vCPU at 250
    (30, 234, 234),  # and never above the ENI limit
    (4, 58, 58),
])
def test_managed_node_groups_cap_max_pods_from_30_vcpu(vcpu, eni_max_pods, pods):
    assert max_pods(node(vcpu, eni_max_pods)) == pods


@pytest.mark.parametrize("capacity", [Allocatable(0, 8_000, 20), Allocatable(4_000, 0, 20),
                                      Allocatable(4_000, 8_000, 0), Allocatable(-100, 8_000, 20)])
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


SOURCES = {
    "eks_control_plane": "on-demand list price",
    "ec2_nodes": "on-demand list price",
    "ebs_volumes": "on-demand list price",
    "burstable_credits": "surplus vCPU-hour list price",
    "nat_gateways": "hourly and per-GB list prices",
    "load_balancer": "hourly and LCU list prices",
    "dynamodb": "request, capacity-unit and storage list prices",
    "elasticache": "on-demand node list price",
    "llm_api": "token prices: test prices",
}
ODD = 1.0123457  # every fake price x this: amounts with digits below the cent, which the plan must round away


@pytest.fixture(scope="module")
def odd_prices(fake_prices):
    data = fake_prices.model_dump()
    for table in ("services", "ec2_hour", "elasticache_hour", "burstable_surplus_vcpu_hour"):
        data[table] = {name: {region: price * ODD for region, price in row.items()}
                       for name, row in data[table].items()}
    return PriceTable.model_validate(data)


def whole(value: float, places: int = 2) -> bool:
    scaled = value * 10**places
    return abs(scaled - round(scaled)) < 1e-6


@pytest.mark.parametrize("users", [300, 1_000, 5_000, 100_000])
def test_every_amount_is_in_whole_cents(fake_catalog, odd_prices, users):
    plan = build(fake_catalog, odd_prices, users, users * 7, llm="openai:gpt-test",
                 token_prices=flat_token_prices(1.0123457, 5.0123457, 0.1))
    cost = plan.cost
    ranges = [i.monthly_usd for i in cost.breakdown] + [
        cost.monthly_usd, cost.infrastructure_monthly_usd, cost.llm_monthly_usd, plan.database.monthly_usd_on_demand,
        plan.database.monthly_usd_provisioned, plan.nodes.monthly_usd, plan.nodes.credits_monthly_usd,
        plan.llm.monthly_usd, *(o.monthly_usd for o in plan.nodes.alternatives),
        *(o.credits_monthly_usd for o in plan.nodes.alternatives)]
    assert all(whole(r.min) and whole(r.max) for r in ranges)
    assert whole(plan.cache.monthly_usd)
    assert whole(cost.per_user_usd.min, 4) and whole(cost.per_user_usd.max, 4)
    if users == 1_000:
        # The same 5 .. 10 gp1.xlarge as at round prices: 5 x $202 x 1.0123457 = $1,022.469..., 10 x = $2,044.938...
        assert (plan.nodes.monthly_usd.min, plan.nodes.monthly_usd.max) == (1_022.47, 2_044.94)
    # EKS: $0.10 x 1.0123457 x 1,000 h = $101.23457, billed as $101.23.
    eks = next(i for i in cost.breakdown if i.key == "eks_control_plane")
    assert (eks.monthly_usd.min, eks.monthly_usd.max) == (101.23, 101.23)


@pytest.mark.parametrize("users", [300, 1_000])
def test_every_line_names_its_price_source_and_the_bill_its_currency(fake_catalog, fake_prices, users):
    plan = build(fake_catalog, fake_prices, users, users * 10, llm="openai:gpt-test", token_prices=flat_token_prices())
    assert {i.key: i.source for i in plan.cost.breakdown} == {
        k: v for k, v in SOURCES.items() if k != "burstable_credits" or users == 300}
    assert plan.cost.currency == "USD"


def test_two_lines_with_one_key_are_refused():
    line = CostItem(key="ec2_nodes", item="EC2 nodes", monthly_usd=Range(min=1, max=2))
    with pytest.raises(ValueError, match=r"duplicate cost keys: \['ec2_nodes', 'ec2_nodes'\]"):
        summarize_cost([line, line], [], total_users=10, prices_as_of="today")


def test_nat_data_is_counted_in_decimal_gigabytes(fake_catalog, fake_prices):
    # The largest egress an assumption allows: 100,000 users x 3 / 60 = 5,000 requests/s x 100,000 KB x 3,600,000 s
    # / 1,000,000 KB per GB = 1,800,000,000 GB x $0.01 = $18,000,000, plus 3 gateways x $50.
    plan = build(fake_catalog, fake_prices, 100_000, 1_024_000, {"traffic": {"egress_kb_per_request": 100_000}})
    nat = next(i for i in plan.cost.breakdown if i.key == "nat_gateways")
    assert nat.monthly_usd.max == 18_000_150


@pytest.mark.parametrize(("zones", "label"), [(2, "NAT gateways (2)"), (3, "NAT gateways (3)")])
def test_the_nat_line_says_how_many_gateways(fake_catalog, fake_prices, zones, label):
    plan = build(fake_catalog, fake_prices, 5_000, 51_200, {"availability_zones": zones})
    assert next(i.item for i in plan.cost.breakdown if i.key == "nat_gateways") == label


def test_no_traffic_still_provisions_one_capacity_unit(fake_catalog, fake_prices):
    # Nobody reads or writes: DynamoDB still needs 1 RCU and 1 WCU, scaling from 1 to ceil(1 / 0.8) = 2.
    plan = build(fake_catalog, fake_prices, 1_000, 10_240, {"database": {
        "reads_per_user_per_second": 0, "writes_per_user_per_second": 0}})
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


def test_a_disabled_cache_has_no_nodes_and_costs_nothing(fake_catalog, fake_prices):
    cache = build(fake_catalog, fake_prices, 300, 3_072).cache
    assert (cache.enabled, cache.node_type, cache.num_nodes, cache.shards, cache.replicas_per_shard) == (
        False, None, 0, 0, 0)
    assert (cache.usable_memory_gib_per_node, cache.monthly_usd, cache.required_memory_gib) == (0, 0, 0.146)


def test_the_cache_warns_above_ninety_nodes_not_at_ninety(fake_catalog, fake_prices):
    # 10,000 users x 13.8 MiB = 134.8 GiB: ceil(134.8 / 3) = 45 cache.f1.medium shards + replicas = 90 nodes ($4,500,
    # against 12 cache.f1.large pairs at $4,800). At 13.9 MiB, 135.7 GiB: 46 shards, 92 nodes.
    def cache_warnings(mib):
        plan = build(fake_catalog, fake_prices, 10_000, 102_400, {"cache": {"mib_per_session": mib}})
        return plan.cache.num_nodes, [w for w in plan.warnings if w.startswith("ElastiCache")]

    assert cache_warnings(13.8) == (90, [])
    assert cache_warnings(13.9) == (92, [
        "ElastiCache needs 92 nodes, above the default quota of 90 nodes per cluster: request an increase"])


def test_types_that_cannot_hold_a_pod_are_passed_over(fake_catalog, fake_prices):
    # 3,600m backends fit neither gp1.xlarge (3,500m) nor bt1.large; gp1.2xlarge (7,490m) holds 2 and no frontend
    # beside them, 14 frontends on an empty node: 6 + 1 = 7 nodes x 1.25 -> 9; 12 + 1 = 13 -> 17.
    plan = build(fake_catalog, fake_prices, 1_000, 10_240, {"backend": {"cpu_request_m": 3_600, "cpu_limit_m": 3_600}})
    assert (plan.nodes.instance_type, plan.nodes.min_nodes, plan.nodes.max_nodes) == ("gp1.2xlarge", 9, 17)
    assert plan.nodes.alternatives == []


def test_node_groups_are_numbered_from_one(fake_catalog, fake_prices):
    plan = build(fake_catalog, fake_prices, 100_000, 1_024_000)
    assert [g.name for g in plan.nodes.groups] == ["workers-1", "workers-2", "workers-3"]


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
        "baseline and pays for CPU credits (counted in the cost)"]


def test_a_pinned_type_with_nothing_left_after_the_daemonsets_is_refused(fake_catalog, fake_prices):
    # bt1.large: 1,930m allocatable less 2,000m of DaemonSets; 7,090 - 481 MiB; 12 - 2 pod slots.
    with pytest.raises(SizingError, match=r"^instance type bt1.large cannot schedule the pods: after kube-reserved and "
                       r"DaemonSets it offers -70m CPU, 6609 MiB, 10 pod slots; pick a larger type$") as e:
        build(fake_catalog, fake_prices, 300, 3_072, {"daemonsets": {"cpu_m": 2_000}}, instance_type="bt1.large")
    assert e.value.field == "instance_type"


def test_pods_no_type_can_hold_are_refused_naming_the_assumptions(fake_catalog, fake_prices):
    # 8,000m backends: more than any fake type's allocatable CPU (gp1.2xlarge: 7,490m).
    with pytest.raises(SizingError, match="^no x86_64 instance type in the catalog can schedule the pods; lower the "
                       "pod requests$") as e:
        build(fake_catalog, fake_prices, 1_000, 10_240, {"backend": {"cpu_request_m": 8_000, "cpu_limit_m": 8_000}})
    assert e.value.field == "assumptions"


def test_more_than_ten_clusters_of_nodes_is_refused_naming_what_to_change(fake_catalog, fake_prices):
    # Pinned gp1.xlarge with 3,420m of DaemonSets keeps 500m: one 500m pod a node. 200,000 users: 4,800 backends and
    # 800 frontends at most = 5,600 nodes x a buffer of 10 = 56,000, above 50,000.
    tiny = {"daemonsets": {"cpu_m": 3_420}, "backend": {"cpu_request_m": 500}, "node_buffer": 10}
    with pytest.raises(SizingError, match=r"^the plan would need 56,000 nodes at its maximum, more than the 50,000 "
                       r"\(ten clusters' worth\) this tool sizes: pin a larger instance type$") as e:
        build(fake_catalog, fake_prices, 200_000, 2_000_000, tiny, instance_type="gp1.xlarge")
    assert e.value.field == "instance_type"
    # Unpinned, 2,000,000 users need more than 50,000 of even the roomiest type: the load is what to change.
    with pytest.raises(SizingError, match=r"^the plan would need [\d,]+ nodes at its maximum, more than the 50,000 "
                       r"\(ten clusters' worth\) this tool sizes: lower the load or raise the assumptions' "
                       r"users_per_pod$") as e:
        build(fake_catalog, fake_prices, 2_000_000, 20_000_000, {"node_buffer": 10})
    assert e.value.field == "concurrent_users"
