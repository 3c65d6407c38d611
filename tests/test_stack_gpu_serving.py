"""A self-hosted model is declared from its SelfHostedPlan: GPU node group, device plugin, vLLM Deployment and Service,
the backend pointed at it, and autoscaling on vLLM's queue. Plans are built by hand (tests/self_hosted_plans.py) and
every expected number below is worked out from them here, not read back from the code.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import botocore
import kubernetes_validate
import pulumi
import pytest
import yaml
from self_hosted_plans import LLAMA_8B_L40S, LLAMA_70B_TP4, run_self_hosted
from stack_mocks import LiveNodeGroup, Run, StackMocks, run_program, use_stack_modules

use_stack_modules()
import config as stack_config

BASE = {"concurrentUsers": 1000, "totalUsers": 10000}
S3_URI = "s3://acme-models/llama/3.1-8b-instruct"
HF_TOKEN = "hf_never_shown_0123456789"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
VERSION = stack_config.DEFAULT_KUBERNETES_VERSION


@pytest.fixture(scope="module")
def s3_run() -> Run:
    return run_self_hosted(LLAMA_8B_L40S, {**BASE, "modelWeightsUri": S3_URI})


@pytest.fixture(scope="module")
def hf_run() -> Run:
    return run_self_hosted(LLAMA_70B_TP4, {**BASE, "hfToken": HF_TOKEN}, secret_keys=["hfToken"])


@pytest.fixture(params=["s3", "hf"])
def case(request, s3_run, hf_run):
    return (s3_run, LLAMA_8B_L40S) if request.param == "s3" else (hf_run, LLAMA_70B_TP4)


def unwrap(value):
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE[0]) == SECRET_SIGNATURE[1]:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def vllm(run: Run) -> dict:
    return run.named("gpu-vllm").inputs


def pod(run: Run) -> dict:
    return vllm(run)["spec"]["template"]["spec"]


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    """Kubernetes' rule: same key and effect (or none), and Exists, or Equal with the same value."""
    effects = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
    for t in tolerations:
        if t.get("key") not in (None, taint["key"]) or t.get("effect") not in (None, effects[taint["effect"]]):
            continue
        if t.get("operator") == "Exists" or t.get("value") == taint["value"]:
            return True
    return False


# --- the GPU node group ----------------------------------------------------------------------------------------------


def eks_ami_types() -> list[str]:
    """The AMI types EKS's API accepts, from the service model botocore ships."""
    models = Path(botocore.__file__).parent / "data" / "eks"
    (model,) = sorted(models.glob("*/service-2.json.gz"))[-1:]
    return json.loads(gzip.decompress(model.read_bytes()))["shapes"]["AMITypes"]["enum"]


def test_the_gpu_node_group_runs_the_nvidia_al2023_ami_on_the_plans_type_and_bounds(case):
    run, plan = case
    groups = {g.name: g.inputs for g in run.of_type(NODE_GROUP)}
    gpu = groups.pop("gpu-gpu")
    assert gpu["amiType"] == "AL2023_x86_64_NVIDIA" and gpu["amiType"] in eks_ami_types()
    assert gpu["instanceTypes"] == [plan.instance_type]
    assert gpu["capacityType"] == "ON_DEMAND"
    # Desired starts at the minimum on a first `up` (as the CPU groups do); later ones keep the live size (below).
    assert gpu["scalingConfig"] == {"minSize": plan.nodes.min, "maxSize": plan.nodes.max, "desiredSize": plan.nodes.min}
    assert run.named("gpu-gpu").ignore_changes == []
    # Named as the CPU groups are: its slot, its type, a digest of what EKS cannot change in place.
    assert re.fullmatch(rf"gpu-1-{plan.instance_type.replace('.', '-')}-[0-9a-f]{{6}}", gpu["nodeGroupName"])
    # The CPU groups are untouched: none of them is a GPU group.
    assert groups and all(g["amiType"] == "AL2023_x86_64_STANDARD" for g in groups.values())
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    family = plan.instance_type.split(".")[0]
    assert gpu["labels"] == {
        "chat-infra/node-group": "gpu",
        "nvidia.com/gpu.present": "true",
        "k8s.amazonaws.com/accelerator": family,
    }
    # Found by the same Cluster Autoscaler as the CPU groups.
    assert gpu["tags"] == {
        "k8s.io/cluster-autoscaler/enabled": "true",
        "k8s.io/cluster-autoscaler/chat-infra-test": "owned",
    }
    cpu_role = run.named("cluster-node-role")
    assert gpu["nodeRoleArn"] == f"arn:aws:mock:::aws:iam/role:Role/{cpu_role.name}-1a2b3c"


def gpu_after(live: list[LiveNodeGroup]) -> tuple[dict, list[str]]:
    """The GPU group a later `up` declares when EKS reports ``live`` (the 8B plan: 2 to 6 g6e.xlarge)."""
    run = run_self_hosted(
        LLAMA_8B_L40S,
        {**BASE, "modelWeightsUri": S3_URI},
        mocks=StackMocks(node_groups={"chat-infra-test": live}),
    )
    return run.named("gpu-gpu").inputs, [message for level, message in run.log if level == "WARNING"]


@pytest.mark.parametrize(
    ("live_desired", "declared"),
    # Raised minimum over a smaller live size: declared at the minimum, which EKS accepts (it refuses min > desired).
    # Within the bounds: what the autoscaler chose is kept. Above a lowered maximum: the maximum.
    [(1, 2), (4, 4), (9, 6)],
)
def test_a_later_up_keeps_the_live_gpu_nodes_within_the_new_bounds(s3_run, live_desired, declared):
    name = s3_run.named("gpu-gpu").inputs["nodeGroupName"]
    gpu, _ = gpu_after([LiveNodeGroup(name, ("g6e.xlarge",), live_desired, 1, 9)])
    assert gpu["nodeGroupName"] == name
    assert gpu["scalingConfig"] == {"minSize": 2, "maxSize": 6, "desiredSize": declared}


def test_a_new_gpu_type_is_a_new_group_made_before_the_old_one_goes(s3_run):
    # The plan moved from g5.12xlarge to g6e.xlarge: a new name, so Pulumi creates it (ACTIVE) before deleting the old
    # group. It starts with the old group's 3 nodes (a GPU type the CPU catalog lacks counts node for node), and the
    # preview says which group moves; the GPU slot is planned, so nothing says it is removed.
    old = LiveNodeGroup("gpu-1-g5-12xlarge-0a1b2c", ("g5.12xlarge",), 3, 2, 4)
    gpu, warnings = gpu_after([old])
    assert gpu["nodeGroupName"] == s3_run.named("gpu-gpu").inputs["nodeGroupName"] != old.name
    assert gpu["scalingConfig"]["desiredSize"] == 3
    assert f"node group {old.name} is replaced by {gpu['nodeGroupName']}; pods move once the new nodes are Ready" in (
        warnings
    )
    assert not [w for w in warnings if "is removed" in w]
    assert s3_run.named("gpu-gpu").delete_before_replace is False


def test_gpu_nodes_boot_imdsv2_only_from_a_disk_that_holds_the_image_and_the_weights(s3_run, hf_run):
    # Disk = (20 system + 45 image + replicas per node x ceil(1.2 x weights)) / 0.85 kept free of eviction.
    # 8B: 6 replicas on 6 nodes = 1 per node; ceil(1.2 x 15.0) = 18; (20 + 45 + 18) / 0.85 = 97.6 -> 98 GiB.
    # 70B: 4 on 4 = 1; ceil(1.2 x 65.8) = ceil(78.96) = 79; (20 + 45 + 79) / 0.85 = 169.4 -> 170 GiB.
    for run, gib in ((s3_run, 98), (hf_run, 170)):
        template = run.named("gpu-nodes").inputs
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
        (disk,) = template["blockDeviceMappings"]
        assert disk["ebs"] == {
            "volumeSize": gib,
            "volumeType": "gp3",
            "encrypted": "true",
            "deleteOnTermination": "true",
        }
        assert run.named("gpu-gpu").inputs["launchTemplate"] == {"id": "gpu-nodes-id", "version": "1"}


# --- the device plugin -----------------------------------------------------------------------------------------------


def test_the_device_plugin_chart_is_pinned_and_runs_on_the_tainted_gpu_nodes(case):
    run, _ = case
    release = run.named("gpu-device-plugin").inputs
    assert release["chart"] == "nvidia-device-plugin"
    assert release["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}
    assert release["version"] == "0.18.2"
    values = release["values"]
    node = run.named("gpu-gpu").inputs
    assert tolerates(values["tolerations"], node["taints"][0])
    assert values["nodeSelector"].items() <= node["labels"].items()
    # Not on the CPU nodes: their labels lack what it selects.
    cpu = next(g.inputs for g in run.of_type(NODE_GROUP) if g.name != "gpu-gpu")
    assert not values["nodeSelector"].items() <= cpu["labels"].items()


# --- the vLLM Deployment ---------------------------------------------------------------------------------------------


def test_vllm_gets_the_plans_numbers_as_its_arguments(s3_run, hf_run):
    common = ["--host", "0.0.0.0", "--port", "8000"]
    assert pod(s3_run)["containers"][0]["args"] == [
        "--model", "/models/weights",
        "--served-model-name", "meta-llama/Llama-3.1-8B-Instruct",
        *common,
        "--tensor-parallel-size", "1",
        "--max-model-len", "8192",
        "--gpu-memory-utilization", "0.9",
        "--max-num-seqs", "64",
        "--max-num-batched-tokens", "2048",  # the step budget the speed model assumed
        "--dtype", "bfloat16",
    ]  # fmt: skip
    # A plan without a step budget (max_num_batched_tokens 0) leaves vLLM's default.
    assert pod(hf_run)["containers"][0]["args"] == [
        "--model", "meta-llama/Llama-3.3-70B-Instruct",
        "--served-model-name", "meta-llama/Llama-3.3-70B-Instruct",
        *common,
        "--tensor-parallel-size", "4",
        "--max-model-len", "6144",
        "--gpu-memory-utilization", "0.92",
        "--max-num-seqs", "48",
        "--quantization", "fp8",
    ]  # fmt: skip
    for run in (s3_run, hf_run):
        container = pod(run)["containers"][0]
        assert container["image"] == stack_config.DEFAULT_VLLM_IMAGE
        assert container["command"] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]


def test_a_new_step_budget_rolls_the_same_deployment_one_replica_at_a_time(s3_run):
    """Day 2: an up after the step budget changes (a stack from before it was passed, or a GPU of another memory
    class) changes only vLLM's arguments. The Deployment keeps its name and namespace, so the provider patches its
    pod template in place and Kubernetes rolls it: a new pod first (maxSurge 1, on a node the autoscaler adds when
    none is free), an old one stopped only once it serves (maxUnavailable 0)."""
    later = run_self_hosted(
        LLAMA_8B_L40S.model_copy(update={"max_num_batched_tokens": 8192}), {**BASE, "modelWeightsUri": S3_URI}
    )
    before, after = vllm(s3_run), vllm(later)
    assert before["metadata"] == after["metadata"]
    assert later.named("gpu-vllm").delete_before_replace is False
    old_args, new_args = pod(s3_run)["containers"][0]["args"], pod(later)["containers"][0]["args"]
    budget = old_args.index("--max-num-batched-tokens") + 1
    assert (old_args[budget], new_args[budget]) == ("2048", "8192")
    assert old_args[:budget] + old_args[budget + 1 :] == new_args[:budget] + new_args[budget + 1 :]
    assert after["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def test_an_int4_plan_runs_its_checkpoints_own_quantization():
    import gpu_serving
    from config import Serving

    plan = LLAMA_70B_TP4.model_copy(update={"weight_format": "int4", "quantization": None})
    args = gpu_serving.vllm_args(plan, plan.model)
    assert "--quantization" not in args and "--dtype" not in args
    # A plan naming its checkpoint's own quantization (AWQ here) is followed, and that checkpoint is loaded.
    named = plan.model_copy(update={"quantization": "awq_marlin", "checkpoint": "acme/Llama-3.3-70B-AWQ"})
    assert gpu_serving.format_args(named) == ["--quantization", "awq_marlin"]
    assert gpu_serving.checkpoint(named) == "acme/Llama-3.3-70B-AWQ"
    assert gpu_serving.pod_spec(plan, Serving(image="x@sha256:" + "0" * 64, s3=("b-1", "p")))


def test_the_image_is_pinned_by_digest():
    assert stack_config.DEFAULT_VLLM_IMAGE.startswith("vllm/vllm-openai:")
    digest = stack_config.DEFAULT_VLLM_IMAGE.split("@sha256:")[1]
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_each_replica_gets_its_gpus_and_tolerates_only_the_gpu_nodes(case):
    run, plan = case
    spec = pod(run)
    gpus = str(plan.gpus_per_replica)
    resources = spec["containers"][0]["resources"]
    # 2 CPUs and 8 GiB per GPU: 1 GPU -> 2 / 8Gi; 4 GPUs -> 8 / 32Gi.
    cpu, memory = {"1": ("2", "8Gi"), "4": ("8", "32Gi")}[gpus]
    assert resources == {
        "requests": {"cpu": cpu, "memory": memory, "nvidia.com/gpu": gpus},
        "limits": {"nvidia.com/gpu": gpus},
    }
    node = run.named("gpu-gpu").inputs
    assert tolerates(spec["tolerations"], node["taints"][0])
    assert spec["nodeSelector"].items() <= node["labels"].items()


def test_tensor_parallel_replicas_get_a_shared_memory_volume(s3_run, hf_run):
    def shm(run):
        spec = pod(run)
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        return volumes.get(mounts.get("/dev/shm"))

    assert shm(s3_run) is None  # TP1: no NCCL between GPUs
    assert shm(hf_run) == {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}


def test_the_startup_probe_waits_twice_the_plans_load_time_and_readiness_reads_health(s3_run, hf_run):
    # 240 s x 2 / 10 s = 48 tries; 600 s x 2 / 10 s = 120 tries.
    for run, tries in ((s3_run, 48), (hf_run, 120)):
        container = pod(run)["containers"][0]
        assert container["startupProbe"] == {
            "httpGet": {"path": "/health", "port": "http"},
            "periodSeconds": 10,
            "failureThreshold": tries,
        }
        assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        # The rollout waits 900 s for a node and the image, then the startup budget: 900 + 480; 900 + 1,200 s.
        assert vllm(run)["spec"]["progressDeadlineSeconds"] == 900 + tries * 10
        assert run.named("gpu-vllm").ignore_changes == ["spec.replicas"]
        assert vllm(run)["spec"]["replicas"] == 2


def test_s3_weights_are_copied_by_the_pods_own_role_scoped_to_the_prefix(s3_run):
    spec = pod(s3_run)
    (init,) = spec["initContainers"]
    assert init["command"] == ["aws", "s3", "sync", f"{S3_URI}/", "/models/weights", "--only-show-errors"]
    assert {"name": "HF_HUB_OFFLINE", "value": "1"} in spec["containers"][0]["env"]
    assert spec["serviceAccountName"] == "vllm"
    association = s3_run.named("gpu-identity").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("llm-serving", "vllm")
    role = s3_run.named("gpu-role")
    assert association["roleArn"] == f"arn:aws:mock:::aws:iam/role:Role/{role.name}-1a2b3c"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "pods.eks.amazonaws.com"
    }
    policy = s3_run.named("gpu-weights-access").inputs
    assert policy["role"] == "gpu-role-id"
    assert json.loads(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListTheWeights",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::acme-models",
                "Condition": {"StringLike": {"s3:prefix": ["llama/3.1-8b-instruct", "llama/3.1-8b-instruct/*"]}},
            },
            {
                "Sid": "ReadTheWeights",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-models/llama/3.1-8b-instruct/*",
            },
        ],
    }
    assert not [s for s in s3_run.of_type("kubernetes:core/v1:Secret") if s.inputs["metadata"]["name"] == "hf-token"]


def test_a_hugging_face_token_reaches_vllm_only_through_a_secret(hf_run):
    (secret,) = [s for s in hf_run.of_type("kubernetes:core/v1:Secret") if s.inputs["metadata"]["name"] == "hf-token"]
    # Secret on the wire, as Pulumi sends it: the whole map inside the secret envelope.
    assert secret.inputs["stringData"] == {SECRET_SIGNATURE[0]: SECRET_SIGNATURE[1], "value": {"token": HF_TOKEN}}
    env = {e["name"]: e for e in pod(hf_run)["containers"][0]["env"]}
    assert env["HF_TOKEN"] == {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}
    assert HF_TOKEN not in json.dumps(vllm(hf_run))
    assert not pod(hf_run)["initContainers"]
    # No S3 role for a Hugging Face download.
    assert not [r for r in hf_run.of_type("aws:iam/role:Role") if r.name == "gpu-role"]


# --- the Service the backend calls -----------------------------------------------------------------------------------


def test_the_backend_reaches_vllm_through_its_service_with_no_key_and_no_bedrock_grant(case):
    run, plan = case
    service = run.named("gpu-svc").inputs
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == vllm(run)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    backend = run.named("workloads-backend").inputs["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in backend["env"]}
    assert env["LLM_BASE_URL"] == f"http://{name}.{namespace}.svc.cluster.local:8000/v1"
    assert env["LLM_MODEL"] == plan.model == pod(run)["containers"][0]["args"][3]
    assert env["LLM_PROVIDER"] == "vllm"
    assert "LLM_API_KEY" not in env
    assert not [s for s in run.of_type("kubernetes:core/v1:Secret") if s.inputs["metadata"]["name"] == "llm-api-key"]
    assert not [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "workloads-backend-model-access"]


def test_only_the_backend_and_prometheus_reach_vllm_and_the_backend_may_call_it(case):
    run, _ = case
    backend_labels = run.named("workloads-backend").inputs["spec"]["template"]["metadata"]["labels"]
    prometheus_labels = run.named("gpu-autoscaling-prometheus").inputs["spec"]["template"]["metadata"]["labels"]
    vllm_labels = vllm(run)["spec"]["template"]["metadata"]["labels"]
    ingress = run.named("gpu-ingress").inputs["spec"]
    assert ingress["podSelector"] == {"matchLabels": vllm_labels}
    port = [{"protocol": "TCP", "port": 8000}]
    assert ingress["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "chat-app"}},
                    "podSelector": {"matchLabels": backend_labels},
                }
            ],
            "ports": port,
        },
        {"from": [{"podSelector": {"matchLabels": prometheus_labels}}], "ports": port},
    ]
    egress = run.named("workloads-backend-egress").inputs["spec"]["egress"]
    assert {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "llm-serving"}},
                "podSelector": {"matchLabels": vllm_labels},
            }
        ],
        "ports": port,
    } in egress


# --- autoscaling on the queue ----------------------------------------------------------------------------------------


def test_keda_scales_the_vllm_deployment_between_the_plans_replicas_on_its_queue(case):
    run, plan = case
    scaled = run.one(SCALED_OBJECT).inputs
    assert (scaled["apiVersion"], scaled["kind"]) == ("keda.sh/v1alpha1", "ScaledObject")
    assert scaled["metadata"]["namespace"] == vllm(run)["metadata"]["namespace"]
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": vllm(run)["metadata"]["name"],
    }
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (plan.replicas.min, plan.replicas.max)
    assert spec["fallback"] == {"failureThreshold": 3, "replicas": plan.replicas.max}
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus" and trigger["metricType"] == "AverageValue"
    prometheus = run.named("gpu-autoscaling-prometheus-svc").inputs
    address = f"http://{prometheus['metadata']['name']}.{prometheus['metadata']['namespace']}.svc.cluster.local:9090"
    assert trigger["metadata"] == {
        "serverAddress": address,
        "query": f'sum(vllm:num_requests_waiting{{job="vllm",model_name="{plan.model}"}})',
        "threshold": "5",
    }
    assert prometheus["spec"]["ports"][0]["port"] == 9090
    # Scale-down waits at least the model's load time (240 s -> Kubernetes' 300 s floor; 600 s -> 600 s).
    window = {LLAMA_8B_L40S.model: 300, LLAMA_70B_TP4.model: 600}[plan.model]
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == window
    # KEDA hands `behavior` and `scaleTargetRef` to an autoscaling/v2 HPA: hold them to that schema.
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "keda-hpa-vllm", "namespace": "llm-serving"},
        "spec": {
            "scaleTargetRef": spec["scaleTargetRef"],
            "minReplicas": spec["minReplicaCount"],
            "maxReplicas": spec["maxReplicaCount"],
            "behavior": behavior,
        },
    }
    assert kubernetes_validate.validate(hpa, VERSION, strict=True) == VERSION
    # ScaledObject's own top-level fields, as KEDA's CRD (keda.sh/v1alpha1) names them.
    assert set(spec) <= {
        "scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
        "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers",
    }  # fmt: skip
    # It needs KEDA's CRD (the chart) and the Deployment it scales.
    depends = {urn.split("::")[-1] for urn in run.one(SCALED_OBJECT).dependencies}
    assert {"gpu-autoscaling-keda", "gpu-vllm"} <= depends


def test_keda_is_a_pinned_chart_with_known_requests(case):
    run, _ = case
    keda = run.named("gpu-autoscaling-keda").inputs
    assert (keda["chart"], keda["version"], keda["namespace"]) == ("keda", "2.20.2", "keda")
    assert keda["repositoryOpts"] == {"repo": "https://kedacore.github.io/charts"}
    for part in ("operator", "metricServer", "webhooks"):
        assert keda["values"]["resources"][part]["requests"] == {"cpu": "100m", "memory": "128Mi"}


def test_prometheus_scrapes_every_vllm_pod_through_the_headless_service(case):
    run, _ = case
    pods = run.named("gpu-pods-svc").inputs
    assert pods["spec"]["clusterIP"] == "None"
    assert pods["spec"]["selector"] == vllm(run)["spec"]["template"]["metadata"]["labels"]
    config = yaml.safe_load(run.named("gpu-autoscaling-prometheus-config").inputs["data"]["prometheus.yml"])
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "vllm" and job["metrics_path"] == "/metrics"
    (dns,) = job["dns_sd_configs"]
    assert dns == {
        "names": [f"{pods['metadata']['name']}.{pods['metadata']['namespace']}.svc.cluster.local"],
        "type": "A",
        "port": 8000,
        "refresh_interval": "15s",
    }
    deployment = run.named("gpu-autoscaling-prometheus").inputs["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in deployment["volumes"]}
    assert (
        volumes["config"]["configMap"]["name"]
        == run.named("gpu-autoscaling-prometheus-config").inputs["metadata"]["name"]
    )
    assert "--config.file=/etc/prometheus/prometheus.yml" in deployment["containers"][0]["args"]


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool missing: install the Debian package prometheus")
def test_promtool_accepts_the_scrape_config_and_the_queue_query(s3_run, tmp_path):
    config = tmp_path / "prometheus.yml"
    config.write_text(s3_run.named("gpu-autoscaling-prometheus-config").inputs["data"]["prometheus.yml"])
    checked = subprocess.run([PROMTOOL, "check", "config", str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    query = s3_run.one(SCALED_OBJECT).inputs["spec"]["triggers"][0]["metadata"]["query"]
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": [{"record": "vllm:queue", "expr": query}]}]}))
    checked = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The check is real: a broken query is refused.
    rules.write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": [{"record": "x", "expr": query[:-1]}]}]}))
    assert subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True, timeout=60).returncode != 0


# --- schema and structure --------------------------------------------------------------------------------------------

NOT_VALIDATED = {RELEASE, SCALED_OBJECT}  # chart values; a CRD object (checked field by field above)


def test_every_kubernetes_object_validates_strictly_against_the_kubernetes_schema(case):
    run, _ = case
    objects = [
        unwrap(r.inputs) for r in run.resources if r.typ.startswith("kubernetes:") and r.typ not in NOT_VALIDATED
    ]
    kinds = {o["kind"] for o in objects if o["metadata"].get("namespace") == "llm-serving"}
    assert kinds >= {"ServiceAccount", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap"}
    for obj in objects:
        assert kubernetes_validate.validate(obj, VERSION, strict=True) == VERSION


def test_the_schema_check_would_catch_a_typo_in_the_vllm_pod(s3_run):
    deployment = copy.deepcopy(unwrap(vllm(s3_run)))
    deployment["spec"]["template"]["spec"]["containers"][0]["startupProb"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="startupProb"):
        kubernetes_validate.validate(deployment, VERSION, strict=True)


def test_gpu_serving_goes_through_the_clusters_provider_in_its_own_components(case):
    run, _ = case
    provider = run.one("pulumi:providers:kubernetes")
    components = {r.urn: r.typ for r in run.resources if not r.custom}
    assert {"chat-infra:gpu:GpuServing", "chat-infra:gpu:GpuAutoscaling"} <= set(components.values())
    for r in run.resources:
        if r.name.startswith("gpu"):
            assert r.custom is False or components[r.parent].startswith("chat-infra:gpu:"), r.name
            if r.typ.startswith("kubernetes:"):
                assert r.provider.startswith(provider.urn + "::"), r.name
    assert run.outputs["gpuNodeGroupName"] == run.named("gpu-gpu").inputs["nodeGroupName"]


def test_without_a_self_hosted_model_nothing_gpu_is_declared():
    run = run_program(BASE)
    assert not [r for r in run.resources if r.name.startswith("gpu")]
    assert "gpuNodeGroupName" not in run.outputs


# --- config ------------------------------------------------------------------------------------------------------------

BAD = [
    pytest.param(
        {},
        [],
        "chat-infra:modelWeightsUri: missing; the self-hosted model meta-llama/Llama-3.1-8B-Instruct needs its "
        "weights: set it to s3://BUCKET/PREFIX, or download them from Hugging Face with "
        "`pulumi config set --secret chat-infra:hfToken hf_...`",
        id="no-weight-source",
    ),
    pytest.param(
        {"modelWeightsUri": S3_URI, "hfToken": HF_TOKEN},
        ["hfToken"],
        "chat-infra:modelWeightsUri and chat-infra:hfToken: give one source of the weights of "
        "meta-llama/Llama-3.1-8B-Instruct: S3 or Hugging Face, not both",
        id="both-sources",
    ),
    pytest.param(
        {"modelWeightsUri": "https://acme-models.s3.amazonaws.com/llama"},
        [],
        "chat-infra:modelWeightsUri: must be s3://BUCKET/PREFIX, the folder holding "
        "meta-llama/Llama-3.1-8B-Instruct's config and safetensors (got 'https://acme-models.s3.amazonaws.com/llama')",
        id="not-s3",
    ),
    pytest.param(
        {"modelWeightsUri": "s3://acme-models/"},
        [],
        "chat-infra:modelWeightsUri: must be s3://BUCKET/PREFIX, the folder holding "
        "meta-llama/Llama-3.1-8B-Instruct's config and safetensors (got 's3://acme-models/')",
        id="whole-bucket",
    ),
    pytest.param(
        {"modelWeightsUri": "s3://acme-models/llama/*"},
        [],
        "chat-infra:modelWeightsUri: must be s3://BUCKET/PREFIX, the folder holding "
        "meta-llama/Llama-3.1-8B-Instruct's config and safetensors (got 's3://acme-models/llama/*')",
        id="wildcard-prefix",
    ),
    pytest.param(
        {"hfToken": HF_TOKEN},
        [],
        "chat-infra:hfToken: stored in plain text; set it again with "
        "`pulumi config set --secret chat-infra:hfToken hf_...`",
        id="plain-text-token",
    ),
    pytest.param(
        {"modelWeightsUri": S3_URI, "vllmImage": "vllm/vllm-openai:v0.14.0"},
        [],
        "chat-infra:vllmImage: 'vllm/vllm-openai:v0.14.0' is not pinned by digest; a tag can be moved to another "
        "build: give NAME[:TAG]@sha256:<64 hex> (`docker buildx imagetools inspect NAME:TAG` prints it)",
        id="image-without-digest",
    ),
    pytest.param(
        {"modelWeightsUri": S3_URI, "vllmImage": "Not An Image"},
        [],
        "chat-infra:vllmImage: must be a container image reference like registry.example.com/team/app:1.2, "
        "with a lowercase path (got 'Not An Image')",
        id="not-an-image",
    ),
]


@pytest.mark.parametrize(("values", "secret", "message"), BAD)
def test_bad_serving_config_is_one_line_before_anything_is_declared(values, secret, message):
    mocks = StackMocks()
    with pytest.raises(pulumi.RunError) as raised:
        run_self_hosted(LLAMA_8B_L40S, {**BASE, **values}, secret_keys=secret, mocks=mocks)
    assert str(raised.value) == message
    assert mocks.resources == []


def test_a_custom_image_pinned_by_digest_is_deployed(tmp_path):
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm@sha256:" + "ab" * 32
    run = run_self_hosted(LLAMA_8B_L40S, {**BASE, "modelWeightsUri": S3_URI, "vllmImage": image})
    assert pod(run)["containers"][0]["image"] == image


def test_serving_keys_without_a_self_hosted_model_are_ignored_with_a_warning():
    run = run_program({**BASE, "modelWeightsUri": S3_URI})
    assert (
        "WARNING",
        "chat-infra:modelWeightsUri set, but chat-infra:llm is not a vllm: model: ignored (they configure a "
        "self-hosted model only)",
    ) in run.log
    assert not [r for r in run.resources if r.name.startswith("gpu")]
