"""How fast a replica serves: prefill limited by compute, decode by memory bandwidth, each with an efficiency factor.

A decode step reads every GPU's weight shard once for the whole batch and each sequence's KV cache, so
    step = (weights / TP + sequences x mean context x KV bytes per token / TP) / (bandwidth x decode efficiency)
           + a fixed step overhead + (TP > 1) 2 all-reduces per layer.
A prompt's prefill multiplies 2 x active parameters per input token:
    prefill = 2 x active params x input tokens / (TP x dense TFLOPs x prefill efficiency).
With chunked prefill, prompts share the GPU with decode steps: at c open streams and λ turns/s, prefill takes
u = λ x prefill of each second, so a token comes every step / (1 - u) and the first token after
ttft_overhead + prefill / (1 - u). Little's law closes the loop: λ = c / (TTFT + output tokens x ITL), a quadratic in λ.
The efficiency factors and overheads come from ``data/selfhosted_calibration.yaml``, fitted to published benchmarks.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from sizing.selfhosted.catalog import GPUInstance, GPUSpec, ModelSpec, WeightFormat


class SpeedFactors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    decode_efficiency: float = Field(gt=0, le=1)
    prefill_efficiency: float = Field(gt=0, le=1)
    step_overhead_s: float = Field(ge=0)
    allreduce_s: dict[str, float]  # per all-reduce, by interconnect (pcie / nvlink)
    ttft_overhead_s: float = Field(ge=0)


class Point(NamedTuple):
    """One replica at ``streams`` open streams."""

    streams: int
    turns_per_s: float
    output_tokens_per_s: float
    ttft_s: float
    itl_s: float


class Replica(NamedTuple):
    """What a replica's speed depends on, worked out once."""

    step_fixed_s: float  # weights read + overheads, whatever the batch
    step_per_sequence_s: float  # one more sequence's KV read
    prefill_s: float  # one prompt
    ttft_overhead_s: float
    output_tokens: int


def replica(
    model: ModelSpec,
    fmt: WeightFormat,
    gpu: GPUSpec,
    instance: GPUInstance,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    factors: SpeedFactors,
) -> Replica:
    bandwidth = gpu.bandwidth_gb_s * 1e9 * factors.decode_efficiency
    context = input_tokens + output_tokens / 2  # the mean a sequence holds while it decodes
    comm = 2 * model.layers * factors.allreduce_s[instance.interconnect] if tp > 1 else 0.0
    kv_sequence = context * model.kv_bytes_per_token + model.kv_bytes_per_sequence_fixed
    return Replica(
        step_fixed_s=model.weights_bytes(fmt) / tp / bandwidth + factors.step_overhead_s + comm,
        step_per_sequence_s=kv_sequence / tp / bandwidth,
        prefill_s=2
        * model.active_params_b
        * 1e9
        * input_tokens
        / (tp * gpu.tflops(fmt) * 1e12 * factors.prefill_efficiency),
        ttft_overhead_s=factors.ttft_overhead_s,
        output_tokens=output_tokens,
    )


def at(r: Replica, streams: int) -> Point:
    """The replica's steady state with ``streams`` open (Little's law and the prefill share, solved together)."""
    step = r.step_fixed_s + streams * r.step_per_sequence_s
    a = r.ttft_overhead_s * r.prefill_s
    b = r.ttft_overhead_s + r.prefill_s + r.output_tokens * step + streams * r.prefill_s
    # the smaller root of a λ² - b λ + c = 0, in the form that stays exact when a is 0
    rate = 2 * streams / (b + math.sqrt(max(b * b - 4 * a * streams, 0.0)))
    busy = 1 - rate * r.prefill_s
    return Point(
        streams=streams,
        turns_per_s=rate,
        output_tokens_per_s=rate * r.output_tokens,
        ttft_s=r.ttft_overhead_s + r.prefill_s / busy,
        itl_s=step / busy,
    )


def operating_point(r: Replica, most: int, ttft_target: float, itl_target: float) -> Point | None:
    """The most open streams (at most ``most``, the KV cache's) that keep both latencies within their targets.

    Both latencies grow with the streams, so the largest one that passes is found by bisection; None when even one
    stream misses a target."""
    if most < 1:
        return None

    def ok(point: Point) -> bool:
        return point.ttft_s <= ttft_target and point.itl_s <= itl_target

    if not ok(at(r, 1)):
        return None
    low, high = 1, most
    if ok(at(r, high)):
        return at(r, high)
    while high - low > 1:
        middle = (low + high) // 2
        if ok(at(r, middle)):
            low = middle
        else:
            high = middle
    return at(r, low)
