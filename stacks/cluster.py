"""The EKS cluster and its node groups, shaped by the plan's NodePlan and nothing else."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from sizing.plan import NodePlan

# The managed policies each role needs, and no more.
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")

AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
# Names each node's group; the Cluster Autoscaler must ignore it when it compares groups (see autoscaler.py).
NODE_GROUP_LABEL = "chat-infra/node-group"

# One hop: the node itself reaches the instance metadata service, pods (one more network hop away) cannot, so no
# pod can borrow the node role. Pods that need AWS get their own role through EKS Pod Identity (see workloads.py).
IMDS_HOP_LIMIT = 1


def cluster_name_for(project: str, stack: str) -> str:
    """One cluster per stack, named before it exists: subnet and autoscaler tags must carry the name."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}")[:100]


def assume_role_policy(service: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
        }
    )


def autoscaler_tags(cluster_name: str) -> dict[str, str]:
    """Cluster Autoscaler's auto-discovery finds the node groups it may scale by these tags."""
    return {"k8s.io/cluster-autoscaler/enabled": "true", f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig that authenticates with ``aws eks get-token``: no long-lived credential is written anywhere."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }


class Cluster(pulumi.ComponentResource):
    """EKS with secrets envelope-encrypted, and one managed node group per group of the plan.

    The node groups start at the plan's minimum and may grow to its maximum; the Cluster Autoscaler, not Pulumi,
    owns the desired size in between, so later ``pulumi up`` runs must not reset it.
    """

    def __init__(
        self,
        name: str,
        plan: NodePlan,
        cluster_name: str,
        kubernetes_version: str,
        region: str,
        subnet_ids: list[pulumi.Input[str]],
        disk_gib: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition(opts=pulumi.InvokeOptions(parent=self)).partition

        def managed(policy: str) -> str:
            return f"arn:{partition}:iam::aws:policy/{policy}"

        cluster_role = aws.iam.Role(
            f"{name}-cluster-role", assume_role_policy=assume_role_policy("eks.amazonaws.com"), opts=child
        )
        cluster_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-cluster-{policy}", role=cluster_role.name, policy_arn=managed(policy), opts=child
            )
            for policy in CLUSTER_POLICIES
        ]
        node_role = aws.iam.Role(f"{name}-node-role", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), opts=child)
        node_attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=node_role.name, policy_arn=managed(policy), opts=child)
            for policy in NODE_POLICIES
        ]

        secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of Kubernetes secrets in EKS cluster {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )

        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            # A fixed name: subnet and autoscaler tags must carry it before the cluster exists.
            name=cluster_name,
            role_arn=cluster_role.arn,
            version=kubernetes_version,
            vpc_config={
                "subnet_ids": subnet_ids,
                "endpoint_private_access": True,
                # Pulumi and kubectl run from outside the VPC; access still needs IAM and an access entry.
                "endpoint_public_access": True,
            },
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster_attachments),
        )

        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            description="EKS nodes: IMDSv2 only, encrypted gp3 root volume",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": IMDS_HOP_LIMIT,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": disk_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            update_default_version=True,
            opts=child,
        )

        self.node_groups: list[aws.eks.NodeGroup] = []
        for group in plan.groups:
            self.node_groups.append(
                aws.eks.NodeGroup(
                    f"{name}-{group.name}",
                    cluster_name=self.cluster.name,
                    node_role_arn=node_role.arn,
                    subnet_ids=subnet_ids,
                    instance_types=[group.instance_type],
                    ami_type=AMI_TYPES[plan.arch],
                    capacity_type="ON_DEMAND",
                    scaling_config={
                        "min_size": group.min_nodes,
                        "max_size": group.max_nodes,
                        "desired_size": group.min_nodes,
                    },
                    update_config={"max_unavailable": 1},
                    launch_template={"id": launch_template.id, "version": launch_template.latest_version.apply(str)},
                    labels={NODE_GROUP_LABEL: group.name},
                    tags=autoscaler_tags(cluster_name),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=node_attachments,
                        ignore_changes=["scalingConfig.desiredSize"],
                    ),
                )
            )

        # The HorizontalPodAutoscalers read pod CPU from the metrics API, which EKS does not serve by default.
        metrics_server = aws.eks.Addon(
            f"{name}-metrics-server",
            cluster_name=self.cluster.name,
            addon_name="metrics-server",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.node_groups),
        )
        # Lets pods assume their own IAM role (the backend's table access) instead of the node's.
        pod_identity_agent = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=self.cluster.name,
            addon_name="eks-pod-identity-agent",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.node_groups),
        )

        # Whatever runs in the cluster waits for these: a Deployment is not ready until nodes exist, an HPA not useful
        # before metrics, a pod with an IAM role not able to use it before the Pod Identity agent.
        self.ready: list[pulumi.Resource] = [*self.node_groups, metrics_server, pod_identity_agent]
        self.cluster_name = self.cluster.name
        # Managed nodes without custom security groups carry the cluster security group: admit it to reach nodes.
        self.node_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.node_group_names = [g.node_group_name for g in self.node_groups]
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
                lambda args: json.dumps(kubeconfig(args[0], args[1], args[2], region))
            )
        )
        # The one way into the cluster, for its add-ons (the autoscaler) and the app alike, so both always target the
        # same cluster with the same credentials. Everything deployed through it waits for the nodes and add-ons.
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, opts=pulumi.ResourceOptions(parent=self, depends_on=self.ready)
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "nodeGroupNames": self.node_group_names,
                "nodeSecurityGroupId": self.node_security_group_id,
                "kubeconfig": self.kubeconfig,
            }
        )
