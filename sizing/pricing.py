"""Dated on-demand list prices per region, loaded from ``data/prices.yaml``."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, model_validator

from sizing.catalog import Catalog, load_catalog, read_yaml
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
)


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

    def __hash__(self) -> int:
        return id(self)

    @model_validator(mode="after")
    def _complete(self) -> PriceTable:
        # A hole in the table would make a type look free; refuse to load rather than under-price a plan.
        missing_services = set(SERVICES) - set(self.services)
        if missing_services:
            raise ValueError(f"prices.yaml lacks services {sorted(missing_services)}")
        for table in (self.ec2_hour, self.elasticache_hour, self.services, self.burstable_surplus_vcpu_hour):
            for name, row in table.items():
                absent = set(self.regions) - set(row)
                if absent:
                    raise ValueError(f"prices.yaml has no {sorted(absent)} price for {name}")
        return self


@cache
def check_prices_cover(table: PriceTable, catalog: Catalog) -> None:
    """Every type ``catalog`` offers has a price in ``table``: checked against the catalog in use (the shipped one at
    load, a test's own one in ``calculate``), so a small table can price a small catalog."""
    for prices, names in (
        (table.ec2_hour, catalog.instance_types),
        (table.elasticache_hour, catalog.cache_node_types),
        (table.burstable_surplus_vcpu_hour, {t.family for t in catalog.instance_types.values() if t.burstable}),
    ):
        for name in names:
            if name not in prices:
                raise ValueError(f"prices.yaml has no price for {name}")


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
    )


@cache
def load_prices() -> PriceTable:
    raw = read_yaml("prices.yaml")
    raw["as_of"] = str(raw["as_of"])
    table = PriceTable.model_validate(raw)
    check_prices_cover(table, load_catalog())
    return table

