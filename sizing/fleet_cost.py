"""What one node and the cluster around it cost a month: the single definition selection ranks by and the bill uses.

Selection ranks every type by these numbers and the cost breakdown prints them for the chosen type, so the fleet
that wins is the fleet that is billed.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.catalog import InstanceType
from sizing.plan import CostItem, NodePlan, Range
from sizing.pricing import RegionPrices

PRICE_SOURCE = "on-demand list price"


class NodeMonth(NamedTuple):
    """One node-month: the instance, its gp3 root volume, and burstable CPU credits at average and at peak load."""

    instance: float
    volume: float
    credits_min: float
    credits_max: float

    @property
    def base(self) -> float:
        return self.instance + self.volume


def credits_hourly(instance: InstanceType, busy_share: float, surplus_vcpu_hour: float) -> float:
    """Surplus CPU credits of a burstable node running its vCPUs at ``busy_share``: what exceeds the baseline.

    EKS launches T instances in unlimited mode, so a node busier than its baseline is billed per surplus vCPU-hour
    instead of being throttled; non-burstable types cost nothing extra.
    """
    if instance.baseline_cpu is None:
        return 0.0
    return max(0.0, busy_share - instance.baseline_cpu) * instance.vcpu * surplus_vcpu_hour


def node_month(instance: InstanceType, prices: RegionPrices, disk_gib: int, busy_share: float,
               duty_cycle: float) -> NodeMonth:
    """``busy_share``: the node's CPU in use at peak, as a share of its vCPUs; at the min fleet it averages
    ``duty_cycle`` of that."""
    surplus = prices.burstable_surplus_vcpu_hour.get(instance.family, 0.0)
    return NodeMonth(
        prices.monthly(prices.ec2_hour[instance.name]),
        disk_gib * prices.service("ebs_gp3_gb_month"),
        prices.monthly(credits_hourly(instance, busy_share * duty_cycle, surplus)),
        prices.monthly(credits_hourly(instance, busy_share, surplus)),
    )


def _per_node(nodes: NodePlan, monthly: float) -> Range:
    return Range(min=round(nodes.min_nodes * monthly, 2), max=round(nodes.max_nodes * monthly, 2))


def cluster_cost_items(nodes: NodePlan, month: NodeMonth, prices: RegionPrices) -> list[CostItem]:
    control_plane = round(prices.monthly(prices.service("eks_cluster_hour")), 2)
    items = [
        CostItem(key="eks_control_plane", item="EKS control plane",
                 monthly_usd=Range(min=control_plane, max=control_plane), source=PRICE_SOURCE),
        CostItem(key="ec2_nodes", item="EC2 nodes", monthly_usd=_per_node(nodes, month.instance), source=PRICE_SOURCE),
        CostItem(key="ebs_volumes", item="Node EBS volumes (gp3)", monthly_usd=_per_node(nodes, month.volume),
                 source=PRICE_SOURCE),
    ]
    if nodes.credits_monthly_usd.max:
        items.append(CostItem(key="burstable_credits", item="Burstable CPU credits",
                              monthly_usd=nodes.credits_monthly_usd, source="surplus vCPU-hour list price"))
    return items
