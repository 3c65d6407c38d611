"""The add-on pods the plan packs beside the app's are the ones the program declares on the CPU nodes: the same
Deployments, replicas and requests (sizing/engine/addons.py is their one source; the stack imports it). Read here
from what the program declares under mocks, so a new add-on, or a changed value written into the stack instead,
shows up as a difference from the plan.
"""

from __future__ import annotations

from collections import Counter

import pytest
from stack_mocks import Run, run_program, use_stack_modules

use_stack_modules()
import cluster as stack_cluster

RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ADDON = "aws:eks/addon:Addon"
# The EKS add-ons the stack installs with their defaults, as documented (sizing/engine/addons.py has the sources):
# CoreDNS 2 x 100m / 70Mi, metrics-server 2 x 100m / 200Mi.
EKS_DEFAULTS = {"coredns": (2, 100, 70), "metrics-server": (2, 100, 200)}
# What runs elsewhere or is the app: its own Deployments (sized as its pods), vLLM and the device plugin (GPU nodes).
NOT_ADDONS = {"workloads-backend", "workloads-frontend", "gpu-vllm", "gpu-device-plugin"}
SELF_HOSTED = {"llm": "vllm:meta-llama/Llama-3.1-8B-Instruct", "modelWeightsUri": "s3://acme-models/llama"}


def millicores(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(float(quantity) * 1000)


def mebibytes(quantity: str) -> int:
    assert quantity.endswith("Mi"), quantity
    return int(quantity[:-2])


def pods(replicas, resources: dict) -> tuple[int, int, int]:
    requests = resources["requests"]
    return int(replicas), millicores(requests["cpu"]), mebibytes(requests["memory"])


def declared(run: Run) -> Counter:
    """Every add-on Deployment the program declares for the CPU nodes, as (replicas, CPU m, memory MiB)."""
    found: Counter = Counter()
    releases = {r.name: r.inputs["values"] for r in run.of_type(RELEASE) if r.name not in NOT_ADDONS}
    autoscaler, controller = releases.pop("autoscaler-release"), releases.pop("lb-controller-release")
    found[pods(autoscaler["replicaCount"], autoscaler["resources"])] += 1
    found[pods(controller["replicaCount"], controller["resources"])] += 1
    keda = releases.pop("gpu-autoscaling-keda", None)
    if keda is not None:
        # The chart's keys: resources.metricServer, but metricsServer.replicaCount.
        for part, replicas in (("operator", "operator"), ("metricServer", "metricsServer"), ("webhooks", "webhooks")):
            found[pods(keda[replicas]["replicaCount"], keda["resources"][part])] += 1
    assert releases == {}, f"a Helm release the plan does not size: {sorted(releases)}"
    for deployment in run.of_type(DEPLOYMENT):
        if deployment.name in NOT_ADDONS:
            continue
        spec = deployment.inputs["spec"]
        (container,) = spec["template"]["spec"]["containers"]
        found[pods(spec["replicas"], container["resources"])] += 1
    for addon in run.of_type(ADDON):
        name = addon.inputs["addonName"]
        if name in EKS_DEFAULTS:
            # Left at the add-on's defaults: nothing in the stack overrides its replicas or requests.
            assert addon.inputs.get("configurationValues") is None and name not in stack_cluster.ADDON_CONFIGURATION
            found[EKS_DEFAULTS[name]] += 1
    return found


def planned(run: Run) -> Counter:
    return Counter(
        (a["replicas"], a["cpu_request_m"], a["memory_request_mib"]) for a in run.outputs["sizing"]["nodes"]["addons"]
    )


@pytest.mark.parametrize("config", [{"llm": "none"}, SELF_HOSTED], ids=["api", "self-hosted"])
def test_the_plan_sizes_exactly_the_addon_pods_the_program_declares(config):
    run = run_program({"concurrentUsers": 1000, **config})
    assert declared(run) == planned(run)
    names = [a["name"] for a in run.outputs["sizing"]["nodes"]["addons"]]
    keda = ["keda-operator", "keda-operator-metrics-apiserver", "keda-admission-webhooks", "prometheus"]
    assert all(n in names for n in keda) is (config is SELF_HOSTED)
    # The EKS add-ons that are Deployments are the ones the stack installs after the nodes.
    assert set(stack_cluster.ADDONS_AFTER_NODES) == set(EKS_DEFAULTS) <= set(names)
