"""Stack config in, a validated Workload and deployment settings out, or one line naming the key that is wrong.

The Pulumi CLI hands every value over as a string (objects as JSON), after applying the defaults declared in
``Pulumi.yaml``. Unit tests and other drivers run without the CLI, so ``KEYS`` repeats those declarations and is
applied here too; ``tests/test_stack_project.py`` keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pydantic import ValidationError

from sizing import PriceTable, SizingError, Workload, calculate, load_price_file
from sizing.data.pricing import MissingRegion
from sizing.errors import describe
from sizing.inputs import shape_problem
from sizing.plan import LLMPlan, SizingPlan

if TYPE_CHECKING:
    from edge_config import EdgeSettings

PROJECT = "chat-infra"
# Relative pricesFile paths are read from the project directory (where Pulumi.yaml is), not from stacks/.
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Placeholder images that run as a non-root user, listen on 8080 and tolerate a read-only root filesystem with a
# writable /tmp: the contract any real image must meet. Pinned by digest, so every node pulls the same bytes however
# the tag moves: the multi-arch index digest of Docker Hub's nginxinc/nginx-unprivileged:1.27-alpine, as recorded
# (with `docker inspect --format '{{index .RepoDigests 0}}'`, verified 2026-07-09) in public Dockerfiles that pin it.
DEFAULT_IMAGE = (
    "nginxinc/nginx-unprivileged:1.27-alpine@sha256:65e3e85dbaed8ba248841d9d58a899b6197106c23cb0ff1a132b7bfe0547e4c0"
)
# Kubernetes minor version for EKS and for the schema the tests validate every object against.
DEFAULT_KUBERNETES_VERSION = "1.34"
# vLLM's OpenAI-compatible server for a self-hosted (vllm:) model, pinned by digest: a tag can be re-pushed, a digest
# names one build. v0.14.0's multi-platform index digest, as pinned in tinfoilsh/vllm-openai-audio's Dockerfile
# (commit 1080c51cb6ec81facf73b8e0f495291a78eee08e) and recorded with its linux/amd64 image digest
# (sha256:48a03c91...) in other public build notes; checked 2026-12-07.
DEFAULT_VLLM_IMAGE = "vllm/vllm-openai:v0.14.0@sha256:1d6866b87630d94f5e0cdae55ab5abb4ce0b03fcb84d9d10612f9d518d19d4fd"


@dataclass(frozen=True)
class Key:
    type: str  # as declared in Pulumi.yaml: string | integer | boolean | object | array
    default: Any  # None: required (the CLI refuses to run without it)
    description: str
    items: str | None = None  # the type of an array's items (Pulumi.yaml requires it for arrays)


# Optional keys the engine has no default for use an "unset" value ("" or 0): Pulumi.yaml cannot declare an
# optional key without a default (the CLI would treat it as required).
KEYS: dict[str, Key] = {
    "concurrentUsers": Key("integer", None, "Peak simultaneous users: the load everything is sized for."),
    "totalUsers": Key(
        "integer", 0, "Registered users (sizes storage). 0 = derive from activeRatio. Give one of the two."
    ),
    "activeRatio": Key(
        "string", "", "Concurrent / registered users at peak, a number in (0, 1]. Empty = 0.10 unless totalUsers."
    ),
    "instanceType": Key("string", "", "Pin the EKS node instance type (e.g. m6i.xlarge). Empty = cheapest fit."),
    "arch": Key(
        "string", "", "CPU architecture of the nodes: x86_64 or arm64. Empty = the pinned instanceType's, else x86_64."
    ),
    "llm": Key(
        "string",
        "",
        "Chat model PROVIDER:MODEL (e.g. openai:gpt-4o-mini); none = no LLM. Empty = the default Bedrock model.",
    ),
    "llmCompare": Key(
        "string",
        "",
        "With a vllm: llm, the API model PROVIDER:MODEL to price its break-even against. Empty = the default llm.",
    ),
    "capacity": Key(
        "string",
        "on-demand",
        "on-demand, or spot-burst: the min fleet on-demand, the burst above it on Spot (3+ types).",
    ),
    "savingsPlan": Key(
        "string",
        "none",
        "none, 1y or 3y: price the min fleet at a Compute Savings Plan rate (needs pricesFile with them).",
    ),
    "assumptions": Key(
        "object",
        {},
        "Overrides of any sizing assumption, e.g. {backend: {users_per_pod: 80}}; see sizing/assumptions.py.",
    ),
    "backendImage": Key("string", DEFAULT_IMAGE, "Backend container image: non-root, port 8080, read-only root fs."),
    "frontendImage": Key("string", DEFAULT_IMAGE, "Frontend container image: non-root, port 8080, read-only root fs."),
    "kubernetesVersion": Key("string", DEFAULT_KUBERNETES_VERSION, "EKS Kubernetes minor version (1.NN)."),
    "vpcCidr": Key("string", "10.0.0.0/16", "IPv4 CIDR of the VPC, /16 to /20; pods take VPC addresses (VPC CNI)."),
    "deployWorkloads": Key(
        "boolean", True, "Deploy the Kubernetes workloads (namespace, Deployments, HPAs...) into the cluster."
    ),
    "pricesFile": Key(
        "string",
        "",
        "Price file from `sizing prices refresh` (path from the project directory). Empty = shipped prices.",
    ),
    "adminPrincipalArns": Key(
        "array",
        [],
        "IAM role/user ARNs given cluster-admin by EKS access entries. Empty = whoever runs pulumi up.",
        items="string",
    ),
    "publicAccessCidrs": Key(
        "array",
        [],
        "CIDRs that may reach the public Kubernetes API endpoint. Empty = 0.0.0.0/0 (with a warning).",
        items="string",
    ),
    "controlPlaneLogRetentionDays": Key(
        "integer", 90, "Days CloudWatch keeps the control-plane logs (a CloudWatch retention value; 0 = forever)."
    ),
    "upgradePolicy": Key(
        "string", "STANDARD", "EKS support policy: STANDARD, or EXTENDED (extended support, billed at a higher rate)."
    ),
    "nodeUpdateMaxUnavailablePercent": Key(
        "integer", 33, "Share of each node group EKS replaces at once during an update, 1-100."
    ),
    "dynamodbTableQuota": Key(
        "integer", 40000, "Your DynamoDB per-table read/write throughput quota; raise it once AWS has raised yours."
    ),
    "vllmImage": Key(
        "string", DEFAULT_VLLM_IMAGE, "vLLM server image for a vllm: model, pinned by digest (NAME[:TAG]@sha256:...)."
    ),
    "modelWeightsUri": Key(
        "string",
        "",
        "vllm: model weights in S3 (s3://BUCKET/PREFIX), read by the pods' own role. Empty = from Hugging Face.",
    ),
    "availabilityZoneIds": Key(
        "array",
        [],
        "Pin the subnets' zones by zone ID (e.g. use1-az1). Empty = keep the live subnets' zones, else choose.",
        items="string",
    ),
    "allowSubnetMove": Key(
        "boolean", False, "Allow a zone change that moves (replaces) existing subnets and everything in them."
    ),
    "cacheAuthTokenGeneration": Key(
        "integer", 1, "Bump to rotate the cache AUTH token: the new token is added beside the old (ROTATE)."
    ),
    "cacheAuthTokenSetGeneration": Key(
        "integer", 1, "Set to cacheAuthTokenGeneration once pods use the new token: older tokens are revoked (SET)."
    ),
    "preflightChecks": Key(
        "boolean", True, "At preview, check Bedrock model access, EC2 vCPU quotas and the live cache's data with AWS."
    ),
    # The public edge (stacks/edge_config.py): HTTPS unless allowPlainHttp, and the WAF on the load balancer.
    "domainName": Key("string", "", "The app's DNS name (e.g. chat.example.com); with hostedZoneId, HTTPS on it."),
    "hostedZoneId": Key("string", "", "Route 53 hosted zone of domainName: certificate validation and alias record."),
    "certificateArn": Key(
        "string", "", "An ACM certificate of the stack's region to serve HTTPS with. Empty = request."
    ),
    "allowPlainHttp": Key("boolean", False, "Serve plain HTTP without a certificate: dev stacks only (warns)."),
    "rateLimitPerIp": Key("integer", 0, "WAF limit: requests per client IP per 5 min, 10 or more. 0 = derived."),
    "wafManagedRules": Key("boolean", False, "Add AWS's managed common rule set to the WAF web ACL."),
    "readinessPath": Key("string", "/", "HTTP path the frontend answers 200 on when ready: probe and health check."),
}

UPGRADE_POLICIES = ("STANDARD", "EXTENDED")
# What CloudWatch Logs accepts as a retention (PutRetentionPolicy), 0 meaning never expire.
LOG_RETENTION_DAYS = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# More admins or endpoint CIDRs than any team needs is a mistake (or hostile input), not a configuration.
MAX_LIST_ITEMS = 100
IAM_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+")

# Workload field -> the config key a person sets, so a validation error names what they typed.
NAMES = {
    "concurrent_users": f"{PROJECT}:concurrentUsers",
    "total_users": f"{PROJECT}:totalUsers",
    "active_ratio": f"{PROJECT}:activeRatio",
    "instance_type": f"{PROJECT}:instanceType",
    "arch": f"{PROJECT}:arch",
    "llm": f"{PROJECT}:llm",
    "llm_compare": f"{PROJECT}:llmCompare",
    "capacity": f"{PROJECT}:capacity",
    "savings_plan": f"{PROJECT}:savingsPlan",
    "assumptions": f"{PROJECT}:assumptions",
    "region": "aws:region",
}


class ConfigError(pulumi.RunError):
    """A RunError: the language host prints its message alone, with no Python traceback, on one line whatever the
    value it echoes held."""

    def __init__(self, message: str) -> None:
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in message))


@dataclass(frozen=True)
class AwsIdentity:
    """Who the AWS provider acts as, so the Kubernetes provider's ``aws eks get-token`` can act as the same."""

    profile: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class Settings:
    """What the program deploys besides the sized numbers: where, which images, which versions, who may reach it."""

    workload: Workload
    backend_image: str
    frontend_image: str
    kubernetes_version: str
    vpc_cidr: str
    deploy_workloads: bool
    admin_principal_arns: tuple[str, ...]
    public_access_cidrs: tuple[str, ...]
    log_retention_days: int
    upgrade_policy: str
    node_update_max_unavailable_percent: int
    dynamodb_table_quota: int
    identity: AwsIdentity
    # A provider other than Bedrock: its API key, a secret Output (never a plain value, never exported).
    llm_api_key: pulumi.Output[str] | None = None
    prices: PriceTable | None = None  # from pricesFile; None: the prices shipped with sizing
    # Day 2: pinned zone IDs, whether a zone change may move subnets, and the cache AUTH token's rotation state.
    availability_zone_ids: tuple[str, ...] = ()
    allow_subnet_move: bool = False
    cache_auth_token_generation: int = 1
    cache_auth_token_set_generation: int = 1
    preflight_checks: bool = True  # preflightChecks: the account checks at preview (preflight.py)
    edge: EdgeSettings | None = None  # the public edge (edge_config.py); None only where a test builds Settings


def load(config: pulumi.Config | None = None, aws_config: pulumi.Config | None = None) -> Settings:
    config = config or pulumi.Config(PROJECT)
    aws_config = aws_config or pulumi.Config("aws")
    raw = {name: config.get(name) for name in KEYS}
    raw = {name: (KEYS[name].default if value is None else value) for name, value in raw.items()}
    region = aws_config.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigError("aws:region: missing; set it with `pulumi config set aws:region us-east-1`")
    log_retention_days = _log_retention(raw["controlPlaneLogRetentionDays"])
    upgrade_policy = _upgrade_policy(raw["upgradePolicy"])
    # The plan prices what the stack deploys: the support policy and the log retention come from these keys.
    # Imported here: edge_config imports this module.
    from edge_config import edge_assumptions, edge_settings

    edge = edge_settings(raw, region)
    workload = _workload(
        raw, region, {"support": upgrade_policy, "log_retention_days": log_retention_days}, edge_assumptions(raw)
    )
    return Settings(
        workload=workload,
        backend_image=_image(raw, "backendImage"),
        frontend_image=_image(raw, "frontendImage"),
        kubernetes_version=_kubernetes_version(raw["kubernetesVersion"]),
        vpc_cidr=_vpc_cidr(raw["vpcCidr"]),
        deploy_workloads=_boolean(raw["deployWorkloads"], "deployWorkloads"),
        admin_principal_arns=_principal_arns(raw["adminPrincipalArns"]),
        public_access_cidrs=_public_access_cidrs(raw["publicAccessCidrs"]),
        log_retention_days=log_retention_days,
        upgrade_policy=upgrade_policy,
        node_update_max_unavailable_percent=_integer(
            raw["nodeUpdateMaxUnavailablePercent"], "nodeUpdateMaxUnavailablePercent", 1, 100
        ),
        dynamodb_table_quota=_integer(raw["dynamodbTableQuota"], "dynamodbTableQuota", 1, 10_000_000),
        identity=aws_identity(aws_config),
        llm_api_key=_llm_api_key(config, workload),
        prices=_prices(raw["pricesFile"]),
        availability_zone_ids=_zone_ids(raw["availabilityZoneIds"]),
        allow_subnet_move=_boolean(raw["allowSubnetMove"], "allowSubnetMove"),
        **_cache_auth_generations(raw["cacheAuthTokenGeneration"], raw["cacheAuthTokenSetGeneration"]),
        preflight_checks=_boolean(raw["preflightChecks"], "preflightChecks"),
        edge=edge,
    )


def plan_for(workload: Workload, prices: PriceTable | None = None) -> SizingPlan:
    """``sizing.calculate``, with an engine refusal turned into one line naming the config key at fault."""
    try:
        return calculate(workload, prices=prices)
    except MissingRegion as error:
        # With a price file the region is fine and the file lacks it; without one, the shipped prices lack it.
        key = f"{PROJECT}:pricesFile" if prices is not None else NAMES["region"]
        told = error.telling(f"point {PROJECT}:pricesFile at it (`pulumi config set {PROJECT}:pricesFile prices.yaml`)")
        raise ConfigError(f"{key}: {told}") from None
    except SizingError as error:
        raise ConfigError(describe(error, NAMES)) from None


def _prices(value: Any) -> PriceTable | None:
    if not isinstance(value, str):
        raise ConfigError(f"{PROJECT}:pricesFile: must be a file path (got {value!r})")
    if not value.strip():
        return None
    path = os.path.join(PROJECT_DIR, os.path.expanduser(value.strip()))
    try:
        return load_price_file(Path(path), f"{PROJECT}:pricesFile")
    except SizingError as error:
        raise ConfigError(str(error)) from None


def _workload(
    raw: dict[str, Any], region: str, cluster: dict[str, Any] | None = None, edge: dict[str, Any] | None = None
) -> Workload:
    if raw["concurrentUsers"] in (None, ""):
        raise ConfigError(
            f"{PROJECT}:concurrentUsers: missing; set the peak simultaneous users with "
            f"`pulumi config set {PROJECT}:concurrentUsers 1000`"
        )
    assumptions = _numbers(_object(raw["assumptions"], "assumptions"))
    if cluster and isinstance(assumptions.get("cluster", {}), dict):
        assumptions = {**assumptions, "cluster": {**assumptions.get("cluster", {}), **cluster}}
    if edge and isinstance(assumptions.get("edge", {}), dict):
        assumptions = {**assumptions, "edge": {**assumptions.get("edge", {}), **edge}}
    fields: dict[str, Any] = {
        "concurrent_users": _scalar(raw["concurrentUsers"]),
        "region": region,
        "assumptions": assumptions,
    }
    total = _scalar(raw["totalUsers"])
    if total not in (0, "", None):
        fields["total_users"] = total
    ratio = _scalar(raw["activeRatio"])
    if ratio not in ("", None):
        fields["active_ratio"] = ratio
    if raw["instanceType"]:
        fields["instance_type"] = raw["instanceType"]
    # Unset, the engine takes the pinned type's architecture (or x86_64); set, it must agree with a pinned type.
    if raw["arch"]:
        fields["arch"] = raw["arch"]
    if raw["llm"]:
        fields["llm"] = raw["llm"]
    # Validated (an API model, PROVIDER:MODEL) whatever llm is; it prices a self-hosted model's break-even only.
    if raw["llmCompare"]:
        fields["llm_compare"] = raw["llmCompare"]
    fields["capacity"] = raw["capacity"]
    fields["savings_plan"] = raw["savingsPlan"]
    try:
        return Workload(**fields)
    except ValidationError as error:
        line = describe(error, NAMES)
        if not error.errors()[0]["loc"]:
            # A rule across fields (total vs concurrent users, total vs ratio): name the keys that were set.
            keys = [NAMES[f] for f in ("total_users", "active_ratio") if f in fields] or [NAMES["concurrent_users"]]
            line = f"{' and '.join(keys)}: {line}"
        raise ConfigError(line) from None


API_KEY = "llmApiKey"


def _llm_api_key(config: pulumi.Config, workload: Workload) -> pulumi.Output[str] | None:
    """Required for a model outside Bedrock (which uses the backend's IAM role), and only ever as a secret."""
    choice = workload.llm_choice
    key = f"{PROJECT}:{API_KEY}"
    if choice is None or choice.bedrock or choice.provider == SELF_HOSTED_PROVIDER:
        return None
    if config.get(API_KEY) in (None, ""):
        raise ConfigError(
            f"{key}: missing; the {choice.provider} model {choice.model} needs an API key: "
            f"`pulumi config set --secret {key} <key>` (or use a Bedrock model, which needs none)"
        )
    if not pulumi.runtime.is_config_secret(key):
        raise ConfigError(f"{key}: stored in plain text; set it again with `pulumi config set --secret {key} <key>`")
    return config.require_secret(API_KEY)


SELF_HOSTED_PROVIDER = "vllm"
HF_TOKEN = "hfToken"
# S3's bucket naming rules (3-63 characters: lowercase letters, digits, dots, hyphens; a letter or digit at each end),
# then a key prefix of S3's "safe" key characters (no IAM wildcard, no shell or JSON metacharacter): the folder that
# holds the model's config, tokenizer and safetensors.
_S3_URI = re.compile(
    r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<prefix>[A-Za-z0-9!_.'()-]+(?:/[A-Za-z0-9!_.'()-]+)*)/?"
)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Serving:
    """How a self-hosted model is deployed besides the plan's numbers: the server image and where its weights are."""

    image: str
    # Exactly one of the two: weights under an S3 prefix (bucket, prefix), or downloaded from Hugging Face with the
    # token (a secret Output, never a plain value).
    s3: tuple[str, str] | None = None
    hf_token: pulumi.Output[str] | None = None


def serving_for(llm: LLMPlan | None, config: Any = None) -> tuple[Serving | None, list[str]]:
    """The serving settings when the plan self-hosts its model, with warnings for keys set to no effect.

    Read after the plan (whether the model is self-hosted is the plan's to say) and before anything is declared."""
    config = config or pulumi.Config(PROJECT)
    image = config.get("vllmImage") or KEYS["vllmImage"].default
    uri = (config.get("modelWeightsUri") or "").strip()
    token_set = config.get(HF_TOKEN) not in (None, "")
    if llm is None or llm.self_hosted is None:
        ignored = [
            f"{PROJECT}:{key}"
            for key, is_set in (
                ("vllmImage", image != KEYS["vllmImage"].default),
                ("modelWeightsUri", bool(uri)),
                (HF_TOKEN, token_set),
                ("llmCompare", bool((config.get("llmCompare") or "").strip())),
            )
            if is_set
        ]
        if not ignored:
            return None, []
        return None, [
            f"{', '.join(ignored)} set, but {PROJECT}:llm is not a {SELF_HOSTED_PROVIDER}: model: ignored "
            f"(they configure a self-hosted model only)"
        ]
    model = llm.self_hosted.model
    image = _image({"vllmImage": image}, "vllmImage")
    if not _DIGEST.search(image):
        raise ConfigError(
            f"{PROJECT}:vllmImage: {_shown(image)} is not pinned by digest; a tag can be moved to another build: "
            "give NAME[:TAG]@sha256:<64 hex> (`docker buildx imagetools inspect NAME:TAG` prints it)"
        )
    uri_key, token_key = f"{PROJECT}:modelWeightsUri", f"{PROJECT}:{HF_TOKEN}"
    if uri and token_set:
        raise ConfigError(
            f"{uri_key} and {token_key}: give one source of the weights of {model}: S3 or Hugging Face, not both"
        )
    if uri:
        match = _S3_URI.fullmatch(uri) if len(uri) <= 1024 else None
        if match is None or ".." in match["bucket"]:
            raise ConfigError(
                f"{uri_key}: must be s3://BUCKET/PREFIX, the folder holding {model}'s config and safetensors "
                f"(got {_shown(uri)})"
            )
        return Serving(image=image, s3=(match["bucket"], match["prefix"])), []
    if not token_set:
        raise ConfigError(
            f"{uri_key}: missing; the self-hosted model {model} needs its weights: set it to s3://BUCKET/PREFIX, "
            f"or download them from Hugging Face with `pulumi config set --secret {token_key} hf_...`"
        )
    if not pulumi.runtime.is_config_secret(token_key):
        raise ConfigError(
            f"{token_key}: stored in plain text; set it again with `pulumi config set --secret {token_key} hf_...`"
        )
    return Serving(image=image, hf_token=config.require_secret(HF_TOKEN)), []


def _scalar(value: Any) -> Any:
    """Numbers arrive as strings: parse JSON scalars so pydantic sees -5, not '-5', and says so in the error."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, (int, float)) and not isinstance(parsed, bool) else value
    return value


def _numbers(value: Any) -> Any:
    """``pulumi config set --path`` types only integers and booleans: 0.75 is stored as "0.75". The assumptions are
    strictly typed, so parse numeric strings at every depth here, as ``_scalar`` does for the top-level keys."""
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers(item) for item in value]
    return _scalar(value)


def _object(value: Any, key: str) -> dict[str, Any]:
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
            raise ConfigError(f"{PROJECT}:{key}: must be an object (got {_shown(value)})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{PROJECT}:{key}: must be an object (got {_shown(value)})")
    problem = shape_problem(value)
    if problem:
        raise ConfigError(f"{PROJECT}:{key}: {problem}")
    return value


def _boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"{PROJECT}:{key}: must be true or false (got {_shown(value)})")


# The image reference grammar of distribution/reference (what Docker, containerd and the kubelet parse):
# [registry[:port]/]path[:tag][@digest], path components lowercase. Written out from the grammar, ASCII only.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)
_MAX_IMAGE_NAME = 255  # the grammar's limit on the name (registry and path)
# Where a VPC may take its addresses: RFC 1918 private space and RFC 6598 shared (carrier-grade NAT) space.
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _image(raw: dict[str, Any], key: str) -> str:
    value = str(raw[key]).strip()
    # The length cap first keeps the regular expression's work small whatever is typed.
    match = _IMAGE.fullmatch(value) if len(value) <= 1024 else None
    if match is None or len(match["name"]) > _MAX_IMAGE_NAME:
        raise ConfigError(
            f"{PROJECT}:{key}: must be a container image reference like registry.example.com/team/app:1.2, "
            f"with a lowercase path (got {_shown(raw[key])})"
        )
    return value


def _kubernetes_version(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"1\.\d{2}", value):
        raise ConfigError(f"{PROJECT}:kubernetesVersion: must be a minor version like 1.34 (got {_shown(value)})")
    return value


def _vpc_cidr(value: Any) -> str:
    try:
        network = ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as error:
        raise ConfigError(f"{PROJECT}:vpcCidr: not an IPv4 network: {error} (got {_shown(value)})") from None
    if not 16 <= network.prefixlen <= 20:
        raise ConfigError(f"{PROJECT}:vpcCidr: must be from /16 to /20 to hold the subnets (got {_shown(value)})")
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        raise ConfigError(
            f"{PROJECT}:vpcCidr: {network} is not private address space; use a range within "
            f"{', '.join(map(str, PRIVATE_RANGES[:-1]))} or {PRIVATE_RANGES[-1]} (got {_shown(value)})"
        )
    return str(network)


def aws_identity(aws_config: Any) -> AwsIdentity:
    """The AWS provider's identity as ``aws eks get-token`` can reproduce it: a profile, and at most one role.

    Anything else the provider could act as, the kubeconfig could not: every Kubernetes call would then be made by
    whatever credentials the environment holds and fail with 401 (or act as someone else). Refused here instead.
    """
    for key, fix in (
        ("accessKey", "put the keys in the environment (AWS_ACCESS_KEY_ID, ...) or in a profile and set aws:profile"),
        (
            "assumeRoleWithWebIdentity",
            "set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the environment instead, which both the provider "
            "and the AWS CLI read",
        ),
    ):
        if aws_config.get(key):
            raise ConfigError(f"aws:{key}: the Kubernetes provider's `aws eks get-token` cannot use it; {fix}")
    roles = aws_config.get("assumeRoles")
    if isinstance(roles, str):
        try:
            roles = json.loads(roles) if roles.strip() else []
        except (ValueError, RecursionError):
            raise ConfigError(
                f"aws:assumeRoles: must be a list of {{roleArn: ...}} objects (got {_shown(roles)})"
            ) from None
    roles = roles or []
    if not isinstance(roles, list) or not all(isinstance(role, dict) and role.get("roleArn") for role in roles):
        raise ConfigError(f"aws:assumeRoles: must be a list of {{roleArn: ...}} objects (got {_shown(roles)})")
    if len(roles) > 1 or any(set(role) - {"roleArn", "sessionName", "duration"} for role in roles):
        raise ConfigError(
            "aws:assumeRoles: `aws eks get-token` can assume one role with no external ID, session policy or tags; "
            "put the chain in an AWS CLI profile (role_arn, source_profile, external_id) and set aws:profile instead"
        )
    return AwsIdentity(profile=aws_config.get("profile") or None, role_arn=roles[0]["roleArn"] if roles else None)


def _strings(value: Any, key: str) -> list[str]:
    """Arrays arrive as JSON text from the CLI, as lists from ``KEYS``' defaults."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except (ValueError, RecursionError):
            raise ConfigError(
                f"{PROJECT}:{key}: must be a list of strings (got {_shown(value)}); set an item with "
                f"`pulumi config set --path '{PROJECT}:{key}[0]' VALUE`"
            ) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{PROJECT}:{key}: must be a list of strings (got {_shown(value)})")
    if len(value) > MAX_LIST_ITEMS:
        raise ConfigError(f"{PROJECT}:{key}: {len(value):,} items, more than the {MAX_LIST_ITEMS} this program takes")
    seen: set[str] = set()
    for item in value:
        if item in seen:
            raise ConfigError(f"{PROJECT}:{key}: {_shown(item)} is listed twice")
        seen.add(item)
    return value


def _principal_arns(value: Any) -> tuple[str, ...]:
    arns = _strings(value, "adminPrincipalArns")
    for arn in arns:
        if ":assumed-role/" in arn:
            raise ConfigError(
                f"{PROJECT}:adminPrincipalArns: {_shown(arn)} is a session, not a principal; give the role's ARN "
                "(arn:aws:iam::ACCOUNT:role/NAME)"
            )
        if not IAM_PRINCIPAL_ARN.fullmatch(arn):
            raise ConfigError(
                f"{PROJECT}:adminPrincipalArns: {_shown(arn)} is not an IAM role or user ARN "
                "(arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)"
            )
    return tuple(arns)


def _public_access_cidrs(value: Any) -> tuple[str, ...]:
    cidrs = _strings(value, "publicAccessCidrs")
    for cidr in cidrs:
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as error:
            raise ConfigError(
                f"{PROJECT}:publicAccessCidrs: not an IPv4 network: {_shown(str(error))[1:-1]} (got {_shown(cidr)})"
            ) from None
    return tuple(cidrs)


def _integer(value: Any, key: str, low: int, high: int) -> int:
    number = _scalar(value)
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise ConfigError(f"{PROJECT}:{key}: must be a whole number from {low:,} to {high:,} (got {_shown(value)})")
    return number


def _log_retention(value: Any) -> int:
    days = _scalar(value)
    if isinstance(days, bool) or not isinstance(days, int) or days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS[1:])
        raise ConfigError(
            f"{PROJECT}:controlPlaneLogRetentionDays: must be one of CloudWatch's retentions: {allowed}, "
            f"or 0 to keep forever (got {_shown(value)})"
        )
    return days


def _upgrade_policy(value: Any) -> str:
    if value not in UPGRADE_POLICIES:
        raise ConfigError(f"{PROJECT}:upgradePolicy: must be STANDARD or EXTENDED (got {_shown(value)})")
    return value


ZONE_ID = re.compile(r"[a-z]{2,5}\d-az\d{1,2}")
MAX_AUTH_TOKEN_GENERATION = 10_000


def _zone_ids(value: Any) -> tuple[str, ...]:
    zone_ids = _strings(value, "availabilityZoneIds")
    for zone_id in zone_ids:
        if not ZONE_ID.fullmatch(zone_id):
            raise ConfigError(
                f"{PROJECT}:availabilityZoneIds: {_shown(zone_id)} is not a zone ID like use1-az1 (zone names such "
                "as us-east-1a differ per account; `aws ec2 describe-availability-zones` lists both)"
            )
    return tuple(zone_ids)


def _cache_auth_generations(generation: Any, set_generation: Any) -> dict[str, int]:
    """The token in use and the one alone accepted: equal, older tokens are revoked; one below, both are accepted."""
    current = _integer(generation, "cacheAuthTokenGeneration", 1, MAX_AUTH_TOKEN_GENERATION)
    settled = _integer(set_generation, "cacheAuthTokenSetGeneration", 1, MAX_AUTH_TOKEN_GENERATION)
    if settled > current:
        raise ConfigError(
            f"{PROJECT}:cacheAuthTokenSetGeneration: {settled} is ahead of {PROJECT}:cacheAuthTokenGeneration "
            f"{current}; set it to {current} once the backend runs with the new token"
        )
    if current - settled > 1:
        # ElastiCache holds two tokens at most: a second ROTATE would drop the one the running pods still use.
        raise ConfigError(
            f"{PROJECT}:cacheAuthTokenGeneration: {current} is more than one rotation past "
            f"{PROJECT}:cacheAuthTokenSetGeneration {settled}; finish the rotation under way first "
            f"(`pulumi config set {PROJECT}:cacheAuthTokenSetGeneration {current - 1}` and `pulumi up`)"
        )
    return {"cache_auth_token_generation": current, "cache_auth_token_set_generation": settled}
