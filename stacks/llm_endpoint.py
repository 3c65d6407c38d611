"""The Bedrock interface endpoint the plan chooses when it costs less than NAT (sizing/engine/llm_route.py).

With private DNS on, ``bedrock-runtime.REGION.amazonaws.com`` resolves inside the VPC to the endpoint's interfaces,
so the backend's SDK reaches Bedrock through it with no change of URL, and the bytes skip the NAT gateways. Guarded
twice: its security group admits HTTPS from the cluster's nodes only, and its policy admits only the backend's
invoke calls on the plan's model (llm_access.endpoint_policy).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
from config import PROJECT, ConfigError
from llm_access import endpoint_policy
from security_groups import from_the_nodes_only

from sizing.plan import LLMRoutePlan

HTTPS_PORT = 443


def require_service_in_zones(service: str, zone_names: Sequence[str], opts: pulumi.InvokeOptions) -> None:
    """An endpoint service may not serve every zone of a region, and CreateVpcEndpoint refuses a subnet in one it does
    not serve: stop at preview, naming the way out, rather than halfway through an `up` (the plan bills an interface
    in every zone of the cluster, so it does not quietly drop one)."""
    offered = set(aws.ec2.get_vpc_endpoint_service(service_name=service, opts=opts).availability_zones)
    missing = [zone for zone in zone_names if zone not in offered]
    if missing:
        raise ConfigError(
            f"{PROJECT}:assumptions: the plan routes the model's calls through an interface endpoint, but {service} "
            f"is not offered in {', '.join(missing)}, where the cluster has subnets: set "
            f"`bedrock_vpc_endpoint: false` in {PROJECT}:assumptions (the calls then go through NAT), or pin "
            f"{PROJECT}:availabilityZoneIds to zones it serves"
        )


class BedrockEndpoint(pulumi.ComponentResource):
    """An interface in each of the cluster's private subnets (one per zone, as the plan bills them)."""

    def __init__(
        self,
        name: str,
        route: LLMRoutePlan,
        model: str,
        *,
        region: str,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        zone_names: Sequence[str],
        node_security_group_id: pulumi.Input[str],
        cluster_name: pulumi.Input[str],
        namespace: str,
        service_account: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:network:BedrockEndpoint", name, None, opts)
        if route.via != "interface_endpoint" or route.endpoint_service is None:
            raise ValueError("BedrockEndpoint: the plan routes the model's calls through NAT, not an endpoint")
        child = pulumi.ResourceOptions(parent=self)
        require_service_in_zones(route.endpoint_service, zone_names, pulumi.InvokeOptions(parent=self))
        self.security_group = from_the_nodes_only(
            f"{name}-sg",
            f"{name}-from-nodes",
            "chat-infra Bedrock endpoint: HTTPS from the EKS nodes only",
            "HTTPS from the EKS nodes",
            HTTPS_PORT,
            vpc_id,
            node_security_group_id,
            child,
            tags={"Name": f"{name}-sg"},
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        policy = pulumi.Output.all(account_id, partition, cluster_name).apply(
            lambda args: endpoint_policy(model, region, args[0], args[2], namespace, service_account, args[1])
        )
        self.endpoint = aws.ec2.VpcEndpoint(
            name,
            vpc_id=vpc_id,
            service_name=route.endpoint_service,
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=list(subnet_ids),
            security_group_ids=[self.security_group.id],
            policy=policy,
            tags={"Name": name},
            opts=child,
        )
        self.register_outputs({"endpointId": self.endpoint.id, "securityGroupId": self.security_group.id})
