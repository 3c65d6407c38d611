"""Scaling the vLLM servers on their queue: a small Prometheus scrapes every replica's ``/metrics``, and KEDA turns
``vllm:num_requests_waiting`` into the HPA that moves the Deployment between the plan's replicas.

Why the queue: CPU says nothing about a GPU server, and GPU memory is pre-allocated by vLLM (flat from the start);
requests waiting for a batch slot are the direct sign that the replicas are full (vLLM production-stack's KEDA
default; GKE's inference autoscaling guidance: scale on the server's queue to maximise throughput within a latency
target). The metrics path, end to end:

    vLLM pods :8000/metrics --(DNS discovery of the headless Service vllm-pods)--> Prometheus (this module, 1 pod)
    --(PromQL every 15 s)--> KEDA operator --(external metrics API)--> HPA keda-hpa-vllm --> Deployment vllm

The spec builders are pure functions so they can be checked without any Pulumi machinery.
"""

from __future__ import annotations

import math
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from llm_access import SERVING_NAME, SERVING_NAMESPACE, SERVING_PORT, serving_labels

from sizing.engine.addons import KEDA_METRICS_SERVER, KEDA_OPERATOR, KEDA_WEBHOOKS, PROMETHEUS_SERVER
from sizing.plan import SelfHostedPlan

# KEDA 2.20.2: its chart and images run on Kubernetes 1.34 (k3s v1.34 lab notes pinning chart keda-2.20.2); KEDA
# supports the three newest minors at release (kedacore/governance SUPPORT.md "N-2"; 2.19 moved to 1.32-1.34, PR
# kedacore/keda#7378). Chart version = app version in kedacore/charts.
KEDA_CHART = "keda"
KEDA_VERSION = "2.20.2"
KEDA_REPO = "https://kedacore.github.io/charts"
KEDA_NAMESPACE = "keda"
# Replicas and requests set here rather than left to the chart, so what the CPU nodes carry for KEDA is known and
# priced: the plan packs these very pods beside the app's (sizing/engine/addons.py, the one place they are written).
KEDA_PARTS = {"operator": KEDA_OPERATOR, "metricServer": KEDA_METRICS_SERVER, "webhooks": KEDA_WEBHOOKS}

# Prometheus 3.5, the long-term-support release (prometheus.io, 2025-07). Kept for the scaler only: a few hours of
# the vLLM series, on an emptyDir.
PROMETHEUS = "prometheus"
PROMETHEUS_IMAGE = "quay.io/prometheus/prometheus:v3.5.0"
PROMETHEUS_PORT = 9090
PROMETHEUS_RETENTION = "6h"
PROMETHEUS_RESOURCES = PROMETHEUS_SERVER.resources()  # packed beside the app's pods like KEDA's
PROMETHEUS_USER = 65534  # nobody, as the image's own Dockerfile runs it
SCRAPE_INTERVAL = "15s"

# The queue per replica the HPA keeps replicas at: vLLM production-stack's ScaledObject default threshold
# (vllm-project/production-stack helm/templates/scaledobject-vllm.yaml, 2026-08). KEDA divides the summed queue by
# the replica count (AverageValue), so the HPA adds a replica per 5 waiting requests beyond what the others hold.
QUEUE_THRESHOLD = 5
POLLING_SECONDS = 15
# Kubernetes' own scale-down stabilization, lengthened to the model's load time: a replica removed and wanted back
# costs a whole reload before it serves again.
DEFAULT_SCALE_DOWN_WINDOW = 300
# Prometheus unreachable for this many polls: KEDA holds the Deployment at the plan's maximum (a broken metrics path
# costs the plan's max bill, never an outage at the peak).
FALLBACK_FAILURES = 3
QUEUE_METRIC = "vllm:num_requests_waiting"


def prometheus_labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": PROMETHEUS, "app.kubernetes.io/part-of": "chat-app"}


def prometheus_url() -> str:
    return f"http://{PROMETHEUS}.{SERVING_NAMESPACE}.svc.cluster.local:{PROMETHEUS_PORT}"


def scrape_config() -> dict[str, Any]:
    """prometheus.yml: every ready vLLM pod, found through the headless Service's A records (no RBAC needed)."""
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": SERVING_NAME,
                "metrics_path": "/metrics",
                "dns_sd_configs": [
                    {
                        "names": [f"{SERVING_NAME}-pods.{SERVING_NAMESPACE}.svc.cluster.local"],
                        "type": "A",
                        "port": SERVING_PORT,
                        "refresh_interval": SCRAPE_INTERVAL,
                    }
                ],
            }
        ],
    }


def queue_query(model: str) -> str:
    """All replicas' waiting requests for the served model (vLLM labels its series with ``model_name``)."""
    return f'sum({QUEUE_METRIC}{{job="{SERVING_NAME}",model_name="{model}"}})'


def scale_down_window_seconds(plan: SelfHostedPlan) -> int:
    return max(DEFAULT_SCALE_DOWN_WINDOW, math.ceil(plan.load_seconds))


def hpa_behavior(plan: SelfHostedPlan) -> dict[str, Any]:
    """The HPA's behavior (autoscaling/v2 field names), handed to KEDA to apply."""
    return {
        "scaleUp": {"stabilizationWindowSeconds": 0},
        "scaleDown": {
            "stabilizationWindowSeconds": scale_down_window_seconds(plan),
            # One replica a minute: each one removed drops its KV cache, and re-adding it costs a reload.
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
        },
    }


def scaled_object_spec(plan: SelfHostedPlan) -> dict[str, Any]:
    """KEDA's ScaledObject (keda.sh/v1alpha1): the plan's replica range, scaled on the queue."""
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": SERVING_NAME},
        "pollingInterval": POLLING_SECONDS,
        "minReplicaCount": plan.replicas.min,
        "maxReplicaCount": plan.replicas.max,
        "fallback": {"failureThreshold": FALLBACK_FAILURES, "replicas": plan.replicas.max},
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": hpa_behavior(plan)}},
        "triggers": [
            {
                "type": "prometheus",
                # KEDA's fallback applies only to AverageValue triggers.
                "metricType": "AverageValue",
                "metadata": {
                    "serverAddress": prometheus_url(),
                    "query": queue_query(plan.model),
                    "threshold": str(QUEUE_THRESHOLD),
                },
            }
        ],
    }


def keda_values() -> dict[str, Any]:
    return {
        # The chart's own keys: resources.metricServer, but metricsServer.replicaCount.
        "resources": {part: addon.resources() for part, addon in KEDA_PARTS.items()},
        "operator": {"replicaCount": KEDA_OPERATOR.replicas},
        "metricsServer": {"replicaCount": KEDA_METRICS_SERVER.replicas},
        "webhooks": {"replicaCount": KEDA_WEBHOOKS.replicas},
        "nodeSelector": {"kubernetes.io/os": "linux"},
    }


def prometheus_deployment_spec() -> dict[str, Any]:
    labels = prometheus_labels()
    return {
        "replicas": PROMETHEUS_SERVER.replicas,
        "selector": {"match_labels": labels},
        # One replica on an emptyDir: a new pod must not run beside the old one (nothing is shared between them).
        "strategy": {"type": "Recreate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "automount_service_account_token": False,
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": PROMETHEUS_USER,
                    "run_as_group": PROMETHEUS_USER,
                    "fs_group": PROMETHEUS_USER,
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": PROMETHEUS,
                        "image": PROMETHEUS_IMAGE,
                        "args": [
                            "--config.file=/etc/prometheus/prometheus.yml",
                            "--storage.tsdb.path=/prometheus",
                            f"--storage.tsdb.retention.time={PROMETHEUS_RETENTION}",
                            f"--web.listen-address=:{PROMETHEUS_PORT}",
                        ],
                        "ports": [{"name": "http", "container_port": PROMETHEUS_PORT, "protocol": "TCP"}],
                        "resources": PROMETHEUS_RESOURCES,
                        "readiness_probe": {"http_get": {"path": "/-/ready", "port": "http"}, "period_seconds": 10},
                        "liveness_probe": {"http_get": {"path": "/-/healthy", "port": "http"}, "period_seconds": 15},
                        "security_context": {
                            "allow_privilege_escalation": False,
                            "read_only_root_filesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volume_mounts": [
                            {"name": "config", "mount_path": "/etc/prometheus", "read_only": True},
                            {"name": "data", "mount_path": "/prometheus"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "config", "config_map": {"name": PROMETHEUS}},
                    {"name": "data", "empty_dir": {"size_limit": "2Gi"}},
                ],
            },
        },
    }


def prometheus_service_spec() -> dict[str, Any]:
    return {
        "type": "ClusterIP",
        "selector": prometheus_labels(),
        "ports": [{"name": "http", "port": PROMETHEUS_PORT, "target_port": "http", "protocol": "TCP"}],
    }


class GpuAutoscaling(pulumi.ComponentResource):
    """Prometheus for vLLM's metrics, KEDA, and the ScaledObject that scales the vLLM Deployment on its queue."""

    def __init__(
        self,
        name: str,
        plan: SelfHostedPlan,
        provider: k8s.Provider,
        namespace: pulumi.Resource,
        deployment: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:gpu:GpuAutoscaling", name, None, opts)
        in_namespace = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        metadata: dict[str, Any] = {"name": PROMETHEUS, "namespace": SERVING_NAMESPACE, "labels": prometheus_labels()}
        config = k8s.core.v1.ConfigMap(
            f"{name}-prometheus-config",
            metadata=metadata,
            data={"prometheus.yml": yaml.safe_dump(scrape_config(), sort_keys=False)},
            opts=in_namespace,
        )
        k8s.apps.v1.Deployment(
            f"{name}-prometheus",
            metadata=metadata,
            spec=prometheus_deployment_spec(),
            opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[config])),
        )
        k8s.core.v1.Service(
            f"{name}-prometheus-svc", metadata=metadata, spec=prometheus_service_spec(), opts=in_namespace
        )

        keda = k8s.helm.v3.Release(
            f"{name}-keda",
            name=KEDA_CHART,
            chart=KEDA_CHART,
            version=KEDA_VERSION,
            repository_opts={"repo": KEDA_REPO},
            namespace=KEDA_NAMESPACE,
            create_namespace=True,
            values=keda_values(),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        # Its CRD comes with the chart; the Deployment it scales must exist before KEDA builds the HPA on it.
        k8s.apiextensions.CustomResource(
            f"{name}-scaledobject",
            api_version="keda.sh/v1alpha1",
            kind="ScaledObject",
            metadata={"name": SERVING_NAME, "namespace": SERVING_NAMESPACE, "labels": serving_labels()},
            spec=scaled_object_spec(plan),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[keda, deployment, namespace]),
        )
        self.register_outputs(
            {
                "prometheus": prometheus_url(),
                "kedaChart": f"{KEDA_CHART}-{KEDA_VERSION}",
                "query": queue_query(plan.model),
            }
        )
