"""One region's current on-demand prices from the AWS Price List Query API (boto3 ``pricing``, ``GetProducts``).

Every price the plan uses is read: EC2 for each catalog instance type (Linux, shared tenancy, no pre-installed
software, used capacity), ElastiCache node types (Redis OSS), burstable CPU credits, DynamoDB, EKS, NAT gateway, NLB,
gp3, public IPv4, KMS, CloudWatch Logs, the ALB and WAF (``waf_price_refresh``), traffic between the region's zones (``AWSDataTransfer``, ``transferType``
"IntraRegion", by ``fromRegionCode`` like egress) and the region's internet egress tiers. A catalog type the API does not list for the region is
"not offered there". Anything the API returns that cannot be read as a price stops the refresh with one line: a price
file is written whole or not at all.

Internet egress (data transfer out to the internet) is listed under the service code ``AWSDataTransfer``: one product
per source region (``transferType`` "AWS Outbound", ``toLocation`` "External", ``fromRegionCode`` the region, usage
type ``<prefix>-DataTransfer-Out-Bytes``, bare ``DataTransfer-Out-Bytes`` in us-east-1) whose on-demand term has one
price dimension per volume tier (``beginRange``, ``endRange`` in GB, "Inf" for the last; today's first tier starts
at 0 GB and is paid: "first 10 TB / month data transfer out beyond the global free tier"). Older offers listed the
same products in the ``AmazonEC2`` offer (product family "Data Transfer", keyed by ``fromLocation``, the region's
long name, only) with a free first tier of their own ("first 1 GB of data transferred out per month"); that form is
read when ``AWSDataTransfer`` has nothing for the region. The free allowance AWS has given every account since
December 2021, 100 GB a month across all services and regions (except China and GovCloud), is not in the regional
product but a product of its own, usage type ``Global-DataTransfer-Out-Bytes`` (``fromLocation`` "Global"), one
dimension from 0 to 100 GB at $0.00, "aggregated globally, each month".

``free_gb`` is therefore that global allowance when the Price List lists it for the region (its dimension applies to
every region unless its ``appliesTo`` names products and none is the region's), plus the regional product's own
leading $0.00 tier if it has one (whose end is then taken off the paid tiers' bounds, which the price file counts
after the free allowance); with neither it is 0, never assumed: the summary line says how many GB are free. Tiers
must run from 0 GB without gap or overlap to one open tier, every one after a free first tier paid: anything else is
a malformed answer (one line, nothing written). A region without any egress product keeps no ``internet_egress`` (the
plan then prices AWS's standard US/EU tiers and warns), and the summary line says so.
The region's Spot discounts and Savings Plan rates come from their own APIs (``discount_refresh``) and never stop it.
The client goes wherever botocore is pointed (``AWS_ENDPOINT_URL_PRICING`` / ``AWS_ENDPOINT_URL``), with bounded
retries and timeouts so an unreachable endpoint fails in seconds, not minutes.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sizing.data.catalog import Catalog, load_catalog
from sizing.data.discount_refresh import savings_block, spot_block
from sizing.data.pricing import Egress, PriceTable, dump_price_file, price_table, region_entry
from sizing.errors import SizingError, describe

# The Price List Query API is served from us-east-1 (and a few others) whatever region's prices it returns.
API_REGION = "us-east-1"
PAGE_SIZE = 100  # the most GetProducts returns per page
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 5, 20
DEFAULT_ATTEMPTS, MAX_ATTEMPTS = 3, 5
WORKERS = 4  # concurrent EC2 queries (one per instance type), gentle on the API's request rate
EC2_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "locationType": "AWS Region",
}
CACHE_FILTERS = {"productFamily": "Cache Instance", "cacheEngine": "Redis", "locationType": "AWS Region"}
INSTALL = "`sizing prices refresh` needs boto3: pip install 'chat-infra[aws]'"


@dataclass(frozen=True)
class Usage:
    """One price of a usage type: the product query that finds it and how to read it."""

    key: str  # in the price file's services (or burstable_surplus_vcpu_hour) table
    service_code: str
    usagetype: str  # after an optional region prefix (USE1-, EUC1-, EU-): NatGateway-Hours
    filters: dict[str, str] = field(default_factory=dict)
    per: float = 1  # price file unit / API unit: 1e6 for a price per million requests
    region_field: str = "regionCode"  # the attribute naming the region (data transfer's is fromRegionCode)


SERVICE_USAGES = (
    Usage("eks_cluster_hour", "AmazonEKS", "AmazonEKS-Hours:perCluster"),
    Usage("nat_gateway_hour", "AmazonEC2", "NatGateway-Hours", {"productFamily": "NAT Gateway"}),
    Usage("nat_gateway_gb", "AmazonEC2", "NatGateway-Bytes", {"productFamily": "NAT Gateway"}),
    Usage("nlb_hour", "AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Network"}),
    Usage("nlb_lcu_hour", "AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Network"}),
    Usage("ebs_gp3_gb_month", "AmazonEC2", "EBS:VolumeUsage.gp3", {"productFamily": "Storage", "volumeApiName": "gp3"}),
    Usage("public_ipv4_hour", "AmazonVPC", "PublicIPv4:InUseAddress"),
    Usage(
        "dynamodb_on_demand_read_million",
        "AmazonDynamoDB",
        "ReadRequestUnits",
        {"productFamily": "Amazon DynamoDB PayPerRequest Throughput"},
        per=1e6,
    ),
    Usage(
        "dynamodb_on_demand_write_million",
        "AmazonDynamoDB",
        "WriteRequestUnits",
        {"productFamily": "Amazon DynamoDB PayPerRequest Throughput"},
        per=1e6,
    ),
    Usage(
        "dynamodb_provisioned_rcu_hour", "AmazonDynamoDB", "ReadCapacityUnit-Hrs", {"productFamily": "Provisioned IOPS"}
    ),
    Usage(
        "dynamodb_provisioned_wcu_hour",
        "AmazonDynamoDB",
        "WriteCapacityUnit-Hrs",
        {"productFamily": "Provisioned IOPS"},
    ),
    Usage("dynamodb_storage_gb_month", "AmazonDynamoDB", "TimedStorage-ByteHrs", {"productFamily": "Database Storage"}),
    Usage("dynamodb_pitr_gb_month", "AmazonDynamoDB", "TimedPITRStorage-ByteHrs"),
    Usage("eks_extended_support_hour", "AmazonEKS", "AmazonEKS-Hours:extendedSupport"),
    Usage("kms_key_month", "awskms", "KMS-Keys"),
    Usage("cloudwatch_logs_ingest_gb", "AmazonCloudWatch", "DataProcessing-Bytes"),
    Usage("cloudwatch_logs_storage_gb_month", "AmazonCloudWatch", "TimedStorage-ByteHrs"),
    # Between zones of a region: an AWSDataTransfer product like internet egress (no regionCode), transferType
    # "IntraRegion", from and to the region (usagetype e.g. EU-DataTransfer-Regional-Bytes), $0.01 a GB each way.
    Usage(
        "data_transfer_cross_az_gb",
        "AWSDataTransfer",
        "DataTransfer-Regional-Bytes",
        {"transferType": "IntraRegion"},
        region_field="fromRegionCode",
    ),
    # The frontend's Application Load Balancer and its WAF web ACL (the request price: waf_price_refresh).
    Usage("alb_hour", "AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Application"}),
    Usage("alb_lcu_hour", "AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Application"}),
    Usage("waf_web_acl_month", "awswaf", "WebACLV2"),
    Usage("waf_rule_month", "awswaf", "RuleV2"),
    # A Bedrock model's interface endpoint (engine/llm_route.py): per endpoint-zone-hour, and per GB processed (a
    # tiered product: the first tier, the first PB a month, is the one read).
    Usage("vpc_endpoint_hour", "AmazonVPC", "VpcEndpoint-Hours", {"productFamily": "VpcEndpoint"}),
    Usage("vpc_endpoint_gb", "AmazonVPC", "VpcEndpoint-Bytes", {"productFamily": "VpcEndpoint"}),
)


def credit_usages(families: Iterable[str]) -> tuple[Usage, ...]:
    """Unlimited-mode surplus credits, per vCPU-hour, of each burstable family."""
    return tuple(
        Usage(family, "AmazonEC2", f"CPUCredits:{family}", {"productFamily": "CPU Credits", "operatingSystem": "Linux"})
        for family in sorted(families)
    )


class Malformed(SizingError):
    """The API answered with something that is not a price list we can read."""


def usagetype_pattern(suffix: str) -> re.Pattern[str]:
    # Region prefixes end in a digit (USE1-, APN1-, EUC2-) except eu-west-1's EU-; requiring that keeps out the
    # look-alike variants IA-ReadRequestUnits (Standard-IA tables) and TS-LoadBalancerUsage (trust stores). KMS names
    # the region by its code instead (eu-central-1-KMS-Keys).
    return re.compile(rf"(?:[A-Z]{{2,4}}[0-9]+-|EU-|[a-z]{{2}}(?:-[a-z]+)+-[0-9]+-)?{re.escape(suffix)}")


# --- reading GetProducts items ------------------------------------------------------------------------------------


def _item(raw: Any, query: str) -> dict[str, Any]:
    """A PriceList entry: a JSON document in a string (botocore may already have parsed it)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Malformed(f"the Price List API answered the {query} with an item that is not JSON") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("product"), dict):
        raise Malformed(f"the Price List API answered the {query} with an item that has no product")
    return raw


def attributes(item: dict[str, Any], query: str) -> dict[str, str]:
    attrs = item["product"].get("attributes")
    if not isinstance(attrs, dict):
        raise Malformed(f"the Price List API answered the {query} with a product without attributes ({_sku(item)})")
    return attrs


def _sku(item: dict[str, Any]) -> str:
    return str(item.get("product", {}).get("sku") or "no sku")


def on_demand_rate(item: dict[str, Any], what: str) -> float:
    """The paid on-demand rate of a product, in USD: the lowest tier that is not free (a free tier comes first)."""
    try:
        terms = item["terms"]["OnDemand"]
        dimensions = [d for term in terms.values() for d in term["priceDimensions"].values()]
        tiers = [d["pricePerUnit"] for d in sorted(dimensions, key=lambda d: float(d.get("beginRange") or 0))]
        currencies = {currency for tier in tiers for currency in tier}
        rates = [float(tier["USD"]) for tier in tiers if "USD" in tier]
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise Malformed(
            f"the Price List API returned {what} ({_sku(item)}) without a readable on-demand price "
            f"({type(error).__name__}: {error})"
        ) from None
    if len(rates) < len(tiers):
        priced_in = ", ".join(sorted(currencies)) or "no currency"
        raise Malformed(f"the Price List API priced {what} ({_sku(item)}) in {priced_in}, not USD")
    paid = [rate for rate in rates if rate > 0]
    if not paid or not all(math.isfinite(rate) and rate >= 0 for rate in rates):
        raise Malformed(f"the Price List API has no paid on-demand rate for {what} ({_sku(item)}): {rates}")
    return paid[0]


def one_price(prices: Iterable[float], what: str) -> float | None:
    """None when nothing matched; two different prices for one thing are a query this module got wrong."""
    found = sorted(set(prices))
    if len(found) > 1:
        raise Malformed(
            f"the Price List API lists {len(found)} different on-demand prices for {what}: "
            f"{', '.join(f'{p:g}' for p in found)}"
        )
    return found[0] if found else None


# --- querying ------------------------------------------------------------------------------------------------------


def _filters(region: str, filters: dict[str, str], region_field: str | None = "regionCode") -> list[dict[str, str]]:
    scope = {region_field: region} if region_field else {}
    return [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in {**scope, **filters}.items()]


def products(
    client: Any,
    service_code: str,
    region: str,
    filters: dict[str, str],
    subject: str,
    region_field: str | None = "regionCode",
) -> Iterator[dict]:
    """Every product matching the filters in the region, page by page; ``subject`` names the query in errors.
    ``region_field``: the attribute naming the region (data transfer's is ``fromRegionCode``); None: the filters
    alone say which products."""
    query = f"{service_code} {subject} query"
    pages = client.get_paginator("get_products").paginate(
        ServiceCode=service_code,
        Filters=_filters(region, filters, region_field),
        FormatVersion="aws_v1",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    for page in pages:
        for raw in page.get("PriceList", []):
            item = _item(raw, query)
            attrs = attributes(item, query)
            # Defensive: only what the filters asked for, whatever an endpoint returns.
            if region_field is None or attrs.get(region_field, region) == region:
                yield item


def usage_prices(client: Any, region: str, usages: Sequence[Usage]) -> dict[str, float]:
    """Prices of usage types, one query per distinct product filter."""
    queries: dict[tuple[str, tuple[tuple[str, str], ...], str], list[Usage]] = {}
    for usage in usages:
        key = (usage.service_code, tuple(sorted(usage.filters.items())), usage.region_field)
        queries.setdefault(key, []).append(usage)
    found: dict[str, list[float]] = {}
    for (service_code, filters, region_field), wanted in queries.items():
        patterns = [(usage, usagetype_pattern(usage.usagetype)) for usage in wanted]
        subject = dict(filters).get("productFamily", "usage")
        for item in products(client, service_code, region, dict(filters), subject, region_field=region_field):
            attrs = item["product"]["attributes"]
            if attrs.get("locationType", "AWS Region") != "AWS Region":
                continue
            for usage, pattern in patterns:
                if pattern.fullmatch(str(attrs.get("usagetype", ""))):
                    rate = on_demand_rate(item, f"{usage.key} ({attrs.get('usagetype')})")
                    found.setdefault(usage.key, []).append(rate * usage.per)
    return {
        usage.key: price
        for usage in usages
        if (price := one_price(found.get(usage.key, []), f"{usage.key} in {region}")) is not None
    }


def require(prices: dict[str, float], usages: Iterable[Usage], region: str) -> dict[str, float]:
    for usage in usages:
        if usage.key not in prices:
            raise Malformed(
                f"the Price List API has no {usage.usagetype} price ({usage.service_code}) for {region}, "
                f"needed for {usage.key}"
            )
    return prices


def instance_price(client: Any, region: str, instance_type: str) -> float | None:
    rates = [
        on_demand_rate(item, f"{instance_type} in {region}")
        for item in products(client, "AmazonEC2", region, {**EC2_FILTERS, "instanceType": instance_type}, instance_type)
        if item["product"]["attributes"].get("instanceType") == instance_type
    ]
    return one_price(rates, f"{instance_type} in {region}")


def cache_prices(client: Any, region: str, catalog: Catalog) -> dict[str, float]:
    rates: dict[str, list[float]] = {}
    for item in products(client, "AmazonElastiCache", region, CACHE_FILTERS, "Cache Instance"):
        node = item["product"]["attributes"].get("instanceType")
        if node in catalog.cache_node_types:
            rates.setdefault(node, []).append(on_demand_rate(item, f"{node} in {region}"))
    return {
        node: price
        for node in catalog.cache_node_types
        if (price := one_price(rates.get(node, []), f"{node} in {region}")) is not None
    }


def ec2_prices(client: Any, region: str, catalog: Catalog) -> dict[str, float]:
    return instance_prices(client, region, list(catalog.instance_types))


def gpu_prices(client: Any, region: str) -> dict[str, float]:
    """The GPU instance types a self-hosted model may run on (``data/gpu_instances.yaml``), queried as EC2 types."""
    from sizing.selfhosted.catalog import load_gpu_catalog

    return instance_prices(client, region, list(load_gpu_catalog().instance_types))


def instance_prices(client: Any, region: str, names: list[str]) -> dict[str, float]:
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    try:
        prices = list(pool.map(lambda name: instance_price(client, region, name), names))
    finally:
        # On the first failure, drop the queries not yet started instead of waiting for them.
        pool.shutdown(wait=True, cancel_futures=True)
    return {name: price for name, price in zip(names, prices, strict=True) if price is not None}


# --- internet egress -----------------------------------------------------------------------------------------------
# How AWS lists it (the module docstring has the whole picture). Read from public copies of the offer files and of code
# written against them, since the Price List itself cannot be reached from here:
# - AWSDataTransfer products carry fromRegionCode / toRegionCode, no regionCode; the region's internet egress product
#   is transferType "AWS Outbound", toLocation "External" (toLocationType "Other"), usage type "<prefix>-DataTransfer-
#   Out-Bytes", with tiers 0-10240, 10240-51200, 51200-153600, 153600-Inf GB (the eu-west-1, us-east-1 and me-south-1
#   offers of 2026, e.g. $0.09 / 0.085 / 0.07 / 0.05 in us-east-1 and $0.117 / 0.1105 / 0.091 / 0.065 in me-south-1);
# - the free allowance is usage type Global-DataTransfer-Out-Bytes (fromLocation "Global"), one dimension 0-100 GB at
#   $0.00: "$0 for 100GB of data transfer out to the internet, aggregated globally, each month" (sa-east-1 offer of
#   2026-09), whose appliesTo names the regional products it covers; bills call the paid first tier "first 10 TB /
#   month data transfer out beyond the global free tier";
# - 2016-17 AmazonEC2 offers held Data Transfer products (servicecode attribute "AWSDataTransfer") keyed by
#   fromLocation / toLocation long names only, and bills of that time show a free first tier per region ("$0.000 per
#   GB - first 1 GB of data transferred out per month", APN1-DataTransfer-Out-Bytes).
EGRESS_FILTERS = {"transferType": "AWS Outbound", "toLocation": "External"}
EGRESS_USAGETYPE = "DataTransfer-Out-Bytes"  # after the region prefix; the pattern keeps out "Global-"
FREE_EGRESS_USAGETYPE = "Global-DataTransfer-Out-Bytes"


@dataclass(frozen=True)
class Tier:
    """One price dimension of an egress product: from ``begin`` GB up to ``end`` GB (None: no end), USD per GB."""

    begin: float
    end: float | None
    usd: float


def _gigabytes(text: Any, what: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} {text!r} is not a number of GB")
    return value


def dimension_tiers(item: dict[str, Any], what: str) -> list[Tier]:
    """Every on-demand price dimension of a product as a tier, ascending by where it begins."""
    try:
        terms = item["terms"]["OnDemand"]
        dimensions = [d for term in terms.values() for d in term["priceDimensions"].values()]
        tiers = []
        for d in dimensions:
            if str(d.get("unit", "GB")).upper() != "GB":
                raise ValueError(f"priced per {d['unit']!r}, not per GB")
            if "USD" not in d["pricePerUnit"]:
                priced_in = ", ".join(sorted(d["pricePerUnit"])) or "no currency"
                raise Malformed(f"the Price List API priced {what} ({_sku(item)}) in {priced_in}, not USD")
            end = None if str(d["endRange"]) == "Inf" else _gigabytes(d["endRange"], "endRange")
            tiers.append(Tier(_gigabytes(d["beginRange"], "beginRange"), end, float(d["pricePerUnit"]["USD"])))
    except Malformed:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise Malformed(
            f"the Price List API returned {what} ({_sku(item)}) without readable on-demand tiers "
            f"({type(error).__name__}: {error})"
        ) from None
    return sorted(tiers, key=lambda tier: tier.begin)


def _listed(tiers: Iterable[Tier]) -> str:
    return ", ".join(f"{t.begin:g}-{'Inf' if t.end is None else f'{t.end:g}'} GB at {t.usd:g}" for t in tiers) or "none"


def egress_tiers(item: dict[str, Any], what: str) -> tuple[float, tuple[tuple[float | None, float], ...]]:
    """A regional egress product's tiers: its own free GB (a leading $0.00 tier, as older offers had) and the paid
    tiers as the price file holds them, (up to GB after the free ones, USD per GB), the last one open."""
    tiers = dimension_tiers(item, what)

    def bad(why: str) -> Malformed:
        return Malformed(f"the Price List API lists {what} ({_sku(item)}) with {why}: {_listed(tiers)}")

    for tier in tiers:
        if tier.end is not None and tier.end <= tier.begin:
            raise bad(f"a tier ending at {tier.end:g} GB, not above its beginning ({tier.begin:g} GB)")
        if not math.isfinite(tier.usd) or tier.usd < 0:
            raise bad(f"a price of {tier.usd:g} USD per GB")
    open_tiers = sum(tier.end is None for tier in tiers)
    if open_tiers != 1:
        raise bad(f"{open_tiers} open-ended tiers (one, the last, is expected)")
    floor: float | None = 0.0
    for tier in tiers:
        if floor is None:
            raise bad(f"a tier beginning at {tier.begin:g} GB, after the open-ended one")
        if tier.begin != floor:
            raise bad(f"a tier beginning at {tier.begin:g} GB where {floor:g} GB was expected (a gap or an overlap)")
        floor = tier.end
    # A free first tier (older offers: "first 1 GB ... per month") is free GB; the later bounds count after it.
    leading_free = tiers[0].usd == 0 and tiers[0].end is not None
    free = tiers[0].end or 0.0 if leading_free else 0.0
    paid = tiers[1:] if leading_free else tiers
    if any(tier.usd == 0 for tier in paid):
        raise bad("a tier at $0.00 other than a free first one")
    return free, tuple((None if t.end is None else t.end - free, t.usd) for t in paid)


def free_allowance(client: Any, region: str, skus: set[str]) -> float | None:
    """The global free egress allowance in GB, if the Price List lists one that covers one of ``skus`` (the region's
    egress products); None if it lists none."""
    what = "the global free internet egress allowance"
    found: set[float] = set()
    filters = {**EGRESS_FILTERS, "usagetype": FREE_EGRESS_USAGETYPE}
    for item in products(client, "AWSDataTransfer", region, filters, "free egress", region_field=None):
        try:
            dimensions = [d for t in item["terms"]["OnDemand"].values() for d in t["priceDimensions"].values()]
            applies = [d for d in dimensions if not d.get("appliesTo") or skus & set(d["appliesTo"])]
        except (KeyError, TypeError, AttributeError) as error:
            raise Malformed(
                f"the Price List API returned {what} ({_sku(item)}) without readable on-demand terms "
                f"({type(error).__name__}: {error})"
            ) from None
        if not applies:
            continue  # an allowance for other regions' products (none for China and GovCloud)
        tiers = dimension_tiers(item, what)
        if len(tiers) != 1 or tiers[0].begin != 0 or tiers[0].end is None or tiers[0].usd != 0:
            raise Malformed(
                f"the Price List API lists {what} ({_sku(item)}) as something other than 0 to N GB at $0.00: "
                f"{_listed(tiers)}"
            )
        found.add(tiers[0].end)
    if len(found) > 1:
        raise Malformed(
            f"the Price List API lists {len(found)} different free internet egress allowances: {sorted(found)}"
        )
    return found.pop() if found else None


def region_location(client: Any, region: str) -> str | None:
    """The region's long name as the Price List spells it (Asia Pacific (Tokyo)), from its NAT gateway products."""
    for item in products(client, "AmazonEC2", region, {"productFamily": "NAT Gateway"}, "NAT Gateway"):
        location = item["product"]["attributes"].get("location")
        if location:
            return str(location)
    return None


def egress_products(client: Any, region: str) -> tuple[list[dict[str, Any]], str]:
    """The region's internet egress products and the service code that lists them: AWSDataTransfer (today's offers),
    else AmazonEC2's Data Transfer family under the region's long name (older offers)."""
    pattern = usagetype_pattern(EGRESS_USAGETYPE)

    def egress(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            item
            for item in items
            if pattern.fullmatch(str(item["product"]["attributes"].get("usagetype", "")))
            and all(item["product"]["attributes"].get(name) == value for name, value in EGRESS_FILTERS.items())
        ]

    found = egress(
        products(client, "AWSDataTransfer", region, EGRESS_FILTERS, "internet egress", region_field="fromRegionCode")
    )
    if found:
        return found, "AWSDataTransfer"
    location = region_location(client, region)
    if location is None:
        return [], "AWSDataTransfer"
    older = {"productFamily": "Data Transfer", **EGRESS_FILTERS, "fromLocation": location}
    return egress(products(client, "AmazonEC2", region, older, "Data Transfer", region_field=None)), "AmazonEC2"


def egress_block(client: Any, region: str) -> tuple[dict[str, Any] | None, str]:
    """The price file's internet_egress for the region (free_gb and tiers), and what to say about it; None when the
    Price List has no egress product for the region (the plan then prices AWS's standard US/EU tiers and warns)."""
    items, service_code = egress_products(client, region)
    if not items:
        return None, (
            "internet egress: none in the Price List (the plan prices AWS's standard US/EU tiers and says so)"
        )
    what = f"internet egress from {region}"
    tables = {egress_tiers(item, what) for item in items}
    if len(tables) > 1:
        raise Malformed(
            f"the Price List API lists {len(tables)} different tier tables for {what}: "
            + ", ".join(sorted(_sku(item) for item in items))
        )
    from pydantic import ValidationError

    own_free, tiers = tables.pop()
    allowance = free_allowance(client, region, {_sku(item) for item in items})
    free_gb = own_free + (allowance or 0)
    try:
        egress = Egress(free_gb=free_gb, tiers=tiers)
    except ValidationError as error:
        raise Malformed(f"the Price List API's {what} is not a valid tier table: {describe(error)}") from None
    allowed = f"{free_gb:g} GB free" if free_gb else "0 GB free (the Price List has no free allowance for it)"
    return egress.model_dump(mode="json"), f"internet egress: {len(tiers)} tiers from {service_code}, {allowed}"


# --- the command's entry point -------------------------------------------------------------------------------------


def attempts() -> int:
    """Total tries per request: AWS_MAX_ATTEMPTS when set (as botocore reads it), else 3; never more than 5."""
    text = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not text:
        return DEFAULT_ATTEMPTS
    if not text.isdigit() or not 1 <= int(text) <= MAX_ATTEMPTS:
        raise SizingError(f"AWS_MAX_ATTEMPTS: must be a whole number from 1 to {MAX_ATTEMPTS} (got {text!r})")
    return int(text)


def aws_client(service: str, region: str) -> Any:
    """A client with the refresh's bounded timeouts and retries, wherever botocore is pointed
    (``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise SizingError(INSTALL) from None
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "total_max_attempts": attempts()},
        max_pool_connections=WORKERS,
    )
    return boto3.session.Session().client(service, region_name=region, config=config)


def pricing_client() -> Any:
    return aws_client("pricing", API_REGION)


def fetch_region(
    region: str,
    client: Any | None = None,
    catalog: Catalog | None = None,
    existing: dict[str, Any] | None = None,
    ec2_client: Callable[[], Any] | None = None,
    savings_client: Callable[[], Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The price-file entry of ``region`` (as_of, currency, source, the four price tables, the internet egress tiers
    when the Price List has them, and the Spot discounts and Savings Plan rates when they can be had), or one line
    saying why not; and notes on the egress tiers and the discounts.

    ``existing``: the region's entry in the file being refreshed, whose discounts are kept when their APIs do not
    answer."""
    catalog = catalog or load_catalog()
    client = client or pricing_client()
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from sizing.data.waf_price_refresh import waf_request_price

    endpoint = getattr(getattr(client, "meta", None), "endpoint_url", "the Price List API")
    read_at = datetime.datetime.now(datetime.UTC)
    burstable = {t.family for t in catalog.instance_types.values() if t.burstable}
    try:
        services = usage_prices(client, region, SERVICE_USAGES)
        if not services:
            raise SizingError(
                f"--region: the Price List API has no prices for {region!r}; check the region name (e.g. eu-central-1)"
            )
        require(services, SERVICE_USAGES, region)
        services.update(waf_request_price(client, region))
        # The Price List lists EKS extended support as the surcharge billed beside the standard cluster-hour; the
        # price file's field is the whole hour a cluster in extended support pays.
        services["eks_extended_support_hour"] = round(
            services["eks_extended_support_hour"] + services["eks_cluster_hour"], 10
        )
        egress, egress_note = egress_block(client, region)
        ec2 = ec2_prices(client, region, catalog)
        if not ec2:
            raise SizingError(
                f"the Price List API lists none of the catalog's instance types in {region}; the plan "
                "cannot be priced there"
            )
        offered_burstable = credit_usages({catalog.instance_types[name].family for name in ec2} & burstable)
        credits = require(usage_prices(client, region, offered_burstable), offered_burstable, region)
        cache = cache_prices(client, region, catalog)
        gpu = gpu_prices(client, region)
        if not cache:
            raise SizingError(
                f"the Price List API lists no ElastiCache (Redis OSS) node type of the catalog in "
                f"{region}; the plan cannot be priced there"
            )
    except NoCredentialsError:
        raise SizingError(
            "no AWS credentials found: the Price List API needs any signed-in identity (set AWS_PROFILE "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except ClientError as error:
        info = error.response.get("Error", {})
        code, message = info.get("Code") or "error", info.get("Message") or str(error)
        raise SizingError(f"the Price List API at {endpoint} refused the request: {code}: {message}") from None
    except BotoCoreError as error:
        raise SizingError(f"cannot read the Price List API at {endpoint}: {error}") from None
    entry = {
        "as_of": read_at.date().isoformat(),
        "currency": "USD",
        "source": f"AWS Price List Query API (GetProducts at {endpoint}), read {read_at:%Y-%m-%dT%H:%M:%SZ}",
        "services": services,
        "burstable_surplus_vcpu_hour": credits,
        "ec2_hour": ec2,
        "elasticache_hour": cache,
        **({"internet_egress": egress} if egress is not None else {}),
        **({"gpu_hour": gpu} if gpu else {}),
        # Not read from the Price List (yet): the S3 price the file being refreshed had, if any.
        **(
            {"s3_standard_gb_month": existing["s3_standard_gb_month"]}
            if existing and "s3_standard_gb_month" in existing
            else {}
        ),
    }
    spot, spot_note = spot_block(
        ec2_client or (lambda: aws_client("ec2", region)), region, ec2, catalog, existing, read_at
    )
    savings, savings_note = savings_block(
        savings_client or (lambda: aws_client("savingsplans", API_REGION)), region, ec2, existing, read_at
    )
    entry.update(
        {
            key: value
            for key, value in (("spot_discount", spot), ("savings_plan_discount", savings))
            if value is not None
        }
    )
    from sizing.selfhosted.catalog import load_gpu_catalog

    gpu_note = f"{len(gpu)} of {len(load_gpu_catalog().instance_types)} GPU instance types offered"
    return entry, [egress_note, gpu_note, spot_note, savings_note]


def refreshed_file(region: str, existing: PriceTable | None = None, client: Any | None = None) -> tuple[str, str]:
    """The text of the price file to write (``existing``'s other regions kept) and a one-line summary."""
    import yaml
    from pydantic import ValidationError

    regions = {name: region_entry(prices) for name, prices in existing.regions.items()} if existing else {}
    entry, notes = fetch_region(region, client, existing=regions.get(region))
    regions[region] = entry
    text = dump_price_file(regions, *([existing.hours_per_month] if existing else []))
    try:
        price_table(yaml.safe_load(text), "the refreshed prices")  # what is written must load back
    except ValidationError as error:
        raise Malformed(
            f"the Price List API's prices for {region} do not make a valid price file: {describe(error)}"
        ) from None
    offered = len(entry["ec2_hour"])
    return text, (
        f"{region}: {offered} of {len(load_catalog().instance_types)} catalog instance types offered, "
        f"prices as of {entry['as_of']}; {'; '.join(notes)}"
    )
