"""AWS quotas and Kubernetes scalability limits the plan must respect, in one place.

Each is a default quota or a documented hard limit; where the plan cannot stay inside one it says so in
``plan.warnings`` rather than silently emitting infrastructure AWS would refuse.
"""

# EKS: nodes per managed node group (not adjustable). Larger fleets are split into several groups.
MAX_NODES_PER_GROUP = 450
# Kubernetes' tested scalability envelope for one cluster.
CLUSTER_MAX_NODES = 5_000
CLUSTER_MAX_PODS = 150_000
# Beyond ten clusters' worth the inputs are a mistake (a typo'd assumption, a misread unit), not a plan: refuse.
MAX_PLANNED_PODS = 10 * CLUSTER_MAX_PODS
MAX_PLANNED_NODES = 10 * CLUSTER_MAX_NODES
# VPC: the widest VPC is a /16; the stack gives each zone's private subnet an eighth of it (a /19), of which AWS
# reserves 5 addresses. Pods take VPC addresses under the VPC CNI, so this bounds the fleet one stack can address.
PRIVATE_IPS_PER_ZONE_IN_A_16 = 2 ** (32 - 19) - 5
# DynamoDB: default per-table throughput quota (RCU/WCU provisioned, or RRU/WRU per second on demand).
TABLE_THROUGHPUT_QUOTA = 40_000
# ElastiCache (Redis OSS, cluster mode): shards per cluster, and the default nodes-per-cluster quota.
CACHE_MAX_SHARDS = 500
CACHE_NODES_PER_CLUSTER_QUOTA = 90
# EC2: the On-Demand vCPU quota every catalog type counts against (all are Standard families), per account and
# region, shared with everything else running there. AWS sets it per account, so the plan compares the max fleet with
# an assumed value (``assumptions.quotas.ec2_on_demand_vcpus``) and only warns.
EC2_STANDARD_VCPU_QUOTA = "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
EC2_STANDARD_VCPU_QUOTA_CODE = "L-1216C47A"
# The value AWS gave established accounts when it moved EC2 limits from instances to vCPUs, and the default
# awslimitchecker records for this quota (jantman/awslimitchecker, docs/source/limits.rst). New accounts start far
# lower (5 vCPUs were reported for a new account in 2026). As of 2026-10; read yours with
# `aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A`.
DEFAULT_EC2_ON_DEMAND_VCPUS = 1_152


def check_plannable(kind: str, count: int, ceiling: int, field: str, advice: str) -> None:
    """Refuse, naming the input to change (``field``, a Workload field) and how (``advice``)."""
    if count > ceiling:
        from sizing.errors import SizingError

        raise SizingError(
            f"the plan would need {count:,} {kind} at its maximum, more than the {ceiling:,} (ten clusters' worth) "
            f"this tool sizes: {advice}",
            field=field,
        )


def cluster_warnings(max_nodes: int, max_app_pods: int, daemonset_pods: int) -> list[str]:
    """What one EKS cluster cannot hold at the max fleet; the plan still sizes it, and says so."""
    warnings = []
    if max_nodes > CLUSTER_MAX_NODES:
        warnings.append(
            f"{max_nodes:,} nodes exceed the {CLUSTER_MAX_NODES:,} nodes Kubernetes supports in one cluster: "
            "split the load across clusters"
        )
    pods = max_app_pods + daemonset_pods * max_nodes
    if pods > CLUSTER_MAX_PODS:
        warnings.append(
            f"{pods:,} pods exceed the {CLUSTER_MAX_PODS:,} pods Kubernetes supports in one cluster: "
            "split the load across clusters or raise users_per_pod"
        )
    return warnings


def network_warnings(vpc_ips_max: int, zones: int) -> list[str]:
    capacity = zones * PRIVATE_IPS_PER_ZONE_IN_A_16
    if vpc_ips_max <= capacity:
        return []
    return [
        f"the max fleet needs about {vpc_ips_max:,} VPC addresses, more than the {capacity:,} the private subnets of "
        f"the widest (/16) VPC hold in {zones} zones: the stack will refuse it; split the load, or use VPC CNI "
        "prefix delegation or a secondary CIDR for pods"
    ]


def vcpu_warnings(max_vcpus: int, quota: int) -> list[str]:
    """Above the quota, the autoscaler's launches fail (VcpuLimitExceeded) exactly at the peak the fleet is for."""
    if max_vcpus <= quota:
        return []
    return [
        f"the max fleet runs {max_vcpus:,} vCPUs, above the {quota:,} assumed for the EC2 quota "
        f'"{EC2_STANDARD_VCPU_QUOTA}" ({EC2_STANDARD_VCPU_QUOTA_CODE}): check your account\'s value in Service '
        "Quotas, request an increase, and set assumptions.quotas.ec2_on_demand_vcpus to it"
    ]
