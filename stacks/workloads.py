"""The chat application on the cluster: replicas, requests and limits exactly as the plan's PodPlans say.

The spec builders are pure functions of a PodPlan so they can be checked without any Pulumi machinery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random
from cluster import pod_identity_role
from data import CACHE_PORT
from edge import alb_timeouts
from llm_access import (
    PRESTOP_SECONDS,
    SECRET_KEY,
    SECRET_NAME,
    SERVING_NAMESPACE,
    SERVING_PORT,
    bedrock_policy,
    grace_seconds,
    llm_env,
    serving_labels,
)
from rotation import CACHE_AUTH_ANNOTATION, LLM_API_KEY_ANNOTATION, SALT_LENGTH, template_digest

from sizing.engine.database import TTL_ATTRIBUTE
from sizing.plan import LLMPlan, PodPlan

NAMESPACE = "chat-app"
PORT = 8080
RUN_AS = 10001
# Drains and node replacements may take out this share at once: under the plan's replica buffer (x1.3 backend,
# x1.2 frontend) the remaining pods still carry the base load. Rounded up, so at least one pod.
PDB_MAX_UNAVAILABLE = "10%"
# The Kubernetes Secret holding the cache's AUTH token, and its key.
CACHE_AUTH_SECRET = "cache-auth"
CACHE_AUTH_KEY = "token"
DNS_PORT = 53
HTTPS_PORT = 443
# EKS Pod Identity's agent answers credential requests on this link-local address, port 80 (hostNetwork).
POD_IDENTITY_AGENT = "169.254.170.23/32"
POD_IDENTITY_PORT = 80
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class App:
    name: str
    image: str
    pod: PodPlan
    # The HPA's CPU target, from the plan's assumptions (the same figure the sizing priced burstable credits at).
    # Below 100% so a pod's burst is absorbed while a new one starts; the plan's max replicas bound the scaling.
    cpu_target_percent: int
    # The plan's LLM: its answer streams set how long a stopping pod drains; the app that calls it gets its env.
    llm: LLMPlan | None = None
    calls_llm: bool = False
    # An HTTP path answering 200 when the pod can serve: the readiness probe (and the ALB's health check) asks it.
    # None: a TCP check of the port.
    readiness_path: str | None = None


def labels(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "chat-app"}


def resources(pod: PodPlan) -> dict[str, dict[str, str]]:
    return {
        "requests": {"cpu": f"{pod.cpu_request_m}m", "memory": f"{pod.memory_request_mib}Mi"},
        "limits": {"cpu": f"{pod.cpu_limit_m}m", "memory": f"{pod.memory_limit_mib}Mi"},
    }


def container(app: App, env: dict[str, Any], secret_env: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """``secret_env`` maps a variable to (Secret name, key): the value is read from the Secret when the pod starts,
    so it never appears in the Deployment."""
    secrets = [
        {"name": key, "value_from": {"secret_key_ref": {"name": secret, "key": item}}}
        for key, (secret, item) in (secret_env or {}).items()
    ]
    return {
        "name": app.name,
        "image": app.image,
        "ports": [{"name": "http", "container_port": PORT, "protocol": "TCP"}],
        "env": [{"name": key, "value": value} for key, value in env.items()]
        + secrets
        + (llm_env(app.llm) if app.calls_llm else []),
        "resources": resources(app.pod),
        # Out of the Service's endpoints before SIGTERM, so no new stream lands on a pod that is stopping.
        "lifecycle": {"pre_stop": {"sleep": {"seconds": PRESTOP_SECONDS}}},
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": RUN_AS,
            "run_as_group": RUN_AS,
            "allow_privilege_escalation": False,
            "read_only_root_filesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "readiness_probe": (
            {"http_get": {"path": app.readiness_path, "port": "http"}, "period_seconds": 5}
            if app.readiness_path
            else {"tcp_socket": {"port": "http"}, "period_seconds": 5}
        ),
        "liveness_probe": {"tcp_socket": {"port": "http"}, "initial_delay_seconds": 10, "period_seconds": 10},
        # The root filesystem is read-only: scratch space lives here.
        "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
    }


def deployment_spec(
    app: App,
    env: dict[str, Any],
    secret_env: dict[str, tuple[str, str]] | None = None,
    annotations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``annotations``: salted digests of the secrets the pods read (rotation.py), so a rotation rolls them."""
    selector = labels(app.name)
    return {
        # The starting point only: the HPA owns replicas from here on (ignore_changes in Workloads).
        "replicas": app.pod.min_replicas,
        "selector": {"match_labels": selector},
        # A rollout never stops an old pod before its replacement is ready: capacity never dips, and every stopped
        # pod gets its grace period to finish its streams.
        "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": "25%"}},
        "template": {
            "metadata": {"labels": selector, **({"annotations": annotations} if annotations else {})},
            "spec": {
                # Scale-in and rollouts wait for the answers in flight instead of cutting them off.
                "termination_grace_period_seconds": grace_seconds(app.llm),
                "service_account_name": app.name,
                "automount_service_account_token": False,
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": RUN_AS,
                    "run_as_group": RUN_AS,
                    "fs_group": RUN_AS,
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                "containers": [container(app, env, secret_env)],
                "volumes": [{"name": "tmp", "empty_dir": {"size_limit": "256Mi"}}],
                # Zones first (a zone outage takes at most its share), then nodes. ScheduleAnyway: a zone short of
                # capacity must not leave pods pending while the autoscaler adds nodes elsewhere.
                "topology_spread_constraints": [
                    {
                        "max_skew": 1,
                        "topology_key": key,
                        "when_unsatisfiable": "ScheduleAnyway",
                        "label_selector": {"match_labels": selector},
                        "match_label_keys": ["pod-template-hash"],
                    }
                    for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                ],
            },
        },
    }


def hpa_spec(app: App) -> dict[str, Any]:
    return {
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": app.name},
        "min_replicas": app.pod.min_replicas,
        "max_replicas": app.pod.max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "average_utilization": app.cpu_target_percent},
                },
            }
        ],
    }


def pdb_spec(app: App) -> dict[str, Any]:
    return {"max_unavailable": PDB_MAX_UNAVAILABLE, "selector": {"match_labels": labels(app.name)}}


def service_spec(app: App, public: bool) -> dict[str, Any]:
    return {
        "type": "LoadBalancer" if public else "ClusterIP",
        "selector": labels(app.name),
        "ports": [{"name": "http", "port": 80, "target_port": "http", "protocol": "TCP"}],
    }


def network_policies(
    backend: App, frontend: App, vpc_cidr: str, cache: bool, load_balancer_cidrs: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """NetworkPolicy specs by name: nothing reaches a pod of the namespace unless a policy below lets it.

    The frontend is public through the load balancer: with ``load_balancer_cidrs`` (the public subnets, where the
    ALB's nodes live; it targets the pods' own addresses) only they reach its HTTP port; without, anyone may. Only
    the frontend reaches the backend, and the backend reaches only DNS, the cache (inside the VPC), the Pod Identity
    agent for its credentials, and HTTPS (DynamoDB's endpoint through the gateway, the model's API). Kubelet probes
    come from the pod's own node, which the VPC CNI always admits.
    """

    def tcp(port: int) -> dict[str, Any]:
        return {"protocol": "TCP", "port": port}

    egress = [
        {"ports": [{"protocol": "UDP", "port": DNS_PORT}, tcp(DNS_PORT)]},
        {"to": [{"ip_block": {"cidr": POD_IDENTITY_AGENT}}], "ports": [tcp(POD_IDENTITY_PORT)]},
        {"to": [{"ip_block": {"cidr": ANYWHERE}}], "ports": [tcp(HTTPS_PORT)]},
    ]
    if cache:
        egress.insert(1, {"to": [{"ip_block": {"cidr": vpc_cidr}}], "ports": [tcp(CACHE_PORT)]})
    if backend.llm is not None and backend.llm.self_hosted is not None:
        # The self-hosted model's vLLM pods (stacks/gpu_serving.py), in their own namespace.
        serving = {
            "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": SERVING_NAMESPACE}},
            "pod_selector": {"match_labels": serving_labels()},
        }
        egress.append({"to": [serving], "ports": [tcp(SERVING_PORT)]})
    return {
        "default-deny-ingress": {"pod_selector": {}, "policy_types": ["Ingress"]},
        f"{frontend.name}-ingress": {
            "pod_selector": {"match_labels": labels(frontend.name)},
            "policy_types": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ip_block": {"cidr": cidr}} for cidr in (load_balancer_cidrs or [ANYWHERE])],
                    "ports": [tcp(PORT)],
                }
            ],
        },
        f"{backend.name}-ingress": {
            "pod_selector": {"match_labels": labels(backend.name)},
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"pod_selector": {"match_labels": labels(frontend.name)}}], "ports": [tcp(PORT)]}],
        },
        f"{backend.name}-egress": {
            "pod_selector": {"match_labels": labels(backend.name)},
            "policy_types": ["Egress"],
            "egress": egress,
        },
    }


def table_access_policy(table_arn: str) -> str:
    """Item access to the one table (and its indexes), nothing else."""
    actions = [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
    ]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": [table_arn, f"{table_arn}/index/*"]}],
        }
    )


class Workloads(pulumi.ComponentResource):
    """Backend and frontend, each with a Service, an HPA bounded by the plan and a PodDisruptionBudget, in a
    namespace that enforces the ``restricted`` Pod Security Standard and admits only the traffic its
    NetworkPolicies allow."""

    def __init__(
        self,
        name: str,
        backend: App,
        frontend: App,
        provider: k8s.Provider,
        cluster_name: pulumi.Input[str],
        region: str,
        table_name: pulumi.Input[str],
        table_arn: pulumi.Input[str],
        cache_endpoint: pulumi.Input[str] | None,
        cache_auth_token: pulumi.Input[str] | None,
        cache_cluster_mode: bool,
        vpc_cidr: str,
        llm_api_key: pulumi.Input[str] | None = None,
        load_balancer_cidrs: list[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        table_retention_days: int | None = None,
    ) -> None:
        super().__init__("chat-infra:workloads:Workloads", name, None, opts)
        llm = backend.llm
        # The cluster's provider (Cluster.provider) waits for the nodes and add-ons, so every object below does too.
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])

        # The backend reads and writes the table with its own role through EKS Pod Identity.
        backend_role = pod_identity_role(f"{name}-backend-role", cluster_name, region, parent=self)
        aws.iam.RolePolicy(
            f"{name}-backend-table-access",
            role=backend_role.id,
            policy=pulumi.Output.from_input(table_arn).apply(table_access_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if llm is not None and llm.provider == "aws":
            # Bedrock is called with the same role: invoke rights on exactly the plan's model, nothing wider.
            caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
            aws.iam.RolePolicy(
                f"{name}-backend-model-access",
                role=backend_role.id,
                policy=pulumi.Output.all(caller.account_id, partition).apply(
                    lambda args: bedrock_policy(llm.model, region, args[0], args[1])
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        backend_identity = aws.eks.PodIdentityAssociation(
            f"{name}-backend-identity",
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=backend.name,
            role_arn=backend_role.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

        cache = cache_endpoint is not None
        # How long either app may wait on an answer stream that sends nothing (the frontend's proxy read from the
        # backend, the backend's read from the model): the ALB's idle timeout, so no hop gives up before the edge.
        stream_timeout = str(alb_timeouts(llm).idle_seconds)
        env: dict[str, dict[str, Any]] = {
            "backend": {
                "AWS_REGION": region,
                "STREAM_TIMEOUT_SECONDS": stream_timeout,
                "TABLE_NAME": table_name,
                # The plan prices the table at the storage this retention keeps: the app stamps each item it writes
                # with the TTL attribute, now + these days, so DynamoDB deletes it then.
                **(
                    {"TABLE_TTL_ATTRIBUTE": TTL_ATTRIBUTE, "TABLE_RETENTION_DAYS": str(table_retention_days)}
                    if table_retention_days is not None
                    else {}
                ),
                "CACHE_ENABLED": "true" if cache else "false",
                **(
                    {
                        "CACHE_HOST": cache_endpoint,
                        "CACHE_PORT": str(CACHE_PORT),
                        "CACHE_TLS": "true",
                        # A cluster-mode client follows MOVED redirects and reshards; a plain one would not.
                        "REDIS_CLUSTER_MODE": "true" if cache_cluster_mode else "false",
                    }
                    if cache
                    else {}
                ),
            },
            "frontend": {
                "BACKEND_URL": f"http://{backend.name}.{NAMESPACE}.svc.cluster.local",
                "STREAM_TIMEOUT_SECONDS": stream_timeout,
            },
        }
        secret_env: dict[str, dict[str, tuple[str, str]]] = {"backend": {}, "frontend": {}}
        backend_needs: list[pulumi.Resource] = [backend_identity]
        if cache:
            # The token reaches the pods only through this Secret (encrypted at rest with the cluster's KMS key).
            auth_secret = k8s.core.v1.Secret(
                f"{name}-cache-auth",
                metadata={"name": CACHE_AUTH_SECRET, "namespace": NAMESPACE, "labels": labels(backend.name)},
                type="Opaque",
                string_data={CACHE_AUTH_KEY: cache_auth_token},
                opts=in_namespace,
            )
            secret_env["backend"]["REDIS_AUTH_TOKEN"] = (CACHE_AUTH_SECRET, CACHE_AUTH_KEY)
            backend_needs.append(auth_secret)

        for policy, spec in network_policies(backend, frontend, vpc_cidr, cache, load_balancer_cidrs).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy}",
                metadata={"name": policy, "namespace": NAMESPACE},
                spec=spec,
                opts=in_namespace,
            )
        needs_key: list[pulumi.Resource] = []
        if llm is not None and llm.provider != "aws" and llm.self_hosted is None:
            # Another provider's API key: a secret in config, a Secret in the cluster, an env var by reference only.
            if llm_api_key is None:
                raise ValueError("a non-Bedrock model needs its API key (config.load checks chat-infra:llmApiKey)")
            needs_key.append(
                k8s.core.v1.Secret(
                    f"{name}-llm-api-key",
                    metadata={"name": SECRET_NAME, "namespace": NAMESPACE, "labels": labels(backend.name)},
                    type="Opaque",
                    string_data={SECRET_KEY: pulumi.Output.secret(llm_api_key)},
                    opts=in_namespace,
                )
            )
        # A rotated secret rolls the backend (rotation.py): its salted digest is on the pod template.
        secrets = {
            annotation: value
            for annotation, value in (
                (LLM_API_KEY_ANNOTATION, llm_api_key if needs_key else None),
                (CACHE_AUTH_ANNOTATION, cache_auth_token if cache else None),
            )
            if value is not None
        }
        annotations: dict[str, dict[str, Any]] = {"backend": {}, "frontend": {}}
        if secrets:
            salt = random.RandomPassword(
                f"{name}-template-salt", length=SALT_LENGTH, special=False, opts=pulumi.ResourceOptions(parent=self)
            ).result
            for annotation, value in secrets.items():
                # Not secret: a keyed digest of a random salt tells nothing of the value, and the preview shows
                # that the pods roll.
                annotations["backend"][annotation] = pulumi.Output.unsecret(
                    pulumi.Output.all(salt, value).apply(lambda args: template_digest(args[0], args[1]))
                )
        self.deployments: dict[str, k8s.apps.v1.Deployment] = {}
        self.services: dict[str, k8s.core.v1.Service] = {}
        # Both ClusterIP: the public entrance is the Ingress (edge.py), whose ALB sends to the pods' addresses.
        for app in (backend, frontend):
            metadata = {"name": app.name, "namespace": NAMESPACE, "labels": labels(app.name)}
            k8s.core.v1.ServiceAccount(
                f"{name}-{app.name}-sa", metadata=metadata, automount_service_account_token=False, opts=in_namespace
            )
            # Pod Identity credentials are injected when a pod is created: the backend's first pods must not start
            # before their association exists, or they would run without table access until restarted. Nor before
            # the Secrets their environment reads.
            needs = [*backend_needs, *needs_key] if app is backend else []
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{app.name}",
                metadata=metadata,
                spec=deployment_spec(app, env[app.name], secret_env[app.name], annotations[app.name]),
                opts=pulumi.ResourceOptions.merge(
                    in_namespace, pulumi.ResourceOptions(ignore_changes=["spec.replicas"], depends_on=needs)
                ),
            )
            self.deployments[app.name] = deployment
            self.services[app.name] = k8s.core.v1.Service(
                f"{name}-{app.name}-svc", metadata=metadata, spec=service_spec(app, public=False), opts=in_namespace
            )
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-{app.name}-hpa", metadata=metadata, spec=hpa_spec(app), opts=in_namespace
            )
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{app.name}-pdb", metadata=metadata, spec=pdb_spec(app), opts=in_namespace
            )

        self.register_outputs({"namespace": namespace.metadata["name"]})
