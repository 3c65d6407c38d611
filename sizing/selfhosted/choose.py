"""The cheapest deployment of a model that meets the latency targets: GPU instance type, tensor parallelism, format.

Every (instance type offered in the region, weight format the model ships, tensor-parallel size that divides the
instance's GPUs and the model's heads) is a candidate. One that cannot hold its weights, one max_model_len sequence
and its runtime overhead within ``gpu_memory_utilization``, or whose node lacks the host memory to load them, is out;
so is one whose single stream already misses a target. The rest get their operating point (``speed``): the most open
streams the KV cache holds that keep time to first token and inter-token latency within the targets. That part does
not depend on the load and is worked out once; per load, each candidate's replicas and nodes follow the daily
profile and are priced, and the ranking (``engine/ranking.py``, the one node selection uses) keeps the cheapest.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

from sizing.assumptions import SelfHostedAssumptions
from sizing.data.pricing import RegionPrices
from sizing.engine.ranking import rank
from sizing.errors import SizingError
from sizing.selfhosted.calibration import Calibration
from sizing.selfhosted.catalog import GIB, GPUCatalog, ModelSpec, WeightFormat
from sizing.selfhosted.memory import Memory, memory
from sizing.selfhosted.speed import Point, operating_point, replica, vllm_batched_tokens

TENSOR_PARALLEL = (1, 2, 4, 8)  # within one node: vLLM's TP spans one node's GPUs (docs.vllm.ai parallelism_scaling)
MAX_NUM_SEQS = 1024  # vLLM --max-num-seqs above which a replica is never planned
KEEP = 4  # the winner and three runner-ups, as node selection keeps
SELECTION_RULE = (
    "cheapest expected monthly cost (GPU nodes over the daily profile, weight storage and transfer) among the "
    "(GPU instance type, tensor-parallel size, weight format) that meet the latency targets; ties go to the cheaper "
    "max fleet, then fewer GPUs per replica, then the name"
)


class Candidate(NamedTuple):
    """One deployment, as far as it does not depend on the load."""

    instance_type: str
    weight_format: WeightFormat
    tensor_parallel_size: int
    replicas_per_node: int
    hourly_usd: float
    memory: Memory
    point: Point  # per replica, at the latency targets (or as measured)
    weights_gib: float  # one replica's checkpoint
    load_s: float  # weights read + engine start
    node_disk_gib: int  # image (twice: the layers and their unpacked copy) + the weights of the node's replicas + 20
    batched_tokens: int = 0  # vLLM --max-num-batched-tokens: a step's tokens, decode first, then prompt chunks


def _host_memory_ok(model: ModelSpec, fmt: WeightFormat, gib: float, per_node: int, ratio: float) -> bool:
    return gib * GIB >= ratio * model.weights_bytes(fmt) * per_node


@cache
def candidates(
    model: ModelSpec,
    gpus: GPUCatalog,
    prices: RegionPrices,
    calibration: Calibration,
    sh: SelfHostedAssumptions,
    input_tokens: int,
    output_tokens: int,
) -> tuple[Candidate, ...]:
    """Every deployment that fits and meets the targets at one stream or more, with its operating point."""
    formats = [f for f in model.weight_formats if sh.weight_format in ("auto", f)]
    types = [t for t in gpus.instance_types if sh.instance_type in (None, t) and t in prices.gpu_hour]
    found: list[Candidate] = []
    for name in types:
        instance = gpus.instance_types[name]
        gpu = gpus.gpus[instance.gpu]
        for fmt in formats:
            for tp in TENSOR_PARALLEL:
                if tp > instance.gpus or instance.gpus % tp or not model.tensor_parallel_ok(tp):
                    continue
                per_node = instance.gpus // tp
                if not _host_memory_ok(model, fmt, instance.memory_gib, per_node, sh.host_memory_per_weight):
                    continue
                mem = memory(
                    model,
                    fmt,
                    instance,
                    tp,
                    sh.gpu_memory_utilization,
                    sh.runtime_overhead_gib,
                    input_tokens + output_tokens,
                )
                if mem.kv_tokens < sh.max_model_len or mem.sequences < 1:
                    continue
                batched = vllm_batched_tokens(instance.gpu, instance.gpu_memory_mib)
                r = replica(
                    model,
                    fmt,
                    gpu,
                    instance,
                    tp,
                    input_tokens,
                    output_tokens,
                    calibration.factors,
                    sh.prompt_length_cv2,
                    batched,
                )
                point = operating_point(
                    r,
                    min(mem.sequences, MAX_NUM_SEQS),
                    sh.target_time_to_first_token_s,
                    sh.target_inter_token_latency_s,
                )
                if point is None:
                    continue
                if sh.measured_tokens_per_s is not None and sh.measured_concurrency is not None:
                    turns = sh.measured_tokens_per_s / output_tokens
                    stream_s = sh.measured_concurrency / turns
                    # The measurement replaces the rate and the streams; the latencies are what Little's law leaves.
                    point = Point(
                        streams=sh.measured_concurrency,
                        turns_per_s=turns,
                        output_tokens_per_s=sh.measured_tokens_per_s,
                        ttft_s=point.ttft_s,
                        itl_s=max(stream_s - point.ttft_s, 0.0) / output_tokens,
                    )
                weights_gib = model.weights_bytes(fmt) / GIB
                found.append(
                    Candidate(
                        instance_type=name,
                        weight_format=fmt,
                        tensor_parallel_size=tp,
                        replicas_per_node=per_node,
                        hourly_usd=prices.gpu_hour[name],
                        memory=mem,
                        point=point,
                        weights_gib=weights_gib,
                        load_s=sh.engine_start_s + weights_gib / sh.weight_load_gib_per_s,
                        batched_tokens=batched,
                        node_disk_gib=math.ceil(2 * sh.image_gib + weights_gib * per_node + 20),
                    )
                )
                if sh.measured_tokens_per_s is not None:
                    break  # a measurement is of one deployment: the smallest TP that fits the pinned type
    return tuple(found)


def replicas_needed(turns_per_s: float, point: Point, output_tokens: int) -> int:
    """The most of: open streams / streams per replica, output tokens/s / a replica's, turns/s / a replica's."""
    streams = turns_per_s * (point.ttft_s + output_tokens * point.itl_s)
    need = max(
        streams / point.streams,
        turns_per_s * output_tokens / point.output_tokens_per_s,
        turns_per_s / point.turns_per_s,
    )
    return math.ceil(need - 1e-9)  # 2.0000000001 replicas of float noise are 2


class Fleet(NamedTuple):
    """A candidate's fleet at one load."""

    replicas_min: int
    replicas_max: int
    nodes_min: int
    nodes_max: int
    hourly_nodes: tuple[int, ...]  # the nodes each hour of the day (the HPA following the profile)
    starts_per_day: int  # nodes started a day as the profile climbs


def fleet(
    c: Candidate,
    peak_turns_per_s: float,
    profile: tuple[float, ...],
    lag_s: float,
    output_tokens: int,
    floor: int = 2,
) -> Fleet:
    """Replicas at peak (never fewer than ``floor``, one per zone of two), and hour by hour: each hour's load plus
    what the next hour adds while a new replica starts (``lag_s``); the HPA floor is the trough's. Nodes hold
    ``replicas_per_node`` each, and are never fewer than ``floor`` either: two replicas on one node share its zone."""

    def nodes(replicas: int) -> int:
        return max(floor, -(-replicas // c.replicas_per_node))

    top = max(floor, replicas_needed(peak_turns_per_s, c.point, output_tokens))
    hours = len(profile)
    lead = min(lag_s / 3600, 1.0)
    hourly_replicas = [
        max(
            floor,
            replicas_needed(
                peak_turns_per_s * max(share, share + (profile[(h + 1) % hours] - share) * lead),
                c.point,
                output_tokens,
            ),
        )
        for h, share in enumerate(profile)
    ]
    low = min(hourly_replicas)
    hourly_nodes = tuple(nodes(r) for r in hourly_replicas)
    starts = sum(max(0, hourly_nodes[(h + 1) % hours] - hourly_nodes[h]) for h in range(hours))
    return Fleet(
        low, max(top, max(hourly_replicas)), nodes(low), nodes(max(top, *hourly_replicas)), hourly_nodes, starts
    )


class Costs(NamedTuple):
    nodes_min: float
    nodes_max: float
    nodes_expected: float
    storage: float  # weights in S3, a month
    transfer_expected: float  # images and weights pulled through the NAT gateway by the nodes that start


def costs(
    c: Candidate,
    f: Fleet,
    prices: RegionPrices,
    sh: SelfHostedAssumptions,
    s3_gb_month: float,
    days_per_month: float,
) -> Costs:
    hours = prices.hours_per_month
    node_month = c.hourly_usd * hours + c.node_disk_gib * prices.service("ebs_gp3_gb_month")
    expected = sum(f.hourly_nodes) / len(f.hourly_nodes) * node_month
    gb = 1.073741824  # GiB -> GB, as S3 and data transfer are billed
    storage = c.weights_gib * gb * s3_gb_month if sh.weights_in_s3 else 0.0
    pulled = (sh.image_gib + c.weights_gib * c.replicas_per_node) * gb
    transfer = f.starts_per_day * days_per_month * pulled * prices.service("nat_gateway_gb")
    return Costs(f.nodes_min * node_month, f.nodes_max * node_month, expected, storage, transfer)


def lag_s(c: Candidate, sh: SelfHostedAssumptions) -> float:
    """From the HPA asking for a replica to its first token: a node starts, pulls the image, loads the weights."""
    return sh.node_start_s + c.load_s


def ranked(
    found: tuple[Candidate, ...],
    peak_turns_per_s: float,
    profile: tuple[float, ...],
    prices: RegionPrices,
    sh: SelfHostedAssumptions,
    s3_gb_month: float,
    days_per_month: float,
    output_tokens: int,
    keep: int | None = KEEP,
) -> list[tuple]:
    """The cheapest ``keep`` deployments at this load, as (expected, max, GPUs per replica, type, format, index)."""

    def scored(index: int, c: Candidate) -> tuple:
        f = fleet(c, peak_turns_per_s, profile, lag_s(c, sh), output_tokens)
        k = costs(c, f, prices, sh, s3_gb_month, days_per_month)
        total = k.nodes_expected + k.storage + k.transfer_expected
        return (
            total,
            k.nodes_max + k.storage + k.transfer_expected,
            c.tensor_parallel_size,
            c.instance_type,
            c.weight_format,
            index,
        )

    return rank((scored(i, c) for i, c in enumerate(found)), keep)


def no_deployment(
    model_name: str,
    model: ModelSpec,
    gpus: GPUCatalog,
    prices: RegionPrices,
    sh: SelfHostedAssumptions,
    calibration: Calibration,
    input_tokens: int,
    output_tokens: int,
) -> SizingError:
    """Why no candidate is left: nothing offered, nothing fits, or nothing meets the targets."""
    offered = [t for t in gpus.instance_types if sh.instance_type in (None, t) and t in prices.gpu_hour]
    if sh.instance_type is not None and sh.instance_type not in gpus.instance_types:
        return SizingError(
            f"{sh.instance_type!r} is not a GPU instance type; known: {', '.join(gpus.instance_types)}",
            field="assumptions.llm.self_hosted.instance_type",
        )
    if sh.weight_format not in ("auto", *model.weight_formats):
        return SizingError(
            f"{model_name} ships no {sh.weight_format} weights here; formats: {', '.join(model.weight_formats)}",
            field="assumptions.llm.self_hosted.weight_format",
        )
    if not offered:
        return SizingError(
            f"no GPU instance type{' ' + sh.instance_type if sh.instance_type else ''} has a price in {prices.region} "
            f"(as of {prices.as_of}); refresh the prices for the region or pick another",
            field="region",
        )
    relaxed = sh.model_copy(update={"target_time_to_first_token_s": 1e9, "target_inter_token_latency_s": 1e9})
    if not candidates(model, gpus, prices, calibration, relaxed, input_tokens, output_tokens):
        largest = max(gpus.instance_types[t].gpus * gpus.instance_types[t].gpu_memory_mib for t in offered) / 1024
        return SizingError(
            f"{model_name} ({model.weights_bytes(next(iter(model.weight_formats))) / GIB:.0f} GiB of weights at "
            f"{next(iter(model.weight_formats))}) with a {sh.max_model_len:,}-token context fits no "
            + (f"{sh.instance_type} (pinned)" if sh.instance_type else "GPU instance")
            + f" offered in {prices.region} (the largest holds {largest:,.0f} GiB); pick a smaller model or weight "
            "format, or lower llm.self_hosted.max_model_len",
            field="llm",
        )
    return SizingError(
        f"no GPU instance in {prices.region} serves {model_name} within the targets (time to first token "
        f"{sh.target_time_to_first_token_s:g} s, inter-token latency {sh.target_inter_token_latency_s:g} s) even at "
        "one stream; relax llm.self_hosted.target_time_to_first_token_s or target_inter_token_latency_s",
        field="assumptions.llm.self_hosted",
    )
