"""What one node, the fleet's CPU bursts and the cluster around them cost a month: the one definition selection ranks
by and the bill prints, so the fleet that wins is the fleet that is billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sizing.assumptions import ClusterAssumptions
from sizing.data.catalog import InstanceType
from sizing.data.pricing import RegionPrices
from sizing.engine.control_plane_logs import Activity, control_plane_logs_item
from sizing.plan import CostItem, NodePlan, Range

PRICE_SOURCE = "on-demand list price"


class NodeMonth(NamedTuple):
    """One node-month: the instance and its gp3 root volume."""

    instance: float
    volume: float

    @property
    def base(self) -> float:
        return self.instance + self.volume


class Burst(NamedTuple):
    """A burstable type's CPU baseline per node and the price of a vCPU-month above it (EKS launches T instances in
    unlimited mode, so a node busier than its baseline is billed for surplus credits instead of being throttled)."""

    baseline_vcpu: float
    vcpu_month_usd: float


class FleetLoad(NamedTuple):
    """The CPU a fleet's pods ask for: what the HPA keeps at its target utilisation at peak."""

    pods_cpu_m: int  # the application pods' requests
    daemonset_cpu_m: int  # per node
    target: float  # HPA target, a share of the requests
    addon_cpu_m: int = 0  # the cluster add-ons' pods (engine/addons.py): per fleet, whatever the load


def node_month(instance: InstanceType, prices: RegionPrices, disk_gib: int) -> NodeMonth:
    return NodeMonth(prices.monthly(prices.ec2_hour[instance.name]), disk_gib * prices.service("ebs_gp3_gb_month"))


def burst(instance: InstanceType, prices: RegionPrices) -> Burst | None:
    if instance.baseline_cpu is None:
        return None
    surplus = prices.burstable_surplus_vcpu_hour[instance.family]
    return Burst(instance.vcpu * instance.baseline_cpu, prices.monthly(surplus))


def credits(b: Burst, nodes: int, fleet: FleetLoad, load: float) -> float:
    """Surplus credits of ``nodes`` sharing the pods' CPU at ``load`` (a share of the peak): the pods' requests at
    the HPA target scaled by the load, the DaemonSets' and the add-ons' at the target whatever the load, less every
    node's baseline."""
    used_vcpu = (load * fleet.pods_cpu_m + nodes * fleet.daemonset_cpu_m + fleet.addon_cpu_m) * fleet.target / 1000
    return max(0.0, used_vcpu - nodes * b.baseline_vcpu) * b.vcpu_month_usd


def expected_credits(b: Burst | None, nodes: int, fleet: FleetLoad, shares: Sequence[float]) -> float:
    """Surplus credits over the day: AWS bills only the surplus left after the credits the instances earn over 24
    hours, so a busy evening is paid for by a quiet night, and a day whose average use is under the baseline costs
    nothing. The use is linear in the load, so the day's average use is the use at the day's mean load."""
    if b is None:
        return 0.0
    return credits(b, nodes, fleet, sum(shares) / len(shares))


def _per_node(nodes: NodePlan, monthly: float) -> tuple[Range, float]:
    """Every node bill at the min fleet, the max fleet, and (the min fleet all month) expected; see docs/methodology.md, "Cost"."""
    low = round(nodes.min_nodes * monthly, 2)
    return Range(min=low, max=round(nodes.max_nodes * monthly, 2)), low


def _on_demand_instances(nodes: NodePlan, monthly: float) -> tuple[Range, float]:
    """The on-demand instances: the min fleet at the Savings Plan rate when there is one (it runs all month, so the
    commitment is always used), the nodes above it at the on-demand rate; under spot-burst there are none above it
    (the burst is on Spot)."""
    if nodes.savings_plan is None and nodes.spot is None:
        return _per_node(nodes, monthly)
    discount = nodes.savings_plan.discount if nodes.savings_plan else 0.0
    on_demand_max = nodes.min_nodes if nodes.spot else nodes.max_nodes
    low = nodes.min_nodes * monthly * (1 - discount)
    return Range(min=round(low, 2), max=round(low + (on_demand_max - nodes.min_nodes) * monthly, 2)), round(low, 2)


def _fixed(key: str, label: str, monthly: float, source: str) -> CostItem:
    value = round(monthly, 2)
    return CostItem(
        key=key, item=label, monthly_usd={"min": value, "max": value}, expected_monthly_usd=value, source=source
    )


def control_plane_cost_items(
    cluster: ClusterAssumptions, prices: RegionPrices, logs: tuple[Activity, Activity, Activity]
) -> list[CostItem]:
    """The envelope-encryption key, the control-plane logs (their volume from ``logs``, the API server's activity at
    the min, expected and max bounds: engine/control_plane_logs.py) and, under the EXTENDED support policy, the
    extended-support surcharge over the standard cluster-hour."""
    items = [
        _fixed("kms_key", "KMS key (secrets encryption)", prices.service("kms_key_month"), "per key-month list price"),
        control_plane_logs_item(
            cluster,
            logs,
            prices.hours_per_month,
            prices.service("cloudwatch_logs_ingest_gb"),
            prices.service("cloudwatch_logs_storage_gb_month"),
        ),
    ]
    if cluster.support == "EXTENDED":
        surcharge = prices.service("eks_extended_support_hour") - prices.service("eks_cluster_hour")
        items.append(
            _fixed(
                "eks_extended_support",
                "EKS extended support",
                prices.monthly(surcharge),
                "extended over standard cluster-hour list price",
            )
        )
    return items


def cluster_cost_items(nodes: NodePlan, month: NodeMonth, prices: RegionPrices) -> list[CostItem]:
    control_plane = round(prices.monthly(prices.service("eks_cluster_hour")), 2)
    ec2, ec2_expected = _on_demand_instances(nodes, month.instance)
    ebs, ebs_expected = _per_node(nodes, month.volume)
    sp = nodes.savings_plan
    items = [
        CostItem(
            key="eks_control_plane",
            item="EKS control plane",
            monthly_usd=Range(min=control_plane, max=control_plane),
            expected_monthly_usd=control_plane,
            source=PRICE_SOURCE,
        ),
        CostItem(
            key="ec2_nodes",
            item="EC2 nodes (on-demand)" if nodes.spot else "EC2 nodes",
            monthly_usd=ec2,
            expected_monthly_usd=ec2_expected,
            source=f"{sp.term} Compute Savings Plan rate ({sp.discount:.0%} off) for the min fleet, "
            "on-demand list price above it"
            if sp
            else PRICE_SOURCE,
        ),
    ]
    if nodes.spot and nodes.spot.burst_nodes:
        burst = round(nodes.spot.burst_nodes * prices.monthly(nodes.spot.hourly_usd), 2)
        items.append(
            CostItem(
                key="ec2_spot_nodes",
                item="EC2 Spot nodes (burst)",
                monthly_usd=Range(min=0, max=burst),
                expected_monthly_usd=0.0,
                source=f"Spot estimate: on-demand x (1 - family discount, as of {nodes.spot.discounts_as_of})",
            )
        )
    items.append(
        CostItem(
            key="ebs_volumes",
            item="Node EBS volumes (gp3)",
            monthly_usd=ebs,
            expected_monthly_usd=ebs_expected,
            source=PRICE_SOURCE,
        )
    )
    if nodes.credits_monthly_usd.max:
        items.append(
            CostItem(
                key="burstable_credits",
                item="Burstable CPU credits",
                monthly_usd=nodes.credits_monthly_usd,
                expected_monthly_usd=nodes.credits_expected_monthly_usd,
                source="surplus vCPU-hour list price",
            )
        )
    return items
