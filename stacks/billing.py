"""Where each resource type the program declares shows up on the bill: a line of the plan's cost breakdown, or no
charge, and why.

A resource type missing here fails ``tests/test_stack_billing.py``: whoever adds a resource must say what it costs
and which breakdown line carries it, so nothing the stack creates is billed without appearing in the plan.
Keys are the plan's ``cost.breakdown[].key`` values.
"""

from __future__ import annotations

from dataclasses import dataclass

# The plan's cost breakdown lines, by key.
BREAKDOWN_KEYS = (
    "eks_control_plane",
    "eks_extended_support",
    "ec2_nodes",
    "ec2_spot_nodes",
    "ebs_volumes",
    "burstable_credits",
    "nat_gateways",
    "public_ipv4",
    "load_balancer",
    "dynamodb",
    "dynamodb_pitr",
    "elasticache",
    "kms_key",
    "control_plane_logs",
    "llm_api",
    "data_transfer",
    "waf",
    "cross_zone_hops",
    "llm_endpoint",
    "llm_guardrails",
    "support_plan",
    # A self-hosted model (vllm:MODEL): sizing/selfhosted/serving.py COST_KEYS.
    "llm_gpu_nodes",
    "llm_weights_storage",
    "llm_weights_transfer",
)


@dataclass(frozen=True)
class Billed:
    """Charged on the plan's lines ``keys`` (some only in some plans: extended support, burstable credits)."""

    keys: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Free:
    why: str


KUBERNETES_OBJECT = "a Kubernetes object, kept by the control plane (eks_control_plane)"

BILLING: dict[str, Billed | Free] = {
    # --- network
    "aws:ec2/vpc:Vpc": Free("VPCs have no charge"),
    "aws:ec2/subnet:Subnet": Billed(
        ("data_transfer", "cross_zone_hops"),
        "free itself; traffic between the zones the subnets span is billed per GB each way",
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Free("security groups have no charge"),
    "aws:ec2/securityGroup:SecurityGroup": Free("security groups have no charge"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Free("security group rules have no charge"),
    "aws:ec2/internetGateway:InternetGateway": Billed(
        ("data_transfer",), "free itself; data out to the internet (responses, NAT egress) is billed per GB"
    ),
    "aws:ec2/routeTable:RouteTable": Free("route tables have no charge"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Free("route table associations have no charge"),
    "aws:ec2/eip:Eip": Billed(("public_ipv4",), "each Elastic IP is a public IPv4 address, billed per hour"),
    "aws:ec2/natGateway:NatGateway": Billed(("nat_gateways",), "billed per hour and per GB processed"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Billed(
        ("llm_endpoint",),
        "the Bedrock interface endpoint, when the plan routes the model through it: per zone-hour and per GB (calls "
        "that reach another zone's interface are not billed); the DynamoDB endpoint is a gateway endpoint, which has "
        "no charge",
    ),
    # --- cluster
    "aws:iam/role:Role": Free("IAM has no charge"),
    "aws:iam/rolePolicy:RolePolicy": Free("IAM has no charge"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Free("IAM has no charge"),
    "aws:kms/key:Key": Billed(("kms_key",), "a customer managed key, billed per month and per request"),
    "aws:cloudwatch/logGroup:LogGroup": Billed(
        ("control_plane_logs",), "the control-plane logs' ingestion and storage (kept for the configured retention)"
    ),
    "aws:eks/cluster:Cluster": Billed(
        ("eks_control_plane", "eks_extended_support"),
        "billed per cluster-hour; at the extended support rate once its version leaves standard support under "
        "upgradePolicy EXTENDED",
    ),
    "aws:eks/accessEntry:AccessEntry": Free("access entries have no charge"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": Free("access policy associations have no charge"),
    "aws:eks/addon:Addon": Free("EKS add-ons have no charge; their pods run on the nodes (ec2_nodes)"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": Free("EKS Pod Identity has no charge"),
    "aws:ec2/launchTemplate:LaunchTemplate": Free(
        "launch templates have no charge; the instances and volumes launched from it are the node groups'"
    ),
    "aws:eks/nodeGroup:NodeGroup": Billed(
        ("ec2_nodes", "ec2_spot_nodes", "ebs_volumes", "burstable_credits", "llm_gpu_nodes"),
        "its instances (a Spot group's at the Spot estimate), their gp3 root volumes, and surplus CPU credits when "
        "the type is burstable; the GPU group's instances and volumes on llm_gpu_nodes",
    ),
    # --- data
    "aws:dynamodb/table:Table": Billed(
        ("dynamodb", "dynamodb_pitr"), "capacity or requests and storage; point-in-time recovery per GB-month"
    ),
    "aws:appautoscaling/target:Target": Free("Application Auto Scaling has no charge"),
    "aws:appautoscaling/policy:Policy": Billed(
        ("dynamodb",), "target tracking keeps CloudWatch alarms on the table, billed per alarm-month"
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": Free("subnet groups have no charge"),
    "aws:elasticache/replicationGroup:ReplicationGroup": Billed(
        ("elasticache",), "billed per node-hour (no snapshots are kept, so no backup storage)"
    ),
    "random:index/randomPassword:RandomPassword": Free("generated by the Pulumi engine and kept in the state"),
    # --- in the cluster
    "pulumi:providers:kubernetes": Free("a provider configuration, not a cloud resource"),
    "kubernetes:helm.sh/v3:Release": Free(
        "the Cluster Autoscaler's, the AWS Load Balancer Controller's, KEDA's (3 pods) and the NVIDIA device plugin's "
        "pods run on the nodes (ec2_nodes)"
    ),
    "kubernetes:core/v1:Namespace": Free(KUBERNETES_OBJECT),
    "kubernetes:core/v1:ServiceAccount": Free(KUBERNETES_OBJECT),
    "kubernetes:core/v1:Secret": Free(KUBERNETES_OBJECT),
    "kubernetes:core/v1:ConfigMap": Free(KUBERNETES_OBJECT),
    "kubernetes:keda.sh/v1alpha1:ScaledObject": Free(KUBERNETES_OBJECT + "; KEDA turns it into an HPA"),
    "kubernetes:apps/v1:Deployment": Free("its pods run on the nodes (ec2_nodes)"),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": Free(KUBERNETES_OBJECT),
    "kubernetes:policy/v1:PodDisruptionBudget": Free(KUBERNETES_OBJECT),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": Free(KUBERNETES_OBJECT + "; the VPC CNI enforces it on the nodes"),
    "kubernetes:core/v1:Service": Free(KUBERNETES_OBJECT + "; ClusterIP only, no load balancer of its own"),
    # --- the public edge (edge.py)
    "kubernetes:networking.k8s.io/v1:Ingress": Billed(
        ("load_balancer", "public_ipv4"),
        "the AWS Load Balancer Controller makes an internet-facing ALB of it: its hours and LCUs, and one public "
        "IPv4 address per zone",
    ),
    "aws:wafv2/webAcl:WebAcl": Billed(("waf",), "the web ACL and each rule per month, and every request it inspects"),
    "aws:acm/certificate:Certificate": Free("public ACM certificates used by a load balancer have no charge"),
    "aws:acm/certificateValidation:CertificateValidation": Free("a wait for the certificate's issuance, no resource"),
    "aws:route53/record:Record": Free(
        "records have no charge; the hosted zone is the user's (billed outside the stack, which creates none), "
        "queries to an alias of an ELB load balancer are free, and ACM's validation queries are a handful a year"
    ),
}

# Lines of the plan that no declared resource carries: usage of something outside the stack.
UNDECLARED = {
    "llm_api": "the model provider's (or Bedrock's) per-token charges for the calls the backend makes",
    "llm_guardrails": "Bedrock Guardrails' per-text-unit charges on the turns the backend screens (llm.guardrails)",
    "support_plan": "the account's AWS Support plan (support_plan), a share of the month's AWS charges",
    "llm_weights_storage": "a self-hosted model's checkpoint in the user's S3 bucket (modelWeightsUri), outside the stack",
    "llm_weights_transfer": "new GPU nodes pulling the vLLM image and the weights through the NAT gateways, per GB",
}


def unpriced(resource_types: set[str]) -> list[str]:
    """The declared types this module says nothing about: each is a cost the plan may be missing."""
    return sorted(resource_types - set(BILLING))


def unknown_keys() -> list[str]:
    """Keys used here that are not lines of the breakdown (a typo would silently price nothing)."""
    used = {key for entry in BILLING.values() if isinstance(entry, Billed) for key in entry.keys}
    return sorted((used | set(UNDECLARED)) - set(BREAKDOWN_KEYS))


def unused_keys() -> list[str]:
    """Breakdown lines nothing here points to: either a resource is mapped to the wrong line, or the line prices
    nothing the stack declares and belongs in UNDECLARED."""
    used = {key for entry in BILLING.values() if isinstance(entry, Billed) for key in entry.keys}
    return sorted(set(BREAKDOWN_KEYS) - used - set(UNDECLARED))
