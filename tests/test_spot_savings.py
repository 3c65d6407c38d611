"""Spot burst, Savings Plans and the other architecture: the arithmetic derived by hand from the prices, the
discounts and the documented rules (README "Spot burst and Savings Plans")."""

from __future__ import annotations

import json

import pytest

from sizing import SizingError, Workload, calculate
from sizing.cli.command import main
from sizing.data.catalog import load_catalog
from sizing.data.pricing import SavingsPlanDiscount, SpotDiscount, dump_price_file, region_entry, region_prices

EAST = region_prices("us-east-1")
HOURS = 730
VOLUME = 20 * 0.08  # the default 20 GiB gp3 root volume at $0.08 per GB-month


def prices(spot: dict[str, float] | None = None, savings: dict[str, float] | None = None, **ec2_scale: float):
    """us-east-1's prices with these Spot discounts and Savings Plan rates (arm64 types' prices scaled by
    ``arm64=``)."""
    ec2 = dict(EAST.ec2_hour)
    if "arm64" in ec2_scale:
        catalog = load_catalog()
        ec2 = {n: p * ec2_scale["arm64"] if catalog.instance(n).arch == "arm64" else p for n, p in ec2.items()}
    return EAST.model_copy(
        update={
            "ec2_hour": ec2,
            "spot_discount": SpotDiscount(as_of="2026-11-01", source="test", families=spot) if spot else None,
            "savings_plan_discount": SavingsPlanDiscount(as_of="2026-11-02", source="test", terms=savings)
            if savings
            else None,
        }
    )


def lines(plan) -> dict:
    return {item.key: item for item in plan.cost.breakdown}


# c5.xlarge at 8,000 users (tests/test_sizing_nodes.py derives it): 20 nodes hold the min replicas; the max
# replicas (312 backends, 40 frontends) take 44 full nodes of 7 backends, one with 4, the frontends beside them:
# 45 nodes x 1.2 buffer = 54.
MIN_NODES, MAX_NODES = 20, 54
# Only these families have a Spot discount: the 4 vCPU / 8 GiB x86 types with one are c5, c6i and c6a.xlarge.
SPOT = {"c5": 0.6, "c6i": 0.6, "c6a": 0.5, "m5": 0.7}


def spot_plan(rates: dict[str, float] | None = None, **extra):
    return calculate(
        Workload(concurrent_users=8000, instance_type="c5.xlarge", capacity="spot-burst", **extra),
        prices=prices(SPOT, rates),
    )


def test_spot_burst_puts_the_burst_on_a_pool_of_three_types_and_prices_it_by_hand():
    plan = spot_plan()
    nodes, spot = plan.nodes, plan.nodes.spot
    # Spot prices: c5.xlarge 0.17 x 0.4 = 0.068, c6i.xlarge 0.17 x 0.4 = 0.068 (the newer first on a tie),
    # c6a.xlarge 0.153 x 0.5 = 0.0765; m5.xlarge has 16 GiB, another shape.
    assert [(t.instance_type, t.discount, t.hourly_usd) for t in spot.instance_types] == [
        ("c6i.xlarge", 0.6, pytest.approx(0.068)),
        ("c5.xlarge", 0.6, pytest.approx(0.068)),
        ("c6a.xlarge", 0.5, pytest.approx(0.0765)),
    ]
    assert spot.hourly_usd == pytest.approx(0.0765)  # the max bound assumes the dearest of the pool
    # All three have 4 ENIs x 15 addresses: the same allocatable as c5.xlarge, less the DaemonSets.
    assert (spot.sized_for_cpu_m, spot.sized_for_memory_mib, spot.sized_for_pods) == (3720, 6328, 55)
    assert (nodes.min_nodes, spot.burst_nodes, nodes.max_nodes) == (MIN_NODES, MAX_NODES - MIN_NODES, MAX_NODES)
    assert [(g.name, g.capacity_type, g.instance_types, g.min_nodes, g.max_nodes) for g in nodes.groups] == [
        ("workers-1", "ON_DEMAND", ["c5.xlarge"], 20, 20),
        ("spot-1", "SPOT", ["c6i.xlarge", "c5.xlarge", "c6a.xlarge"], 0, 34),
    ]
    bill = lines(plan)
    # The min fleet on-demand all month, in every bound.
    assert (
        bill["ec2_nodes"].monthly_usd.min,
        bill["ec2_nodes"].monthly_usd.max,
        bill["ec2_nodes"].expected_monthly_usd,
    ) == pytest.approx((20 * 0.17 * 730,) * 3)
    # The 34 burst nodes at the dearest Spot price, in the max bound only.
    assert (bill["ec2_spot_nodes"].monthly_usd.min, bill["ec2_spot_nodes"].expected_monthly_usd) == (0, 0)
    assert bill["ec2_spot_nodes"].monthly_usd.max == pytest.approx(34 * 0.0765 * 730)  # 1,898.73
    # Every node has its root volume: 20 expected, 54 at the max.
    assert (bill["ebs_volumes"].monthly_usd.min, bill["ebs_volumes"].monthly_usd.max) == pytest.approx(
        (20 * VOLUME, 54 * VOLUME)
    )
    # Against all on-demand: 54 x (124.10 + 1.60) = 6,787.80; with the burst on Spot 20 x 125.70 + 34 x (55.845
    # + 1.60) = 4,467.13; 2,320.67 saved at the max bound.
    assert spot.on_demand_max_monthly_usd == pytest.approx(6787.80)
    assert spot.monthly_usd == pytest.approx(34 * (0.0765 * 730 + VOLUME))
    assert nodes.monthly_usd.max == pytest.approx(4467.13)
    assert spot.saving_monthly_usd == pytest.approx(2320.67)
    assert (spot.discounts_as_of, spot.discounts_source) == ("2026-11-01", "test")


def test_spot_burst_leaves_the_expected_bill_alone():
    """The expected bill keeps the min fleet, on-demand either way: only the max bound moves."""
    on_demand = calculate(Workload(concurrent_users=8000, instance_type="c5.xlarge"), prices=prices(SPOT))
    burst = spot_plan()
    assert burst.cost.expected_monthly_usd == on_demand.cost.expected_monthly_usd
    assert burst.cost.monthly_usd.min == on_demand.cost.monthly_usd.min
    assert on_demand.cost.monthly_usd.max - burst.cost.monthly_usd.max == pytest.approx(
        burst.nodes.spot.saving_monthly_usd, abs=0.02
    )
    for item in burst.cost.breakdown:
        assert item.monthly_usd.min <= item.expected_monthly_usd <= item.monthly_usd.max, item.key


def test_savings_plan_prices_the_min_fleet_at_its_rate():
    sp = prices(None, {"1y": 0.3, "3y": 0.5})
    base = calculate(Workload(concurrent_users=8000, instance_type="c5.xlarge"), prices=sp)
    plan = calculate(Workload(concurrent_users=8000, instance_type="c5.xlarge", savings_plan="1y"), prices=sp)
    ec2, commitment = lines(plan)["ec2_nodes"], plan.nodes.savings_plan
    # 20 min-fleet nodes x 0.17 x 730 = 2,482.00 on-demand; at 30% off 1,737.40.
    assert (ec2.monthly_usd.min, ec2.expected_monthly_usd) == pytest.approx((1737.40, 1737.40))
    # Above the min fleet the 34 other nodes are on-demand: 1,737.40 + 34 x 124.10.
    assert ec2.monthly_usd.max == pytest.approx(1737.40 + 34 * 0.17 * 730)
    assert commitment.commitment_usd_per_hour == pytest.approx(20 * 0.17 * 0.7)  # 2.38 an hour
    assert commitment.saving_monthly_usd == pytest.approx(744.60)
    assert (commitment.term, commitment.discount, commitment.rates_as_of) == ("1y", 0.3, "2026-11-02")
    assert base.cost.expected_monthly_usd - plan.cost.expected_monthly_usd == pytest.approx(744.60, abs=0.01)
    # Three years: half off.
    three = calculate(Workload(concurrent_users=8000, instance_type="c5.xlarge", savings_plan="3y"), prices=sp)
    assert lines(three)["ec2_nodes"].expected_monthly_usd == pytest.approx(20 * 0.17 * 730 * 0.5)


def test_savings_plan_and_spot_burst_together():
    plan = spot_plan(savings_plan="3y", rates={"1y": 0.3, "3y": 0.5})
    ec2 = lines(plan)["ec2_nodes"]
    # The on-demand group is the min fleet: at the Savings Plan rate in every bound; the burst stays on Spot.
    assert (ec2.monthly_usd.min, ec2.monthly_usd.max, ec2.expected_monthly_usd) == pytest.approx((1241.0,) * 3)
    assert lines(plan)["ec2_spot_nodes"].monthly_usd.max == pytest.approx(34 * 0.0765 * 730)


def test_rates_or_discounts_missing_from_the_prices_are_one_line_naming_the_refresh():
    with pytest.raises(
        SizingError,
        match=r"^the prices for us-east-1 \(as of 2026-02-09\) have no Compute Savings "
        r"Plan rates; fetch them with `sizing prices refresh --region us-east-1",
    ):
        calculate(Workload(concurrent_users=100, savings_plan="1y"))
    with pytest.raises(SizingError, match="have no Spot discounts") as raised:
        calculate(Workload(concurrent_users=8000, capacity="spot-burst"), prices=prices())
    assert raised.value.field == "capacity"


def test_a_shape_without_three_spot_types_passes_to_the_next_cheapest_fleet():
    # Graviton with Spot discounts for two compute families but three general-purpose ones: every compute shape
    # has two Spot types, so the burst goes to the cheapest fleet of a general-purpose shape.
    spot = {"c6g": 0.6, "c7g": 0.6, "m6g": 0.6, "m7g": 0.6, "m8g": 0.6}
    table = prices(spot)
    on_demand = calculate(Workload(concurrent_users=8000, arch="arm64"), prices=table)
    assert on_demand.nodes.instance_type.startswith("c")
    plan = calculate(Workload(concurrent_users=8000, arch="arm64", capacity="spot-burst"), prices=table)
    chosen = plan.nodes.instance_type
    assert chosen.split(".")[0] in {"m6g", "m7g", "m8g"}
    size = chosen.split(".")[1]
    assert sorted(t.instance_type for t in plan.nodes.spot.instance_types) == [
        f"{f}.{size}" for f in ("m6g", "m7g", "m8g")
    ]

    # It is the cheapest general-purpose fleet by the on-demand rule: pin each one and compare min + max.
    def score(name):
        fleet = calculate(Workload(concurrent_users=8000, instance_type=name), prices=table).nodes.monthly_usd
        return fleet.min + fleet.max

    general = [
        n for n, t in load_catalog().instance_types.items() if t.family in {"m6g", "m7g", "m8g"} and n in table.ec2_hour
    ]
    on_demand_chosen = calculate(Workload(concurrent_users=8000, instance_type=chosen), prices=table).nodes
    assert on_demand_chosen.monthly_usd.min + on_demand_chosen.monthly_usd.max == min(score(n) for n in general)
    # A pinned type whose shape lacks the pool is refused, naming the flag.
    with pytest.raises(
        SizingError,
        match=r"^spot-burst needs 3 Spot types with c6g.large's 2 vCPU and 4 GiB "
        r"offered in us-east-1, and has 2",
    ) as raised:
        calculate(Workload(concurrent_users=8000, instance_type="c6g.large", capacity="spot-burst"), prices=table)
    assert raised.value.field == "capacity"


def test_no_burst_needs_no_pool():
    # 50 users on m5.xlarge: the floor of 3 nodes holds the max replicas too, so nothing goes to Spot and no Spot
    # group is made, although m5 is the only 4 vCPU / 16 GiB family with a discount here.
    plan = calculate(
        Workload(concurrent_users=50, capacity="spot-burst", instance_type="m5.xlarge"), prices=prices(SPOT)
    )
    assert plan.nodes.min_nodes == plan.nodes.max_nodes == 3
    assert plan.nodes.spot.burst_nodes == 0 and plan.nodes.spot.instance_types == []
    assert plan.nodes.spot.hourly_usd == 0 and plan.nodes.spot.monthly_usd == 0
    assert [g.capacity_type for g in plan.nodes.groups] == ["ON_DEMAND"]
    assert "ec2_spot_nodes" not in lines(plan)


def test_a_burstable_min_fleet_under_spot_burst_pays_its_credits_at_peak():
    """The burst pods land on the Spot nodes; the on-demand T nodes keep the min replicas and, at peak, run them above
    their baseline."""
    rates = dict(SPOT, m5a=0.5, m6i=0.6)
    plan = calculate(
        Workload(concurrent_users=2000, instance_type="t3.xlarge", capacity="spot-burst"), prices=prices(rates)
    )
    nodes = plan.nodes
    assert (plan.backend.min_replicas, plan.frontend.min_replicas, nodes.min_nodes, nodes.spot.burst_nodes) == (
        26,
        5,
        5,
        10,
    )
    assert (EAST.ec2_hour["t3.xlarge"], EAST.burstable_surplus_vcpu_hour["t3"]) == (0.1664, 0.05)
    # At peak the 5 on-demand nodes run the min replicas' requests, their DaemonSets and the add-ons' 700m at the 70%
    # HPA target: (26 x 500m + 5 x 200m + 5 x 200m + 700m) x 0.7 = 10.99 vCPU, over 5 x 40% x 4 vCPU = 8 of baseline:
    # 2.99 x $0.05 x 730 = $109.135.
    assert nodes.credits_monthly_usd.max == 109.14
    # At the mean load, (0.5 x 14,000m + 1,000m + 700m) x 0.7 = 6.09 vCPU < 8.
    assert nodes.credits_monthly_usd.min == 0
    # m5.xlarge 0.192 x 0.3, m6i.xlarge 0.192 x 0.4, m5a.xlarge 0.172 x 0.5: the max bound takes the dearest.
    assert [(t.instance_type, t.hourly_usd) for t in nodes.spot.instance_types] == [
        ("m5.xlarge", pytest.approx(0.0576)),
        ("m6i.xlarge", pytest.approx(0.0768)),
        ("m5a.xlarge", pytest.approx(0.086)),
    ]
    assert nodes.spot.hourly_usd == pytest.approx(0.086)
    # 5 x (0.1664 x 730 + 1.60) = 615.36, + 109.135 of credits, + 10 x (0.086 x 730 + 1.60) = 643.80: $1,368.295,
    # a half cent the float sum rounds either way.
    assert (nodes.monthly_usd.min, nodes.monthly_usd.max) == (
        615.36,
        pytest.approx(615.36 + 109.135 + 643.80, abs=0.006),
    )
    assert lines(plan)["burstable_credits"].monthly_usd.max == 109.14


def node_bill(plan) -> float:
    bill = lines(plan)
    return sum(bill[k].expected_monthly_usd for k in ("ec2_nodes", "ebs_volumes", "burstable_credits") if k in bill)


@pytest.mark.parametrize("users", [1000, 8000])
def test_the_other_architecture_is_priced_as_its_own_plan_would_bill_it(users):
    """At 1,000 users both fleets are burstable (t3a.small, t4g.small), so their expected credits count too."""
    plan = calculate(Workload(concurrent_users=users), compare_arch=True)
    other = plan.nodes.other_arch
    arm = calculate(Workload(concurrent_users=users, arch="arm64"))
    assert (other.arch, other.instance_type) == ("arm64", arm.nodes.instance_type)
    assert (other.min_nodes, other.max_nodes) == (arm.nodes.min_nodes, arm.nodes.max_nodes)
    assert other.expected_monthly_usd == pytest.approx(node_bill(arm), abs=0.02)
    assert other.saving_monthly_usd == pytest.approx(node_bill(plan) - node_bill(arm), abs=0.02)
    assert other.saving_monthly_usd > 0
    if users == 1000:
        # Both burstable: their expected credits (the day's average use, as AWS nets them) count on each side.
        for p in (plan, arm):
            assert "burstable_credits" in lines(p)
            assert lines(p)["burstable_credits"].expected_monthly_usd == lines(p)["burstable_credits"].monthly_usd.min
    # With a Savings Plan both sides are billed at its rate.
    sp = prices(None, {"1y": 0.3, "3y": 0.5})
    plan = calculate(Workload(concurrent_users=8000, savings_plan="1y"), prices=sp, compare_arch=True)
    arm = calculate(Workload(concurrent_users=8000, arch="arm64", savings_plan="1y"), prices=sp)
    assert plan.nodes.other_arch.expected_monthly_usd == pytest.approx(node_bill(arm), abs=0.02)


def test_the_other_architecture_is_said_only_when_cheaper_and_not_pinned():
    # Not asked, pinned by arch or by type: nothing.
    assert calculate(Workload(concurrent_users=8000)).nodes.other_arch is None
    assert calculate(Workload(concurrent_users=8000, arch="x86_64"), compare_arch=True).nodes.other_arch is None
    assert (
        calculate(Workload(concurrent_users=8000, instance_type="c6a.2xlarge"), compare_arch=True).nodes.other_arch
        is None
    )
    # Graviton at three times its price is dearer: nothing to say.
    dear = prices(arm64=3.0)
    assert calculate(Workload(concurrent_users=8000), prices=dear, compare_arch=True).nodes.other_arch is None


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_report_says_the_saving_and_the_other_architecture(capsys, tmp_path):
    code, out, _ = run(capsys, "report", "-c", "8000", "--capacity", "spot-burst")
    plan = calculate(Workload(concurrent_users=8000, capacity="spot-burst"), compare_arch=True)
    assert code == 0
    flat = " ".join(out.split())
    assert f"Spot Saving ${plan.nodes.spot.saving_monthly_usd:,.0f} / month against all on-demand" in flat
    assert f"arm64 would cost ${plan.nodes.other_arch.saving_monthly_usd:,.2f} less a month" in flat
    assert "spot-1 (0-" in flat
    # JSON is the plan.
    code, out, _ = run(capsys, "report", "-c", "8000", "--capacity", "spot-burst", "-f", "json")
    assert json.loads(out) == plan.model_dump(mode="json")
    # A price file with Savings Plan rates: the commitment per hour and the saving.
    entry = region_entry(EAST)
    entry["savings_plan_discount"] = {"as_of": "2026-11-02", "source": "test", "terms": {"1y": 0.3, "3y": 0.5}}
    target = tmp_path / "prices.yaml"
    target.write_text(dump_price_file({"us-east-1": entry}))
    code, out, _ = run(
        capsys,
        "report",
        "-c",
        "8000",
        "--instance-type",
        "c5.xlarge",
        "--savings-plan",
        "1y",
        "--prices",
        str(target),
        "-f",
        "markdown",
    )
    assert code == 0
    assert "| Savings Plan | 1y Compute Savings Plan: commit $2.3800/hour, saves $744.60 / month" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--capacity", "spot"],
            "sizing: error: Invalid value for '--capacity': 'spot' is not one of 'on-demand', 'spot-burst'.",
        ),
        (
            ["--savings-plan", "2y"],
            "sizing: error: Invalid value for '--savings-plan': '2y' is not one of 'none', '1y', '3y'.",
        ),
        (
            ["--savings-plan", "1y"],
            "sizing: error: --savings-plan: the prices for us-east-1 (as of 2026-02-09) have "
            "no Compute Savings Plan rates; fetch them with `sizing prices refresh --region "
            "us-east-1 --output prices.yaml` and use that price file",
        ),
        (
            ["--capacity", "spot-burst", "--instance-type", "m8g.24xlarge", "-c", "100000"],
            "sizing: error: --capacity: spot-burst needs 3 Spot types with m8g.24xlarge's 96 vCPU and 384 GiB offered "
            "in us-east-1, and has 1; pin another type or use on-demand capacity",
        ),
    ],
    ids=["capacity", "term", "no-rates", "no-pool"],
)
def test_bad_flags_are_one_line_and_exit_2(capsys, args, message):
    users = [] if "-c" in args else ["-c", "8000"]
    code, out, err = run(capsys, "report", *users, *args)
    assert (code, out, err) == (2, "", message + "\n")


def test_compare_takes_the_flags_too(capsys):
    code, out, _ = run(capsys, "compare", "300", "8000", "--capacity", "spot-burst", "-f", "json")
    assert code == 0
    assert [p["nodes"]["capacity"] for p in json.loads(out)] == ["spot-burst", "spot-burst"]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"spot_discount": {"as_of": "2026-11-01", "source": "x", "families": {"m9": 0.5}}},
            "regions.us-east-1.spot_discount: 'm9' is not a catalog instance family (the part before the dot: m6i)",
        ),
        (
            {"spot_discount": {"as_of": "2026-11-01", "source": "x", "families": {"m5": 1.2}}},
            "regions.us-east-1.spot_discount.families.m5: must be less than 1 (got 1.2)",
        ),
        (
            {"savings_plan_discount": {"as_of": "2026-11-01", "source": "x", "terms": {"1y": 0.3}}},
            "regions.us-east-1.savings_plan_discount: terms must give exactly 1y and 3y",
        ),
        (
            {"savings_plan_discount": {"as_of": "2026-11-01", "source": "x", "terms": {"1y": -0.1, "3y": 0.5}}},
            "regions.us-east-1.savings_plan_discount.terms.1y: must be greater than or equal to 0 (got -0.1)",
        ),
    ],
    ids=["unknown-family", "discount-above-1", "a-term-missing", "negative-rate"],
)
def test_a_bad_discount_in_a_price_file_is_one_line(capsys, tmp_path, block, message):
    entry = {**region_entry(EAST), **block}
    target = tmp_path / "prices.yaml"
    target.write_text(dump_price_file({"us-east-1": entry}))
    code, out, err = run(capsys, "report", "-c", "100", "--prices", str(target))
    assert (code, out) == (2, "")
    assert err == f"sizing: error: --prices: {target}: {message}\n"
