"""How fast a replica serves: prefill limited by compute, decode by memory bandwidth, each with an efficiency factor.

A decode step reads every GPU's weight shard once for the whole batch and each sequence's KV cache, so
    step(n) = (weights / TP + n x mean context x KV bytes per token / TP) / (bandwidth x decode efficiency)
              + a fixed step overhead + (TP > 1) 2 all-reduces per layer.
The KV bytes are the model's bf16 ones x ``kv_scale`` (0.5 for an FP8 KV cache, which a calibration benchmark may
name; the plans keep vLLM's default, the model's dtype).
A prompt's prefill multiplies 2 x active parameters per input token:
    prefill = 2 x active params x input tokens / (TP x dense TFLOPs x prefill efficiency).
At c open streams and λ turns/s, prefill takes u = λ x prefill of each second. A stream sees only the other c - 1
streams' share of it, u' = u x (c - 1) / c (Schweitzer's approximation of mean-value analysis: in a closed loop a
request sees the queue the others make; its own prompt is not in it), so
    ITL = step(c) / (1 - u'): decode time-shares the GPU with the others' prefills.
vLLM's scheduler takes waiting prompts, first come first served, only between steps, so a new prompt's first token
comes after
    TTFT = ttft_overhead + prefill + (c > 1) x [step(c - 1) / 2 + u' (1 + cv²) / (2 (1 - u')) x prefill]:
  - step(c - 1) / 2: it finds the other streams' batch mid-step and waits for that step to end (a step's mean residual);
  - u' (1 + cv²) / (2 (1 - u')) x prefill: it waits behind the prompts queued or in prefill, the Pollaczek-Khinchine
    wait λ' E[prefill²] / (2 (1 - u')) with E[prefill²] = (1 + cv²) prefill², cv² the squared coefficient of variation
    of a prompt's prefill time. Planning takes cv² from ``SelfHostedAssumptions.prompt_length_cv2`` (1: exponential
    prompt lengths, which chat prompts are close to: the Azure trace's p90 is 2,734 / 1,155 = 2.37x its mean,
    llm-facts.md 3a, an exponential's ln 10 = 2.30x); a benchmark that sends fixed-length prompts has cv² = 0, half
    the wait;
  - one stream alone waits for nothing: nothing else runs.
Not added: a decode step inside the first token. vLLM's prefill step emits the first token itself, and where a prefill
shares its step with the running batch (chunked prefill) the batch's weight read overlaps the prefill's compute.
Little's law closes the loop: c = λ (TTFT + output tokens x ITL). Both latencies grow with λ, so the right side grows
from 0 at λ = 0 past c at λ = 1 / prefill (the whole GPU prefilling: the others' u' alone is (c - 1) / c, which makes
ITL c x step(c)); the one λ between that solves it is found by bisection.
The efficiency factors and overheads come from ``data/selfhosted_calibration.yaml``, fitted to published benchmarks.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from sizing.selfhosted.catalog import GPUInstance, GPUSpec, ModelSpec, WeightFormat

BISECTIONS = 64  # halvings of [0, 1 / prefill): below a double's resolution of the rate


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
    prompt_cv2: float  # squared coefficient of variation of a prompt's prefill time


def replica(
    model: ModelSpec,
    fmt: WeightFormat,
    gpu: GPUSpec,
    instance: GPUInstance,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    factors: SpeedFactors,
    prompt_cv2: float,
    kv_scale: float = 1.0,
) -> Replica:
    bandwidth = gpu.bandwidth_gb_s * 1e9 * factors.decode_efficiency
    context = input_tokens + output_tokens / 2  # the mean a sequence holds while it decodes
    comm = 2 * model.layers * factors.allreduce_s[instance.interconnect] if tp > 1 else 0.0
    kv_sequence = (context * model.kv_bytes_per_token + model.kv_bytes_per_sequence_fixed) * kv_scale
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
        prompt_cv2=prompt_cv2,
    )


def latencies(r: Replica, streams: float, rate: float) -> tuple[float, float]:
    """Time to first token and inter-token latency with ``streams`` open at ``rate`` turns/s (below 1 / prefill).

    ``streams`` may be a mean (a benchmark's measured concurrency, calibration.py); a plan's is whole."""
    others = rate * r.prefill_s * (streams - 1) / streams
    itl = (r.step_fixed_s + streams * r.step_per_sequence_s) / (1 - others)
    wait = 0.0
    if streams > 1:
        residual = (r.step_fixed_s + (streams - 1) * r.step_per_sequence_s) / 2
        wait = residual + others * (1 + r.prompt_cv2) / (2 * (1 - others)) * r.prefill_s
    return r.ttft_overhead_s + r.prefill_s + wait, itl


def steady(r: Replica, streams: float) -> tuple[float, float, float]:
    """(turns/s, TTFT, ITL) with ``streams`` open on average: Little's law and the latencies, solved together."""
    low, high = 0.0, 1 / r.prefill_s
    for _ in range(BISECTIONS):
        rate = (low + high) / 2
        ttft, itl = latencies(r, streams, rate)
        if rate * (ttft + r.output_tokens * itl) > streams:
            high = rate
        else:
            low = rate
    ttft, itl = latencies(r, streams, low)
    return low, ttft, itl


def at(r: Replica, streams: int) -> Point:
    """The replica's steady state with ``streams`` open."""
    rate, ttft, itl = steady(r, streams)
    return Point(
        streams=streams,
        turns_per_s=rate,
        output_tokens_per_s=rate * r.output_tokens,
        ttft_s=ttft,
        itl_s=itl,
    )


def operating_point(r: Replica, most: int, ttft_target: float, itl_target: float) -> Point | None:
    """The most open streams (at most ``most``, the KV cache's) that keep both latencies within their targets.

    Both latencies grow with the streams (tests/test_selfhosted_speed.py checks it over the catalogs), so the largest
    one that passes is found by bisection; None when even one stream misses a target."""
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
