"""The bill a user will get: every line over the day's load profile, between its min and max bounds.

Expected values are derived here from the documented rules (docs/methodology.md, "Cost"): lines linear in the load
bill the profile's mean; provisioned DynamoDB holds max(floor, units x max(this hour, last hour) / target) each hour;
burstable credits are billed on the day's average use above the baseline; internet egress is tiered on the month's volume.
"""

from __future__ import annotations

import math

import pytest

from sizing import Workload, calculate
from sizing.assumptions import DEFAULT_HOURLY_PROFILE
from sizing.data.pricing import Egress, region_prices

PRICES = region_prices("us-east-1")
SPIKY = [0.02] * 21 + [1.0] + [0.02] * 2
HOURS = 730


def plan(users, **assumptions):
    return calculate(Workload(concurrent_users=users, assumptions=assumptions))


def item(p, key):
    return next(i for i in p.cost.breakdown if i.key == key)


@pytest.mark.parametrize("profile", [DEFAULT_HOURLY_PROFILE, SPIKY], ids=["diurnal", "spiky"])
@pytest.mark.parametrize("users", [10, 120, 499, 500, 1_000, 2_500, 9_999, 20_000, 100_000, 400_000])
def test_every_line_lies_between_its_bounds(users, profile):
    p = plan(users, traffic={"hourly_profile": list(profile)})
    for line in p.cost.breakdown:
        assert line.monthly_usd.min <= line.expected_monthly_usd <= line.monthly_usd.max, (users, line)
    cost = p.cost
    assert cost.monthly_usd.min <= cost.expected_monthly_usd <= cost.monthly_usd.max
    assert cost.expected_monthly_usd == pytest.approx(sum(i.expected_monthly_usd for i in cost.breakdown), abs=0.02)
    assert cost.expected_monthly_usd == pytest.approx(
        cost.infrastructure_expected_monthly_usd + cost.llm_expected_monthly_usd, abs=0.01
    )


def test_the_default_profile_averages_half_the_peak():
    assert len(DEFAULT_HOURLY_PROFILE) == 24 and max(DEFAULT_HOURLY_PROFILE) == 1.0
    assert sum(DEFAULT_HOURLY_PROFILE) / 24 == pytest.approx(0.5)
    assert plan(1_000).assumptions.traffic.duty_cycle == pytest.approx(0.5)


def dynamodb_provisioned_by_hand(users, profile, storage_gib):
    """Reads 0.5/s per user of 4 KB items eventually consistent (half an RCU each), writes 0.1/s of 1 KB."""
    rcu, wcu = users * 0.5 * 0.5, users * 0.1
    rcu_floor, wcu_floor = max(1, math.ceil(rcu * 0.25)), max(1, math.ceil(wcu * 0.25))
    total = 0.0
    for hour, share in enumerate(profile):
        held = max(share, profile[hour - 1])  # auto scaling lets capacity go an hour late
        total += (max(rcu_floor, rcu * held / 0.7) * 0.00013 + max(wcu_floor, wcu * held / 0.7) * 0.00065) * HOURS
    return total / 24 + storage_gib * 0.25


@pytest.mark.parametrize("users", [1_000, 20_000, 100_000])
def test_expected_cost_by_hand_at_three_loads(users):
    p = plan(users)
    total_users = users * 10
    # Per-user data, and the messages the 90-day retention keeps at the mean load (0.5): 0.1 writes/s per user of
    # 1 KB, 86,400 s a day.
    storage = total_users * 5 / 1024 + users * 0.1 * 0.5 * 86_400 / 1024**2 * 90
    db = p.database
    assert db.expected_monthly_usd_provisioned == pytest.approx(
        dynamodb_provisioned_by_hand(users, DEFAULT_HOURLY_PROFILE, storage), abs=0.01
    )
    on_demand = (users * 0.25 * 0.125 + users * 0.1 * 0.625) * 3600 * HOURS / 1e6 * 0.5 + storage * 0.25
    assert db.expected_monthly_usd_on_demand == pytest.approx(on_demand, abs=0.01)
    assert db.billing_mode == "PROVISIONED"  # cheaper on this profile at every one of these loads
    assert item(p, "dynamodb").expected_monthly_usd == db.expected_monthly_usd_provisioned
    # Internet egress on the month's mean volume: 3 requests/min/user x 32 KB, half the peak on average.
    gigabytes = users * 3 / 60 * 32 * 3600 * HOURS / 1e6 * 0.5
    internet = Egress(free_gb=100, tiers=((10240, 0.09), (51200, 0.085), (153600, 0.07), (None, 0.05)))
    assert item(p, "data_transfer").expected_monthly_usd == pytest.approx(
        internet.monthly_usd(gigabytes) + gigabytes * 2 / 3 * 0.02, abs=0.01
    )
    # Tokens: a turn a minute per user, half the peak on average. The default two-turn conversation sends 1,015
    # then 1,296 tokens (mean 1,155.5), too short for Haiku 4.5's 4,096-token cache minimum: (1,155.5 x $1 + 211 x
    # $5) / 1e6 = $0.0022105 a turn.
    assert item(p, "llm_api").expected_monthly_usd == pytest.approx(users * 60 * HOURS * 0.5 * 0.0022105, abs=0.01)
    # The fleet: the HPA floor is sized for the peak (min replicas = users / users per pod x buffer), so over the
    # planned day the HPA sits at it and the expected fleet is the min fleet all month.
    for key in ("ec2_nodes", "ebs_volumes", "nat_gateways", "load_balancer", "eks_control_plane", "elasticache"):
        assert item(p, key).expected_monthly_usd == item(p, key).monthly_usd.min, key


def test_egress_tiers_by_hand():
    egress = PRICES.internet_egress
    assert egress.monthly_usd(100) == 0  # the free 100 GB
    assert egress.monthly_usd(1_100) == pytest.approx(1_000 * 0.09)
    assert egress.monthly_usd(10_340) == pytest.approx(10_240 * 0.09)
    assert egress.monthly_usd(100_100) == pytest.approx(10_240 * 0.09 + 40_960 * 0.085 + 48_800 * 0.07)
    assert egress.monthly_usd(1_000_100) == pytest.approx(
        10_240 * 0.09 + 40_960 * 0.085 + 102_400 * 0.07 + (1_000_000 - 153_600) * 0.05
    )
    # ~4 TB a month of responses at 1,000 users, as the issue measured, two thirds of it also crossing zones.
    assert item(plan(1_000), "data_transfer").monthly_usd.max == pytest.approx(
        (4_204.8 - 100) * 0.09 + 4_204.8 * 2 / 3 * 0.02, abs=0.01
    )


def test_a_spiky_day_makes_on_demand_the_cheaper_mode_and_says_why():
    db = plan(300, traffic={"hourly_profile": SPIKY}).database
    assert db.billing_mode == "PAY_PER_REQUEST"
    assert db.expected_monthly_usd_on_demand < db.expected_monthly_usd_provisioned
    assert db.mode_reason.startswith("on-demand: provisioned $")
    steady = plan(300).database
    assert steady.billing_mode == "PROVISIONED" and steady.mode_reason.startswith("provisioned with auto scaling")
    pinned = plan(300, database={"billing_mode": "PAY_PER_REQUEST"}).database
    assert pinned.billing_mode == "PAY_PER_REQUEST" and pinned.mode_reason.startswith("set by database.billing_mode")


def test_the_month_length_is_an_assumption():
    p = plan(1_000, traffic={"days_per_month": 31})
    assert item(p, "eks_control_plane").monthly_usd.max == pytest.approx(0.10 * 31 * 24)
    assert p.llm.monthly.turns.max == pytest.approx(1_000 * 60 * 31 * 24)


@pytest.mark.parametrize(
    ("traffic", "message"),
    [
        ({"hourly_profile": [1.0] * 23}, "at least 24 items"),
        ({"hourly_profile": [0.5] * 24}, "the peak hour must be 1.0"),
        ({"hourly_profile": [1.2] + [0.5] * 23}, "less than or equal to 1"),
        ({"hourly_profile": [0] + [1.0] * 23}, "greater than 0"),
        ({"duty_cycle": 0.3}, "duty_cycle is now the mean of hourly_profile"),
        ({"days_per_month": 40}, "less than or equal to 31"),
    ],
)
def test_bad_profiles_are_refused(traffic, message):
    with pytest.raises(ValueError, match=message):
        Workload(concurrent_users=1, assumptions={"traffic": traffic})


def test_a_duty_cycle_that_agrees_with_the_profile_round_trips():
    # Files printed by `sizing assumptions` carry the derived duty_cycle: reading them back must work.
    dumped = Workload(concurrent_users=1).assumptions.model_dump(mode="json")
    assert Workload(concurrent_users=1, assumptions=dumped).assumptions.traffic.duty_cycle == 0.5
