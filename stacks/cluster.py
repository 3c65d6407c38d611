"""The EKS cluster and its node groups, shaped by the plan's NodePlan and nothing else."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from config import PROJECT, AwsIdentity
from node_groups import desired_size, live_node_groups, move_warning, physical_name, removal_warnings

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

# EKS managed add-ons instead of the copies EKS bootstraps unmanaged (which nothing upgrades, so EKS refuses the next
# cluster upgrade once they fall too far behind). The network and Pod Identity agents go in before the nodes: a node
# is not Ready without its CNI, and a pod with an IAM role must find the agent when it starts. kube-proxy too, so the
# first pods reach Services. CoreDNS and metrics-server are Deployments: without nodes they would never turn healthy.
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
ADDONS_AFTER_NODES = ("coredns", "metrics-server")
# The VPC CNI enforces Kubernetes NetworkPolicies (workloads.py declares them) only when this is on.
ADDON_CONFIGURATION = {"vpc-cni": {"enableNetworkPolicy": "true"}}
# Resource names predate the other add-ons; renaming them would replace the add-ons.
ADDON_RESOURCE_NAMES = {"eks-pod-identity-agent": "pod-identity-agent"}
CLUSTER_LOG_TYPES = ["api", "audit", "authenticator"]
OPEN_TO_THE_WORLD = "0.0.0.0/0"


def cluster_admin_policy_arn(partition: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def admin_resource_suffix(principal_arn: str) -> str:
    """Named by the principal, not its place in the list: reordering the config must not replace anyone's access."""
    return hashlib.sha256(principal_arn.encode()).hexdigest()[:10]


def admins_for(listed: tuple[str, ...], deployer: str) -> tuple[list[str], list[str]]:
    """Who gets cluster-admin, and what the preview should warn about.

    Nobody listed: whoever runs Pulumi (the one-person case, as EKS's own creator bootstrap would). Listed: exactly
    those; a runner outside the list is told now, because every Kubernetes resource would fail for it with 401.
    """
    if not listed:
        return [deployer], []
    if deployer in listed:
        return list(listed), []
    return list(listed), [
        f"{deployer} runs this update but is not in {PROJECT}:adminPrincipalArns: it cannot reach Kubernetes, so "
        "every Kubernetes resource will fail with 401 (Unauthorized); add it or run as a listed principal"
    ]


def endpoint_warnings(public_access_cidrs: tuple[str, ...]) -> list[str]:
    if public_access_cidrs and OPEN_TO_THE_WORLD not in public_access_cidrs:
        return []
    return [
        f"the Kubernetes API endpoint is public to {OPEN_TO_THE_WORLD} (IAM still guards it): set "
        f"{PROJECT}:publicAccessCidrs to the addresses of your team and CI"
    ]


def log_group_name(cluster_name: str) -> str:
    """Where EKS writes control-plane logs; it creates the group itself, without retention, if the stack has not."""
    return f"/aws/eks/{cluster_name}/cluster"


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


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")


def cluster_arn(partition: str, region: str, account_id: str, cluster_name: str) -> str:
    return f"arn:{partition}:eks:{region}:{account_id}:cluster/{cluster_name}"


def pod_identity_trust_policy(account_id: str, source_cluster_arn: str) -> str:
    """EKS Pod Identity may assume the role only for this account's cluster: without the aws:SourceAccount and
    aws:SourceArn conditions, any cluster in any account could associate the role (the confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": POD_IDENTITY_SERVICE},
                    "Action": list(POD_IDENTITY_ACTIONS),
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnEquals": {"aws:SourceArn": source_cluster_arn},
                    },
                }
            ],
        }
    )


def pod_identity_role(
    resource_name: str, cluster_name: pulumi.Input[str], region: str, parent: pulumi.Resource
) -> aws.iam.Role:
    """An IAM role for one service account through EKS Pod Identity, trusted only from this stack's cluster."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    caller = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke).partition
    policy = pulumi.Output.all(caller.account_id, partition, cluster_name).apply(
        lambda args: pod_identity_trust_policy(args[0], cluster_arn(args[1], region, args[0], args[2]))
    )
    return aws.iam.Role(resource_name, assume_role_policy=policy, opts=pulumi.ResourceOptions(parent=parent))


def autoscaler_tags(cluster_name: str) -> dict[str, str]:
    """Cluster Autoscaler's auto-discovery finds the node groups it may scale by these tags."""
    return {"k8s.io/cluster-autoscaler/enabled": "true", f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}


def kubeconfig(
    cluster_name: str, endpoint: str, ca_data: str, region: str, identity: AwsIdentity = AwsIdentity()
) -> dict[str, Any]:
    """A kubeconfig that authenticates with ``aws eks get-token``: no long-lived credential is written anywhere.

    The token is made by the identity the AWS provider uses (its profile, its assumed role), not by whatever the
    environment holds: the access entries are that identity's, and with any other the Kubernetes calls get 401.
    """
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if identity.role_arn:
        args += ["--role-arn", identity.role_arn]
    if identity.profile:
        args += ["--profile", identity.profile]
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
                        "args": args,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }


class Cluster(pulumi.ComponentResource):
    """EKS with secrets envelope-encrypted, managed add-ons, and one managed node group per group of the plan.

    The node groups start at the plan's minimum and may grow to its maximum; the Cluster Autoscaler owns the desired
    size in between, so later ``pulumi up`` runs declare the live desired size clamped to the new bounds
    (node_groups.py). Everything versioned (node
    groups, add-ons) follows ``kubernetes_version``, so one config change upgrades the whole cluster in order:
    control plane, then the add-ons the nodes need, then the nodes, then the rest.
    """

    def __init__(
        self,
        name: str,
        plan: NodePlan,
        cluster_name: str,
        kubernetes_version: str,
        region: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        disk_gib: int,
        admin_principal_arns: tuple[str, ...] = (),
        public_access_cidrs: tuple[str, ...] = (),
        log_retention_days: int = 90,
        upgrade_policy: str = "STANDARD",
        node_update_max_unavailable_percent: int = 33,
        identity: AwsIdentity = AwsIdentity(),
        zone_ids: Sequence[str] = (),
        other_slots: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition(opts=invoke).partition

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
        node_role = aws.iam.Role(
            f"{name}-node-role", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), opts=child
        )
        node_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}", role=node_role.name, policy_arn=managed(policy), opts=child
            )
            for policy in NODE_POLICIES
        ]

        secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of Kubernetes secrets in EKS cluster {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child,
        )
        # Created before the cluster, with a retention: left to EKS, the group would keep every log line forever.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=log_group_name(cluster_name),
            retention_in_days=log_retention_days,
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
                # Pulumi and kubectl run from outside the VPC; access still needs IAM and an access entry. Nodes
                # reach the private endpoint, so the allow-list only needs the team's and CI's addresses.
                "endpoint_public_access": True,
                "public_access_cidrs": list(public_access_cidrs) or [OPEN_TO_THE_WORLD],
            },
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            # Access is granted only by the access entries below, never implicitly to whoever created the cluster:
            # that entry could not be removed or handed over without replacing the cluster.
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            # No unmanaged add-on copies: the managed add-ons below replace them and follow the cluster's version.
            bootstrap_self_managed_addons=False,
            # STANDARD: EKS upgrades the cluster when its version leaves standard support instead of billing
            # extended support; EXTENDED keeps the version, at the extended rate the plan then charges.
            upgrade_policy={"support_type": upgrade_policy},
            enabled_cluster_log_types=CLUSTER_LOG_TYPES,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*cluster_attachments, self.log_group],
                # The name is fixed, so a change EKS can only make by replacing the cluster (its role, encryption,
                # bootstrap settings) could never create the new one beside the old: delete first, then create.
                delete_before_replace=True,
            ),
        )

        caller = aws.get_caller_identity(opts=invoke)
        deployer = aws.iam.get_session_context(arn=caller.arn, opts=invoke).issuer_arn
        admins, warnings = admins_for(admin_principal_arns, deployer)
        for warning in warnings:
            pulumi.log.warn(warning, resource=self)
        self.admin_access: list[aws.eks.AccessPolicyAssociation] = []
        for principal in admins:
            suffix = admin_resource_suffix(principal)
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{suffix}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child,
            )
            self.admin_access.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{suffix}",
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=cluster_admin_policy_arn(partition),
                    access_scope={"type": "cluster"},
                    opts=child,
                )
            )

        def addon(addon_name: str, depends_on: list[pulumi.Resource]) -> aws.eks.Addon:
            # EKS's default release of the add-on for this Kubernetes minor: a version change moves it too.
            version = aws.eks.get_addon_version(
                addon_name=addon_name, kubernetes_version=kubernetes_version, opts=invoke
            ).version
            configuration = ADDON_CONFIGURATION.get(addon_name)
            return aws.eks.Addon(
                f"{name}-{ADDON_RESOURCE_NAMES.get(addon_name, addon_name)}",
                cluster_name=self.cluster.name,
                addon_name=addon_name,
                addon_version=version,
                configuration_values=json.dumps(configuration) if configuration else None,
                # The stack's settings win over anything changed by hand, so an upgrade applies cleanly.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )

        self.addons: dict[str, aws.eks.Addon] = {
            addon_name: addon(addon_name, []) for addon_name in ADDONS_BEFORE_NODES
        }

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
        # What EKS runs now (nothing on the first `up`): the desired sizes to keep, the groups a new type replaces.
        live = live_node_groups(cluster_name, opts=invoke)
        # Read once for every group of the cluster, the GPU group's too (gpu_serving.py).
        self.live_groups = live
        # ``other_slots``: groups declared elsewhere (the GPU group), planned though not in ``plan``.
        for warning in removal_warnings([*(g.name for g in plan.groups), *other_slots], live):
            pulumi.log.warn(warning, resource=self)
        for group in plan.groups:
            group_name = physical_name(group, AMI_TYPES[plan.arch], zone_ids)
            sizing = desired_size(group, group_name, live)
            for replaced in sizing.replaces:
                pulumi.log.warn(move_warning(replaced, group_name), resource=self)
            self.node_groups.append(
                aws.eks.NodeGroup(
                    f"{name}-{group.name}",
                    cluster_name=self.cluster.name,
                    # Named for what cannot change in place (node_groups.py): a new type is a new name, created and
                    # ACTIVE before Pulumi deletes the old group, which EKS drains under the PodDisruptionBudgets.
                    node_group_name=group_name,
                    # The cluster's version: a control-plane upgrade carries the nodes with it (EKS refuses the next
                    # upgrade while nodes lag a minor behind), after the control plane, which the name ties it to.
                    version=kubernetes_version,
                    node_role_arn=node_role.arn,
                    subnet_ids=subnet_ids,
                    # A Spot group's types share one vCPU and memory (the autoscaler assumes its nodes alike); EKS
                    # spreads its Spot requests over them (price-capacity-optimized) and rebalances before
                    # interruptions.
                    instance_types=list(group.instance_types),
                    ami_type=AMI_TYPES[plan.arch],
                    capacity_type=group.capacity_type,
                    # The live desired size (what the autoscaler set), clamped to the new bounds: never below the
                    # new minimum (EKS would refuse the update), never above the maximum, never reset lower.
                    scaling_config={
                        "min_size": group.min_nodes,
                        "max_size": group.max_nodes,
                        "desired_size": sizing.desired,
                    },
                    # A share, not one node at a time: a group of hundreds of nodes must finish within the update's
                    # timeout. The PodDisruptionBudgets still bound how many pods each drain takes out.
                    update_config={"max_unavailable_percentage": node_update_max_unavailable_percent},
                    # EKS replaces nodes that turn unhealthy (kubelet, networking, disk) instead of leaving them.
                    node_repair_config={"enabled": True},
                    launch_template={"id": launch_template.id, "version": launch_template.latest_version.apply(str)},
                    labels={NODE_GROUP_LABEL: group.name},
                    tags=autoscaler_tags(cluster_name),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[*node_attachments, *self.addons.values()],
                        # The default, said out loud: the replacement exists before the group it replaces goes.
                        delete_before_replace=False,
                    ),
                )
            )

        # CoreDNS and the metrics API (the HPAs read pod CPU from it) run as Deployments, on the nodes.
        for addon_name in ADDONS_AFTER_NODES:
            self.addons[addon_name] = addon(addon_name, list(self.node_groups))

        # Whatever runs in the cluster waits for these: a Deployment is not ready until nodes exist, an HPA not useful
        # before metrics, a pod with an IAM role not able to use it before the Pod Identity agent, and nothing at all
        # reaches the API before the access entries exist.
        self.ready: list[pulumi.Resource] = [*self.node_groups, *self.addons.values(), *self.admin_access]
        self.cluster_name = self.cluster.name
        # For node groups declared outside this component (the GPU group of a self-hosted model, gpu_serving.py), and
        # what they must wait for, as the groups above do.
        self.node_role_arn = node_role.arn
        self.node_prerequisites: list[pulumi.Resource] = [
            *node_attachments,
            *(self.addons[a] for a in ADDONS_BEFORE_NODES),
        ]
        # Managed nodes without custom security groups carry the cluster security group: admit it to reach nodes.
        self.node_security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.node_group_names = [g.node_group_name for g in self.node_groups]
        # The Spot groups' names: the autoscaler's priority expander prefers them for scale-up.
        self.spot_node_group_names = [
            ng.node_group_name
            for ng, group in zip(self.node_groups, plan.groups, strict=True)
            if group.capacity_type == "SPOT"
        ]
        config_text: pulumi.Output[str] = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(lambda args: json.dumps(kubeconfig(args[0], args[1], args[2], region, identity)))
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(config_text)
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
