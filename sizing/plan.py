"""The plan: everything the report prints and the Pulumi program declares.

``SizingPlan.model_dump(mode="json")`` is the JSON contract of ``sizing report --format json`` and of the ``sizing``
stack output, so field names here are public API: add, never rename.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from sizing.assumptions import Assumptions, Tier


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Range(_Out):
    min: float
    max: float


class IntRange(_Out):
    min: int
    max: int


class WorkloadSummary(_Out):
    concurrent_users: int
    total_users: int
    active_ratio: float
    region: str
    arch: str


class Performance(_Out):
    requests_per_second: float
    latency_ms: IntRange


class PodPlan(_Out):
    min_replicas: int
    max_replicas: int
    cpu_request_m: int
    cpu_limit_m: int
    memory_request_mib: int
    memory_limit_mib: int


class NodeGroupPlan(_Out):
    name: str
    instance_type: str
    min_nodes: int
    max_nodes: int


class NodeOption(_Out):
    """One instance type's fleet for this load: what it can schedule per node and what the fleet costs."""

    instance_type: str
    arch: str
    vcpu: int
    memory_gib: float
    max_pods: int
    allocatable_cpu_m: int
    allocatable_memory_mib: int
    hourly_usd: float
    min_nodes: int
    max_nodes: int
    monthly_usd: Range  # instances, root volumes and burstable CPU credits
    credits_monthly_usd: Range  # the burstable CPU credits part (0 for other types)


class NodePlan(NodeOption):
    """The chosen type's fleet, how it was chosen, its node groups and the runner-ups."""

    pod_slots: int  # max pods less the DaemonSets: what the application can use per node
    pinned: bool
    selection_rule: str
    groups: list[NodeGroupPlan]
    alternatives: list[NodeOption]

    @computed_field
    @property
    def max_vcpus(self) -> int:
        """What the max fleet counts against the account's EC2 On-Demand vCPU quota."""
        return self.max_nodes * self.vcpu


class AutoScalingRange(_Out):
    min: int
    max: int


class DatabasePlan(_Out):
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"]
    reads_per_second: float
    writes_per_second: float
    read_capacity_units: int
    write_capacity_units: int
    read_autoscaling: AutoScalingRange
    write_autoscaling: AutoScalingRange
    storage_gib: float
    monthly_usd_on_demand: Range
    monthly_usd_provisioned: Range


class CachePlan(_Out):
    enabled: bool
    node_type: str | None
    num_nodes: int
    shards: int
    replicas_per_shard: int
    required_memory_gib: float
    usable_memory_gib_per_node: float
    monthly_usd: float


class CostItem(_Out):
    item: str
    monthly_usd: Range


class CostPlan(_Out):
    monthly_usd: Range
    per_user_usd: Range
    breakdown: list[CostItem]
    prices_as_of: str
    currency: str = "USD"


class NetworkPlan(_Out):
    availability_zones: int
    nat_gateways: int
    # VPC addresses the max fleet holds under the default VPC CNI: a VPC IP per pod, plus per node its primary IP and
    # the warm ENI's addresses the CNI keeps attached (WARM_ENI_TARGET=1). The VPC's private subnets must hold it.
    vpc_ips_max: int


class SizingPlan(_Out):
    tier: Tier
    workload: WorkloadSummary
    performance: Performance
    backend: PodPlan
    frontend: PodPlan
    nodes: NodePlan
    database: DatabasePlan
    cache: CachePlan
    network: NetworkPlan
    cost: CostPlan
    warnings: list[str]
    assumptions: Assumptions

