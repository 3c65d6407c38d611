"""The VPC's shape (zones, NAT gateways, the addresses the max fleet holds) and what its traffic costs."""

from __future__ import annotations

from collections.abc import Callable

from sizing.assumptions import Assumptions, Tier, TrafficAssumptions
from sizing.data.catalog import InstanceType
from sizing.data.pricing import RegionPrices
from sizing.engine.cost import linear_item
from sizing.engine.load_profile import LoadProfile
from sizing.plan import CostItem, NetworkPlan, NodePlan


def plan_network(
    tier: Tier, assumptions: Assumptions, app_pods_max: int, nodes: NodePlan, node_type: InstanceType
) -> NetworkPlan:
    return NetworkPlan(
        availability_zones=assumptions.availability_zones,
        nat_gateways=1 if tier in assumptions.single_nat_gateway_tiers else assumptions.availability_zones,
        # A VPC address per pod, plus per node its primary address and the warm ENI's (WARM_ENI_TARGET=1).
        vpc_ips_max=app_pods_max + nodes.max_nodes * (1 + node_type.ipv4_per_eni),
    )


def network_cost_items(
    network: NetworkPlan,
    concurrent_users: int,
    requests_per_second: float,
    traffic: TrafficAssumptions,
    profile: LoadProfile,
    prices: RegionPrices,
    llm_gb_at_peak: float = 0.0,
) -> list[CostItem]:
    """NAT gateways (hours and GB processed: ``egress_kb_per_request`` and the LLM's bytes, ``llm_gb_at_peak`` a month
    at peak) and the responses' internet data transfer out, at the average load (min, and expected: each is linear in the load hour by hour, or priced on the
    month's volume) and at peak all month (max)."""
    hours, price, gateways = profile.hours_per_month, prices.service, network.nat_gateways

    def nat_gb(load: float) -> float:
        return (requests_per_second * traffic.egress_kb_per_request * hours * 3600 / 1_000_000 + llm_gb_at_peak) * load

    def nat(load: float) -> float:
        gigabytes = nat_gb(load)
        return gateways * price("nat_gateway_hour") * hours + gigabytes * price("nat_gateway_gb")

    # With pods spread evenly over the zones, a backend answer reaches a frontend pod in another zone (1 - 1/zones) of
    # the time, billed $0.01 a GB on each side.
    crossing = 1 - 1 / network.availability_zones

    def data_transfer(load: float) -> float:
        gigabytes = requests_per_second * load * traffic.response_kb_per_request * hours * 3600 / 1_000_000
        cross_az = gigabytes * crossing * 2 * price("data_transfer_cross_az_gb")
        return prices.internet_egress.monthly_usd(gigabytes) + cross_az

    def item(key: str, label: str, monthly: Callable[[float], float], source: str) -> CostItem:
        return linear_item(key, label, monthly, source, profile.mean)

    # An Elastic IP per NAT gateway and the ALB's public address in each zone, billed per in-use address-hour.
    addresses = gateways + network.availability_zones

    def public_ipv4(load: float) -> float:
        return addresses * price("public_ipv4_hour") * hours

    # Two more zone crossings (docs/methodology.md, "Cost"): the NLB hands each connection to a node in its own zone
    # and the frontend Service (externalTrafficPolicy: Cluster) forwards it to any pod, in another zone 1 - 1/zones
    # of the time, for the response bytes; and with one shared NAT gateway, the pods of the other zones reach it
    # across a zone for every byte it processes. Each crossing is billed on both sides.
    shared_nat = gateways == 1 and network.availability_zones > 1

    def cross_zone_hops(load: float) -> float:
        seconds = requests_per_second * load * hours * 3600
        gigabytes = seconds * traffic.response_kb_per_request / 1_000_000
        if shared_nat:
            gigabytes += nat_gb(load)
        return gigabytes * crossing * 2 * price("data_transfer_cross_az_gb")

    return [
        item(
            "nat_gateways",
            f"NAT gateway{'s' if gateways > 1 else ''} ({gateways})",
            nat,
            "hourly and per-GB list prices",
        ),
        item("public_ipv4", f"Public IPv4 addresses ({addresses})", public_ipv4, "per address-hour list price"),
        item(
            "data_transfer",
            "Data transfer (internet out, between zones)",
            data_transfer,
            f"tiered internet per-GB list price ({prices.internet_egress.free_gb:,g} GB free) and the cross-zone "
            "per-GB price",
        ),
        item(
            "cross_zone_hops",
            "Cross-zone hops (load balancer to pod" + (", pods to the NAT gateway)" if shared_nat else ")"),
            cross_zone_hops,
            "cross-zone per-GB list price, both sides",
        ),
    ]
