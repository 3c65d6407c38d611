"""A self-hosted model's part of the plan: ``plan.llm`` with its ``self_hosted`` deployment and ``break_even``, and
the cost lines that replace the token line (GPU nodes, weight storage, weight and image transfer)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

from sizing.assumptions import Assumptions, SelfHostedAssumptions
from sizing.data.pricing import RegionPrices
from sizing.engine.load_profile import LoadProfile
from sizing.engine.network import NodeGroupShape, fleet_addresses
from sizing.errors import SizingError
from sizing.llm.choice import LLMChoice
from sizing.llm.profiles import LLMProfiles
from sizing.llm.token_prices import TokenPrices, TurnUsage
from sizing.llm.traffic import plan_llm, turn_usage
from sizing.plan import (
    BreakEvenPlan,
    CostItem,
    IntRange,
    LLMPlan,
    LLMQuota,
    LLMSpeed,
    Range,
    SelfHostedOption,
    SelfHostedPlan,
)
from sizing.selfhosted import calibration as calib
from sizing.selfhosted.break_even import crossover
from sizing.selfhosted.calibration import Calibration, load_calibration
from sizing.selfhosted.catalog import GPUCatalog, GPUInstance, ModelCatalog, load_gpu_catalog, load_model_catalog
from sizing.selfhosted.choose import (
    SELECTION_RULE,
    Candidate,
    candidates,
    costs,
    fleet,
    lag_s,
    no_deployment,
    ranked,
)
from sizing.workload import MAX_USERS, Workload

PROVIDER = "vllm"
# The cost lines a self-hosted plan bills in place of ``llm_api`` (the stack's billing map names them).
COST_KEYS = ("llm_gpu_nodes", "llm_weights_storage", "llm_weights_transfer")
# S3 Standard in us-east-1 (aws.amazon.com/s3/pricing/, 2026-12-07), for a price file without s3_standard_gb_month.
S3_FALLBACK_GB_MONTH = 0.023
LIMITS = (
    "predicted, not measured: the speed model is calibrated to published benchmarks (other prompts, engines and "
    "versions), not to your prompts; measure one replica with `vllm bench serve` and set "
    "llm.self_hosted.measured_tokens_per_s (docs/methodology.md, 'Self-hosted models')"
)
# Pods on a GPU node that take a VPC address besides vLLM's: the NVIDIA device plugin (not host-networked; aws-node,
# kube-proxy and the Pod Identity agent are).
GPU_NODE_ADDRESSED_PODS = 1


def gpu_vpc_ips(nodes: int, replicas: int, instance: GPUInstance) -> int:
    """The max GPU fleet's VPC addresses, as the CPU nodes' (engine/network.py): the vLLM replicas and each node's
    device plugin pod, spread over the nodes, and the ENIs the VPC CNI attaches for them, whole."""
    max_enis = (instance.max_pods - 2) // (instance.ipv4_per_eni - 1)
    pods = replicas + nodes * GPU_NODE_ADDRESSED_PODS
    return fleet_addresses(pods, [NodeGroupShape(nodes, instance.ipv4_per_eni, max_enis)])


# EC2 On-Demand vCPU quotas per instance family group (Service Quotas, service code ec2).
GPU_QUOTAS = {
    "g": ("Running On-Demand G and VT instances", "L-DB2E81BA"),
    "p": ("Running On-Demand P instances", "L-417A185B"),
}


def is_self_hosted(choice: LLMChoice | None) -> bool:
    return choice is not None and choice.provider == PROVIDER


def _round(value: float) -> float:
    return round(value, 2)


def _lines(
    c: Candidate,
    peak_turns_per_s: float,
    profile: LoadProfile,
    prices: RegionPrices,
    a: Assumptions,
    s3: float,
) -> tuple[list[CostItem], IntRange, IntRange, int]:
    sh = a.llm.self_hosted
    out = a.llm.output_tokens_per_turn
    f = fleet(c, peak_turns_per_s, profile.shares, lag_s(c, sh), out)
    k = costs(c, f, prices, sh, s3, a.traffic.days_per_month)
    gpu_source = f"{c.instance_type} ${c.hourly_usd}/h on-demand ({prices.as_of}) + {c.node_disk_gib} GiB gp3 each"
    items = [
        CostItem(
            key="llm_gpu_nodes",
            item=f"LLM GPU nodes ({c.instance_type})",
            monthly_usd=Range(min=_round(k.nodes_min), max=_round(k.nodes_max)),
            expected_monthly_usd=_round(k.nodes_expected),
            source=gpu_source,
        ),
        CostItem(
            key="llm_weights_storage",
            item="LLM weights in S3",
            monthly_usd=Range(min=_round(k.storage), max=_round(k.storage)),
            expected_monthly_usd=_round(k.storage),
            source=f"{c.weights_gib:.1f} GiB x S3 Standard ${s3}/GB-month"
            + ("" if prices.s3_standard_gb_month else " (us-east-1's: the price file has none)")
            if sh.weights_in_s3
            else "weights from Hugging Face: none stored",
        ),
        CostItem(
            key="llm_weights_transfer",
            item="LLM image and weights pulled by new GPU nodes",
            monthly_usd=Range(min=0, max=_round(k.transfer_expected)),
            expected_monthly_usd=_round(k.transfer_expected),
            source=f"{f.starts_per_day} node starts a day x ({sh.image_gib:g} GiB image + weights) through the NAT "
            f"gateway at ${prices.service('nat_gateway_gb')}/GB",
        ),
    ]
    return (
        items,
        IntRange(min=f.replicas_min, max=f.replicas_max),
        IntRange(min=f.nodes_min, max=f.nodes_max),
        f.starts_per_day,
    )


def _total(items: list[CostItem]) -> tuple[Range, float]:
    return (
        Range(min=_round(sum(i.monthly_usd.min for i in items)), max=_round(sum(i.monthly_usd.max for i in items))),
        _round(sum(i.expected_monthly_usd for i in items)),
    )


def _api_month(users: int, turns_per_user_per_minute: float, profile: LoadProfile, turn_usd: float) -> float:
    return users * turns_per_user_per_minute / 60 * 3600 * profile.hours_per_month * profile.mean * turn_usd


@cache
def _crossover(
    found: tuple[Candidate, ...],
    profile: LoadProfile,
    prices: RegionPrices,
    sh: SelfHostedAssumptions,
    s3: float,
    days: float,
    out: int,
    turns_per_user_per_minute: float,
    turn_usd: float,
    most_users: int,
) -> int | None:
    """Where the cheapest deployment, re-planned at each load, meets the API: the same for every load of a plan's
    inputs, so worked out once."""

    def self_cost(count: int) -> float:
        peak = count * turns_per_user_per_minute / 60
        return float(ranked(found, peak, profile.shares, prices, sh, s3, days, out, keep=1)[0][0])

    def api_cost(count: int) -> float:
        return _api_month(count, turns_per_user_per_minute, profile, turn_usd)

    return crossover(self_cost, api_cost, most_users)


def plan_self_hosted(
    users: int,
    a: Assumptions,
    profile: LoadProfile,
    prices: RegionPrices,
    choice: LLMChoice,
    compare: LLMChoice,
    compare_prices: TokenPrices,
    llm_profiles: LLMProfiles,
    models: ModelCatalog,
    gpus: GPUCatalog,
    calibration: Calibration,
    most_users: int,
) -> tuple[LLMPlan, list[CostItem], list[str]]:
    """The LLM section for ``vllm:MODEL``, its cost lines and warnings; one clear error when nothing can serve it."""
    sh, llm = a.llm.self_hosted, a.llm
    name = models.canonical(choice.model)
    model = models.model(name)
    if sh.max_model_len > model.max_context:
        raise SizingError(
            f"llm.self_hosted.max_model_len {sh.max_model_len:,} is above {name}'s context of {model.max_context:,}",
            field="assumptions.llm.self_hosted.max_model_len",
        )
    if sh.measured_tokens_per_s is not None and (sh.instance_type is None or sh.weight_format == "auto"):
        raise SizingError(
            "a measurement is of one deployment: with measured_tokens_per_s, pin llm.self_hosted.instance_type and "
            "weight_format to what you measured",
            field="assumptions.llm.self_hosted",
        )
    # The conversation's mean turn (history included): what a request brings to prefill and holds in the KV cache.
    inp, out = turn_usage(llm).input_tokens, llm.output_tokens_per_turn
    found = candidates(model, gpus, prices, calibration, sh, inp, out)
    if not found:
        raise no_deployment(name, model, gpus, prices, sh, calibration, inp, out)
    s3 = prices.s3_standard_gb_month or S3_FALLBACK_GB_MONTH
    days = a.traffic.days_per_month

    def peak(count: int) -> float:
        return count * llm.turns_per_user_per_minute / 60

    top = ranked(found, peak(users), profile.shares, prices, sh, s3, days, out)
    best = found[top[0][-1]]
    items, replicas, nodes, _ = _lines(best, peak(users), profile, prices, a, s3)
    monthly, expected = _total(items)
    point = best.point
    instance = gpus.instance_types[best.instance_type]
    fmt = model.weight_formats[best.weight_format]

    alternatives = []
    for row in top[1:]:
        other = found[row[-1]]
        o_items, o_replicas, o_nodes, _ = _lines(other, peak(users), profile, prices, a, s3)
        o_monthly, o_expected = _total(o_items)
        alternatives.append(
            SelfHostedOption(
                instance_type=other.instance_type,
                weight_format=other.weight_format,
                tensor_parallel_size=other.tensor_parallel_size,
                replicas=o_replicas,
                nodes=o_nodes,
                max_num_seqs=other.point.streams,
                output_tokens_per_s=round(other.point.output_tokens_per_s, 1),
                monthly_usd=o_monthly,
                expected_monthly_usd=o_expected,
            )
        )
    measured = sh.measured_tokens_per_s is not None
    source = (
        f"your measurement (llm.self_hosted.measured_tokens_per_s at {sh.measured_concurrency} streams)"
        if measured
        else f"{calib.SOURCE}, as of {calibration.as_of}"
    )
    self_hosted = SelfHostedPlan(
        model=name,
        weight_format=best.weight_format,
        instance_type=best.instance_type,
        gpus_per_replica=best.tensor_parallel_size,
        tensor_parallel_size=best.tensor_parallel_size,
        replicas=replicas,
        nodes=nodes,
        max_model_len=sh.max_model_len,
        gpu_memory_utilization=sh.gpu_memory_utilization,
        max_num_seqs=point.streams,
        kv_cache_tokens=best.memory.kv_tokens,
        output_tokens_per_s=round(point.output_tokens_per_s, 1),
        time_to_first_token_s=round(point.ttft_s, 3),
        inter_token_latency_s=round(point.itl_s, 4),
        weights_gib=round(best.weights_gib, 2),
        load_seconds=round(best.load_s),
        monthly_usd=items[0].monthly_usd,
        expected_monthly_usd=items[0].expected_monthly_usd,
        source=source,
        gpu=instance.gpu,
        quantization=fmt.quantization,
        checkpoint=fmt.checkpoint or name,
        replicas_per_node=best.replicas_per_node,
        max_num_batched_tokens=best.batched_tokens,
        vpc_ips_max=gpu_vpc_ips(nodes.max, replicas.max, instance),
        node_disk_gib=best.node_disk_gib,
        scale_up_lag_s=round(lag_s(best, sh)),
        measured=measured,
        selection_rule="pinned by the user" if sh.instance_type else SELECTION_RULE,
        alternatives=alternatives,
        limits=LIMITS,
    )

    api_here = _round(_api_month(users, llm.turns_per_user_per_minute, profile, compare_prices.turn_usd))
    cross = _crossover(
        found, profile, prices, sh, s3, days, out, llm.turns_per_user_per_minute, compare_prices.turn_usd, most_users
    )
    cheaper: Literal["self-hosted", "api"] = "self-hosted" if expected <= api_here else "api"
    where = (
        f"self-hosting costs no more from {cross:,} concurrent users up"
        if cross is not None
        else f"self-hosting never costs less below {most_users:,} concurrent users"
    )
    break_even = BreakEvenPlan(
        api_model=str(compare),
        api_turn_usd=compare_prices.turn_usd,
        api_expected_monthly_usd=api_here,
        self_hosted_expected_monthly_usd=expected,
        crossover_concurrent_users=cross,
        never_below_users=None if cross is not None else most_users,
        cheaper=cheaper,
        summary=f"at {users:,} concurrent users: self-hosted ${expected:,.2f} vs {compare} ${api_here:,.2f} a month; "
        + where,
        source=f"{compare} token prices as of {compare_prices.prices_as_of}; self-hosted: the cost lines above, "
        "re-planned at each load",
    )

    zero = TokenPrices(
        provider=PROVIDER,
        provider_name="vLLM (self-hosted)",
        model=name,
        priced_as=f"self-hosted on {best.instance_type}",
        prices_as_of=prices.as_of,
        input_per_million=0,
        cached_input_per_million=0,
        output_per_million=0,
        turn_usd=0,
    )
    timed = llm.model_copy(update={"time_to_first_token_s": point.ttft_s, "output_tokens_per_s": 1 / point.itl_s})
    base, _ = plan_llm(users, timed, profile.mean, profile.hours_per_month, choice, zero, llm_profiles)
    plan = base.model_copy(
        update={
            "model": name,
            "counting": "total",
            "output_burndown": 1.0,
            "speed": LLMSpeed(time_to_first_token_s=point.ttft_s, output_tokens_per_s=1 / point.itl_s, source=source),
            "monthly_usd": monthly,
            "expected_monthly_usd": expected,
            "quota": LLMQuota(
                tokens_per_minute=None, requests_per_minute=None, source="self-hosted: no provider token quota"
            ),
            "self_hosted": self_hosted,
            "break_even": break_even,
        }
    )
    family = "p" if best.instance_type.startswith("p") else "g"
    quota, code = GPU_QUOTAS[family]
    warnings = [
        f"GPU quota: the LLM's max fleet ({nodes.max} x {best.instance_type}) needs {nodes.max * instance.vcpu:,} vCPUs "
        f"of EC2's '{quota}' quota ({code}) in {prices.region}, often 0 on a new account: request it in Service "
        "Quotas before deploying",
        f"self-hosted LLM figures are {LIMITS}",
    ]
    if cheaper == "api":
        warnings.append(
            f"self-hosting {name} costs ${expected - api_here:,.2f} a month more than {compare} at this load "
            f"(${expected:,.2f} against ${api_here:,.2f}); "
            + (
                f"it pays from {cross:,} concurrent users"
                if cross is not None
                else f"it never pays below {most_users:,} concurrent users"
            )
        )
    return plan, items, warnings


def self_hosted_llm(
    workload: Workload,
    profile: LoadProfile,
    prices: RegionPrices,
    token_prices: Callable[[LLMChoice, TurnUsage], TokenPrices],
    llm_profiles: LLMProfiles,
    models: ModelCatalog | None = None,
    gpus: GPUCatalog | None = None,
    calibration: Calibration | None = None,
) -> tuple[LLMPlan, list[CostItem], list[str]]:
    """``calculate``'s entry: the workload's ``vllm:MODEL``, compared with its ``llm_compare`` API model."""
    choice = workload.llm_choice
    assert choice is not None
    compare = workload.compare_choice
    a = workload.assumptions
    try:
        compare_prices = token_prices(compare, turn_usage(a.llm))
    except SizingError as error:
        # The API model to compare with is at fault, not the self-hosted one: name its own input.
        raise SizingError(str(error), field="llm_compare") from None
    return plan_self_hosted(
        workload.concurrent_users,
        a,
        profile,
        prices,
        choice,
        compare,
        compare_prices,
        llm_profiles,
        models or load_model_catalog(),
        gpus or load_gpu_catalog(),
        calibration or load_calibration(),
        MAX_USERS,
    )
