"""The Kubernetes Cluster Autoscaler: the piece that lets the node groups actually move between the plan's bounds.

Without it the managed node groups sit where Pulumi put them (Pulumi only keeps the live desired size inside the
plan's bounds, node_groups.py), so neither the plan's max nodes nor the HPAs' max replicas could
ever be reached: pods beyond the first nodes' capacity would stay Pending.

The spec builders are pure functions so they can be checked without any Pulumi machinery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from cluster import NODE_GROUP_LABEL, pod_identity_role
from config import PROJECT, ConfigError

from sizing.engine.addons import CLUSTER_AUTOSCALER

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
RELEASE_NAME = "cluster-autoscaler"
CHART = "cluster-autoscaler"
CHART_REPO = "https://kubernetes.github.io/autoscaler"
IMAGE_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"


@dataclass(frozen=True)
class AutoscalerVersion:
    chart: str
    image_tag: str


# The autoscaler embeds the scheduler of one Kubernetes minor and is released per minor (CA 1.N.x for Kubernetes
# 1.N.x), so the image must follow the cluster's version, and so must the chart, whose RBAC follows what that
# release watches. Each pair was checked to exist: chart appVersions from `helm search repo autoscaler/cluster-
# autoscaler --versions` (kubernetes/autoscaler#8891) and kubermatic/kubermatic#16253; image tags from their
# promotion to registry.k8s.io (kubernetes/k8s.io#8815) and the 1.35.0 chart default (kubernetes/autoscaler#9193).
# A minor missing here stops the program instead of guessing a tag that may not exist: add the pair to support it.
VERSIONS: dict[str, AutoscalerVersion] = {
    "1.33": AutoscalerVersion(chart="9.51.0", image_tag="v1.33.3"),
    "1.34": AutoscalerVersion(chart="9.53.0", image_tag="v1.34.2"),
    "1.35": AutoscalerVersion(chart="9.59.0", image_tag="v1.35.0"),
}

# What the autoscaler only reads: its discovery of the groups, their instance types and launch templates, and the
# managed node group API for groups scaled to zero. None of these calls can be narrowed to a resource.
READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
# The managed node group API, for groups scaled to zero: only this cluster's groups.
DESCRIBE_NODE_GROUP = "eks:DescribeNodegroup"
# What changes capacity: allowed only on groups tagged as this cluster's (EKS tags every managed node group's ASG
# this way), so the role cannot resize any other cluster's or team's groups in the account.
SCALE_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")

# Requests as upstream's example manifest. No CPU limit: throttling would slow the scan loop exactly when a large
# plan (several node groups) needs it most; memory is limited so a leak cannot starve the node. Written once, in
# sizing, whose plan packs this pod beside the app's (sizing/engine/addons.py).
REPLICAS = CLUSTER_AUTOSCALER.replicas
RESOURCES = CLUSTER_AUTOSCALER.resources()


def version_for(kubernetes_version: str) -> AutoscalerVersion:
    """Fail before anything is declared when no autoscaler release is pinned for the cluster's minor."""
    try:
        return VERSIONS[kubernetes_version]
    except KeyError:
        pinned = ", ".join(sorted(VERSIONS))
        raise ConfigError(
            f"{PROJECT}:kubernetesVersion: no Cluster Autoscaler release is pinned for Kubernetes {kubernetes_version} "
            f"(pinned: {pinned}); add it to VERSIONS in stacks/autoscaler.py"
        ) from None


def ownership_condition(cluster_name: str) -> dict[str, dict[str, str]]:
    return {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}}


def node_groups_arn(partition: str, region: str, account_id: str, cluster_name: str) -> str:
    """Every node group of the cluster: EKS names them nodegroup/CLUSTER/GROUP/ID."""
    return f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"


def scaling_policy(cluster_name: str, cluster_node_groups_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Discover", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
                {
                    "Sid": "DescribeOwnNodeGroups",
                    "Effect": "Allow",
                    "Action": [DESCRIBE_NODE_GROUP],
                    "Resource": cluster_node_groups_arn,
                },
                {
                    "Sid": "ScaleOwnGroups",
                    "Effect": "Allow",
                    "Action": list(SCALE_ACTIONS),
                    "Resource": "*",
                    "Condition": ownership_condition(cluster_name),
                },
            ],
        }
    )


# Priorities of the priority expander: higher wins. The Spot groups first, then the plan's other groups, then any
# other group (one being replaced, until Pulumi deletes it after its successor is ACTIVE).
SPOT_PRIORITY, PLAN_PRIORITY, OTHER_PRIORITY = 50, 30, 10


def spot_priorities(spot_node_group_names: Sequence[str]) -> dict[str, list[str]]:
    """The priority expander's configuration: Spot groups before the rest.

    The expander matches the autoscaler's node group ids, which on AWS are Auto Scaling group names; EKS names a
    managed node group's ASG ``eks-<node group name>-<id>``."""
    return {
        str(SPOT_PRIORITY): [f"^eks-{re.escape(name)}-[0-9a-f-]+$" for name in spot_node_group_names],
        str(OTHER_PRIORITY): [".*"],
    }


def group_priorities(plan_names: Sequence[str], spot_names: Sequence[str] = ()) -> dict[str, list[str]]:
    """The priority expander's configuration while old and new groups coexist: scale-up grows the plan's groups
    (Spot first under spot-burst), never the group a type change is about to delete. Both stay discovered (both
    carry the auto-discovery tags), so the old one can still shrink while its pods move."""

    def pattern(name: str) -> str:
        return f"^eks-{re.escape(name)}-[0-9a-f-]+$"

    priorities = {str(PLAN_PRIORITY): [pattern(n) for n in plan_names if n not in spot_names]}
    if spot_names:
        priorities[str(SPOT_PRIORITY)] = [pattern(n) for n in spot_names]
    priorities[str(OTHER_PRIORITY)] = [".*"]
    return {key: value for key, value in priorities.items() if value}


def chart_values(
    cluster_name: pulumi.Input[str],
    region: str,
    version: AutoscalerVersion,
    pod_grace_seconds: int,
    priorities: pulumi.Input[dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """``priorities`` (from ``spot_priorities``): scale-up tries the Spot groups first, then the least wasteful."""
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        "awsRegion": region,
        # The chart turns this into --node-group-auto-discovery on the two tags the node groups carry.
        "autoDiscovery": {"clusterName": cluster_name},
        # Named, not generated: the Pod Identity association must name the same account before the pod starts.
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
        "fullnameOverride": RELEASE_NAME,
        "image": {"repository": IMAGE_REPOSITORY, "tag": version.image_tag},
        "extraArgs": {
            # Above 450 nodes the plan splits into several groups of one instance type; without balancing the
            # autoscaler would fill one group to its maximum before touching the next.
            "balance-similar-node-groups": True,
            # Groups differ only in the label naming them; left in, it would make no two groups "similar" and the
            # flag above a no-op. (EKS's own node group label is already ignored by the AWS provider.)
            "balancing-ignore-label_1": NODE_GROUP_LABEL,
            # The AMI release differs between groups created at different times; it is not a scheduling property.
            "balancing-ignore-label_2": "eks.amazonaws.com/nodegroup-image",
            # CoreDNS, metrics-server and the Pod Identity agent run on every small cluster's first nodes; if their
            # pods pinned nodes, the groups could grow but never shrink back to the plan's minimum.
            "skip-nodes-with-system-pods": False,
            # Add the group that leaves the least CPU and memory idle after the pending pods fit.
            "expander": "least-waste",
            # Scale-in drains a node and waits at most this long for its pods to stop: as long as the pods' own
            # grace period, so a streaming response is finished, not cut (the default is 600 s whatever the pods ask).
            "max-graceful-termination-sec": pod_grace_seconds,
        },
        "replicaCount": REPLICAS,
        "resources": RESOURCES,
        # It runs on the worker nodes (EKS has no control-plane nodes to host it), so it must not drain its own.
        "podAnnotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux"},
    }
    if priorities is not None:
        # The chart writes expanderPriorities into the cluster-autoscaler-priority-expander ConfigMap it reads.
        values["extraArgs"]["expander"] = "priority,least-waste"
        values["expanderPriorities"] = priorities
    return values


class ClusterAutoscaler(pulumi.ComponentResource):
    """The Cluster Autoscaler, with an IAM role of its own through EKS Pod Identity.

    Cluster infrastructure rather than part of the app: it is deployed whether or not the workloads are, because the
    node groups' bounds mean nothing until something moves the desired size between them.
    """

    def __init__(
        self,
        name: str,
        cluster_name: pulumi.Input[str],
        region: str,
        version: AutoscalerVersion,
        provider: k8s.Provider,
        pod_grace_seconds: int,
        spot_node_group_names: Sequence[pulumi.Input[str]] = (),
        node_group_names: Sequence[pulumi.Input[str]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:autoscaler:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Its own role, not the node role: pods cannot reach the node's credentials (IMDS hop limit 1, cluster.py),
        # and only this one pod may resize groups.
        self.role = pod_identity_role(f"{name}-role", cluster_name, region, parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        policy = aws.iam.RolePolicy(
            f"{name}-scaling",
            role=self.role.id,
            policy=pulumi.Output.all(cluster_name, partition, account_id).apply(
                lambda args: scaling_policy(args[0], node_groups_arn(args[1], region, args[2], args[0]))
            ),
            opts=child,
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-identity",
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=self.role.arn,
            opts=child,
        )

        # A Release, not a Chart: the chart's objects are Helm's to upgrade and roll back, and its values are one
        # reviewable input. Credentials are injected when the pod is created, so the association and its policy
        # must exist first, or the first pod would start without AWS access.
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart=CHART,
            version=version.chart,
            repository_opts={"repo": CHART_REPO},
            namespace=NAMESPACE,
            values=chart_values(
                cluster_name,
                region,
                version,
                pod_grace_seconds,
                self._priorities(node_group_names, spot_node_group_names),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[association, policy]),
        )

        self.register_outputs(
            {
                "roleArn": self.role.arn,
                "serviceAccount": f"{NAMESPACE}/{SERVICE_ACCOUNT}",
                "chartVersion": version.chart,
                "image": f"{IMAGE_REPOSITORY}:{version.image_tag}",
            }
        )

    @staticmethod
    def _priorities(
        plan_names: Sequence[pulumi.Input[str]], spot_names: Sequence[pulumi.Input[str]]
    ) -> pulumi.Output[dict[str, list[str]]] | None:
        if plan_names:
            count = len(plan_names)
            return pulumi.Output.all(*plan_names, *spot_names).apply(
                lambda names: group_priorities(names[:count], names[count:])
            )
        if spot_names:
            return pulumi.Output.all(*spot_names).apply(spot_priorities)
        return None
