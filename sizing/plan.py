"""The plan: everything the report prints and the Pulumi program declares.

``SizingPlan.model_dump(mode="json")`` is the JSON contract of ``sizing report --format json`` and of the ``sizing``
stack output, so field names here are public API: add, never rename.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from sizing.assumptions import Assumptions, Tier


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Range(_Out):
    min: float
    max: float


class IntRange(_Out):
    min: int
    max: int


class WorkloadSummary(_Out):
    concurrent_users: int
    total_users: int
    active_ratio: float
    region: str
    arch: str


class Performance(_Out):
    requests_per_second: float
    latency_ms: IntRange


class PodPlan(_Out):
    min_replicas: int
    max_replicas: int
    cpu_request_m: int
    cpu_limit_m: int
    memory_request_mib: int
    memory_limit_mib: int


class NodeGroupPlan(_Out):
    name: str
    instance_type: str  # the type the group was sized for (the first of instance_types)
    min_nodes: int
    max_nodes: int
    spot_types: tuple[str, ...] = Field(default=(), exclude=True)  # a Spot group's pool; empty: on-demand

    @computed_field  # type: ignore[prop-decorator]
    @property
    def capacity_type(self) -> Literal["ON_DEMAND", "SPOT"]:
        return "SPOT" if self.spot_types else "ON_DEMAND"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def instance_types(self) -> list[str]:
        """What the managed node group may launch: its one type, or a Spot pool of one shape."""
        return list(self.spot_types) or [self.instance_type]


class SpotType(_Out):
    instance_type: str
    discount: float  # the family's: Spot price = on-demand x (1 - discount)
    hourly_usd: float  # the Spot price that follows


class SpotPlan(_Out):
    """The burst above the min fleet, on Spot across a pool of types of one vCPU and memory (interruption
    diversification); sized for the smallest allocatable of the pool and the on-demand type."""

    instance_types: list[SpotType]
    sized_for_cpu_m: int  # the smallest allocatable of them, less the DaemonSets: what each node is assumed to offer
    sized_for_memory_mib: int
    sized_for_pods: int
    burst_nodes: int  # Spot nodes at the HPA ceiling (max nodes - min nodes)
    hourly_usd: float  # the dearest Spot price of the pool: what the max bound assumes
    monthly_usd: float  # the burst at its ceiling all month: nodes x (Spot price + root volume)
    on_demand_max_monthly_usd: float  # the same type's all-on-demand max fleet (instances, volumes, credits)
    saving_monthly_usd: float  # against it, at the max bound
    discounts_as_of: str
    discounts_source: str


class SavingsPlanPlan(_Out):
    """A Compute Savings Plan covering the min fleet, the EC2 that runs all month."""

    term: Literal["1y", "3y"]
    discount: float
    commitment_usd_per_hour: float  # the min fleet's instances at the Savings Plan rate: the hourly commitment
    saving_monthly_usd: float
    rates_as_of: str
    rates_source: str


class OtherArch(_Out):
    """The other architecture's cheapest fleet, shown when it costs less than the chosen one."""

    arch: str
    instance_type: str
    min_nodes: int
    max_nodes: int
    expected_monthly_usd: float  # its nodes' expected bill, as the chosen fleet's is billed
    saving_monthly_usd: float  # less than the chosen fleet's expected nodes bill


class NodeOption(_Out):
    """One instance type's fleet for this load: what it can schedule per node and what the fleet costs."""

    instance_type: str
    arch: str
    vcpu: int
    memory_gib: float
    max_pods: int
    allocatable_cpu_m: int
    allocatable_memory_mib: int
    hourly_usd: float
    min_nodes: int
    max_nodes: int
    monthly_usd: Range  # instances, root volumes and burstable CPU credits
    credits_monthly_usd: Range  # the burstable CPU credits part (0 for other types)
    credits_expected_monthly_usd: float = 0.0  # the credits over the day's load profile


class AddOnRequests(_Out):
    pods: int
    cpu_m: int
    memory_mib: int


class AddOnPlan(_Out):
    """A cluster add-on's Deployment on the CPU nodes, whatever the load: its pods are packed beside the app's, so
    every fleet's node count holds them (sizing/engine/addons.py)."""

    name: str
    replicas: int
    cpu_request_m: int  # per pod
    memory_request_mib: int
    source: str  # the stack's own setting, or the EKS add-on's published default


class NodePlan(NodeOption):
    """The chosen type's fleet, how it was chosen, its node groups and the runner-ups."""

    pod_slots: int  # max pods less the DaemonSets: what the application can use per node
    pinned: bool
    selection_rule: str
    groups: list[NodeGroupPlan]
    alternatives: list[NodeOption]  # on-demand fleets of other types
    capacity: Literal["on-demand", "spot-burst"] = "on-demand"
    spot: SpotPlan | None = None  # the Spot burst under spot-burst
    savings_plan: SavingsPlanPlan | None = None
    other_arch: OtherArch | None = None  # computed when asked (the report asks) and the arch was not pinned
    addons: list[AddOnPlan] = []  # the add-on pods every fleet (min and max) holds beside the app's; every option too

    @computed_field  # type: ignore[prop-decorator]
    @property
    def addon_requests(self) -> AddOnRequests:
        """The add-ons' pods in all: what the node count holds beside the app's pods."""
        return AddOnRequests(
            pods=sum(a.replicas for a in self.addons),
            cpu_m=sum(a.replicas * a.cpu_request_m for a in self.addons),
            memory_mib=sum(a.replicas * a.memory_request_mib for a in self.addons),
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def max_vcpus(self) -> int:
        """What the max fleet counts against the account's EC2 On-Demand vCPU quota."""
        return self.max_nodes * self.vcpu


class AutoScalingRange(_Out):
    min: int
    max: int


class DatabasePlan(_Out):
    billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"]
    reads_per_second: float
    writes_per_second: float
    read_capacity_units: int
    write_capacity_units: int
    read_autoscaling: AutoScalingRange
    write_autoscaling: AutoScalingRange
    storage_gib: float  # at the mean load: per-user data and the written items the retention keeps
    monthly_usd_on_demand: Range
    monthly_usd_provisioned: Range
    expected_monthly_usd_on_demand: float  # over the day's load profile
    expected_monthly_usd_provisioned: float  # ditto, auto scaling following the profile an hour late
    mode_reason: str  # why this billing mode, in one line
    retention_days: int | None = None  # written items expire after this many days (the TTL attribute); None: kept
    retained_storage_gib: float = 0.0  # of storage_gib: the written items alive at the mean load's steady state
    storage_gib_max: float | None = None  # at the peak all month (the max bound); None: as storage_gib
    ttl_attribute: str | None = None  # the table's TTL attribute the app sets on each written item


class CachePlan(_Out):
    enabled: bool
    engine: Literal["valkey", "redis"]
    node_type: str | None
    num_nodes: int
    shards: int
    replicas_per_shard: int
    required_memory_gib: float
    usable_memory_gib_per_node: float  # node memory x usable fraction x max memory use: what sessions may fill
    monthly_usd: float
    reason: str  # why this layout, in one line


class CostItem(_Out):
    key: str  # stable machine name (``ec2_nodes``, ``llm_api``); ``item`` is the label a person reads
    item: str
    monthly_usd: Range
    expected_monthly_usd: float  # over the day's load profile; min <= expected <= max
    source: str = ""  # where the price came from


class CostPlan(_Out):
    expected_monthly_usd: float  # the bill to expect: the day's load profile, every line
    monthly_usd: Range  # infrastructure + LLM, everything at its minimum / at its ceiling all month
    infrastructure_monthly_usd: Range
    llm_monthly_usd: Range
    infrastructure_expected_monthly_usd: float
    llm_expected_monthly_usd: float
    per_user_usd: Range
    breakdown: list[CostItem]
    prices_as_of: str
    currency: str = "USD"


class LLMRoutePlan(_Out):
    """How the backend's calls to an API model leave the VPC, and what each way would cost at the expected load."""

    via: Literal["nat_gateway", "interface_endpoint"]
    # The interface endpoint's service (com.amazonaws.REGION.bedrock-runtime); None: the provider offers none here.
    endpoint_service: str | None
    reason: str
    expected_monthly_gb: float  # the model's requests and streamed answers, both ways
    # What the model's bytes cost each way in the expected month: processing, and the zone crossings on the way.
    nat_expected_usd: float
    endpoint_expected_usd: float | None  # with the endpoint's hours in every zone
    break_even_gb: float | None  # expected GB a month from which the endpoint costs less; None: never, or no endpoint


class NetworkPlan(_Out):
    availability_zones: int
    nat_gateways: int
    # VPC addresses the max fleet holds under the default VPC CNI: every ENI it attaches to the nodes, whole, one more
    # than their pods fill (WARM_ENI_TARGET=1; engine/network.py). The VPC's private subnets must hold it.
    vpc_ips_max: int
    llm_route: LLMRoutePlan | None = None  # None: no API model (none, or a self-hosted one inside the cluster)


class TokenPricesPerMillion(_Out):
    input: float
    cached_input: float
    output: float
    cache_write: float | None = None  # a prompt-cache write (input x the write premium); None: not known


class LLMPeak(_Out):
    """At peak concurrency. Tokens per minute are counted the way the provider counts them against its quota."""

    turns_per_second: float
    requests_per_minute: float
    tokens_per_minute: float
    input_tokens_per_minute: float
    output_tokens_per_minute: float
    open_streams: float  # Little's law: turns/s x stream seconds
    stream_seconds: float  # mean: time to first token + output tokens / stream speed
    stream_seconds_p90: float  # with the 90th-percentile answer: what a draining pod must wait for


class LLMMonthly(_Out):
    turns: Range
    input_tokens: Range  # every input token, cache reads and writes included
    output_tokens: Range
    cached_input_tokens: Range = Range(min=0, max=0)  # of the input, billed as prompt-cache reads
    cache_write_tokens: Range = Range(min=0, max=0)  # of the input, billed as prompt-cache writes


class ConversationPlan(_Out):
    """The token model behind the LLM line: a conversation of re-sent turns, or the flat model's one turn."""

    model: Literal["conversation", "flat"]
    turns_per_conversation: int
    system_prompt_tokens: int
    user_tokens_per_turn: int
    output_tokens_per_turn: int
    context_budget_tokens: int | None  # None: the flat model has none
    first_turn_input_tokens: int
    last_turn_input_tokens: int
    truncated_turns: int  # turns whose history the context budget cut
    mean_input_tokens_per_turn: float


class LLMWirePlan(_Out):
    """Bytes between the backend and the provider per turn (sizing/llm/wire_bytes.py), through the NAT gateway."""

    request_bytes_per_turn: float
    response_bytes_per_turn: float
    chunk_overhead_bytes: int  # the provider's framing around each streamed token
    framing: str
    monthly_gb: Range


class PromptCachingPlan(_Out):
    """What the prompt cache serves, why, and what it saves against the same turns sent uncached."""

    setting: str  # llm.prompt_caching (auto|off), or "flat" when cached_input_share pins the share
    mode: str  # explicit | automatic | none | off | assumed
    applied: bool
    reason: str
    min_tokens: int  # the model's minimum cacheable prefix
    ttl_s: float  # the cache entry's lifetime without a hit
    think_time_s: float  # seconds between one user's turns at peak
    cache_read_tokens_per_turn: float  # means over the conversation
    cache_write_tokens_per_turn: float
    cached_share: float  # cache reads / input tokens
    uncached_turn_usd: float  # the mean turn with nothing cached
    saving_monthly_usd: Range
    saving_expected_monthly_usd: float
    source: str


class LLMQuota(_Out):
    """The quota compared with the peak; a null is a limit nobody published (the warnings name what to check)."""

    tokens_per_minute: int | None
    requests_per_minute: int | None
    input_tokens_per_minute: int | None = None  # providers that limit input and output separately (Anthropic)
    output_tokens_per_minute: int | None = None
    name: str | None = None  # the Service Quotas quota or the usage tier
    source: str


class LLMSpeed(_Out):
    time_to_first_token_s: float
    output_tokens_per_s: float
    source: str


class SelfHostedOption(_Out):
    """A runner-up deployment of the self-hosted model at this load."""

    instance_type: str
    weight_format: Literal["bf16", "fp8", "int4"]
    tensor_parallel_size: int
    replicas: IntRange
    nodes: IntRange
    max_num_seqs: int
    output_tokens_per_s: float  # per replica
    monthly_usd: Range  # all its lines (GPU nodes, weight storage, transfer)
    expected_monthly_usd: float


class BreakEvenPlan(_Out):
    """The self-hosted model against an API model at this load, and where their monthly costs cross."""

    api_model: str  # PROVIDER:MODEL (--llm-compare, or the default API model)
    api_turn_usd: float
    api_expected_monthly_usd: float  # the API's tokens at this load, over the daily profile
    self_hosted_expected_monthly_usd: float  # the self-hosted lines at this load (GPU nodes, storage, transfer)
    crossover_concurrent_users: int | None  # the fewest concurrent users at which self-hosting costs no more
    never_below_users: int | None  # set when they never cross up to this many users
    cheaper: Literal["self-hosted", "api"]  # at this load
    summary: str
    source: str


class SelfHostedPlan(_Out):
    """An open-weight model served with vLLM on the cluster's own GPU nodes (``--llm vllm:MODEL``).

    The contract between the capacity model (sizing/selfhosted/) and the stack (stacks/gpu_serving.py): every field
    the GPU node group and the vLLM Deployment need, so the stack sizes nothing.
    """

    model: str  # the Hugging Face id vLLM serves, e.g. meta-llama/Llama-3.1-8B-Instruct
    weight_format: Literal["bf16", "fp8", "int4"]
    instance_type: str  # the GPU instance type of the node group
    gpus_per_replica: int  # GPUs one vLLM server uses (= tensor_parallel_size)
    tensor_parallel_size: int
    replicas: IntRange  # vLLM servers: HPA/KEDA floor and ceiling
    nodes: IntRange  # GPU nodes: the node group's min and max
    max_model_len: int  # vLLM --max-model-len: the context budget a sequence may hold
    gpu_memory_utilization: float  # vLLM --gpu-memory-utilization
    max_num_seqs: int  # vLLM --max-num-seqs: concurrent sequences per replica at the latency targets
    kv_cache_tokens: int  # KV-cache tokens per replica within the memory budget
    output_tokens_per_s: float  # per replica, at max_num_seqs
    time_to_first_token_s: float  # predicted at the peak's batch
    inter_token_latency_s: float  # predicted at the peak's batch
    weights_gib: float  # what a replica loads (and the volume that holds it)
    load_seconds: float  # weights read + engine start: the scale-up lag and the startup probe's budget
    monthly_usd: Range  # GPU nodes (instances + volumes) min/max
    expected_monthly_usd: float
    source: str  # where the capacity figures come from (calibration table, or a measured assumption)
    # Added beside the contract above (defaults keep it whole):
    gpu: str = ""  # the GPU model, e.g. A10G, H100
    quantization: str | None = (
        None  # vLLM --quantization (fp8: dynamic from the bf16 checkpoint); None: the checkpoint's
    )
    checkpoint: str = ""  # the Hugging Face repository vLLM loads for this format (the model's own, or a quantized one)
    replicas_per_node: int = 1
    max_num_batched_tokens: int = 0  # vLLM --max-num-batched-tokens the speed model assumed (0: vLLM's default)
    vpc_ips_max: int = 0  # VPC addresses the max GPU fleet takes (in network.vpc_ips_max too)
    node_disk_gib: int = 0  # each GPU node's root volume: the image and its replicas' weights
    scale_up_lag_s: float = 0  # node start + image pull + load_seconds: how late a new replica serves
    measured: bool = False  # the throughput is the user's measurement (llm.self_hosted.measured_*)
    selection_rule: str = ""
    alternatives: list[SelfHostedOption] = []
    limits: str = ""  # what the figures are not


class LLMPlan(_Out):
    provider: str
    provider_name: str
    model: str
    priced_as: str
    prices_as_of: str
    price_per_million: TokenPricesPerMillion
    turn_usd: float
    counting: str  # how the provider counts tokens against the quota
    output_burndown: float
    speed: LLMSpeed
    peak: LLMPeak
    monthly: LLMMonthly
    monthly_usd: Range
    expected_monthly_usd: float
    quota: LLMQuota
    self_hosted: SelfHostedPlan | None = None  # vllm:MODEL: the GPU serving plan; API token lines are zero
    conversation: ConversationPlan | None = None  # the token model (None: a plan made before conversations)
    caching: PromptCachingPlan | None = None
    wire: LLMWirePlan | None = None  # None: a self-hosted model (no provider traffic)
    break_even: BreakEvenPlan | None = None  # vllm:MODEL: against the API model it replaces


class LoadBalancerPlan(_Out):
    """The Application Load Balancer at peak, in AWS's four LCU dimensions; the largest is what an hour bills."""

    kind: Literal["application"] = "application"
    new_connections_per_second: float
    active_connections: float  # each user's keep-alive connection, plus one per open answer stream
    processed_gb_per_hour: float
    rule_evaluations_per_second: float  # beyond the 10 free rules a request
    lcus: float  # the largest dimension, in LCUs
    billed_dimension: str  # which one that is


class WafPlan(_Out):
    """The web ACL on the load balancer: the rate limit per client IP (the LLM spend guard) and what it evaluates."""

    rate_limit_per_ip: int  # requests per client IP per window; above it WAF blocks the address
    evaluation_window_s: int
    rate_limit_source: Literal["derived", "override"]
    derived_rate_limit_per_ip: int  # what the assumptions give (equal to the limit unless overridden)
    rate_limit_reason: str  # the derivation in one line
    max_llm_usd_per_ip_hour: float | None  # turns at the limit all hour, at the plan's turn price; None: no LLM
    managed_rules: bool
    rules: int  # billed rules: the rate-based rule and, when enabled, the managed rule group
    requests_per_month: Range


class EdgePlan(_Out):
    load_balancer: LoadBalancerPlan
    waf: WafPlan


class SizingPlan(_Out):
    # Always present in the JSON, so required in its schema; the default only lets a plan saved before a field was
    # added still load (e.g. a deployed plan to compare against).
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)

    tier: Tier
    workload: WorkloadSummary
    performance: Performance
    backend: PodPlan
    frontend: PodPlan
    nodes: NodePlan
    database: DatabasePlan
    cache: CachePlan
    network: NetworkPlan
    cost: CostPlan
    llm: LLMPlan | None  # None: sized without an LLM (--llm none)
    warnings: list[str]
    assumptions: Assumptions
    edge: EdgePlan  # the public edge: the ALB in front of the frontend and the WAF web ACL on it
    # Which assumptions were measured rather than defaulted, and from what (`sizing calibrate`): path -> source.
    assumptions_source: dict[str, str] = Field(default_factory=dict)
