"""Every tunable constant of the methodology, in one validated model.

Defaults are the seed calculator's constants where it had one; the rest are stated here so a reader can see and
override every number the plan rests on (``--assumptions FILE``, or the ``assumptions`` Pulumi config object).
Facts of AWS (kubelet reservations, quotas) are not assumptions and live with the code that applies them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, computed_field, model_validator

from sizing.engine.limits import DEFAULT_EC2_ON_DEMAND_VCPUS

Tier = Literal["small", "medium", "large", "enterprise"]


def _auto_or_bool(value: object) -> object:
    # One clear message instead of one per member of the union (with pydantic's internal names in the path).
    if value != "auto" and not isinstance(value, bool):
        raise ValueError("must be auto, true or false")
    return value


class _Strict(BaseModel):
    # An unknown key in an assumptions file is almost always a typo that would silently do nothing: reject it.
    # Strict types too: YAML's `true` or "600" is not a number of users per pod, and must not quietly become one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


# Lists from YAML/JSON are fine for the tuple fields, which strict mode would otherwise refuse.
TierList = Annotated[tuple[Tier, ...], Field(strict=False)]


class PodAssumptions(_Strict):
    """How one Deployment scales with users, and what each of its pods asks of a node."""

    users_per_pod: float = Field(ge=1, le=100_000)
    buffer: float = Field(ge=1, le=10, description="headroom multiplier on the base pod count (min replicas)")
    max_multiplier: float = Field(ge=1, le=100, description="max replicas = min replicas x this (HPA ceiling)")
    cpu_request_m: int = Field(gt=0, le=64_000)
    cpu_limit_m: int = Field(gt=0, le=64_000)
    memory_request_mib: int = Field(gt=0, le=256 * 1024)
    memory_limit_mib: int = Field(gt=0, le=256 * 1024)

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> PodAssumptions:
        if self.cpu_limit_m < self.cpu_request_m:
            raise ValueError("cpu_limit_m must be at least cpu_request_m")
        if self.memory_limit_mib < self.memory_request_mib:
            raise ValueError("memory_limit_mib must be at least memory_request_mib")
        return self


class DaemonSetAssumptions(_Strict):
    """Per-node pods every node runs before any workload (by default aws-node, kube-proxy and eks-pod-identity-agent,
    the DaemonSets of the stack's EKS add-ons)."""

    pods: int = Field(default=3, ge=0, le=50)
    cpu_m: int = Field(default=200, ge=0, le=8_000)
    memory_mib: int = Field(default=256, ge=0, le=32 * 1024)


class NodeAssumptions(_Strict):
    """Which instance types the selection may choose from."""

    min_memory_gib: float = Field(
        default=2, ge=0, le=1_024, description="never choose a node type with less memory (keeps tiny types out)"
    )


class DatabaseAssumptions(_Strict):
    reads_per_user_per_second: float = Field(default=0.5, ge=0, le=1_000)
    writes_per_user_per_second: float = Field(default=0.1, ge=0, le=1_000)
    read_item_kb: float = Field(default=4, gt=0, le=400)
    write_item_kb: float = Field(default=1, gt=0, le=400)
    eventually_consistent_reads: bool = True
    storage_mib_per_user: float = Field(default=5, ge=0, le=100_000, description="per registered (total) user")
    retention_days: int | None = Field(
        default=90,
        ge=1,
        le=36_500,
        description="each write is a new item that expires (table TTL) after this many days; null: writes update "
        "items in place and the table never grows",
    )
    billing_mode: Literal["auto", "PAY_PER_REQUEST", "PROVISIONED"] = Field(
        default="auto", description="auto: the cheaper on the day's load profile (provisioned with auto scaling or not)"
    )
    target_utilization: float = Field(default=0.7, ge=0.2, le=0.9, description="auto scaling target tracking")
    min_capacity_fraction: float = Field(
        default=0.25, gt=0, le=1, description="auto scaling floor as a fraction of the peak capacity units"
    )


class CacheAssumptions(_Strict):
    # A bool, not "on"/"off": YAML 1.1 reads a bare on/off as a boolean anyway.
    enabled: Annotated[Literal["auto"] | bool, BeforeValidator(_auto_or_bool)] = Field(
        default="auto", description="auto: on from enabled_from_tier up"
    )
    enabled_from_tier: Tier = Field(default="medium", description="with enabled: auto, the first tier with a cache")
    engine: Literal["valkey", "redis"] = Field(
        default="valkey", description="valkey: the same nodes 20% cheaper than Redis OSS, wire-compatible"
    )
    mib_per_session: float = Field(default=0.5, gt=0, le=1_024, description="cached state per concurrent user")
    usable_fraction: float = Field(default=0.75, gt=0, le=1, description="share of node memory left for data")
    max_memory_use: float = Field(
        default=0.8, gt=0, le=1, description="fill the usable memory at most this far: headroom for peaks, evictions"
    )
    min_node_type: str = Field(default="cache.t3.small", description="never choose a node with less memory")
    replica_from_tier: Tier = Field(
        default="medium", description="add a replica in another AZ (Multi-AZ failover) from this tier up"
    )


# A consumer chat app's day, as shares of the peak hour's concurrency (hour 0 = local midnight): a night trough at a
# fifth of the peak around 04:00, a morning ramp, an afternoon plateau near half, the peak at 21:00. Its mean is 0.5,
# the 2:1 peak-to-average ratio commonly seen in consumer web traffic. A shape, not a measurement: replace it with
# your own traffic's hourly shares (docs/methodology.md, "Cost").
DEFAULT_HOURLY_PROFILE = (
    0.37,
    0.27,
    0.22,
    0.20,
    0.20,
    0.21,
    0.24,
    0.30,
    0.37,
    0.44,
    0.50,
    0.53,
    0.55,
    0.55,
    0.55,
    0.55,
    0.57,
    0.62,
    0.70,
    0.82,
    0.95,
    1.00,
    0.80,
    0.49,
)
HourlyProfile = Annotated[
    tuple[Annotated[float, Field(gt=0, le=1)], ...], Field(strict=False, min_length=24, max_length=24)
]


class TrafficAssumptions(_Strict):
    """Usage-priced services (NAT, load balancer, on-demand DynamoDB, the LLM) bill what flows, not what is provisioned."""

    hourly_profile: HourlyProfile = Field(
        default=DEFAULT_HOURLY_PROFILE, description="24 shares of the peak concurrency, one per hour; the peak is 1.0"
    )
    days_per_month: float = Field(default=365 / 12, ge=28, le=31, description="the month the bill covers (730 h)")
    egress_kb_per_request: float = Field(
        default=0,
        ge=0,
        le=100_000,
        description="other outbound calls via NAT; the LLM's bytes are derived from its tokens (llm.wire)",
    )
    response_kb_per_request: float = Field(default=32, ge=0, le=100_000, description="through the load balancer")

    @model_validator(mode="before")
    @classmethod
    def _duty_cycle_is_derived(cls, data: Any) -> Any:
        # It used to be an input; files written by `sizing assumptions` still carry it. Accept it when it agrees.
        if isinstance(data, dict) and "duty_cycle" in data:
            data = dict(data)
            given = data.pop("duty_cycle")
            profile = data.get("hourly_profile", DEFAULT_HOURLY_PROFILE)
            try:
                agrees = abs(float(given) - sum(profile) / len(profile)) < 1e-9
            except (TypeError, ValueError):
                agrees = False
            if not agrees:
                raise ValueError("duty_cycle is now the mean of hourly_profile: set hourly_profile instead")
        return data

    @model_validator(mode="after")
    def _peak_is_one(self) -> TrafficAssumptions:
        if max(self.hourly_profile) != 1:
            raise ValueError("hourly_profile: the peak hour must be 1.0 (shares are of the peak concurrency)")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def duty_cycle(self) -> float:
        """The average load as a share of the peak: the min bound's load."""
        return sum(self.hourly_profile) / len(self.hourly_profile)

    @cached_property
    def hours_per_month(self) -> float:
        return round(self.days_per_month * 24, 6)


class SelfHostedAssumptions(_Strict):
    """A self-hosted model (``--llm vllm:MODEL``): the latency it must keep, how vLLM is set up, what a node costs to
    start. Defaults: docs/methodology.md, "Self-hosted models" (sources in /work/shared/selfhosted-facts.md 4a-4b, 2f)."""

    target_time_to_first_token_s: float = Field(
        default=1.5, gt=0, le=60, description="at peak: a replica takes no more open streams than keeps this"
    )
    target_inter_token_latency_s: float = Field(
        default=0.06, gt=0, le=5, description="at peak: 0.06 s is about 17 tokens/s per stream, faster than reading"
    )
    weight_format: Literal["auto", "bf16", "fp8", "int4"] = Field(
        default="auto", description="auto: the cheapest format the model ships that meets the targets"
    )
    instance_type: str | None = Field(default=None, description="pin the GPU instance type; unset: the cheapest")
    gpu_memory_utilization: float = Field(default=0.9, ge=0.5, le=0.98, description="vLLM's default 0.9")
    runtime_overhead_gib: float = Field(
        default=1.5, ge=0, le=64, description="per GPU: activations and CUDA graphs beside weights and KV cache"
    )
    max_model_len: int = Field(
        default=8192, ge=256, le=2_000_000, description="vLLM --max-model-len: above the p99 chat context (4,743)"
    )
    prompt_length_cv2: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="squared coefficient of variation of prompt prefill time, for vLLM's prompt queue: 1 exponential "
        "(chat; Azure trace p90/mean 2.37 vs 2.30), 0 every prompt the same length",
    )
    host_memory_per_weight: float = Field(
        default=1.0, ge=0, le=8, description="node memory per byte of the weights its replicas load (read through RAM)"
    )
    node_start_s: float = Field(
        default=360, ge=0, le=7_200, description="a GPU node joining plus the vLLM image pull, before weights load"
    )
    engine_start_s: float = Field(default=60, ge=0, le=3_600, description="vLLM's own start (profile, CUDA graphs)")
    weight_load_gib_per_s: float = Field(
        default=0.125, gt=0, le=100, description="weights streamed from S3 (same region) into the GPUs"
    )
    image_gib: float = Field(default=12, ge=0, le=200, description="the vLLM image a new node pulls")
    weights_in_s3: bool = Field(default=True, description="weights kept in the stack's bucket (false: Hugging Face)")
    measured_tokens_per_s: float | None = Field(
        default=None,
        gt=0,
        le=10_000_000,
        description="one replica's output tokens/s at your latency targets, measured (vllm bench serve): replaces "
        "the prediction",
    )
    measured_concurrency: int | None = Field(
        default=None, ge=1, le=100_000, description="the open streams of that measurement (max_num_seqs)"
    )

    @model_validator(mode="after")
    def _measured_together(self) -> SelfHostedAssumptions:
        if (self.measured_tokens_per_s is None) != (self.measured_concurrency is None):
            raise ValueError("give measured_tokens_per_s and measured_concurrency together (one benchmark's result)")
        return self


class LLMAssumptions(_Strict):
    """The chat turns the LLM serves: what they cost, how long their streams stay open, what quota they need.

    Answer lengths are the Azure LLM inference trace 2023's, conversation workload (Azure/AzurePublicDataset,
    ``AzureLLMInferenceTrace_conv``: 19,366 requests, mean input 1,155 tokens including the re-sent history); the
    conversation's shape is LMSYS-Chat-1M's, with the system prompt that reproduces the trace's mean input.
    Left unset, the speed and quota fields take the chosen model's values from ``data/llm_models.yaml``.
    """

    turns_per_user_per_minute: float = Field(
        default=1.0, gt=0, le=60, description="chat messages a concurrent user sends per minute at peak"
    )
    # The conversation (docs/methodology.md, "Conversations"): turn k of N sends the system prompt, every earlier
    # turn's message and answer, and its own message, cut at the context budget. Sources: 2.0 turns per conversation
    # and 69.5 tokens per user message are LMSYS-Chat-1M's means (Zheng et al., ICLR 2024, Table 1); the answer is
    # the Azure trace's mean (below); the system prompt is what makes the mean turn of such a conversation send the
    # Azure conversation trace's mean 1,155 input tokens: 1,155 - 70 - (70 + 211) x (2 - 1) / 2 = 944.5, so 945.
    system_prompt_tokens: int = Field(
        default=945, ge=0, le=2_000_000, description="instructions re-sent at the start of every turn"
    )
    user_tokens_per_turn: int = Field(
        default=70, gt=0, le=2_000_000, description="the user's message (LMSYS-Chat-1M mean, 69.5)"
    )
    turns_per_conversation: int = Field(
        default=2, ge=1, le=1_000, description="turns before a user starts afresh (LMSYS-Chat-1M mean, 2.0)"
    )
    context_budget_tokens: int = Field(
        default=32_000,
        gt=0,
        le=2_000_000,
        description="input cap: the app drops the oldest turns beyond it (under every listed model's window)",
    )
    prompt_caching: Literal["auto", "off"] = Field(
        default="auto",
        description="auto: cache the re-sent prefix where the provider and model allow it and it pays (derived)",
    )
    input_tokens_per_turn: int | None = Field(
        default=None,
        gt=0,
        le=2_000_000,
        description="set: the flat model, every turn this many input tokens (replaces the conversation fields)",
    )
    output_tokens_per_turn: int = Field(default=211, gt=0, le=200_000, description="answer length (Azure trace mean)")
    output_tokens_per_turn_p90: int = Field(
        default=424, gt=0, le=200_000, description="90th-percentile answer (Azure trace): sizes the drain period"
    )
    cached_input_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="flat model only: share of input billed as prompt-cache reads; unset: derived (prompt_caching)",
    )
    time_to_first_token_s: float | None = Field(
        default=None, gt=0, le=600, description="unset: the model's measured value (data/llm_models.yaml)"
    )
    output_tokens_per_s: float | None = Field(
        default=None, gt=0, le=100_000, description="stream speed after the first token; unset: the model's"
    )
    streams_per_backend_pod: int = Field(
        default=200, ge=1, le=100_000, description="concurrent open answer streams one backend pod serves"
    )
    quota_tokens_per_minute: int | None = Field(
        default=None, gt=0, le=10**12, description="your account's TPM quota; unset: the provider's default"
    )
    quota_requests_per_minute: int | None = Field(
        default=None, gt=0, le=10**12, description="your account's RPM quota; unset: the provider's default"
    )
    guardrails: bool = Field(
        default=False, description="Bedrock Guardrails on every turn's input and output (ApplyGuardrail or inline)"
    )
    guardrails_usd_per_1000_text_units: float = Field(
        default=0.15,
        ge=0,
        le=1_000,
        description="content filters, $0.15 per 1,000 text units of up to 1,000 characters (Bedrock pricing, since "
        "December 2024); add $0.15 for denied topics, $0.10 for sensitive-information filters",
    )
    self_hosted: SelfHostedAssumptions = SelfHostedAssumptions()

    @model_validator(mode="after")
    def _p90_not_below_mean(self) -> LLMAssumptions:
        if self.p90_derived:
            # A file that sets only the mean answer keeps the trace's shape rather than failing on a p90 it never
            # mentioned; ``notes`` says so in the plan's warnings.
            fields = type(self).model_fields
            ratio = fields["output_tokens_per_turn_p90"].default / fields["output_tokens_per_turn"].default
            p90 = min(max(round(self.output_tokens_per_turn * ratio), self.output_tokens_per_turn), 200_000)
            self.__dict__["output_tokens_per_turn_p90"] = p90  # frozen: set once, before anyone reads it
        if self.output_tokens_per_turn_p90 < self.output_tokens_per_turn:
            raise ValueError("output_tokens_per_turn_p90 must be at least output_tokens_per_turn")
        if self.context_budget_tokens < self.system_prompt_tokens + self.user_tokens_per_turn:
            raise ValueError("context_budget_tokens must hold the system prompt and one user message")
        if self.cached_input_share is not None and self.input_tokens_per_turn is None:
            raise ValueError(
                "cached_input_share belongs to the flat model: set input_tokens_per_turn too, or leave both unset "
                "and let prompt_caching derive the cached share"
            )
        return self

    @property
    def p90_derived(self) -> bool:
        """The mean answer was overridden and its p90 was not: the p90 follows at the default ratio."""
        default = type(self).model_fields["output_tokens_per_turn"].default
        return "output_tokens_per_turn_p90" not in self.model_fields_set and self.output_tokens_per_turn != default

    @property
    def notes(self) -> list[str]:
        """What the assumptions filled in for the user, said in the plan's warnings."""
        if not self.p90_derived:
            return []
        fields = type(self).model_fields
        mean, p90 = fields["output_tokens_per_turn"].default, fields["output_tokens_per_turn_p90"].default
        return [
            f"llm.output_tokens_per_turn_p90 not set: taken as {self.output_tokens_per_turn_p90:,} tokens, "
            f"{p90 / mean:.2f} x the {self.output_tokens_per_turn:,}-token mean as in the defaults ({p90} / {mean}); "
            "set it to your own 90th-percentile answer"
        ]


class QuotaAssumptions(_Strict):
    """Account quotas AWS sets per account: the plan warns above them (engine/limits.py documents the defaults)."""

    ec2_on_demand_vcpus: int = Field(
        default=DEFAULT_EC2_ON_DEMAND_VCPUS,
        ge=1,
        le=10_000_000,
        description="your EC2 quota L-1216C47A (On-Demand Standard vCPUs) in the region",
    )


class TierFloors(_Strict):
    """Concurrent users at which each tier starts (small starts at 1): the tiers pick the availability choices below
    (burstable nodes, NAT gateways per zone, the cache and its replica)."""

    medium: int = Field(default=500, ge=1, le=10_000_000)
    large: int = Field(default=2_500, ge=1, le=10_000_000)
    enterprise: int = Field(default=10_000, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _ascending(self) -> TierFloors:
        if not self.medium < self.large < self.enterprise:
            raise ValueError("tier floors must ascend: medium < large < enterprise")
        return self


class ControlPlaneLogAssumptions(_Strict):
    """What the control plane writes to CloudWatch Logs (the stack sends its api, audit and authenticator logs): the
    API server's requests, each an audit event, and the authenticator's and API server's own lines. The intervals
    are Kubernetes' and the stack's own (engine/control_plane_logs.py); the counts and sizes here are estimates:
    measure yours with the log group's CloudWatch ``IncomingBytes`` (docs/methodology.md, "Control-plane logs")."""

    other_leaders: int = Field(
        default=2,
        ge=0,
        le=10_000,
        description="leader elections beside the stack's own, each with a leader renewing its Lease every 2 s: EKS's "
        "kube-controller-manager and kube-scheduler (an estimate); add one per operator you run",
    )
    other_standbys: int = Field(
        default=2,
        ge=0,
        le=10_000,
        description="their standby replicas, each polling the Lease every 3.2 s on average: the controller manager "
        "and scheduler on EKS's second API server instance (an estimate); add your operators' extra replicas",
    )
    api_servers: int = Field(
        default=2,
        ge=1,
        le=100,
        description="API server instances, each renewing its identity Lease every 10 s: EKS runs at least two "
        "(Amazon EKS architecture) and adds more under load",
    )
    cluster_watches: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="watches the control plane and the cluster-wide add-ons hold open (an estimate)",
    )
    watches_per_node: int = Field(
        default=12,
        ge=0,
        le=10_000,
        description="watches each node's kubelet, kube-proxy and VPC CNI hold open (an estimate)",
    )
    audit_event_bytes: int = Field(
        default=1_300,
        ge=1,
        le=1_000_000,
        description="a steady audit event: a Metadata-level lease renewal with the node's IAM identity (an estimate)",
    )
    pod_events: int = Field(
        default=14,
        ge=0,
        le=1_000,
        description="audit events a pod's start and stop makes: create, bind, status, endpoints, delete (an estimate)",
    )
    pod_event_bytes: int = Field(
        default=2_500,
        ge=1,
        le=1_000_000,
        description="their mean size: pod creates and deletes carry the pod object (an estimate)",
    )
    rollouts_per_day: float = Field(
        default=1,
        ge=0,
        le=1_000,
        description="deploys a day, each replacing every pod the stack deploys: backend, frontend and, with a "
        "self-hosted model, vLLM's",
    )
    authenticator_lines_per_node_hour: float = Field(
        default=60,
        ge=0,
        le=1_000_000,
        description="a node's IAM authentications an hour: 2 API servers x one per 2-minute token-cache expiry",
    )
    authenticator_line_bytes: int = Field(
        default=450, ge=1, le=100_000, description="an authenticator 'access granted' line (an estimate)"
    )
    api_server_bytes_per_hour: int = Field(
        default=200_000,
        ge=0,
        le=10**12,
        description="the API server's own log (warnings, slow-request traces), whatever the load (an estimate)",
    )
    api_server_line_bytes: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="a line of that log, one log event: a klog line (an estimate)",
    )
    archived_share: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="stored (gzip-compressed) bytes per ingested byte: the AWS Pricing Calculator's estimate, 15%; "
        "CloudWatch adds 26 bytes of metadata an event",
    )


class ClusterAssumptions(_Strict):
    """What the EKS control plane costs beyond its hourly fee. The stack sets ``support`` and ``log_retention_days``
    from its config keys (upgradePolicy, controlPlaneLogRetentionDays), so the plan prices what it deploys."""

    support: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD", description="EXTENDED: a version past standard support is billed at the extended rate"
    )
    log_gb_per_month: float | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="GB of api, audit and authenticator logs ingested a month (the log group's IncomingBytes); "
        "unset: derived from the cluster's nodes, pods and controllers (logs)",
    )
    log_retention_days: int = Field(default=90, ge=0, le=3_653, description="0: kept forever")
    logs: ControlPlaneLogAssumptions = ControlPlaneLogAssumptions()


# WAF's rate-based rules count requests over one of these sliding windows (EvaluationWindowSec).
WafWindow = Literal[60, 120, 300, 600]


class EdgeAssumptions(_Strict):
    """The public edge: the WAF rate limit per client address (the LLM spend guard) and the managed rules. The stack
    sets ``rate_limit_per_ip`` and ``waf_managed_rules`` from its config keys (rateLimitPerIp, wafManagedRules), so
    the plan prices and reports what it deploys."""

    rate_limit_window_s: WafWindow = Field(
        default=300, description="WAF's evaluation window for the rate limit: 60, 120, 300 or 600 seconds"
    )
    rate_limit_headroom: float = Field(
        default=10,
        ge=1,
        le=10_000,
        description="the limit over one user's peak request rate: bursts, retries, several users behind one address",
    )
    rate_limit_per_ip: int | None = Field(
        default=None, ge=10, le=2_000_000_000, description="requests per client IP per window; unset: derived"
    )
    waf_managed_rules: bool = Field(default=False, description="add AWS's managed common rule set (one more rule)")


class Assumptions(_Strict):
    tiers: TierFloors = TierFloors()
    requests_per_user_per_minute: float = Field(default=3, gt=0, le=600)
    min_replicas: int = Field(default=2, ge=1, le=100, description="HPA floor for every Deployment")
    backend: PodAssumptions = PodAssumptions(
        users_per_pod=100,
        buffer=1.3,
        max_multiplier=3,
        cpu_request_m=500,
        cpu_limit_m=1000,
        memory_request_mib=512,
        memory_limit_mib=1024,
    )
    frontend: PodAssumptions = PodAssumptions(
        users_per_pod=500,
        buffer=1.2,
        max_multiplier=2,
        cpu_request_m=200,
        cpu_limit_m=400,
        memory_request_mib=256,
        memory_limit_mib=512,
    )
    daemonsets: DaemonSetAssumptions = DaemonSetAssumptions()
    nodes: NodeAssumptions = NodeAssumptions()
    hpa_target_cpu_percent: int = Field(
        default=70, ge=10, le=100, description="HPA target: average CPU use as a share of the pods' requests"
    )
    node_buffer: float = Field(default=1.2, ge=1, le=10, description="spare nodes for failures and rollouts")
    min_nodes: int = Field(default=3, ge=1, le=450, description="one per availability zone")
    node_disk_gib: int = Field(default=20, ge=20, le=16_384, description="gp3 root volume per node")
    burstable_tiers: TierList = ("small", "medium")
    database: DatabaseAssumptions = DatabaseAssumptions()
    cache: CacheAssumptions = CacheAssumptions()
    traffic: TrafficAssumptions = TrafficAssumptions()
    llm: LLMAssumptions = LLMAssumptions()
    single_nat_gateway_tiers: TierList = Field(
        default=("small", "medium"), description="one shared NAT gateway; one per AZ for the other tiers"
    )
    availability_zones: int = Field(default=3, ge=2, le=6)
    bedrock_vpc_endpoint: Annotated[Literal["auto"] | bool, BeforeValidator(_auto_or_bool)] = Field(
        default="auto",
        description="a Bedrock model's calls through an interface VPC endpoint (bedrock-runtime) instead of the NAT "
        "gateways; auto: when that costs less at the plan's load",
    )
    quotas: QuotaAssumptions = QuotaAssumptions()
    cluster: ClusterAssumptions = ClusterAssumptions()
    edge: EdgeAssumptions = EdgeAssumptions()
    support_plan: Literal["none", "developer", "business"] = Field(
        default="none", description="AWS Support plan: a share of the month's AWS charges, with a minimum"
    )
