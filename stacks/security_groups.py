"""A security group that admits one TCP port from the cluster's nodes and nothing else: what the cache and the
Bedrock endpoint each need, since a pod reaches them with its node's security groups (the VPC CNI's default)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def from_the_nodes_only(
    name: str,
    rule_name: str,
    description: str,
    rule_description: str,
    port: int,
    vpc_id: pulumi.Input[str],
    node_security_group_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    tags: dict[str, str] | None = None,
) -> aws.ec2.SecurityGroup:
    """No egress rule: what sits behind it answers, it never opens connections."""
    group = aws.ec2.SecurityGroup(name, description=description, vpc_id=vpc_id, tags=tags, opts=opts)
    aws.vpc.SecurityGroupIngressRule(
        rule_name,
        security_group_id=group.id,
        referenced_security_group_id=node_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=rule_description,
        opts=opts,
    )
    return group
