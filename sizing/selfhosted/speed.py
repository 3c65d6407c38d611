"""How fast a replica serves: prefill limited by compute, decode by memory bandwidth, each with an efficiency factor.

A decode step reads every GPU's weight shard once for the whole batch and each sequence's KV cache, so
    step(n) = (weights / TP + n x mean context x KV bytes per token / TP) / (bandwidth x decode efficiency)
              + a fixed step overhead (scheduling, sampling, launches) + (TP > 1) 2 all-reduces per layer.
The KV bytes are the model's bf16 ones x ``kv_scale`` (0.5 for an FP8 KV cache, which a calibration benchmark may
name; the plans keep vLLM's default, the model's dtype).
A prompt's prefill multiplies 2 x active parameters per input token:
    prefill = 2 x active params x input tokens / (TP x dense TFLOPs x prefill efficiency).
The vLLM the stack runs (V1) prefills in the decode batch's steps (chunked prefill): a step holds up to
``batched_tokens`` (--max-num-batched-tokens), the n decoding sequences' one token each first, then prompt tokens. A
chunk computes while the weights stream in, so a step carrying prompt tokens takes the longer of their compute and
the weight read, plus the riding sequences' KV reads and the overheads. A prompt's own steps, k = max(1, input /
(budget - n)) (a mean: a long prompt's last chunk shares its step with the next one waiting), take
    P(n) = max(prefill, k x weights read) + k x (overhead + all-reduces + n x KV read),
its time to its first token. When prompts queue, a step's budget holds several of them, so a prompt holds only its
share of full steps, f = input / (budget - n), of the GPU:
    Q(n) = max(prefill, f x weights read) + f x (overhead + all-reduces + n x KV read).
An engine that prefills in steps of its own (vLLM 0.4; ``batched_tokens`` 0, a calibration benchmark) has k = f = 0
and P = Q = prefill: decode stalls for it.
At c open streams and λ turns/s, a stream sees the other c - 1 streams' prompts, λ' = λ (c - 1) / c (Schweitzer's
approximation of mean-value analysis: in a closed loop a request sees the queue the others make; its own prompt is
not in it). They hold u' = λ' Q(c - 1) of each second and give it f tokens each; the rest is decode steps:
    ITL = 1 / (λ' f + (1 - u') / step(c)).
vLLM's scheduler takes waiting prompts, first come first served, only between steps, so a new prompt's first token
comes after
    TTFT = ttft_overhead + P + (c > 1) x [step(c - 1) / 2 + u' (1 + cv²) / (2 (1 - u')) x Q]:
  - step(c - 1) / 2: it finds the other streams' batch mid-step and waits for that step to end (a step's mean residual);
  - u' (1 + cv²) / (2 (1 - u')) x Q: it waits behind the prompts queued or in prefill, the Pollaczek-Khinchine
    wait λ' E[Q²] / (2 (1 - u')) with E[Q²] = (1 + cv²) Q², cv² the squared coefficient of variation of a prompt's
    prefill time. Planning takes cv² from ``SelfHostedAssumptions.prompt_length_cv2`` (1: exponential prompt lengths,
    which chat prompts are close to: the Azure trace's p90 is 2,734 / 1,155 = 2.37x its mean, llm-facts.md 3a, an
    exponential's ln 10 = 2.30x); a benchmark that sends fixed-length prompts has cv² = 0, half the wait;
  - one stream alone waits for nothing: nothing else runs.
These are independent arrivals, what a replica serving many users sees.
Little's law closes the loop: c = λ (TTFT + output tokens x ITL). The right side grows with λ from 0, and the one λ
below 1 / Q that solves it is found by bisection. Far past any latency target (TTFT of tens of seconds, fixed-length
prompts) no λ below that bound may reach c: the replica is saturated and the bound is returned.
The efficiency factors and overheads come from ``data/selfhosted_calibration.yaml``, fitted to published benchmarks.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from sizing.selfhosted.catalog import GPUInstance, GPUSpec, ModelSpec, WeightFormat

BISECTIONS = 64  # halvings of [0, 1 / a prompt's time): below a double's resolution of the rate
# vLLM's --max-num-batched-tokens for its OpenAI server when not given (EngineArgs.get_batch_defaults, the V1 engine of
# the image the stack pins): 8,192 on a GPU of 70 GiB or more that is not an A100 (vLLM PR #17885 found a large
# budget slows A100s), else 2,048. The plan passes it explicitly so that a later vLLM default cannot move it.
BATCHED_TOKENS_LARGE, BATCHED_TOKENS_SMALL, LARGE_GPU_MIB = 8192, 2048, 70 * 1024


def vllm_batched_tokens(gpu: str, gpu_memory_mib: int) -> int:
    """The tokens a vLLM step holds (decode tokens first, then prompt chunks) on this GPU."""
    large = gpu_memory_mib >= LARGE_GPU_MIB and not gpu.upper().startswith("A100")
    return BATCHED_TOKENS_LARGE if large else BATCHED_TOKENS_SMALL


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

    weights_read_s: float  # one read of a GPU's weight shard
    step_other_s: float  # what else a step costs whatever the batch: overhead, all-reduces
    step_per_sequence_s: float  # one more sequence's KV read
    prefill_s: float  # one prompt's compute
    input_tokens: int
    ttft_overhead_s: float
    output_tokens: int
    prompt_cv2: float  # squared coefficient of variation of a prompt's prefill time
    # Tokens a step may hold (vLLM --max-num-batched-tokens) where prompts are prefilled in the decode batch's steps
    # (chunked prefill, in-flight batching); 0 where a prefill runs in a step of its own (vLLM before chunked prefill).
    batched_tokens: int


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
    batched_tokens: int,
    kv_scale: float = 1.0,
) -> Replica:
    bandwidth = gpu.bandwidth_gb_s * 1e9 * factors.decode_efficiency
    context = input_tokens + output_tokens / 2  # the mean a sequence holds while it decodes
    comm = 2 * model.layers * factors.allreduce_s[instance.interconnect] if tp > 1 else 0.0
    kv_sequence = (context * model.kv_bytes_per_token + model.kv_bytes_per_sequence_fixed) * kv_scale
    return Replica(
        weights_read_s=model.weights_bytes(fmt) / tp / bandwidth,
        step_other_s=factors.step_overhead_s + comm,
        step_per_sequence_s=kv_sequence / tp / bandwidth,
        prefill_s=2
        * model.active_params_b
        * 1e9
        * input_tokens
        / (tp * gpu.tflops(fmt) * 1e12 * factors.prefill_efficiency),
        input_tokens=input_tokens,
        ttft_overhead_s=factors.ttft_overhead_s,
        output_tokens=output_tokens,
        prompt_cv2=prompt_cv2,
        batched_tokens=batched_tokens,
    )


def step(r: Replica, sequences: float) -> float:
    """A decode step with ``sequences`` in the batch."""
    return r.weights_read_s + r.step_other_s + sequences * r.step_per_sequence_s


def own_steps(r: Replica, decoding: float) -> float:
    """The steps a prompt's prefill spans while ``decoding`` sequences take a token each of every step's budget: one
    for a prompt that fits what they leave, else input / (budget - decoding) (a mean: a long prompt's last chunk
    shares its step with the next prompt when one waits); 0 where prefills run in steps of their own. Not rounded up:
    a step count that jumped with the streams would make turns/s fall and rise again."""
    if not r.batched_tokens:
        return 0.0
    return max(1.0, step_share(r, decoding))


def step_share(r: Replica, decoding: float) -> float:
    """A prompt's share of the steps that prefill it when prompts queue: vLLM fills each step's budget with as many
    waiting prompts' tokens as fit, so a prompt takes input / (budget - decoding) of a step, not whole ones."""
    if not r.batched_tokens:
        return 0.0
    return r.input_tokens / max(r.batched_tokens - decoding, 1.0)


def _in_steps(r: Replica, steps: float, decoding: float) -> float:
    """A prompt prefilled over ``steps`` of the batch's steps: its chunks compute while the weights stream in, so the
    steps take the longer of the prefill and their weight reads, plus the riding sequences' KV reads and the steps'
    overheads."""
    return max(r.prefill_s, steps * r.weights_read_s) + steps * (r.step_other_s + decoding * r.step_per_sequence_s)


def prompt_s(r: Replica, decoding: float) -> float:
    """How long a prompt takes from its first step to its first token with ``decoding`` sequences in the batch: its
    own steps (the prefill alone where the engine runs prefills in steps of their own)."""
    k = own_steps(r, decoding)
    return _in_steps(r, k, decoding) if k else r.prefill_s


def prompt_busy_s(r: Replica, decoding: float) -> float:
    """The GPU time a prompt holds when prompts queue (the prompt queue's service time): its share of full steps."""
    share = step_share(r, decoding)
    return _in_steps(r, share, decoding) if share else r.prefill_s


class Load(NamedTuple):
    """What the latencies at ``streams`` open depend on besides the rate, worked out once for the bisection."""

    streams: float
    decoding: float  # the others, decoding while one stream's prompt is prefilled
    own_s: float  # a prompt's own time to its first token
    busy_s: float  # the GPU time a prompt holds in the queue
    share: float  # its share of full steps: the tokens a decoding stream gets from it
    step_s: float  # a decode step with every stream in it
    step_before_s: float  # and with the others only


def load(r: Replica, streams: float) -> Load:
    # A benchmark's mean below one stream has no others.
    decoding = max(streams - 1, 0.0)
    return Load(
        streams=streams,
        decoding=decoding,
        own_s=prompt_s(r, decoding),
        busy_s=prompt_busy_s(r, decoding),
        share=step_share(r, decoding),
        step_s=step(r, streams),
        step_before_s=step(r, decoding),
    )


def latencies(r: Replica, at_load: Load, rate: float) -> tuple[float, float]:
    """Time to first token and inter-token latency at ``rate`` turns/s (below 1 / a prompt's GPU time).

    ``streams`` may be a mean (a benchmark's measured concurrency, calibration.py); a plan's is whole."""
    others = rate * at_load.decoding / at_load.streams  # the other streams' prompts a second
    busy = others * at_load.busy_s
    itl = 1 / (others * at_load.share + (1 - busy) / at_load.step_s)
    wait = 0.0
    if at_load.streams > 1:
        wait = at_load.step_before_s / 2 + busy * (1 + r.prompt_cv2) / (2 * (1 - busy)) * at_load.busy_s
    return r.ttft_overhead_s + at_load.own_s + wait, itl


def steady(r: Replica, streams: float) -> tuple[float, float, float]:
    """(turns/s, TTFT, ITL) with ``streams`` open on average: Little's law and the latencies, solved together."""
    at_load = load(r, streams)
    low, high = 0.0, 1 / at_load.busy_s
    for _ in range(BISECTIONS):
        rate = (low + high) / 2
        ttft, itl = latencies(r, at_load, rate)
        if rate * (ttft + r.output_tokens * itl) > streams:
            high = rate
        else:
            low = rate
    ttft, itl = latencies(r, at_load, low)
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
    """The most open streams (at most ``most``, the KV cache's) that keep both latencies within their targets, short
    of the streams where the replica's turns/s peak.

    Turns/s rise with the streams to a peak and then fall: near saturation every decoding sequence rides in the steps
    that prefill the prompts and slows them (its KV read), so past the peak more streams buy nothing. Up to the peak
    both latencies grow with the streams (tests/test_selfhosted_speed.py checks both shapes over the catalogs), so the
    peak is found by bisection on whether one more stream still adds turns/s, and then the largest count up to it
    that meets the targets; None when even one stream misses a target."""
    if most < 1:
        return None

    def ok(point: Point) -> bool:
        return point.ttft_s <= ttft_target and point.itl_s <= itl_target

    def rising(c: int) -> bool:
        return at(r, c + 1).turns_per_s > at(r, c).turns_per_s

    if not ok(at(r, 1)):
        return None
    first, peak = 1, most  # the peak lies in [first, peak]
    if most == 1 or rising(most - 1):
        first = most  # still rising at the KV cache's most (the usual case): no peak below it
    while first < peak:
        middle = (first + peak) // 2
        if rising(middle):
            first = middle + 1
        else:
            peak = middle
    low, high = 1, peak
    if ok(at(r, high)):
        low = high
    while high - low > 1:
        middle = (low + high) // 2
        if ok(at(r, middle)):
            low = middle
        else:
            high = middle
    return at(r, low)
