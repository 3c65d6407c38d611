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
    storage_gib: float
    monthly_usd_on_demand: Range
    monthly_usd_provisioned: Range
    expected_monthly_usd_on_demand: float  # over the day's load profile
    expected_monthly_usd_provisioned: float  # ditto, auto scaling following the profile an hour late
    mode_reason: str  # why this billing mode, in one line


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


class NetworkPlan(_Out):
    availability_zones: int
    nat_gateways: int
    # VPC addresses the max fleet holds under the default VPC CNI: a VPC IP per pod, plus per node its primary IP and
    # the warm ENI's addresses the CNI keeps attached (WARM_ENI_TARGET=1). The VPC's private subnets must hold it.
    vpc_ips_max: int


class TokenPricesPerMillion(_Out):
    input: float
    cached_input: float
    output: float


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
    input_tokens: Range
    output_tokens: Range


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
    # Which assumptions were measured rather than defaulted, and from what (`sizing calibrate`): path -> source.
    assumptions_source: dict[str, str] = Field(default_factory=dict)
