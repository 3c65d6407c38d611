"""The cluster add-ons' own pods: the Deployments the stack runs on the CPU nodes beside the app, whatever the load.

The DaemonSets come off every node's allocatable (``assumptions.daemonsets``); these run a fixed number of replicas
per cluster, so they are packed once per fleet, beside the app's pods (``nodes.packing``), and both the min and the
max fleet carry them. Each figure is the stack's own setting, imported by the stack from here so that what is sized is
what is deployed, or, for an EKS managed add-on the stack installs with its defaults, the add-on's published default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol


class AddOn(NamedTuple):
    name: str
    replicas: int
    cpu_request_m: int
    memory_request_mib: int
    memory_limit_mib: int | None  # the stack's memory limit; None: the stack leaves it to the add-on
    source: str

    def resources(self) -> dict[str, Any]:
        """The container's resources as Kubernetes and the Helm charts spell them (no CPU limit: see the stack)."""
        spelt: dict[str, Any] = {
            "requests": {"cpu": f"{self.cpu_request_m}m", "memory": f"{self.memory_request_mib}Mi"}
        }
        if self.memory_limit_mib is not None:
            spelt["limits"] = {"memory": f"{self.memory_limit_mib}Mi"}
        return spelt


# EKS managed add-ons the stack installs after the nodes (stacks/cluster.py ADDONS_AFTER_NODES), their resources left
# at the add-on's defaults. vpc-cni, kube-proxy and the Pod Identity agent are DaemonSets: in assumptions.daemonsets.
COREDNS = AddOn(
    "coredns",
    2,
    100,
    70,
    None,
    "EKS coredns add-on defaults: 2 replicas, requests 100m / 70Mi as upstream's CoreDNS manifest (kubernetes "
    "cluster/addons/dns/coredns), limit 170Mi (aws/containers-roadmap#2667); check with `aws eks "
    "describe-addon-configuration --addon-name coredns`; as of 2026-12",
)
METRICS_SERVER = AddOn(
    "metrics-server",
    2,
    100,
    200,
    None,
    "EKS metrics-server community add-on defaults (2 replicas, AWS re:Post 'Kubernetes Metrics Server setup "
    "recommendations'; requests 100m / 200Mi from the metrics-server chart's values.yaml it is built from), "
    "as of 2026-12",
)
# Installed by the stack's Helm releases with these values (stacks/autoscaler.py, stacks/edge.py).
CLUSTER_AUTOSCALER = AddOn(
    "cluster-autoscaler",
    1,
    100,
    600,
    600,
    "stacks/autoscaler.py: upstream's example manifest requests, memory limited so a leak cannot starve the node",
)
LOAD_BALANCER_CONTROLLER = AddOn(
    "aws-load-balancer-controller",
    2,
    100,
    128,
    256,
    "stacks/edge.py: two replicas on different nodes, so a node drain leaves one reconciling",
)
# With a self-hosted model only (stacks/gpu_autoscaling.py): KEDA's three Deployments and the Prometheus it reads.
KEDA_OPERATOR = AddOn("keda-operator", 1, 100, 128, 512, "stacks/gpu_autoscaling.py: KEDA's operator")
KEDA_METRICS_SERVER = AddOn(
    "keda-operator-metrics-apiserver", 1, 100, 128, 512, "stacks/gpu_autoscaling.py: KEDA's external metrics API"
)
KEDA_WEBHOOKS = AddOn("keda-admission-webhooks", 1, 100, 128, 512, "stacks/gpu_autoscaling.py: KEDA's webhooks")
PROMETHEUS_SERVER = AddOn(
    "prometheus", 1, 100, 256, 512, "stacks/gpu_autoscaling.py: scrapes vLLM's queue for KEDA (6 h kept)"
)

CLUSTER_ADDONS = (COREDNS, METRICS_SERVER, CLUSTER_AUTOSCALER, LOAD_BALANCER_CONTROLLER)
SELF_HOSTED_ADDONS = (KEDA_OPERATOR, KEDA_METRICS_SERVER, KEDA_WEBHOOKS, PROMETHEUS_SERVER)


def cluster_addons(self_hosted: bool) -> tuple[AddOn, ...]:
    """What the stack runs on the CPU nodes: KEDA and Prometheus only where it serves a model itself."""
    return CLUSTER_ADDONS + SELF_HOSTED_ADDONS if self_hosted else CLUSTER_ADDONS


class _Pods(Protocol):
    @property
    def replicas(self) -> int: ...
    @property
    def cpu_request_m(self) -> int: ...
    @property
    def memory_request_mib(self) -> int: ...


def fixed_pods(addons: Iterable[_Pods]) -> tuple[tuple[int, int], ...]:
    """One (CPU, memory) request per pod, each replica on its own: what the packing places (from these add-ons, or
    from the ones a plan lists)."""
    return tuple((a.cpu_request_m, a.memory_request_mib) for a in addons for _ in range(a.replicas))
