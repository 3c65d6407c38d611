"""The VPC's shape (zones, NAT gateways, the addresses the max fleet holds) and what its traffic costs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from sizing.assumptions import Assumptions, Tier, TrafficAssumptions
from sizing.data.catalog import Catalog
from sizing.data.pricing import RegionPrices
from sizing.engine.cost import linear_item
from sizing.engine.llm_route import cross_zone_per_gb, endpoint_hours_usd, shared_nat
from sizing.engine.load_profile import LoadProfile
from sizing.plan import CostItem, NetworkPlan, NodePlan


def node_addresses(pods: int, ipv4_per_eni: int, max_enis: int) -> int:
    """A node's VPC addresses under the VPC CNI's default WARM_ENI_TARGET=1: ipamd keeps a whole ENI's secondary
    addresses free beside the pods', so it attaches ceil(pods / secondaries per ENI) + 1 ENIs, at most the type's, and
    each takes all its addresses, its primary and its secondaries (aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md:
    p3dn.24xlarge, 49 secondaries an ENI, holds 1 ENI at 0 pods, 2 at 3 and 3 at 95). Host-networked pods (the CNI
    itself, kube-proxy, the Pod Identity agent) take none."""
    enis = min(max_enis, -(-pods // (ipv4_per_eni - 1)) + 1)
    return enis * ipv4_per_eni


class NodeGroupShape(NamedTuple):
    """Nodes of one address shape: how many, and their type's ENIs."""

    nodes: int
    ipv4_per_eni: int
    max_enis: int


def fleet_addresses(pods: int, groups: Sequence[NodeGroupShape]) -> int:
    """The VPC addresses of the groups' nodes holding ``pods`` pods spread as evenly as the scheduler spreads them
    (where they do not divide, the first nodes listed hold one more)."""
    per_node, extra = divmod(pods, sum(g.nodes for g in groups))
    total = 0
    for g in groups:
        heavier = min(extra, g.nodes)
        extra -= heavier
        total += heavier * node_addresses(per_node + 1, g.ipv4_per_eni, g.max_enis)
        total += (g.nodes - heavier) * node_addresses(per_node, g.ipv4_per_eni, g.max_enis)
    return total


def cpu_fleet_shapes(nodes: NodePlan, catalog: Catalog, pods: int) -> list[NodeGroupShape]:
    """The max CPU fleet by address shape: the chosen type's nodes, and under spot-burst the burst's nodes as the pool
    type that takes the most addresses at their load (EC2 may launch any of them)."""
    on_demand = catalog.instance(nodes.instance_type)
    if nodes.spot is None or not nodes.spot.burst_nodes:
        return [NodeGroupShape(nodes.max_nodes, on_demand.ipv4_per_eni, on_demand.enis)]
    load = -(-pods // nodes.max_nodes)
    pool = [catalog.instance(t.instance_type) for t in nodes.spot.instance_types]
    widest = max(pool, key=lambda t: node_addresses(load, t.ipv4_per_eni, t.enis))
    return [
        NodeGroupShape(nodes.max_nodes - nodes.spot.burst_nodes, on_demand.ipv4_per_eni, on_demand.enis),
        NodeGroupShape(nodes.spot.burst_nodes, widest.ipv4_per_eni, widest.enis),
    ]


def plan_network(
    tier: Tier,
    assumptions: Assumptions,
    pods_max: int,
    shapes: Sequence[NodeGroupShape],
    gpu_ips_max: int = 0,
) -> NetworkPlan:
    return NetworkPlan(
        availability_zones=assumptions.availability_zones,
        nat_gateways=1 if tier in assumptions.single_nat_gateway_tiers else assumptions.availability_zones,
        # Every ENI the VPC CNI attaches to the max fleet's nodes, whole; a self-hosted model's GPU fleet the same way
        # (llm.self_hosted.vpc_ips_max).
        vpc_ips_max=fleet_addresses(pods_max, shapes) + gpu_ips_max,
    )


def network_cost_items(
    network: NetworkPlan,
    concurrent_users: int,
    requests_per_second: float,
    traffic: TrafficAssumptions,
    profile: LoadProfile,
    prices: RegionPrices,
    llm_gb_at_peak: float = 0.0,
    llm_internet_gb_at_peak: float = 0.0,
    in_cluster_llm_gb_at_peak: float = 0.0,
) -> list[CostItem]:
    """NAT gateways (hours and GB processed: ``egress_kb_per_request``, and the LLM's bytes, ``llm_gb_at_peak`` a month
    at peak, unless ``network.llm_route`` sends them through the Bedrock endpoint), the endpoint when it does, the
    responses' internet data transfer out, and the zone crossings on the way, at the average load (min, and expected:
    each is linear in the load hour by hour, or priced on the month's volume) and at peak all month (max).
    ``llm_internet_gb_at_peak``: the prompts sent to a provider outside AWS, internet data out like the answers.
    ``in_cluster_llm_gb_at_peak``: a self-hosted model's turns between the backend and the vLLM pods, which never
    leave the VPC but cross a zone as often as any ClusterIP Service's traffic."""
    hours, price, gateways = profile.hours_per_month, prices.service, network.nat_gateways
    via_endpoint = network.llm_route is not None and network.llm_route.via == "interface_endpoint"
    llm_through_nat = 0.0 if via_endpoint else llm_gb_at_peak

    def nat_gb(load: float) -> float:
        return (requests_per_second * traffic.egress_kb_per_request * hours * 3600 / 1_000_000 + llm_through_nat) * load

    def nat(load: float) -> float:
        gigabytes = nat_gb(load)
        return gateways * price("nat_gateway_hour") * hours + gigabytes * price("nat_gateway_gb")

    # A backend answer reaches the frontend pod that asked through the backend's ClusterIP Service, which picks any
    # backend pod: with pods spread evenly over the zones, one in another zone (1 - 1/zones) of the time.
    per_crossing_gb = cross_zone_per_gb(network, prices)

    def data_transfer(load: float) -> float:
        gigabytes = requests_per_second * load * traffic.response_kb_per_request * hours * 3600 / 1_000_000
        # One account's internet data out shares the tiers: the answers to users and the prompts to the provider.
        internet = gigabytes + llm_internet_gb_at_peak * load
        return prices.internet_egress.monthly_usd(internet) + gigabytes * per_crossing_gb

    def item(key: str, label: str, monthly: Callable[[float], float], source: str) -> CostItem:
        return linear_item(key, label, monthly, source, profile.mean)

    # An Elastic IP per NAT gateway and the ALB's public address in each zone, billed per in-use address-hour.
    addresses = gateways + network.availability_zones

    def public_ipv4(load: float) -> float:
        return addresses * price("public_ipv4_hour") * hours

    # The other zone crossings (docs/methodology.md, "Cost"): with one shared NAT gateway, the pods of the other zones
    # reach it across a zone for every byte it processes; a self-hosted model's turns reach a vLLM pod in another zone
    # as a ClusterIP Service's traffic does. Not billed, so not here: the ALB's traffic to pods in other zones (IP
    # targets) and the calls that reach another zone's interface of the Bedrock endpoint (PrivateLink, llm_route.py).
    sharing = shared_nat(network)
    in_cluster = in_cluster_llm_gb_at_peak > 0
    hops = [
        what
        for what, on in (("pods to the shared NAT gateway", sharing), ("the backend to the vLLM pods", in_cluster))
        if on
    ]

    def cross_zone_hops(load: float) -> float:
        gigabytes = (nat_gb(load) if sharing else 0.0) + in_cluster_llm_gb_at_peak * load
        return gigabytes * per_crossing_gb

    items = [
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
            f"Cross-zone hops ({' and '.join(hops) if hops else 'none: a NAT gateway per zone, nothing else crosses'})",
            cross_zone_hops,
            "cross-zone per-GB list price, both sides",
        ),
    ]
    if via_endpoint:

        def endpoint(load: float) -> float:
            return endpoint_hours_usd(network, prices) + llm_gb_at_peak * load * price("vpc_endpoint_gb")

        items.append(
            item(
                "llm_endpoint",
                f"Bedrock VPC endpoint ({network.availability_zones} zones)",
                endpoint,
                "per endpoint-zone-hour and per-GB (first PB) list prices",
            )
        )
    return items
