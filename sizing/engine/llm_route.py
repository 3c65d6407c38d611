"""Which way an API model's bytes leave the VPC: through the NAT gateways, or (a Bedrock model) through an interface
VPC endpoint for ``bedrock-runtime``, whichever costs less at the plan's load.

Through NAT, every GB pays the gateway's processing, and with one shared gateway the pods of the other zones reach
it across a zone, billed both ways. Through the endpoint, every GB pays the endpoint's lower processing, and the
endpoint bills an hour in each zone it has an interface in: one per zone the cluster spans, so no zone's calls depend
on another zone. Its private DNS name resolves, round robin, to every zone's interface, but traffic between zones to
a PrivateLink endpoint is not billed (AWS What's New, 2022-04-01, "AWS Announces Data Transfer Price Reduction for
AWS PrivateLink, AWS Transit Gateway, and AWS Client VPN services"). The endpoint's fixed hours pay for themselves
from ``break_even_gb`` a month. Other providers' APIs are on the internet: their bytes go through NAT, and the
prompts are internet data out.
"""

from __future__ import annotations

from typing import Literal

from sizing.data.pricing import RegionPrices
from sizing.plan import LLMPlan, LLMRoutePlan, NetworkPlan

ENDPOINT_SERVICE = "bedrock-runtime"
# PrivateLink bills the first PB a month in a region at the price file's rate, then less (aws.amazon.com/privatelink/
# pricing/: $0.006 for the next 4 PB, $0.004 beyond; the Price List's tiers are in GB, 1,048,576 the first): past it
# the plan overstates the endpoint's processing, and says so.
FIRST_TIER_GB = 1_048_576


def internet_out_gb_at_peak(llm: LLMPlan | None, bedrock: bool) -> float:
    """The prompts sent to a provider outside AWS, a month at peak: data transfer out to the internet, billed beside
    the users' answers. (The streamed answers coming back are data in, free; Bedrock's calls stay in the region.)"""
    if llm is None or llm.wire is None or bedrock or llm.self_hosted is not None:
        return 0.0
    wire = llm.wire
    return (
        wire.monthly_gb.max * wire.request_bytes_per_turn / (wire.request_bytes_per_turn + wire.response_bytes_per_turn)
    )


def endpoint_service(region: str) -> str:
    return f"com.amazonaws.{region}.{ENDPOINT_SERVICE}"


def crossing(network: NetworkPlan) -> float:
    """The share of a pod's traffic to a zonal target spread over every zone that lands in another zone."""
    return 1 - 1 / network.availability_zones


def shared_nat(network: NetworkPlan) -> bool:
    return network.nat_gateways == 1 and network.availability_zones > 1


def cross_zone_per_gb(network: NetworkPlan, prices: RegionPrices) -> float:
    """One GB that crosses a zone (1 - 1/zones) of the time, billed on the sending and the receiving side."""
    return crossing(network) * 2 * prices.service("data_transfer_cross_az_gb")


def nat_per_gb(network: NetworkPlan, prices: RegionPrices) -> float:
    return prices.service("nat_gateway_gb") + (cross_zone_per_gb(network, prices) if shared_nat(network) else 0.0)


def endpoint_per_gb(prices: RegionPrices) -> float:
    return prices.service("vpc_endpoint_gb")


def route_warnings(route: LLMRoutePlan | None, setting: Literal["auto"] | bool, monthly_gb_at_peak: float) -> list[str]:
    if setting is True and (route is None or route.endpoint_service is None):
        return ["bedrock_vpc_endpoint: true applies to a Bedrock model only; this plan's model is not on Bedrock"]
    if route is not None and route.via == "interface_endpoint" and monthly_gb_at_peak > FIRST_TIER_GB:
        return [
            f"the Bedrock endpoint processes up to {monthly_gb_at_peak:,.0f} GB a month, past the first PB priced at "
            "the first tier's rate: PrivateLink bills the rest for less, so the endpoint line is an upper bound"
        ]
    return []


def endpoint_hours_usd(network: NetworkPlan, prices: RegionPrices) -> float:
    """The endpoint's month: an hour in every zone, whatever flows."""
    return network.availability_zones * prices.monthly(prices.service("vpc_endpoint_hour"))


def _gateways(network: NetworkPlan) -> str:
    return "the shared NAT gateway" if network.nat_gateways == 1 else f"the {network.nat_gateways} NAT gateways"


def plan_llm_route(
    network: NetworkPlan,
    provider: str,
    bedrock: bool,
    region: str,
    monthly_gb_at_peak: float,
    mean_load: float,
    setting: Literal["auto"] | bool,
    prices: RegionPrices,
) -> LLMRoutePlan:
    """``monthly_gb_at_peak``: the model's bytes in a month at peak all month; the expected month is the mean load's
    (the bytes are linear in the load hour by hour)."""
    gigabytes = monthly_gb_at_peak * mean_load
    nat = gigabytes * nat_per_gb(network, prices)
    if not bedrock:
        return LLMRoutePlan(
            via="nat_gateway",
            endpoint_service=None,
            reason=f"{provider}'s API is on the internet: through {_gateways(network)}",
            expected_monthly_gb=round(gigabytes, 2),
            nat_expected_usd=round(nat, 2),
            endpoint_expected_usd=None,
            break_even_gb=None,
        )
    fixed = endpoint_hours_usd(network, prices)
    endpoint = fixed + gigabytes * endpoint_per_gb(prices)
    saving = nat_per_gb(network, prices) - endpoint_per_gb(prices)
    break_even = fixed / saving if saving > 0 else None
    pays_from = f"it pays from {break_even:,.0f} GB a month" if break_even is not None else "it never pays"
    costs = (
        f"${endpoint:,.2f} a month through the endpoint ({network.availability_zones} zones' hours and "
        f"{gigabytes:,.0f} GB), ${nat:,.2f} through {_gateways(network)}; {pays_from}"
    )
    if setting == "auto":
        # A tie keeps NAT: one resource fewer for the same bill.
        via: Literal["nat_gateway", "interface_endpoint"] = "interface_endpoint" if endpoint < nat else "nat_gateway"
        reason = f"{'the endpoint' if via == 'interface_endpoint' else 'NAT'} is cheaper: {costs}"
    else:
        via = "interface_endpoint" if setting else "nat_gateway"
        reason = f"bedrock_vpc_endpoint: {str(setting).lower()}: {costs}"
    return LLMRoutePlan(
        via=via,
        endpoint_service=endpoint_service(region),
        reason=reason,
        expected_monthly_gb=round(gigabytes, 2),
        nat_expected_usd=round(nat, 2),
        endpoint_expected_usd=round(endpoint, 2),
        break_even_gb=round(break_even, 2) if break_even is not None else None,
    )
