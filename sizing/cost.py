"""Monthly cost per service, at the min fleet and at the max fleet, from the dated price table."""

from __future__ import annotations

from fractions import Fraction

from sizing.assumptions import TrafficAssumptions
from sizing.plan import CachePlan, CostItem, CostPlan, DatabasePlan, NodePlan, Range
from sizing.pods import exact
from sizing.pricing import RegionPrices

# One ALB LCU covers the largest of: 25 new connections/s, 3,000 active connections, 1 GB/h processed,
# 1,000 rule evaluations/s. Chat clients hold a connection per user, so active connections usually dominate.
LCU_NEW_CONNECTIONS_PER_S = 25
LCU_ACTIVE_CONNECTIONS = 3_000
LCU_GB_PER_HOUR = 1
LCU_RULE_EVALUATIONS_PER_S = 1_000


def load_balancer_lcus(concurrent_users: Fraction, requests_per_second: Fraction, response_kb: Fraction) -> Fraction:
    # Requests reuse keep-alive connections; count a new connection per ten requests.
    return max(
        requests_per_second / 10 / LCU_NEW_CONNECTIONS_PER_S,
        concurrent_users / LCU_ACTIVE_CONNECTIONS,
        requests_per_second * response_kb * 3600 / 1_000_000 / LCU_GB_PER_HOUR,
        requests_per_second / LCU_RULE_EVALUATIONS_PER_S,
    )


def plan_cost(
    *,
    concurrent_users: int,
    total_users: int,
    requests_per_second: Fraction,
    nodes: NodePlan,
    database: DatabasePlan,
    cache: CachePlan,
    nat_gateways: int,
    node_disk_gib: int,
    traffic: TrafficAssumptions,
    prices: RegionPrices,
) -> CostPlan:
    hours = Fraction(str(prices.hours_per_month))
    duty = exact(traffic.duty_cycle)

    def price(name: str) -> Fraction:
        return Fraction(str(prices.service(name)))

    def at_load(monthly: "callable[[Fraction], Fraction]") -> Range:  # noqa: F821 - a string annotation
        return Range(min=round(float(monthly(duty)), 2), max=round(float(monthly(Fraction(1))), 2))

    def nat(load: Fraction) -> Fraction:
        gigabytes = requests_per_second * load * exact(traffic.egress_kb_per_request) * hours * 3600 / 1_000_000
        return nat_gateways * price("nat_gateway_hour") * hours + gigabytes * price("nat_gateway_gb")

    def load_balancer(load: Fraction) -> Fraction:
        lcus = load_balancer_lcus(
            concurrent_users * load, requests_per_second * load, exact(traffic.response_kb_per_request)
        )
        return (price("alb_hour") + lcus * price("alb_lcu_hour")) * hours

    ec2_monthly = Fraction(str(nodes.hourly_usd)) * hours
    volume_monthly = node_disk_gib * price("ebs_gp3_gb_month")
    dynamodb = database.monthly_usd_on_demand if database.billing_mode == "PAY_PER_REQUEST" else (
        database.monthly_usd_provisioned
    )
    mode = "on-demand" if database.billing_mode == "PAY_PER_REQUEST" else "provisioned"
    breakdown = [
        CostItem(item="EKS control plane", monthly_usd=at_load(lambda _: price("eks_cluster_hour") * hours)),
        CostItem(item="EC2 nodes", monthly_usd=Range(
            min=round(float(nodes.min_nodes * ec2_monthly), 2), max=round(float(nodes.max_nodes * ec2_monthly), 2)
        )),
        CostItem(item="Node EBS volumes (gp3)", monthly_usd=Range(
            min=round(float(nodes.min_nodes * volume_monthly), 2),
            max=round(float(nodes.max_nodes * volume_monthly), 2),
        )),
        CostItem(item=f"NAT gateway{'s' if nat_gateways > 1 else ''} ({nat_gateways})", monthly_usd=at_load(nat)),
        CostItem(item="Load balancer (ALB)", monthly_usd=at_load(load_balancer)),
        CostItem(item=f"DynamoDB ({mode})", monthly_usd=dynamodb),
        CostItem(item="ElastiCache", monthly_usd=Range(min=cache.monthly_usd, max=cache.monthly_usd)),
    ]
    low = round(sum(item.monthly_usd.min for item in breakdown), 2)
    high = round(sum(item.monthly_usd.max for item in breakdown), 2)
    return CostPlan(
        monthly_usd=Range(min=low, max=high),
        per_user_usd=Range(min=round(low / total_users, 4), max=round(high / total_users, 4)),
        breakdown=breakdown,
        prices_as_of=prices.as_of,
    )
