"""Dated on-demand list prices per region: the shipped snapshot (``data/prices.yaml``) or a user's price file.

A price file is keyed region -> {as_of, currency, source, services, ec2_hour, elasticache_hour,
burstable_surplus_vcpu_hour}, and optionally spot_discount and savings_plan_discount (each dated and sourced: they
are estimates of a different kind than list prices), gpu_hour (GPU instance types for a self-hosted model, apart
from the types node selection ranks) and s3_standard_gb_month. A type missing from a region's ``ec2_hour`` (or
``elasticache_hour``) is not offered there, so selection skips it; every other hole is refused at load, since a
missing price would make a plan look free.
"""

from __future__ import annotations

import datetime
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sizing.data.catalog import load_catalog
from sizing.data.packaged_data import read_data
from sizing.errors import SizingError, describe

SERVICES = (
    "eks_cluster_hour",
    "nat_gateway_hour",
    "nat_gateway_gb",
    "nlb_hour",
    "nlb_lcu_hour",
    "ebs_gp3_gb_month",
    "public_ipv4_hour",
    "dynamodb_on_demand_read_million",
    "dynamodb_on_demand_write_million",
    "dynamodb_provisioned_rcu_hour",
    "dynamodb_provisioned_wcu_hour",
    "dynamodb_storage_gb_month",
    "dynamodb_pitr_gb_month",
    "eks_extended_support_hour",
    "kms_key_month",
    "cloudwatch_logs_ingest_gb",
    "cloudwatch_logs_storage_gb_month",
    "data_transfer_cross_az_gb",
    "alb_hour",
    "alb_lcu_hour",
    "waf_web_acl_month",
    "waf_rule_month",
    "waf_request_million",
    "vpc_endpoint_hour",
    "vpc_endpoint_gb",
)
HOURS_PER_MONTH = 730
REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
# Shown wherever prices are missing: the one command that produces them.
REFRESH = "sizing prices refresh --region {region} --output prices.yaml"


Price = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Egress(BaseModel):
    """Internet data transfer out: a free allowance, then tiers of (up to GB a month, USD per GB); the last tier's
    bound is None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    free_gb: float = Field(ge=0)
    tiers: tuple[tuple[float | None, Price], ...]

    @model_validator(mode="after")
    def _ascending_and_open_ended(self) -> Egress:
        bounds = [bound for bound, _ in self.tiers]
        if not bounds or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError("internet_egress tiers must end with one open tier (null bound)")
        closed = [b for b in bounds[:-1] if b is not None]
        if closed != sorted(closed) or len(set(closed)) != len(closed):
            raise ValueError("internet_egress tier bounds must ascend")
        return self

    def monthly_usd(self, gigabytes: float) -> float:
        billable, cost, floor = max(0.0, gigabytes - self.free_gb), 0.0, 0.0
        for bound, per_gb in self.tiers:
            top = billable if bound is None else min(billable, bound)
            if top > floor:
                cost += (top - floor) * per_gb
            if bound is not None:
                floor = bound
        return cost


# AWS's internet egress tiers from EC2 in the US and EU regions (aws.amazon.com/ec2/pricing/on-demand/, "Data
# Transfer OUT From Amazon EC2 To Internet"), after the 100 GB a month every account gets free across services and
# regions since December 2021. A price file without its own internet_egress is priced with these, and says so.
STANDARD_EGRESS = Egress(free_gb=100, tiers=((10_240, 0.09), (51_200, 0.085), (153_600, 0.07), (None, 0.05)))
# ElastiCache for Valkey's node-based clusters are listed 20% below the other engines (aws.amazon.com/elasticache/
# pricing/), in every region.
VALKEY_DISCOUNT = 0.2


Fraction = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
SAVINGS_PLAN_TERMS = ("1y", "3y")


class SpotDiscount(BaseModel):
    """Spot price = on-demand x (1 - the family's discount): Spot prices move with supply and demand, so this is a
    dated estimate, not a list price. A family missing here is never bought as Spot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: str
    source: str
    families: dict[str, float]

    def spot_hour(self, on_demand_hour: float, family: str) -> float:
        return on_demand_hour * (1 - self.families[family])


class SavingsPlanDiscount(BaseModel):
    """Compute Savings Plan (No Upfront) rate as a discount off on-demand, per term: one figure per term for every
    type, the median over the region's types (the rates of individual types may differ from it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: str
    source: str
    terms: dict[str, float]


class RegionPrices(BaseModel):
    """Every price one region's plan needs, so the engine never looks a price up twice or misses one."""

    model_config = ConfigDict(frozen=True)

    region: str
    as_of: str
    currency: str
    source: str
    hours_per_month: float
    services: dict[str, float]
    ec2_hour: dict[str, float]  # a catalog type missing here is not offered in the region
    elasticache_hour: dict[str, float]
    burstable_surplus_vcpu_hour: dict[str, float]  # by family: t3, t3a, t4g
    internet_egress: Egress = STANDARD_EGRESS
    internet_egress_assumed: bool = False  # True: the file had no egress prices for the region (a warning says so)
    elasticache_valkey_discount: float = VALKEY_DISCOUNT
    spot_discount: SpotDiscount | None = None  # None: the price data has no Spot estimate for the region
    savings_plan_discount: SavingsPlanDiscount | None = None  # None: no Savings Plan rates for the region
    gpu_hour: dict[str, float] = {}  # GPU instance types (data/gpu_instances.yaml) for a self-hosted model
    s3_standard_gb_month: float | None = None  # None: the file has no S3 price (the weights line says so)

    def __hash__(self) -> int:
        # The engine caches per-region work keyed by this object; equal prices hash equally, and the dicts (which
        # pydantic's frozen hash cannot hash) take part only in the equality check.
        return hash((self.region, self.as_of, self.currency, self.source, len(self.ec2_hour)))

    def service(self, name: str) -> float:
        return self.services[name]

    def monthly(self, hourly: float) -> float:
        return hourly * self.hours_per_month

    def offers(self, instance_type: str) -> bool:
        return instance_type in self.ec2_hour


class MissingRegion(SizingError):
    """A region the price data does not hold; each edge says how to add it in its own terms."""

    def __init__(self, region: str, origin: str, available: list[str], use: str = "pass --prices prices.yaml") -> None:
        self.region, self.origin, self.available = region, origin, available
        super().__init__(
            f"no price data for region {region!r} in {origin} (which has: {', '.join(available)}); "
            f"fetch it with `{REFRESH.format(region=region)}` and {use}",
            field="region",
        )

    def telling(self, use: str) -> MissingRegion:
        return MissingRegion(self.region, self.origin, self.available, use)


class PriceTable(BaseModel):
    """Prices for a set of regions, from one file."""

    model_config = ConfigDict(frozen=True)

    origin: str  # where the prices came from, for error lines: "the shipped prices" or the file's path
    hours_per_month: float
    regions: dict[str, RegionPrices]

    def region(self, name: str) -> RegionPrices:
        try:
            return self.regions[name]
        except KeyError:
            raise MissingRegion(name, self.origin, list(self.regions)) from None


# --- the file format, validated strictly: one clear line for the first problem --------------------------------------


def _date(value: Any) -> Any:
    # YAML reads an unquoted 2026-02-09 as a date; a quoted one is a string. Both mean the same day.
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        raise ValueError(f"must be a date like 2026-02-09 (got {value!r})")
    return value


AsOf = Annotated[str, BeforeValidator(_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _SpotFile(_Strict):
    as_of: AsOf
    source: str = Field(min_length=1)
    families: dict[str, Annotated[Fraction, Field(strict=False)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _catalog_families(self) -> _SpotFile:
        known = {instance.family for instance in load_catalog().instance_types.values()}
        for family in self.families:
            if family not in known:
                raise ValueError(f"{family!r} is not a catalog instance family (the part before the dot: m6i)")
        return self


class _SavingsPlanFile(_Strict):
    as_of: AsOf
    source: str = Field(min_length=1)
    terms: dict[str, Annotated[Fraction, Field(strict=False)]]

    @model_validator(mode="after")
    def _both_terms(self) -> _SavingsPlanFile:
        if sorted(self.terms) != sorted(SAVINGS_PLAN_TERMS):
            raise ValueError(f"terms must give exactly {' and '.join(SAVINGS_PLAN_TERMS)}")
        return self


class _RegionFile(_Strict):
    as_of: AsOf
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    source: str = Field(min_length=1)
    services: dict[str, Price]
    ec2_hour: dict[str, Price] = Field(min_length=1)
    elasticache_hour: dict[str, Price] = Field(min_length=1)
    burstable_surplus_vcpu_hour: dict[str, Price] = {}
    internet_egress: Annotated[Egress | None, Field(strict=False)] = None
    elasticache_valkey_discount: float = Field(default=VALKEY_DISCOUNT, ge=0, lt=1)
    spot_discount: _SpotFile | None = None
    savings_plan_discount: _SavingsPlanFile | None = None
    gpu_hour: dict[str, Price] = {}
    s3_standard_gb_month: Price | None = None

    @model_validator(mode="after")
    def _gpu_types_known(self) -> _RegionFile:
        # The catalog's names only (its models are built when a self-hosted plan needs them, not on every start).
        known = read_data("gpu_instances.yaml")["instance_types"] if self.gpu_hour else {}
        for name in self.gpu_hour:
            if name not in known:
                raise ValueError(f"gpu_hour: {name!r} is not a GPU instance type (see sizing/data/gpu_instances.yaml)")
        return self

    @model_validator(mode="after")
    def _complete(self) -> _RegionFile:
        catalog = load_catalog()
        missing = [name for name in SERVICES if name not in self.services]
        if missing:
            raise ValueError(f"services lacks {', '.join(missing)}")
        unknown = [name for name in self.services if name not in SERVICES]
        if unknown:
            raise ValueError(f"services has unknown price {unknown[0]!r}; known: {', '.join(SERVICES)}")
        for table, known, what in (
            (self.ec2_hour, catalog.instance_types, "instance type"),
            (self.elasticache_hour, catalog.cache_node_types, "cache node type"),
        ):
            for name in table:
                if name not in known:
                    raise ValueError(f"{name!r} is not a catalog {what} (see sizing/data/catalog.yaml)")
        credits = {
            catalog.instance_types[name].family for name in self.ec2_hour if catalog.instance_types[name].burstable
        }
        missing = sorted(credits - set(self.burstable_surplus_vcpu_hour))
        if missing:
            raise ValueError(f"burstable_surplus_vcpu_hour lacks {', '.join(missing)}, whose types are priced")
        return self


def _region_names(value: Any) -> Any:
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str) or not REGION_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an AWS region name like eu-central-1")
    return value


class _PriceFile(_Strict):
    hours_per_month: float = Field(default=HOURS_PER_MONTH, ge=672, le=744)
    regions: Annotated[dict[str, _RegionFile], BeforeValidator(_region_names)] = Field(min_length=1)


def price_table(data: Any, origin: str) -> PriceTable:
    """Validate a parsed price file; a ``ValidationError`` names the first problem."""
    parsed = _PriceFile.model_validate(data)
    return PriceTable(
        origin=origin,
        hours_per_month=parsed.hours_per_month,
        regions={
            name: RegionPrices(
                region=name,
                hours_per_month=parsed.hours_per_month,
                **{
                    **dict(region),
                    "internet_egress": region.internet_egress or STANDARD_EGRESS,
                    "spot_discount": region.spot_discount and SpotDiscount(**dict(region.spot_discount)),
                    "savings_plan_discount": region.savings_plan_discount
                    and SavingsPlanDiscount(**dict(region.savings_plan_discount)),
                },
                internet_egress_assumed=region.internet_egress is None,
            )
            for name, region in parsed.regions.items()
        },
    )


def load_price_file(path: Path, what: str = "--prices") -> PriceTable:
    """A user's price file (as ``sizing prices refresh`` writes it), or one line saying what is wrong with it."""
    from sizing.inputs import PRICE_FILE, read_mapping

    data = read_mapping(path, what, "a price file (regions: {REGION: {...}})", PRICE_FILE)
    try:
        return price_table(data, str(path))
    except ValidationError as error:
        raise SizingError(f"{what}: {path}: {describe(error)}") from None


@cache
def load_prices() -> PriceTable:
    """The shipped snapshot. A problem here is a bug in the package, so it is raised as is."""
    return price_table(read_data("prices.yaml"), "the shipped prices")


def region_prices(region: str) -> RegionPrices:
    return load_prices().region(region)


def resolve(region: str, prices: PriceTable | RegionPrices | None) -> RegionPrices:
    """The prices a plan for ``region`` uses: the shipped ones unless the caller passes its own."""
    if prices is None:
        return region_prices(region)
    if isinstance(prices, PriceTable):
        return prices.region(region)
    if prices.region != region:
        raise SizingError(f"the prices passed are for {prices.region}, not {region}", field="region")
    return prices


def dump_price_file(regions: dict[str, dict[str, Any]], hours_per_month: float = HOURS_PER_MONTH) -> str:
    """The YAML text of a price file, regions sorted; what ``load_price_file`` reads back."""
    import yaml

    header = (
        '# On-demand list prices per region for `sizing --prices FILE` (format: docs/methodology.md, "Prices and regions").\n'
        "# A catalog type missing from a region's ec2_hour or elasticache_hour is not offered there.\n"
    )
    body = {"hours_per_month": hours_per_month, "regions": {name: regions[name] for name in sorted(regions)}}
    return header + yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=120)


def region_entry(prices: RegionPrices) -> dict[str, Any]:
    """A region's prices as a price file holds them."""
    return prices.model_dump(
        exclude={"region", "hours_per_month", "internet_egress_assumed"}
        | ({"internet_egress"} if prices.internet_egress_assumed else set())
        | {name for name in ("spot_discount", "savings_plan_discount") if getattr(prices, name) is None}
        | ({"gpu_hour"} if not prices.gpu_hour else set())
        | ({"s3_standard_gb_month"} if prices.s3_standard_gb_month is None else set())
    )
