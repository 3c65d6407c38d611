"""Fresh-account and day-2 checks at preview, against the account itself, before ``pulumi up`` can fail halfway.

An ``up`` can succeed and the chat still fail (an Anthropic model answers 403 until the account's one-time use-case
step is done), or fail at the peak (the autoscaler's launches refused above the EC2 vCPU quota), or fail halfway (an
ElastiCache scale-in whose data does not fit). Each is readable beforehand with the deployer's credentials:

- Bedrock: ``GetFoundationModelAvailability`` (agreement, authorization, entitlement, region) for the plan's model,
  and for Anthropic models ``GetUseCaseForModelAccess`` (the first-time use-case form). Warnings only: the deployer
  may see less than the account has. The pods' role never gets AWS Marketplace permissions to fix it by itself.
- EC2: Service Quotas' vCPU quota of each fleet's family: the min fleet above it is refused, the max fleet above it
  warned about.
- ElastiCache: the live replication group's 7-day peak ``BytesUsedForCache`` against what the plan's layout may fill.

Clients are passed in (``Clients``), so tests hand in botocore Stubbers; ``connect`` builds real ones the way the
AWS provider is configured (region, profile, assumed role). A check that cannot run (no credentials, no network,
AccessDenied) says so in one line with the AWS CLI command that checks it by hand, and the preview goes on.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pulumi
from config import PROJECT, AwsIdentity, ConfigError
from data import STACK_TAG
from llm_access import profile_and_model

from sizing.plan import CachePlan, LLMPlan, NodePlan, SelfHostedPlan

# EC2 vCPU quotas (Service Quotas, service code ec2), by the letters that open an instance family's name.
# Names and codes as Service Quotas lists them (read with `aws service-quotas list-service-quotas --service-code
# ec2`), as of 2026-12; the codes recur across public tooling that reads them (e.g. skypilot's quota docs).
STANDARD = ("L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances")
STANDARD_SPOT = ("L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests")
G_AND_VT = ("L-DB2E81BA", "Running On-Demand G and VT instances")
G_AND_VT_SPOT = ("L-3819A6DF", "All G and VT Spot Instance Requests")
P = ("L-417A185B", "Running On-Demand P instances")
P_SPOT = ("L-7212CCBC", "All P Spot Instance Requests")
# Family letters -> (on-demand quota, Spot quota). Families absent here (inf, trn, dl, f, x, u, hpc, mac) have
# quotas of their own that this table does not carry yet: they are reported as unchecked, never as Standard.
QUOTA_BY_FAMILY_LETTERS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    **dict.fromkeys(("a", "c", "d", "h", "i", "im", "is", "m", "r", "t", "z"), (STANDARD, STANDARD_SPOT)),
    **dict.fromkeys(("g", "gr", "vt"), (G_AND_VT, G_AND_VT_SPOT)),
    "p": (P, P_SPOT),
}
_FAMILY_LETTERS = re.compile(r"[a-z]+")
# Bedrock's agreement and use-case steps, as AWS documents them (Bedrock user guide, "Access Amazon Bedrock
# foundation models", 2026-12).
USE_CASE_STEP = (
    "submit Anthropic's one-time use-case form: in the Bedrock console's Model catalog choose any Anthropic model "
    "and submit the use case details (or `aws bedrock put-use-case-for-model-access --form-data ...`), once per "
    "account or once in the organization's management account"
)
METRIC_DAYS = 7


@dataclass(frozen=True)
class Clients:
    """botocore clients for the checks; any of them None skips its check."""

    bedrock: Any = None
    service_quotas: Any = None
    tagging: Any = None
    elasticache: Any = None
    cloudwatch: Any = None


@dataclass
class Findings:
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    unchecked: list[tuple[str, str, str]] = field(default_factory=list)  # (what, why, AWS CLI command)


class Fleet(NamedTuple):
    """One node group's vCPUs at its min and max, against the quota of its family and purchase option."""

    instance_type: str
    min_vcpus: int
    max_vcpus: int
    spot: bool = False


def quota_for(instance_type: str, spot: bool = False) -> tuple[str, str] | None:
    """(quota code, quota name) that an instance type's vCPUs count against, or None for a family not mapped."""
    found = _FAMILY_LETTERS.match(instance_type.split(".")[0])
    quotas = QUOTA_BY_FAMILY_LETTERS.get(found.group(0)) if found else None
    return None if quotas is None else quotas[1 if spot else 0]


def _gpu_vcpus(instance_type: str) -> int:
    from sizing.selfhosted.catalog import load_gpu_catalog

    return load_gpu_catalog().instance_types[instance_type].vcpu


def plan_fleets(nodes: NodePlan, vcpus_of: Callable[[str], int]) -> list[Fleet]:
    """The plan's node groups as fleets. A Spot group's pool shares one vCPU count (its shape), so its first type
    stands for all of them."""
    fleets = []
    for group in nodes.groups:
        vcpus = vcpus_of(group.instance_type)
        spot = group.capacity_type == "SPOT"
        fleets.append(Fleet(group.instance_type, group.min_nodes * vcpus, group.max_nodes * vcpus, spot))
    return fleets


def self_hosted_fleets(plan: SelfHostedPlan | None, vcpus_of: Callable[[str], int]) -> list[Fleet]:
    """A self-hosted model's GPU node group, against its family's quota (G and VT, or P): often 0 on a new account."""
    if plan is None:
        return []
    vcpus = vcpus_of(plan.instance_type)
    return [Fleet(plan.instance_type, plan.nodes.min * vcpus, plan.nodes.max * vcpus)]


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _read_quota(client: Any, code: str) -> float:
    """The account's applied value; a quota never raised may have none, and its AWS default applies."""
    try:
        return float(client.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"])
    except Exception as error:  # botocore's ClientError, matched by code below
        if _error_code(error) != "NoSuchResourceException":
            raise
    return float(client.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"])


def check_vcpu_quotas(fleets: Sequence[Fleet], quota_value: Callable[[str], float], region: str) -> Findings:
    """Fleets summed per quota: a min above the quota cannot even start (refused); a max above it fails at the
    peak, when the autoscaler's launches are refused with VcpuLimitExceeded (warned). Any fleet list works: the
    GPU node groups join the same sums under their own quotas."""
    found = Findings()
    totals: dict[tuple[str, str], list[int]] = {}
    for fleet in fleets:
        quota = quota_for(fleet.instance_type, fleet.spot)
        if quota is None:
            found.warnings.append(
                f"preflight: the vCPU quota of {fleet.instance_type} is not known to this program: check its family's "
                f"quota in Service Quotas holds {fleet.max_vcpus:,} vCPUs (`aws service-quotas list-service-quotas "
                f"--service-code ec2 --region {region}`)"
            )
            continue
        low, high = totals.setdefault(quota, [0, 0])
        totals[quota] = [low + fleet.min_vcpus, high + fleet.max_vcpus]
    for (code, name), (low, high) in totals.items():
        value = quota_value(code)
        raise_to = (
            f"`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code {code} "
            f"--desired-value {high} --region {region}`"
        )
        if low > value:
            found.refusals.append(
                f'aws:region {region}: the min fleet needs {low:,} vCPUs of "{name}" ({code}), above this account\'s '
                f"quota of {value:,.0f}: no node could start; ask for at least {high:,} with {raise_to}, or lower "
                f"{PROJECT}:concurrentUsers"
            )
        elif high > value:
            found.warnings.append(
                f'preflight: the max fleet needs {high:,} vCPUs of "{name}" ({code}), above this account\'s quota of '
                f"{value:,.0f}: scale-out stops at the quota, at the peak; ask for more with {raise_to}"
            )
    return found


def check_bedrock(client: Any, model: str, region: str) -> Findings:
    """The account's access to the model behind the plan's id (an inference profile maps to its foundation model)."""
    found = Findings()
    _, foundation = profile_and_model(model)
    availability = client.get_foundation_model_availability(modelId=foundation)
    agreement = availability.get("agreementAvailability", {}).get("status")
    if foundation.startswith("anthropic."):
        try:
            client.get_use_case_for_model_access()
        except Exception as error:
            if _error_code(error) != "ResourceNotFoundException":
                raise
            found.warnings.append(
                f"preflight: Bedrock's {foundation} answers 403 until this account has done Anthropic's one-time "
                f"step: {USE_CASE_STEP}"
            )
    if agreement != "AVAILABLE":
        pending = " is pending" if agreement == "PENDING" else " is not in place"
        found.warnings.append(
            f"preflight: the AWS Marketplace agreement for Bedrock's {foundation}{pending}; the pods' role may not "
            "create it (it has no Marketplace permissions, by design): someone with aws-marketplace:Subscribe opens "
            f"the model once in the Bedrock console's playground, or runs `aws bedrock "
            f"list-foundation-model-agreement-offers --model-id {foundation} --region {region}` and `aws bedrock "
            f"create-foundation-model-agreement --model-id {foundation} --offer-token TOKEN --region {region}`"
        )
    for key, bad, what in (
        (
            "authorizationStatus",
            "NOT_AUTHORIZED",
            "is not authorized for this account (an SCP or IAM policy denies it?)",
        ),
        ("entitlementAvailability", "NOT_AVAILABLE", "has no entitlement in this account"),
        ("regionAvailability", "NOT_AVAILABLE", f"is not offered in {region}"),
    ):
        if availability.get(key) == bad:
            found.warnings.append(f"preflight: Bedrock's {foundation} {what} ({key} {bad})")
    return found


def _pages(call: Callable[..., dict], token_in: str, token_out: str, **kwargs: Any) -> Iterable[dict]:
    token = None
    while True:
        page = call(**kwargs, **({token_in: token} if token else {}))
        yield page
        token = page.get(token_out)
        if not token:
            return


def live_cache_group(tagging: Any, stack: str) -> str | None:
    """The replication group id this stack tagged, or None before its first ``up`` (or before it was tagged)."""
    for page in _pages(
        tagging.get_resources,
        "PaginationToken",
        "PaginationToken",
        TagFilters=[{"Key": STACK_TAG, "Values": [stack]}],
        ResourceTypeFilters=["elasticache:replicationgroup"],
    ):
        for mapping in page.get("ResourceTagMappingList", []):
            return str(mapping["ResourceARN"]).rsplit(":", 1)[-1]
    return None


def cache_data_gib(elasticache: Any, cloudwatch: Any, group_id: str, now: datetime.datetime) -> tuple[float, int]:
    """(GiB of data at the 7-day peak, live shards): per shard the largest node's peak BytesUsedForCache (replicas
    hold their primary's data), summed over shards."""
    group = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
    members = [
        (shard_index, member)
        for shard_index, shard in enumerate(group.get("NodeGroups", []))
        for member in shard.get("NodeGroupMembers", [])
    ]
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ElastiCache",
                    "MetricName": "BytesUsedForCache",
                    "Dimensions": [
                        {"Name": "CacheClusterId", "Value": member["CacheClusterId"]},
                        {"Name": "CacheNodeId", "Value": member.get("CacheNodeId", "0001")},
                    ],
                },
                "Period": 3600,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for index, (_, member) in enumerate(members)
    ]
    peaks: dict[str, float] = {}
    for start in range(0, len(queries), 500):  # GetMetricData takes 500 queries a call
        for page in _pages(
            cloudwatch.get_metric_data,
            "NextToken",
            "NextToken",
            MetricDataQueries=queries[start : start + 500],
            StartTime=now - datetime.timedelta(days=METRIC_DAYS),
            EndTime=now,
        ):
            for result in page.get("MetricDataResults", []):
                values = result.get("Values", [])
                peaks[result["Id"]] = max([peaks.get(result["Id"], 0.0), *values])
    per_shard: dict[int, float] = {}
    for index, (shard_index, _) in enumerate(members):
        per_shard[shard_index] = max(per_shard.get(shard_index, 0.0), peaks.get(f"m{index}", 0.0))
    return sum(per_shard.values()) / 2**30, len(group.get("NodeGroups", []))


def check_cache_fits(plan: CachePlan, data_gib: float, live_shards: int, group_id: str) -> Findings:
    """A layout with fewer shards than the live one is a scale-in, which ElastiCache starts and then fails when the
    data does not fit the remaining shards: refused. Otherwise more data than the layout's usable memory is
    warned about (the sessions outgrew the sizing's assumptions)."""
    found = Findings()
    usable = plan.shards * plan.usable_memory_gib_per_node
    if data_gib <= usable:
        return found
    layout = f"{plan.shards} shard(s) of {plan.node_type}"
    if plan.shards < live_shards:
        found.refusals.append(
            f"{PROJECT}:concurrentUsers: the cache {group_id} held {data_gib:,.2f} GiB at its {METRIC_DAYS}-day peak, "
            f"more than the {usable:,.2f} GiB the new layout ({layout}, from {live_shards}) may fill: the scale-in "
            "would fail halfway; keep the load (or the cache assumptions) until the sessions fit"
        )
    else:
        found.warnings.append(
            f"preflight: the cache {group_id} held {data_gib:,.2f} GiB at its {METRIC_DAYS}-day peak, more than the "
            f"{usable:,.2f} GiB the plan's layout ({layout}) may fill: sessions are larger than assumed; raise "
            "assumptions.cache (see docs/methodology.md)"
        )
    return found


def run_checks(
    clients: Clients,
    region: str,
    stack: str,
    llm: LLMPlan | None,
    fleets: Sequence[Fleet],
    cache: CachePlan,
    now: datetime.datetime | None = None,
) -> Findings:
    """Every check; one that cannot run is noted as unchecked (what, why, the command that checks it by hand)."""
    findings = Findings()
    now = now or datetime.datetime.now(datetime.UTC)
    checks: list[tuple[str, str, Callable[[], Findings]]] = []
    if clients.bedrock is not None and llm is not None and llm.provider == "aws":
        plan_model, model = llm.model, profile_and_model(llm.model)[1]
        checks.append(
            (
                f"Bedrock access to {model}",
                f"aws bedrock get-foundation-model-availability --model-id {model} --region {region}",
                lambda: check_bedrock(clients.bedrock, plan_model, region),
            )
        )
    if clients.service_quotas is not None and fleets:
        codes = sorted({quota[0] for f in fleets if (quota := quota_for(f.instance_type, f.spot))})
        checks.append(
            (
                "the EC2 vCPU quotas",
                " and ".join(
                    f"aws service-quotas get-service-quota --service-code ec2 --quota-code {code} --region {region}"
                    for code in codes
                ),
                lambda: check_vcpu_quotas(fleets, lambda code: _read_quota(clients.service_quotas, code), region),
            )
        )
    if None not in (clients.tagging, clients.elasticache, clients.cloudwatch) and cache.enabled:

        def cache_check() -> Findings:
            group_id = live_cache_group(clients.tagging, stack)
            if group_id is None:
                return Findings()
            data, shards = cache_data_gib(clients.elasticache, clients.cloudwatch, group_id, now)
            return check_cache_fits(cache, data, shards, group_id)

        checks.append(
            (
                "the live cache's data against the new layout",
                "aws cloudwatch get-metric-statistics --namespace AWS/ElastiCache --metric-name BytesUsedForCache "
                f"--statistics Maximum --period 3600 --region {region} ...",
                cache_check,
            )
        )
    for what, command, check in checks:
        try:
            found = check()
        except Exception as error:  # botocore's ClientError and BotoCoreError: never a traceback from a preview
            findings.unchecked.append((what, _reason(error), command))
            continue
        findings.warnings += found.warnings
        findings.refusals += found.refusals
    return findings


def _reason(error: Exception) -> str:
    code = _error_code(error)
    if code:
        return f"{code} from AWS"
    name = type(error).__name__
    if name == "NoCredentialsError":
        return "no AWS credentials"
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"):
        return "AWS is unreachable"
    return f"{name}: {error}".splitlines()[0][:200]


def unchecked_line(unchecked: Sequence[tuple[str, str, str]]) -> str | None:
    """One line for every check that could not run: the same cause (no credentials) is said once."""
    if not unchecked:
        return None
    reasons = sorted({why for _, why, _ in unchecked})
    whats = ", ".join(what for what, _, _ in unchecked)
    commands = "; ".join(f"`{command}`" for _, _, command in unchecked)
    return f"preflight: could not check {whats} ({', '.join(reasons)}); check by hand: {commands}"


def connect(region: str, identity: AwsIdentity) -> Clients:
    """Clients as the AWS provider is configured: its region, its profile, and the one role it assumes."""
    import boto3

    session = boto3.Session(profile_name=identity.profile, region_name=region)
    if identity.role_arn:
        credentials = session.client("sts").assume_role(
            RoleArn=identity.role_arn, RoleSessionName="chat-infra-preflight"
        )["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
    from botocore.config import Config

    # A preview waits seconds, not minutes, for an unreachable endpoint.
    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    return Clients(
        bedrock=session.client("bedrock", config=config),
        service_quotas=session.client("service-quotas", config=config),
        tagging=session.client("resourcegroupstaggingapi", config=config),
        elasticache=session.client("elasticache", config=config),
        cloudwatch=session.client("cloudwatch", config=config),
    )


class _Unavailable:
    """Stands for a client that could not be made: any call raises why."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        raise self.error


def _previewing() -> bool:
    return pulumi.runtime.is_dry_run()


def at_preview(plan: Any, settings: Any) -> None:
    """The one call the program makes: at preview (``pulumi up`` previews first), with ``preflightChecks`` on."""
    if not settings.preflight_checks or not _previewing():
        return
    region = settings.workload.region
    try:
        clients = connect(region, settings.identity)
    except Exception as error:  # no boto3, a profile that does not exist, a role that cannot be assumed
        # Every check then fails the same way, and the one line lists what to run by hand.
        unavailable = _Unavailable(error)
        clients = Clients(unavailable, unavailable, unavailable, unavailable, unavailable)
    from sizing.data.catalog import load_catalog

    catalog = load_catalog()
    findings = run_checks(
        clients,
        region,
        f"{pulumi.get_project()}/{pulumi.get_stack()}",
        plan.llm,
        plan_fleets(plan.nodes, lambda name: catalog.instance(name).vcpu)
        + self_hosted_fleets(plan.llm.self_hosted if plan.llm else None, _gpu_vcpus),
        plan.cache,
    )
    for warning in findings.warnings:
        pulumi.log.warn(warning)
    line = unchecked_line(findings.unchecked)
    if line:
        pulumi.log.warn(f"{line} (or set {PROJECT}:preflightChecks false)")
    if findings.refusals:
        raise ConfigError("; ".join(findings.refusals))
