"""Dated on-demand list prices per region, loaded from ``data/prices.yaml``."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, model_validator

from sizing.catalog import load_catalog, read_yaml
from sizing.errors import SizingError

SERVICES = (
    "eks_cluster_hour",
    "nat_gateway_hour",
    "nat_gateway_gb",
    "nlb_hour",
    "nlb_lcu_hour",
    "ebs_gp3_gb_month",
    "dynamodb_on_demand_read_million",
    "dynamodb_on_demand_write_million",
    "dynamodb_provisioned_rcu_hour",
    "dynamodb_provisioned_wcu_hour",
    "dynamodb_storage_gb_month",
    "elasticache_valkey_discount",
)


class Egress(BaseModel):
    """Internet data transfer out: a free allowance, then tiers of (up to GB a month, USD per GB); the last tier's
    bound is None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    free_gb: float
    tiers: tuple[tuple[float | None, float], ...]

    @model_validator(mode="after")
    def _ascending_and_open_ended(self) -> Egress:
        bounds = [bound for bound, _ in self.tiers]
        if not bounds or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError("internet_egress tiers must end with one open tier (null bound)")
        if bounds[:-1] != sorted(bounds[:-1]):  # type: ignore[type-var]
            raise ValueError("internet_egress tier bounds must ascend")
        return self

    def monthly_usd(self, gigabytes: float) -> float:
        billable, cost, floor = max(0.0, gigabytes - self.free_gb), 0.0, 0.0
        for bound, per_gb in self.tiers:
            top = billable if bound is None else min(billable, bound)
            if top > floor:
                cost += (top - floor) * per_gb
            floor = bound if bound is not None else floor
        return cost


class RegionPrices(BaseModel):
    """Every price one region's plan needs, so the engine never looks a price up twice or misses one."""

    model_config = ConfigDict(frozen=True)

    region: str
    as_of: str
    hours_per_month: float
    services: dict[str, float]
    ec2_hour: dict[str, float]
    elasticache_hour: dict[str, float]
    burstable_surplus_vcpu_hour: dict[str, float]  # by family: t3, t3a, t4g
    internet_egress: Egress

    def __hash__(self) -> int:
        # By identity: the engine caches per-price-table work, and a table passed in is never mutated (frozen).
        return id(self)

    def service(self, name: str) -> float:
        return self.services[name]

    def monthly(self, hourly: float) -> float:
        return hourly * self.hours_per_month


class PriceTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: str
    currency: str
    hours_per_month: float
    regions: tuple[str, ...]
    services: dict[str, dict[str, float]]
    ec2_hour: dict[str, dict[str, float]]
    elasticache_hour: dict[str, dict[str, float]]
    burstable_surplus_vcpu_hour: dict[str, dict[str, float]]
    internet_egress: dict[str, Egress]

    def __hash__(self) -> int:
        return id(self)

    @model_validator(mode="after")
    def _complete(self) -> PriceTable:
        # A hole in the table would make a type look free; refuse to load rather than under-price a plan.
        catalog = load_catalog()
        missing_services = set(SERVICES) - set(self.services)
        if missing_services:
            raise ValueError(f"prices.yaml lacks services {sorted(missing_services)}")
        for table, names in (
            (self.ec2_hour, catalog.instance_types),
            (self.elasticache_hour, catalog.cache_node_types),
            (self.services, SERVICES),
            (self.burstable_surplus_vcpu_hour, {t.family for t in catalog.instance_types.values() if t.burstable}),
            ({"internet_egress": self.internet_egress}, ("internet_egress",)),
        ):
            for name in names:
                row = table.get(name)
                if row is None:
                    raise ValueError(f"prices.yaml has no price for {name}")
                absent = set(self.regions) - set(row)
                if absent:
                    raise ValueError(f"prices.yaml has no {sorted(absent)} price for {name}")
        return self



@cache
def region_prices(region: str, table: PriceTable | None = None) -> RegionPrices:
    """One region's prices from ``table`` (default: the shipped snapshot)."""
    table = table or load_prices()
    if region not in table.regions:
        raise SizingError(f"unsupported region {region!r}; supported: {', '.join(table.regions)}", field="region")
    return RegionPrices(
        region=region,
        as_of=table.as_of,
        hours_per_month=table.hours_per_month,
        services={k: v[region] for k, v in table.services.items()},
        ec2_hour={k: v[region] for k, v in table.ec2_hour.items()},
        elasticache_hour={k: v[region] for k, v in table.elasticache_hour.items()},
        burstable_surplus_vcpu_hour={k: v[region] for k, v in table.burstable_surplus_vcpu_hour.items()},
        internet_egress=table.internet_egress[region],
    )


@cache
def load_prices() -> PriceTable:
    raw = read_yaml("prices.yaml")
    raw["as_of"] = str(raw["as_of"])
    return PriceTable.model_validate(raw)

