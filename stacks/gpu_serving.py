"""A self-hosted model on the cluster's own GPUs: a GPU node group, the NVIDIA device plugin, and vLLM's
OpenAI-compatible server shaped by the plan's SelfHostedPlan, behind a ClusterIP Service the backend calls.

The spec builders are pure functions of the plan so they can be checked without any Pulumi machinery; the component
only wires them together. Autoscaling on vLLM's queue lives in gpu_autoscaling.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from cluster import IMDS_HOP_LIMIT, NODE_GROUP_LABEL, autoscaler_tags, pod_identity_role
from config import Serving
from llm_access import (
    PRESTOP_SECONDS,
    SERVING_NAME,
    SERVING_NAMESPACE,
    SERVING_PORT,
    grace_seconds,
    serving_labels,
)
from node_groups import LiveGroup, desired_size, move_warning, physical_name

from sizing.plan import LLMPlan, NodeGroupPlan, SelfHostedPlan

# The EKS-optimized Amazon Linux 2023 AMI with the NVIDIA driver and container toolkit (EKS API AMITypes; the
# NVIDIA device plugin is NOT included and is installed below: EKS User Guide, "ml-eks-k8s-device-plugin").
GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
GPU_NODE_GROUP = "gpu"
# Its slot among the cluster's node groups (node_groups.py): the CPU groups' removal check must know it is planned.
GPU_SLOT = "gpu-1"
# Only pods that tolerate it land on a GPU node: the app's CPU pods never take a GPU node's CPU and memory.
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
GPU_RESOURCE = "nvidia.com/gpu"
# The device plugin chart's default node affinity admits nodes carrying this label (or NFD's PCI labels, which this
# stack does not install); the Cluster Autoscaler treats nodes carrying the accelerator label as GPU nodes and waits
# for the device plugin instead of adding nodes again while the GPUs are not yet advertised (its AWS README, "Special
# note on GPU instances").
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"

# NVIDIA's device plugin, the Helm chart EKS's user guide names for AL2023 NVIDIA nodes. 0.18.2 as pinned by
# awslabs/ai-on-eks (infra/base/terraform/variables.tf, 2026); chart repository per the plugin's README.
DEVICE_PLUGIN_CHART = "nvidia-device-plugin"
DEVICE_PLUGIN_VERSION = "0.18.2"
DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
DEVICE_PLUGIN_NAMESPACE = "kube-system"

# The weights are copied from S3 by an init container with the AWS CLI (v2 reads EKS Pod Identity credentials).
AWS_CLI_IMAGE = "amazon/aws-cli:2.32.8"
WEIGHTS_MOUNT = "/models"
WEIGHTS_DIR = f"{WEIGHTS_MOUNT}/weights"
HF_HOME = f"{WEIGHTS_MOUNT}/huggingface"
HF_SECRET = "hf-token"
HF_SECRET_KEY = "token"
# Room over the weights for the tokenizer, configs and partial downloads in the weights' emptyDir.
WEIGHTS_HEADROOM = 1.2

# Node disk: the AL2023 system and kubelet (20 GiB, EKS's own default), then the vLLM image twice: its compressed
# layers (~12 GB) and the unpacked image (28.6 GB, vLLM PR #22377) both sit on the disk while it is pulled; vLLM
# issue #17163 is an image that exhausted 50 GB nodes. Then each replica's weights; then the kubelet's hard eviction
# margin (imagefs.available < 15%), which must stay free.
SYSTEM_DISK_GIB = 20
IMAGE_DISK_GIB = 45
EVICTION_FREE_SHARE = 0.15

# Per GPU of a replica: vLLM's own Kubernetes example requests 2 CPUs and 6 GB; 2 CPUs and 8 GiB per GPU fit the
# smallest GPU node (g5/g6.xlarge: 4 vCPU, 16 GiB, of which ~3.9 vCPU and ~14.5 GiB allocatable) with the
# DaemonSets beside it. No CPU or memory limit: the node is the replica's alone (taint), and a memory limit below
# what loading a checkpoint maps would kill the pod mid-load.
CPU_PER_GPU = 2
MEMORY_GIB_PER_GPU = 8
# Shared memory for tensor parallelism (NCCL between the GPUs of one replica): the container default is 64 MiB.
# 2 GiB as in vLLM's Kubernetes guide (docs/deployment/k8s.md).
SHM_SIZE = "2Gi"

# Probes: /health answers 200 once the engine is up. The startup probe gives the plan's load time twice over (the
# load time is predicted, and a cold S3 or Hugging Face read can run slower) before the kubelet restarts the pod;
# readiness takes the pod out of the Service quickly when the engine stops answering.
PROBE_PERIOD_SECONDS = 10
STARTUP_MARGIN = 2.0
# Node boot, GPU driver and device plugin start, and pulling the image: what a Deployment waits for before the
# startup budget even begins (ai-on-eks llm-d: ~10 min model loading; an image pull measured at 5 min 38 s).
NODE_AND_PULL_SECONDS = 900

# Weight formats: what vLLM is told when the plan does not say. bf16 runs the checkpoint as is; fp8 quantizes a bf16
# checkpoint on load: W8A8 on Ada/Hopper, weight-only FP8 Marlin on Ampere (docs.vllm.ai quantization/fp8); int4
# needs a pre-quantized (AWQ/GPTQ) checkpoint, whose own quantization config vLLM reads, so no flag. The capacity model
# may name the checkpoint and its --quantization itself (SelfHostedPlan.checkpoint / .quantization, added beside the
# contract): then the plan's word wins, since vLLM refuses a flag that contradicts the checkpoint's own config.
DTYPE_BY_FORMAT = {"bf16": "bfloat16"}


def format_args(plan: SelfHostedPlan) -> list[str]:
    dtype = DTYPE_BY_FORMAT.get(plan.weight_format)
    quantization = plan.quantization
    return [*(["--dtype", dtype] if dtype else []), *(["--quantization", quantization] if quantization else [])]


def checkpoint(plan: SelfHostedPlan) -> str:
    """The Hugging Face repository vLLM loads: the plan's checkpoint for its format when it names one."""
    return plan.checkpoint or plan.model


def instance_family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def replicas_per_node(plan: SelfHostedPlan) -> int:
    """The most vLLM servers one node holds at the plan's peak (the plan's max replicas over its max nodes)."""
    return max(1, math.ceil(plan.replicas.max / max(1, plan.nodes.max)))


def weights_cache_gib(plan: SelfHostedPlan) -> int:
    return math.ceil(plan.weights_gib * WEIGHTS_HEADROOM)


def node_disk_gib(plan: SelfHostedPlan) -> int:
    """The GPU node's root volume: the plan's, when the capacity model sized (and priced) it; otherwise system,
    image, every replica's weights, and the eviction margin kept free."""
    planned = plan.node_disk_gib
    if planned:
        return int(planned)
    used = SYSTEM_DISK_GIB + IMAGE_DISK_GIB + replicas_per_node(plan) * weights_cache_gib(plan)
    return math.ceil(used / (1 - EVICTION_FREE_SHARE))


def node_labels(plan: SelfHostedPlan) -> dict[str, str]:
    return {
        NODE_GROUP_LABEL: GPU_NODE_GROUP,
        GPU_PRESENT_LABEL: "true",
        ACCELERATOR_LABEL: instance_family(plan.instance_type),
    }


def node_selector() -> dict[str, str]:
    return {NODE_GROUP_LABEL: GPU_NODE_GROUP}


def device_plugin_values() -> dict[str, Any]:
    """Runs on the GPU nodes only, past their taint; the chart's own affinity also asks for ``nvidia.com/gpu.present``."""
    return {
        "nodeSelector": {GPU_PRESENT_LABEL: "true"},
        "tolerations": [{"key": GPU_TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}],
        # Critical: without it no GPU is advertised and every vLLM pod stays Pending.
        "priorityClassName": "system-node-critical",
    }


def vllm_args(plan: SelfHostedPlan, model_path: str) -> list[str]:
    """The server's flags, every number from the plan; ``model_path`` is the Hugging Face id or the copied folder."""
    return [
        "--model",
        model_path,
        # The backend asks for the model by its Hugging Face id, wherever the weights were read from.
        "--served-model-name",
        plan.model,
        "--host",
        "0.0.0.0",
        "--port",
        str(SERVING_PORT),
        "--tensor-parallel-size",
        str(plan.tensor_parallel_size),
        "--max-model-len",
        str(plan.max_model_len),
        "--gpu-memory-utilization",
        f"{plan.gpu_memory_utilization:g}",
        "--max-num-seqs",
        str(plan.max_num_seqs),
        # The step budget the speed model assumed (chunked prefill), explicit so that no later vLLM default moves it.
        *(["--max-num-batched-tokens", str(plan.max_num_batched_tokens)] if plan.max_num_batched_tokens else []),
        *format_args(plan),
    ]


def startup_failure_threshold(plan: SelfHostedPlan) -> int:
    return max(1, math.ceil(STARTUP_MARGIN * plan.load_seconds / PROBE_PERIOD_SECONDS))


def rollout_timeout_seconds(plan: SelfHostedPlan) -> int:
    """How long Pulumi waits for the Deployment: a node, the image, and the whole startup budget."""
    return NODE_AND_PULL_SECONDS + startup_failure_threshold(plan) * PROBE_PERIOD_SECONDS


def probes() -> dict[str, Any]:
    health = {"path": "/health", "port": "http"}
    return {
        "readiness_probe": {"http_get": health, "period_seconds": 5, "failure_threshold": 3},
        # Only once started (the startup probe holds it off), and slow to give up: a busy engine answers late.
        "liveness_probe": {"http_get": health, "period_seconds": 15, "timeout_seconds": 5, "failure_threshold": 4},
    }


def weights_s3_uri(serving: Serving) -> str:
    assert serving.s3 is not None
    bucket, prefix = serving.s3
    return f"s3://{bucket}/{prefix}/"


def pod_spec(plan: SelfHostedPlan, serving: Serving, llm: LLMPlan | None = None) -> dict[str, Any]:
    gpus = plan.gpus_per_replica
    volumes: list[dict[str, Any]] = [
        {"name": "weights", "empty_dir": {"size_limit": f"{weights_cache_gib(plan)}Gi"}},
    ]
    mounts: list[dict[str, Any]] = [{"name": "weights", "mount_path": WEIGHTS_MOUNT}]
    if plan.tensor_parallel_size > 1:
        volumes.append({"name": "dshm", "empty_dir": {"medium": "Memory", "size_limit": SHM_SIZE}})
        mounts.append({"name": "dshm", "mount_path": "/dev/shm"})
    env: list[dict[str, Any]] = [{"name": "HF_HOME", "value": HF_HOME}]
    init_containers: list[dict[str, Any]] = []
    if serving.s3 is not None:
        model_path = WEIGHTS_DIR
        # Copied before the server starts, with the pod's own role (Pod Identity); no shell, so the URI is one argv.
        init_containers.append(
            {
                "name": "weights-from-s3",
                "image": AWS_CLI_IMAGE,
                "command": ["aws", "s3", "sync", weights_s3_uri(serving), WEIGHTS_DIR, "--only-show-errors"],
                "volume_mounts": [{"name": "weights", "mount_path": WEIGHTS_MOUNT}],
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                "security_context": {"allow_privilege_escalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        )
        # Nothing reaches out to the Hub when the weights are local.
        env.append({"name": "HF_HUB_OFFLINE", "value": "1"})
    else:
        model_path = checkpoint(plan)
        env.append({"name": "HF_TOKEN", "value_from": {"secret_key_ref": {"name": HF_SECRET, "key": HF_SECRET_KEY}}})
    container = {
        "name": SERVING_NAME,
        "image": serving.image,
        "command": ["python3", "-m", "vllm.entrypoints.openai.api_server"],
        "args": vllm_args(plan, model_path),
        "ports": [{"name": "http", "container_port": SERVING_PORT, "protocol": "TCP"}],
        "env": env,
        "resources": {
            "requests": {
                "cpu": str(CPU_PER_GPU * gpus),
                "memory": f"{MEMORY_GIB_PER_GPU * gpus}Gi",
                GPU_RESOURCE: str(gpus),
            },
            "limits": {GPU_RESOURCE: str(gpus)},
        },
        "startup_probe": {
            "http_get": {"path": "/health", "port": "http"},
            "period_seconds": PROBE_PERIOD_SECONDS,
            "failure_threshold": startup_failure_threshold(plan),
        },
        **probes(),
        "lifecycle": {"pre_stop": {"sleep": {"seconds": PRESTOP_SECONDS}}},
        "volume_mounts": mounts,
        "security_context": {
            "allow_privilege_escalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
    }
    labels = serving_labels()
    return {
        # The answers being streamed finish before the pod stops, as the backend's do.
        "termination_grace_period_seconds": grace_seconds(llm),
        "service_account_name": SERVING_NAME,
        "automount_service_account_token": False,
        "node_selector": node_selector(),
        "tolerations": [GPU_TOLERATION],
        "init_containers": init_containers,
        "containers": [container],
        "volumes": volumes,
        # Replicas across zones (a zone outage takes at most its share); ScheduleAnyway: GPU capacity is scarce, a
        # zone without it must not leave a replica pending.
        "topology_spread_constraints": [
            {
                "max_skew": 1,
                "topology_key": "topology.kubernetes.io/zone",
                "when_unsatisfiable": "ScheduleAnyway",
                "label_selector": {"match_labels": labels},
                "match_label_keys": ["pod-template-hash"],
            }
        ],
    }


def deployment_spec(plan: SelfHostedPlan, serving: Serving, llm: LLMPlan | None = None) -> dict[str, Any]:
    labels = serving_labels()
    return {
        # The starting point only: KEDA's HPA owns replicas from here on (ignore_changes in GpuServing).
        "replicas": plan.replicas.min,
        "selector": {"match_labels": labels},
        # A rollout starts the new replica before stopping an old one: serving capacity never dips.
        "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
        "progress_deadline_seconds": rollout_timeout_seconds(plan),
        "template": {"metadata": {"labels": labels}, "spec": pod_spec(plan, serving, llm)},
    }


def service_spec() -> dict[str, Any]:
    return {
        "type": "ClusterIP",
        "selector": serving_labels(),
        "ports": [{"name": "http", "port": SERVING_PORT, "target_port": "http", "protocol": "TCP"}],
    }


def pods_service_spec() -> dict[str, Any]:
    """Headless: one DNS A record per ready vLLM pod, which is how Prometheus finds every replica to scrape."""
    return {**service_spec(), "cluster_ip": "None"}


def pdb_spec() -> dict[str, Any]:
    # Drains take one replica at a time: the rest carry the load while its replacement loads the weights.
    return {"max_unavailable": 1, "selector": {"match_labels": serving_labels()}}


def network_policy_spec(
    client_namespace: str, client_labels: dict[str, str], scraper_labels: dict[str, str]
) -> dict[str, Any]:
    """Only the backend (for answers) and Prometheus (for the queue metric) reach the vLLM pods."""
    port = [{"protocol": "TCP", "port": SERVING_PORT}]
    return {
        "pod_selector": {"match_labels": serving_labels()},
        "policy_types": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": client_namespace}},
                        "pod_selector": {"match_labels": client_labels},
                    }
                ],
                "ports": port,
            },
            {"from": [{"pod_selector": {"match_labels": scraper_labels}}], "ports": port},
        ],
    }


def weights_read_policy(bucket: str, prefix: str, partition: str = "aws") -> str:
    """Read the model's prefix and nothing else in the account: list it, get its objects."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ListTheWeights",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": f"arn:{partition}:s3:::{bucket}",
                    "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}},
                },
                {
                    "Sid": "ReadTheWeights",
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}/*",
                },
            ],
        }
    )


def gpu_launch_template_args(plan: SelfHostedPlan) -> dict[str, Any]:
    """As the CPU nodes' (cluster.py): IMDSv2 with one hop, so no pod borrows the node role; a larger root volume."""
    return {
        "description": "EKS GPU nodes: IMDSv2 only, encrypted gp3 root volume for the vLLM image and the weights",
        "metadata_options": {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": IMDS_HOP_LIMIT,
            "instance_metadata_tags": "disabled",
        },
        "block_device_mappings": [
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "volume_size": node_disk_gib(plan),
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                },
            }
        ],
        "update_default_version": True,
    }


def gpu_group(plan: SelfHostedPlan) -> NodeGroupPlan:
    """The GPU node group in the CPU groups' terms, so the same day-2 rules name and size it (node_groups.py)."""
    return NodeGroupPlan(
        name=GPU_SLOT, instance_type=plan.instance_type, min_nodes=plan.nodes.min, max_nodes=plan.nodes.max
    )


class GpuServing(pulumi.ComponentResource):
    """The plan's self-hosted model: GPU nodes, their device plugin, and vLLM behind a ClusterIP Service.

    Everything Kubernetes goes through the cluster's provider; the GPU node group is created beside the CPU groups
    and scaled by the same Cluster Autoscaler (it carries the discovery tags)."""

    def __init__(
        self,
        name: str,
        llm: LLMPlan,
        serving: Serving,
        cluster_name: pulumi.Input[str],
        region: str,
        kubernetes_version: str,
        node_role_arn: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        zone_ids: Sequence[str],
        live_groups: Mapping[str, LiveGroup],
        provider: k8s.Provider,
        client_namespace: str,
        client_labels: dict[str, str],
        scraper_labels: dict[str, str],
        node_update_max_unavailable_percent: int = 33,
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:gpu:GpuServing", name, None, opts)
        plan = llm.self_hosted
        if plan is None:
            raise ValueError("GpuServing needs a plan with llm.self_hosted")
        cluster_tag_name = pulumi.Output.from_input(cluster_name)
        child = pulumi.ResourceOptions(parent=self)

        launch_template = aws.ec2.LaunchTemplate(f"{name}-nodes", **gpu_launch_template_args(plan), opts=child)
        # As the CPU groups (cluster.py): named for what EKS cannot change in place, so a new GPU type is a new group
        # created before the old one goes, and sized from the live group, so a raised minimum never meets a lower
        # desired size EKS would refuse.
        group = gpu_group(plan)
        group_name = physical_name(group, GPU_AMI_TYPE, zone_ids)
        sizing = desired_size(group, group_name, live_groups)
        for replaced in sizing.replaces:
            pulumi.log.warn(move_warning(replaced, group_name), resource=self)
        self.node_group = aws.eks.NodeGroup(
            f"{name}-{GPU_NODE_GROUP}",
            node_group_name=group_name,
            cluster_name=cluster_name,
            version=kubernetes_version,
            node_role_arn=node_role_arn,
            subnet_ids=subnet_ids,
            instance_types=[plan.instance_type],
            ami_type=GPU_AMI_TYPE,
            # On-demand: GPU Spot capacity is scarce and a reclaimed node takes a replica out for a whole reload.
            capacity_type="ON_DEMAND",
            scaling_config={"min_size": group.min_nodes, "max_size": group.max_nodes, "desired_size": sizing.desired},
            update_config={"max_unavailable_percentage": node_update_max_unavailable_percent},
            node_repair_config={"enabled": True},
            launch_template={"id": launch_template.id, "version": launch_template.latest_version.apply(str)},
            labels=node_labels(plan),
            taints=[GPU_TAINT],
            tags=cluster_tag_name.apply(autoscaler_tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), delete_before_replace=False),
        )
        in_cluster = pulumi.ResourceOptions(parent=self, provider=provider)

        # Without it the GPUs are never advertised as nvidia.com/gpu and the vLLM pods never schedule.
        self.device_plugin = k8s.helm.v3.Release(
            f"{name}-device-plugin",
            name=DEVICE_PLUGIN_CHART,
            chart=DEVICE_PLUGIN_CHART,
            version=DEVICE_PLUGIN_VERSION,
            repository_opts={"repo": DEVICE_PLUGIN_REPO},
            namespace=DEVICE_PLUGIN_NAMESPACE,
            values=device_plugin_values(),
            opts=in_cluster,
        )

        # Its own namespace: vLLM's image runs as root, which the app namespace's `restricted` standard refuses;
        # `baseline` still refuses privileged pods, host namespaces and host paths.
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": SERVING_NAMESPACE,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=in_cluster,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.namespace])
        metadata: dict[str, Any] = {"name": SERVING_NAME, "namespace": SERVING_NAMESPACE, "labels": serving_labels()}
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=metadata, automount_service_account_token=False, opts=in_namespace
        )
        needs: list[pulumi.Resource] = [account, self.device_plugin]
        if serving.s3 is not None:
            bucket, prefix = serving.s3
            # Trusted only from this stack's cluster (aws:SourceAccount, aws:SourceArn), like every Pod Identity role.
            role = pod_identity_role(f"{name}-role", cluster_name, region, parent=self)
            partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
            policy = aws.iam.RolePolicy(
                f"{name}-weights-access",
                role=role.id,
                policy=partition.apply(lambda p: weights_read_policy(bucket, prefix, p)),
                opts=child,
            )
            # Credentials are injected when the pod is created: the association and its policy come first.
            needs.append(
                aws.eks.PodIdentityAssociation(
                    f"{name}-identity",
                    cluster_name=cluster_name,
                    namespace=SERVING_NAMESPACE,
                    service_account=SERVING_NAME,
                    role_arn=role.arn,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
                )
            )
        else:
            assert serving.hf_token is not None
            needs.append(
                k8s.core.v1.Secret(
                    f"{name}-hf-token",
                    metadata={"name": HF_SECRET, "namespace": SERVING_NAMESPACE, "labels": serving_labels()},
                    type="Opaque",
                    string_data={HF_SECRET_KEY: serving.hf_token},  # a secret Output (config.serving_for)
                    opts=in_namespace,
                )
            )

        timeout = f"{math.ceil(rollout_timeout_seconds(plan) / 60)}m"
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-vllm",
            metadata=metadata,
            spec=deployment_spec(plan, serving, llm),
            opts=pulumi.ResourceOptions.merge(
                in_namespace,
                pulumi.ResourceOptions(
                    ignore_changes=["spec.replicas"],
                    depends_on=[*needs, self.node_group],
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
                ),
            ),
        )
        k8s.core.v1.Service(f"{name}-svc", metadata=metadata, spec=service_spec(), opts=in_namespace)
        pods_metadata = {**metadata, "name": f"{SERVING_NAME}-pods"}
        k8s.core.v1.Service(f"{name}-pods-svc", metadata=pods_metadata, spec=pods_service_spec(), opts=in_namespace)
        k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=metadata, spec=pdb_spec(), opts=in_namespace)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress",
            metadata={"name": f"{SERVING_NAME}-ingress", "namespace": SERVING_NAMESPACE},
            spec=network_policy_spec(client_namespace, client_labels, scraper_labels),
            opts=in_namespace,
        )

        self.node_group_name = self.node_group.node_group_name
        self.register_outputs(
            {
                "nodeGroupName": self.node_group_name,
                "namespace": SERVING_NAMESPACE,
                "deployment": SERVING_NAME,
                "image": serving.image,
                "devicePluginChart": f"{DEVICE_PLUGIN_CHART}-{DEVICE_PLUGIN_VERSION}",
            }
        )
