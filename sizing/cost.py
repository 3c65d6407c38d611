"""Monthly cost per service, at the min fleet and at the max fleet, from the dated price table."""

from __future__ import annotations

from collections.abc import Callable

from sizing.assumptions import TrafficAssumptions
from sizing.plan import CachePlan, CostItem, CostPlan, DatabasePlan, NodePlan, Range
from sizing.pricing import RegionPrices

# One NLB capacity unit (NLCU, TCP) covers the largest of: 800 new connections/s, 100,000 active connections,
# 1 GB/h processed. The stack's frontend Service is an internet-facing NLB.
NLCU_NEW_CONNECTIONS_PER_S = 800
NLCU_ACTIVE_CONNECTIONS = 100_000
NLCU_GB_PER_HOUR = 1
# Clients reuse keep-alive connections: count a new connection per ten requests.
REQUESTS_PER_CONNECTION = 10


def load_balancer_lcus(concurrent_users: float, requests_per_second: float, response_kb: float) -> float:
    return max(
        requests_per_second / REQUESTS_PER_CONNECTION / NLCU_NEW_CONNECTIONS_PER_S,
        concurrent_users / NLCU_ACTIVE_CONNECTIONS,
        requests_per_second * response_kb * 3600 / 1_000_000 / NLCU_GB_PER_HOUR,
    )


def plan_cost(
    *,
    concurrent_users: int,
    total_users: int,
    requests_per_second: float,
    nodes: NodePlan,
    database: DatabasePlan,
    cache: CachePlan,
    nat_gateways: int,
    node_disk_gib: int,
    traffic: TrafficAssumptions,
    prices: RegionPrices,
) -> CostPlan:
    # Money is float: cents are rounded at the end, and only counts (pods, nodes, capacity units) need exactness.
    hours, duty, rps = prices.hours_per_month, traffic.duty_cycle, requests_per_second
    price = prices.service

    def at_load(monthly: Callable[[float], float]) -> Range:
        return Range(min=round(monthly(duty), 2), max=round(monthly(1.0), 2))

    def fixed(monthly: float) -> Range:
        return Range(min=round(monthly, 2), max=round(monthly, 2))

    def per_node(monthly: float) -> Range:
        return Range(min=round(nodes.min_nodes * monthly, 2), max=round(nodes.max_nodes * monthly, 2))

    def nat(load: float) -> float:
        gigabytes = rps * load * traffic.egress_kb_per_request * hours * 3600 / 1_000_000
        return nat_gateways * price("nat_gateway_hour") * hours + gigabytes * price("nat_gateway_gb")

    def load_balancer(load: float) -> float:
        lcus = load_balancer_lcus(concurrent_users * load, rps * load, traffic.response_kb_per_request)
        return (price("nlb_hour") + lcus * price("nlb_lcu_hour")) * hours

    on_demand = database.billing_mode == "PAY_PER_REQUEST"
    breakdown = [
        CostItem(item="EKS control plane", monthly_usd=fixed(price("eks_cluster_hour") * hours)),
        CostItem(item="EC2 nodes", monthly_usd=per_node(nodes.hourly_usd * hours)),
        CostItem(item="Node EBS volumes (gp3)", monthly_usd=per_node(node_disk_gib * price("ebs_gp3_gb_month"))),
        *([CostItem(item="Burstable CPU credits", monthly_usd=nodes.credits_monthly_usd)]
          if nodes.credits_monthly_usd.max else []),
        CostItem(item=f"NAT gateway{'s' if nat_gateways > 1 else ''} ({nat_gateways})", monthly_usd=at_load(nat)),
        CostItem(item="Load balancer (NLB)", monthly_usd=at_load(load_balancer)),
        CostItem(
            item=f"DynamoDB ({'on-demand' if on_demand else 'provisioned'})",
            monthly_usd=database.monthly_usd_on_demand if on_demand else database.monthly_usd_provisioned,
        ),
        CostItem(item="ElastiCache", monthly_usd=fixed(cache.monthly_usd)),
    ]
    low = round(sum(item.monthly_usd.min for item in breakdown), 2)
    high = round(sum(item.monthly_usd.max for item in breakdown), 2)
    return CostPlan(
        monthly_usd=Range(min=low, max=high),
        per_user_usd=Range(min=round(low / total_users, 4), max=round(high / total_users, 4)),
        breakdown=breakdown,
        prices_as_of=prices.as_of,
        currency=prices.currency,
    )
