"""Spot discounts and Savings Plan rates for a refreshed price file: estimates read beside the list prices.

Spot: per family, 1 - the median over the family's offered types of (the type's median Spot price over the last
day, all Availability Zones / its on-demand price), from EC2 ``DescribeSpotPriceHistory`` (Linux/UNIX). Savings
Plans: per term, 1 - the median over the catalog's offered types of (Compute Savings Plan No Upfront rate /
on-demand), from the Savings Plans API ``DescribeSavingsPlansOfferingRates``.

Neither may stop a refresh: the on-demand prices are the price file, these refine two options. When an API does not
answer (no access, an endpoint down, an answer that cannot be read) the refresh keeps what it had, with its own date
and source: the existing file's values for the region, else the shipped snapshot's, and says so in its summary.
"""

from __future__ import annotations

import datetime
import re
import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sizing.data.catalog import Catalog
from sizing.data.pricing import SAVINGS_PLAN_TERMS, load_prices

SPOT_WINDOW = datetime.timedelta(days=1)
SPOT_PRODUCT = "Linux/UNIX"
SPOT_PAGE_SIZE = 1000
SNAPSHOT_REGION = "us-east-1"  # whose shipped Spot discounts stand in for a region the snapshot lacks
TERM_SECONDS = {31_536_000: "1y", 94_608_000: "3y"}
SAVINGS_PAGE_SIZE = 1000


class Unreadable(Exception):
    """An answer that is not what the API documents: the estimate falls back instead of guessing."""


def _endpoint(client: Any, what: str) -> str:
    return getattr(getattr(client, "meta", None), "endpoint_url", None) or what


def optional_errors() -> tuple[type[Exception], ...]:
    """What an optional source may fail with: the SDK's errors and an answer that cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    return BotoCoreError, ClientError, Unreadable, KeyError, TypeError, ValueError, AttributeError


def _why(error: Exception) -> str:
    info = getattr(error, "response", {}).get("Error", {}) if hasattr(error, "response") else {}
    if info:
        return f"{info.get('Code') or 'error'}: {info.get('Message') or error}"
    return str(error) or type(error).__name__


# --- Spot ----------------------------------------------------------------------------------------------------------


def family_spot_discount(
    client: Any, types: list[str], ec2_hour: dict[str, float], now: datetime.datetime
) -> float | None:
    """None when no type of the family has Spot history in the window (not sold as Spot there, or not now)."""
    points: dict[str, list[float]] = {}
    pages = client.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=types,
        ProductDescriptions=[SPOT_PRODUCT],
        StartTime=now - SPOT_WINDOW,
        EndTime=now,
        PaginationConfig={"PageSize": SPOT_PAGE_SIZE},
    )
    for page in pages:
        for item in page.get("SpotPriceHistory", []):
            name = item.get("InstanceType")
            if name not in ec2_hour or item.get("ProductDescription", SPOT_PRODUCT) != SPOT_PRODUCT:
                continue
            try:
                price = float(item["SpotPrice"])
            except (KeyError, TypeError, ValueError):
                raise Unreadable(f"a Spot price of {name} is not a number ({item.get('SpotPrice')!r})") from None
            if not price > 0 or price != price:
                raise Unreadable(f"a Spot price of {name} is not positive ({price})")
            points.setdefault(name, []).append(price)
    if not points:
        return None
    ratio = statistics.median(statistics.median(found) / ec2_hour[name] for name, found in points.items())
    return round(min(max(0.0, 1 - ratio), 0.99), 3)


def spot_discounts(
    client: Any, ec2_hour: dict[str, float], catalog: Catalog, now: datetime.datetime, workers: int = 4
) -> dict[str, float]:
    """Families with Spot history in the last day; the first family is asked alone, so an API that does not answer
    costs one request (and its retries), not one per family."""
    families: dict[str, list[str]] = {}
    for name in ec2_hour:
        families.setdefault(catalog.instance(name).family, []).append(name)
    order = sorted(families)
    if not order:
        return {}
    found = {order[0]: family_spot_discount(client, families[order[0]], ec2_hour, now)}
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        rest = list(pool.map(lambda f: family_spot_discount(client, families[f], ec2_hour, now), order[1:]))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    found.update(zip(order[1:], rest, strict=True))
    return {family: discount for family, discount in found.items() if discount is not None}


def snapshot_spot(region: str, existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a refresh falls back to: the file's own values for the region, else the shipped ones (another region's
    if the snapshot lacks this one, and the source says whose)."""
    if existing and existing.get("spot_discount"):
        return dict(existing["spot_discount"])
    shipped = load_prices().regions
    own = shipped[region].spot_discount if region in shipped else None
    if own is not None:
        return own.model_dump()
    spot = shipped[SNAPSHOT_REGION].spot_discount
    if spot is None:
        return None
    block = spot.model_dump()
    block["source"] = f"{SNAPSHOT_REGION}'s values, not {region}'s: {block['source']}"
    return block


def spot_block(
    client_factory: Callable[[], Any],
    region: str,
    ec2_hour: dict[str, float],
    catalog: Catalog,
    existing: dict[str, Any] | None,
    read_at: datetime.datetime,
) -> tuple[dict[str, Any] | None, str]:
    """The price file's spot_discount for the region, and what to say about it."""
    offered = {catalog.instance(name).family for name in ec2_hour}
    snapshot = snapshot_spot(region, existing)
    try:
        client = client_factory()
        fresh = spot_discounts(client, ec2_hour, catalog, read_at)
    except optional_errors() as error:
        if snapshot is None:
            return None, f"Spot discounts: none (EC2 Spot price history unavailable: {_why(error)})"
        kept = {f: d for f, d in snapshot["families"].items() if f in offered}
        return (
            {**snapshot, "families": kept} if kept else None,
            f"Spot discounts kept as of {snapshot['as_of']} (EC2 Spot price history unavailable: {_why(error)})",
        )
    source = (
        f"EC2 Spot price history (DescribeSpotPriceHistory at {_endpoint(client, 'EC2')}, {SPOT_PRODUCT}, "
        f"the last day) read {read_at:%Y-%m-%dT%H:%M:%SZ}: 1 - median over the family's types of median Spot "
        "/ on-demand"
    )
    missing = sorted(offered - set(fresh))
    kept = {f: snapshot["families"][f] for f in missing if f in snapshot["families"]} if snapshot else {}
    if not kept or snapshot is None:
        return (
            {"as_of": read_at.date().isoformat(), "source": source, "families": dict(sorted(fresh.items()))},
            f"Spot discounts for {len(fresh)} families from the EC2 Spot price history",
        )
    return (
        {
            "as_of": snapshot["as_of"],  # the oldest date of the values in the table
            "source": f"{source}; {', '.join(kept)} without history there, kept from: {snapshot['source']}",
            "families": dict(sorted({**fresh, **kept}.items())),
        },
        f"Spot discounts for {len(fresh)} families from the EC2 Spot price history, {len(kept)} kept as of "
        f"{snapshot['as_of']}",
    )


# --- Savings Plans -------------------------------------------------------------------------------------------------


def _box_usage(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?:[A-Z]{{2,4}}[0-9]*-)?BoxUsage:{re.escape(name)}")


def savings_plan_rates(client: Any, region: str, ec2_hour: dict[str, float]) -> dict[str, float]:
    """Per term, 1 - the median of the Compute Savings Plan No Upfront rate / on-demand over the offered types."""
    rates: dict[str, dict[str, float]] = {term: {} for term in SAVINGS_PLAN_TERMS}
    token = None
    for _ in range(1000):  # pages; a token that never ends is an endpoint fault, not a reason to loop forever
        answer = client.describe_savings_plans_offering_rates(
            savingsPlanTypes=["Compute"],
            savingsPlanPaymentOptions=["No Upfront"],
            products=["EC2"],
            serviceCodes=["AmazonEC2"],
            maxResults=SAVINGS_PAGE_SIZE,
            filters=[
                {"name": "region", "values": [region]},
                {"name": "productDescription", "values": ["Linux/UNIX"]},
                {"name": "tenancy", "values": ["shared"]},
            ],
            **({"nextToken": token} if token else {}),
        )
        for result in answer.get("searchResults", []):
            properties = {p.get("name"): p.get("value") for p in result.get("properties", [])}
            name = properties.get("instanceType")
            term = TERM_SECONDS.get(int((result.get("savingsPlanOffering") or {}).get("durationSeconds") or 0))
            if (
                name not in ec2_hour
                or term is None
                or properties.get("region", region) != region
                or properties.get("productDescription", "Linux/UNIX") != "Linux/UNIX"
                or properties.get("tenancy", "shared") != "shared"
                or not _box_usage(name).fullmatch(str(result.get("usageType", f"BoxUsage:{name}")))
            ):
                continue
            try:
                rate = float(result["rate"])
            except (KeyError, TypeError, ValueError):
                raise Unreadable(f"the Savings Plan rate of {name} is not a number ({result.get('rate')!r})") from None
            if not 0 < rate <= ec2_hour[name] * 1.0001:
                raise Unreadable(f"the Savings Plan rate of {name} ({rate}) is not a discount on {ec2_hour[name]}")
            rates[term][name] = rate
        token = answer.get("nextToken")
        if not token:
            break
    missing = [term for term in SAVINGS_PLAN_TERMS if not rates[term]]
    if missing:
        raise Unreadable(f"no Compute Savings Plan rate for the {' or '.join(missing)} term in {region}")
    return {
        term: round(1 - statistics.median(rate / ec2_hour[name] for name, rate in found.items()), 3)
        for term, found in rates.items()
    }


def savings_block(
    client_factory: Callable[[], Any],
    region: str,
    ec2_hour: dict[str, float],
    existing: dict[str, Any] | None,
    read_at: datetime.datetime,
) -> tuple[dict[str, Any] | None, str]:
    kept = dict(existing["savings_plan_discount"]) if existing and existing.get("savings_plan_discount") else None
    try:
        client = client_factory()
        terms = savings_plan_rates(client, region, ec2_hour)
    except optional_errors() as error:
        why = f"the Savings Plans API unavailable: {_why(error)}"
        return kept, (
            f"Savings Plan rates kept as of {kept['as_of']} ({why})" if kept else f"Savings Plan rates: none ({why})"
        )
    return (
        {
            "as_of": read_at.date().isoformat(),
            "source": f"Savings Plans API (DescribeSavingsPlansOfferingRates at {_endpoint(client, 'savingsplans')}), "
            f"Compute, No Upfront, Linux/UNIX, shared tenancy, read {read_at:%Y-%m-%dT%H:%M:%SZ}: "
            "1 - median over the catalog's types of rate / on-demand",
            "terms": terms,
        },
        "Savings Plan rates from the Savings Plans API",
    )
