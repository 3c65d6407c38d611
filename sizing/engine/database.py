"""DynamoDB capacity from the seed's formulas, priced in both billing modes so the trade-off is visible."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from typing import Literal

from sizing.assumptions import DatabaseAssumptions
from sizing.data.pricing import RegionPrices
from sizing.engine.exact import ceil_scaled, exact
from sizing.engine.limits import TABLE_THROUGHPUT_QUOTA
from sizing.engine.load_profile import LoadProfile
from sizing.plan import AutoScalingRange, CostItem, DatabasePlan, Range

BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
# The table's TTL attribute (stacks/data.py declares it): epoch seconds after which DynamoDB deletes the item, free.
TTL_ATTRIBUTE = "expiresAt"


def _billing_mode(setting: str, on_demand: float, provisioned: float) -> tuple[BillingMode, str]:
    """The cheaper mode on the day's profile, unless the assumptions fix one; ties go to on-demand (no floor to
    outgrow, no scaling lag to absorb a spike)."""
    costs = f"provisioned ${provisioned:,.2f} vs on-demand ${on_demand:,.2f} a month on this load profile"
    if setting == "PROVISIONED":
        return "PROVISIONED", f"set by database.billing_mode ({costs})"
    if setting == "PAY_PER_REQUEST":
        return "PAY_PER_REQUEST", f"set by database.billing_mode ({costs})"
    if provisioned < on_demand:
        return "PROVISIONED", f"provisioned with auto scaling: {costs}"
    return "PAY_PER_REQUEST", (
        f"on-demand: {costs} (the capacity floor and scaling lag cost more than the requests at this load)"
    )


def read_units_per_read(db: DatabaseAssumptions) -> Fraction:
    """One RCU reads 4 KB strongly consistent per second; an eventually consistent read costs half."""
    return _read_units(db.read_item_kb, db.eventually_consistent_reads)


@cache
def _read_units(item_kb: float, eventually_consistent: bool) -> Fraction:
    units = Fraction(math.ceil(exact(item_kb) / 4))
    return units / 2 if eventually_consistent else units


def write_units_per_write(db: DatabaseAssumptions) -> int:
    return math.ceil(exact(db.write_item_kb))


def plan_database(
    concurrent_users: int,
    total_users: int,
    db: DatabaseAssumptions,
    profile: LoadProfile,
    prices: RegionPrices,
) -> tuple[DatabasePlan, list[str]]:
    per_read, per_write = read_units_per_read(db), write_units_per_write(db)
    reads = concurrent_users * db.reads_per_user_per_second
    writes = concurrent_users * db.writes_per_user_per_second
    rcu = max(1, ceil_scaled(concurrent_users, times=(db.reads_per_user_per_second, per_read)))
    wcu = max(1, ceil_scaled(concurrent_users, times=(db.writes_per_user_per_second, per_write)))

    def autoscaling(units: int) -> AutoScalingRange:
        return AutoScalingRange(
            min=max(1, ceil_scaled(units, times=(db.min_capacity_fraction,))),
            max=max(1, ceil_scaled(units, per=(db.target_utilization,))),
        )

    read_scaling, write_scaling = autoscaling(rcu), autoscaling(wcu)
    # Every write is a new item (a message) kept ``retention_days`` by the table's TTL: in the steady state the table
    # holds the days of writes the retention keeps, at the load's average write rate, beside the per-user data.
    per_day_gib = writes * 86_400 * db.write_item_kb / 1024**2 if db.retention_days is not None else 0.0

    def storage_at(load: float) -> float:
        return total_users * db.storage_mib_per_user / 1024 + per_day_gib * load * (db.retention_days or 0)

    storage_gib, storage_gib_max = storage_at(profile.mean), storage_at(1.0)
    # Money is float (rounded to cents); only the capacity units above need exact arithmetic before ceil().
    price, hours = prices.service, profile.hours_per_month
    gb_month = price("dynamodb_storage_gb_month")
    storage = storage_gib * gb_month
    read_units, write_units = reads * float(per_read), writes * per_write
    reads_hourly, writes_hourly, target = read_units * 3600, write_units * 3600, db.target_utilization
    requests_at_peak = (
        (
            reads_hourly * price("dynamodb_on_demand_read_million")
            + writes_hourly * price("dynamodb_on_demand_write_million")
        )
        * hours
        / 1_000_000
    )
    rcu_hour, wcu_hour = price("dynamodb_provisioned_rcu_hour") * hours, price("dynamodb_provisioned_wcu_hour") * hours

    def on_demand(load: float) -> float:
        return requests_at_peak * load + storage_at(load) * gb_month

    def provisioned(load: float) -> float:
        # Target tracking keeps consumed/provisioned near the target, never below the scaling floor.
        rcu_held = max(read_scaling.min, read_units * load / target)
        wcu_held = max(write_scaling.min, write_units * load / target)
        return rcu_held * rcu_hour + wcu_held * wcu_hour + storage_at(load) * gb_month

    def monthly(cost: Callable[[float], float]) -> Range:
        return Range(min=round(cost(profile.mean), 2), max=round(cost(1.0), 2))

    # Over the day: on-demand bills the requests (linear: the mean), provisioned what auto scaling holds each hour,
    # scaling down an hour late (``LoadProfile.lagged``) and never below its floor.
    expected_on_demand = round(on_demand(profile.mean), 2)
    expected_provisioned = round(
        profile.mean_held(read_scaling.min, read_units / target) * rcu_hour
        + profile.mean_held(write_scaling.min, write_units / target) * wcu_hour
        + storage,
        2,
    )
    mode, reason = _billing_mode(db.billing_mode, expected_on_demand, expected_provisioned)
    warnings = [
        f"DynamoDB needs up to {peak:,} {kind} per second, above the default per-table quota of "
        f"{TABLE_THROUGHPUT_QUOTA:,}: request a quota increase or shard the table"
        for kind, peak in (("read units", read_scaling.max), ("write units", write_scaling.max))
        if peak > TABLE_THROUGHPUT_QUOTA
    ]
    plan = DatabasePlan(
        billing_mode=mode,
        reads_per_second=reads,
        writes_per_second=writes,
        read_capacity_units=rcu,
        write_capacity_units=wcu,
        read_autoscaling=read_scaling,
        write_autoscaling=write_scaling,
        storage_gib=round(storage_gib, 2),
        monthly_usd_on_demand=monthly(on_demand),
        monthly_usd_provisioned=monthly(provisioned),
        expected_monthly_usd_on_demand=expected_on_demand,
        expected_monthly_usd_provisioned=expected_provisioned,
        mode_reason=reason,
        retention_days=db.retention_days,
        retained_storage_gib=round(storage_gib - storage_at(0.0), 2),
        storage_gib_max=round(storage_gib_max, 2),
        ttl_attribute=TTL_ATTRIBUTE if db.retention_days is not None else None,
    )
    return plan, warnings


def database_cost_items(plan: DatabasePlan, prices: RegionPrices) -> list[CostItem]:
    """The table in its mode, and its point-in-time recovery (the stack turns it on), billed on the table's size."""
    on_demand = plan.billing_mode == "PAY_PER_REQUEST"
    pitr_gb = prices.service("dynamodb_pitr_gb_month")
    pitr = round(plan.storage_gib * pitr_gb, 2)
    pitr_max = round((plan.storage_gib_max if plan.storage_gib_max is not None else plan.storage_gib) * pitr_gb, 2)
    return [
        CostItem(
            key="dynamodb",
            item=f"DynamoDB ({'on-demand' if on_demand else 'provisioned'})",
            monthly_usd=plan.monthly_usd_on_demand if on_demand else plan.monthly_usd_provisioned,
            expected_monthly_usd=plan.expected_monthly_usd_on_demand
            if on_demand
            else plan.expected_monthly_usd_provisioned,
            source="request, capacity-unit and storage list prices",
        ),
        CostItem(
            key="dynamodb_pitr",
            item="DynamoDB point-in-time recovery",
            monthly_usd={"min": pitr, "max": pitr_max},
            expected_monthly_usd=pitr,
            source="per GB-month list price",
        ),
    ]
