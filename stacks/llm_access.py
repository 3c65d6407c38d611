"""How the backend reaches the plan's model: an IAM grant on exactly that Bedrock model, an API key Secret, or
(a self-hosted ``vllm:`` model) the in-cluster vLLM Service, which needs neither.

Pure functions of the plan, so the policy and the env are checked without any Pulumi machinery.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sizing.plan import LLMPlan

# Bedrock's system-defined cross-Region inference profiles are the model id with a geography (or global) prefix.
PROFILE_PREFIXES = ("global", "us", "us-gov", "eu", "apac", "jp", "au", "ca")
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SECRET_NAME = "llm-api-key"
SECRET_KEY = "api-key"
# The pod leaves the Service's endpoints before it is sent SIGTERM only if it waits this long first (kube-proxy and
# the NLB's target deregistration act on the endpoint change asynchronously).
PRESTOP_SECONDS = 5
# The 90th-percentile stream is not the longest: twice it covers the Azure trace's 99th percentile (601 output
# tokens against 424 at p90) with room for a slow first token; then a few seconds to close connections.
TAIL_FACTOR = 2
CLOSE_SECONDS = 10
# Kubernetes' own default; never grant less.
MIN_GRACE_SECONDS = 30
# Where a self-hosted model is served (stacks/gpu_serving.py): a namespace of its own, a ClusterIP Service in front
# of the vLLM pods, on vLLM's default port. Fixed names, so the backend's URL is known before anything exists.
SERVING_NAMESPACE = "llm-serving"
SERVING_NAME = "vllm"
SERVING_PORT = 8000


def serving_labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": SERVING_NAME, "app.kubernetes.io/part-of": "chat-app"}


def self_hosted_base_url() -> str:
    """The OpenAI-compatible API of the vLLM Service, as an OpenAI client's ``base_url``."""
    return f"http://{SERVING_NAME}.{SERVING_NAMESPACE}.svc.cluster.local:{SERVING_PORT}/v1"


def profile_and_model(model: str) -> tuple[str | None, str]:
    """(inference profile prefix or None, the foundation model id): ``global.anthropic.x`` -> ("global", "anthropic.x")."""
    prefix, _, rest = model.partition(".")
    if prefix in PROFILE_PREFIXES and "." in rest:
        return prefix, rest
    return None, model


def bedrock_policy(model: str, region: str, account_id: str, partition: str = "aws") -> str:
    """Invoke exactly this model. Through a profile: the profile in this region, and the foundation model in any
    destination region only when the call comes through that profile (global profiles route to any commercial
    region, whose foundation-model ARN has an empty region)."""
    prefix, foundation = profile_and_model(model)
    statements: list[dict[str, Any]]
    if prefix is None:
        statements = [
            {
                "Sid": "InvokeTheModel",
                "Effect": "Allow",
                "Action": list(INVOKE_ACTIONS),
                "Resource": f"arn:{partition}:bedrock:{region}::foundation-model/{foundation}",
            }
        ]
    else:
        profile = f"arn:{partition}:bedrock:{region}:{account_id}:inference-profile/{model}"
        models = [f"arn:{partition}:bedrock:*::foundation-model/{foundation}"]
        if prefix == "global":
            models.append(f"arn:{partition}:bedrock:::foundation-model/{foundation}")
        statements = [
            {"Sid": "InvokeTheProfile", "Effect": "Allow", "Action": list(INVOKE_ACTIONS), "Resource": profile},
            {
                "Sid": "InvokeTheModelThroughTheProfile",
                "Effect": "Allow",
                "Action": list(INVOKE_ACTIONS),
                "Resource": models,
                "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


# EKS Pod Identity tags every session it opens with where the pod runs (EKS user guide, "Pod Identity session
# tags"): a policy can name one service account of one cluster without knowing its role.
SESSION_TAGS = ("eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account")


def endpoint_policy(
    model: str,
    region: str,
    account_id: str,
    cluster_name: str,
    namespace: str,
    service_account: str,
    partition: str = "aws",
) -> str:
    """The Bedrock interface endpoint's policy: the backend's invoke calls on the plan's model, nothing else.

    The endpoint's security group can only tell nodes apart, not pods (the VPC CNI gives a pod its node's groups), so
    the backend alone is named here, by the session tags Pod Identity puts on its credentials, from this account.
    Each statement of ``bedrock_policy`` is kept (the same model, profile and conditions), for any principal that
    carries those tags."""
    tags = dict(zip(SESSION_TAGS, (cluster_name, namespace, service_account), strict=True))
    only_the_backend = {f"aws:PrincipalTag/{key}": value for key, value in tags.items()}
    statements = []
    for statement in json.loads(bedrock_policy(model, region, account_id, partition))["Statement"]:
        conditions = statement.get("Condition", {})
        statement["Principal"] = {"AWS": "*"}
        statement["Condition"] = {
            **conditions,
            "StringEquals": {
                **conditions.get("StringEquals", {}),
                "aws:PrincipalAccount": account_id,
                **only_the_backend,
            },
        }
        statements.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def llm_env(plan: LLMPlan | None) -> list[dict[str, Any]]:
    """The backend's env entries for its model; a provider other than Bedrock gets its key from the Secret, and a
    self-hosted model the in-cluster URL instead (vLLM is reached inside the cluster, with no key)."""
    if plan is None:
        return [{"name": "LLM_PROVIDER", "value": "none"}]
    env: list[dict[str, Any]] = [
        {"name": "LLM_PROVIDER", "value": plan.provider},
        {"name": "LLM_MODEL", "value": plan.model},
    ]
    if plan.self_hosted is not None:
        # The name vLLM serves the model under (--served-model-name), whatever path it loaded the weights from.
        env[1] = {"name": "LLM_MODEL", "value": plan.self_hosted.model}
        env.append({"name": "LLM_BASE_URL", "value": self_hosted_base_url()})
    elif plan.provider != "aws":
        env.append({"name": "LLM_API_KEY", "value_from": {"secret_key_ref": {"name": SECRET_NAME, "key": SECRET_KEY}}})
    return env


def grace_seconds(plan: LLMPlan | None) -> int:
    """Long enough for a draining pod to finish the answers it is streaming (the p90 one, with a margin)."""
    if plan is None:
        return MIN_GRACE_SECONDS
    drain = math.ceil(TAIL_FACTOR * plan.peak.stream_seconds_p90)
    return max(MIN_GRACE_SECONDS, PRESTOP_SECONDS + drain + CLOSE_SECONDS)
