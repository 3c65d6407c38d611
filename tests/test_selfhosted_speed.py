"""The speed model's shape over the whole catalog: turns/s rise with the open streams to one peak, and up to it both
latencies grow (operating_point's bisections rely on both), Little's law holds at every point, one stream waits for nothing, and the bisection finds the
same operating point as counting up one stream at a time."""

from __future__ import annotations

import itertools

import pytest

from sizing.assumptions import SelfHostedAssumptions
from sizing.selfhosted.calibration import load_calibration
from sizing.selfhosted.catalog import load_gpu_catalog, load_model_catalog
from sizing.selfhosted.memory import memory
from sizing.selfhosted.speed import (
    at,
    operating_point,
    prompt_busy_s,
    prompt_s,
    replica,
    step,
    vllm_batched_tokens,
)

IN, OUT = 1155, 211
SH = SelfHostedAssumptions()


def _replicas(inp: int = IN, out: int = OUT):
    """Every distinct (model, format, GPU, interconnect, TP) that fits one turn of ``inp`` + ``out`` tokens, with the
    sequences it holds."""
    gpus, models, factors = load_gpu_catalog(), load_model_catalog(), load_calibration().factors
    seen, found = set(), []
    for name, model in models.models.items():
        for fmt in model.weight_formats:
            for instance in gpus.instance_types.values():
                for tp in (1, 2, 4, 8):
                    key = (name, fmt, instance.gpu, instance.interconnect, tp)
                    if tp > instance.gpus or not model.tensor_parallel_ok(tp) or key in seen:
                        continue
                    seen.add(key)
                    mem = memory(
                        model, fmt, instance, tp, SH.gpu_memory_utilization, SH.runtime_overhead_gib, inp + out
                    )
                    if mem.sequences >= 1:
                        batched = vllm_batched_tokens(instance.gpu, instance.gpu_memory_mib)
                        gpu = gpus.gpus[instance.gpu]
                        r = replica(model, fmt, gpu, instance, tp, inp, out, factors, SH.prompt_length_cv2, batched)
                        found.append((" ".join(map(str, key)), r, min(mem.sequences, 1024)))
    return found


REPLICAS = _replicas()


def _streams(most: int) -> list[int]:
    """Every count up to 64, then about 10% apart up to the most the cache holds."""
    counts = list(range(1, min(most, 64) + 1))
    while counts[-1] < most:
        counts.append(min(most, int(counts[-1] * 1.1) + 1))
    return counts


def test_the_catalog_gives_replicas_of_every_gpu():
    assert len(REPLICAS) > 50
    assert {key.split()[2] for key, _, _ in REPLICAS} >= {"A10G", "L4", "L40S", "A100-80GB", "H100", "H200"}
    assert {key.split()[-1] for key, _, _ in REPLICAS} >= {"1", "2", "4", "8"}


@pytest.mark.parametrize(("key", "r", "most"), REPLICAS, ids=[key for key, _, _ in REPLICAS])
def test_latencies_grow_with_the_streams_and_littles_law_holds(key, r, most):
    _check_shape(r, most)


# Other turn shapes than the chat mean: a long prompt with a short answer (prefill-bound; prompts span several steps
# of a 2,048-token budget) and a short prompt with a long answer (decode-bound). Every fifth configuration.
SHAPES = [(8000, 100), (200, 1000)]
OTHER = [(f"{key} {inp}/{out}", r, most) for inp, out in SHAPES for key, r, most in _replicas(inp, out)[::5]]


@pytest.mark.parametrize(("key", "r", "most"), OTHER, ids=[key for key, _, _ in OTHER])
def test_the_shape_holds_at_other_turn_shapes(key, r, most):
    _check_shape(r, most)


def _check_shape(r, most):
    points = [at(r, c) for c in _streams(most)]
    peak = max(range(len(points)), key=lambda i: points[i].turns_per_s)
    for i, (before, after) in enumerate(itertools.pairwise(points)):
        # turns/s rise to one peak, then fall; up to it (where operating_point looks) both latencies grow
        assert (after.turns_per_s >= before.turns_per_s) == (i < peak), (before, after)
        if i < peak:
            assert after.ttft_s >= before.ttft_s and after.itl_s >= before.itl_s, (before, after)
    for p in points:
        assert p.turns_per_s * (p.ttft_s + r.output_tokens * p.itl_s) == pytest.approx(p.streams, rel=1e-9)
        assert p.turns_per_s * prompt_busy_s(r, p.streams - 1) < 1  # prompts never take the whole GPU
    one = points[0]
    assert one.ttft_s == pytest.approx(r.ttft_overhead_s + prompt_s(r, 0), rel=1e-12)  # nothing else runs
    assert one.itl_s == pytest.approx(step(r, 1), rel=1e-12)  # nor shares its decode


@pytest.mark.parametrize(("key", "r", "most"), REPLICAS[::7], ids=[key for key, _, _ in REPLICAS[::7]])
def test_bisection_finds_the_last_stream_count_that_meets_both_targets_short_of_the_peak(key, r, most):
    for ttft_target, itl_target in ((1.5, 0.06), (0.8, 0.04), (3.0, 0.1), (30.0, 1.0)):
        counted = None
        for c in range(1, min(most, 256) + 1):
            p = at(r, c)
            if p.ttft_s > ttft_target or p.itl_s > itl_target:
                break
            if counted is not None and p.turns_per_s <= counted.turns_per_s:
                break  # past the peak
            counted = p
        assert operating_point(r, min(most, 256), ttft_target, itl_target) == counted


def test_the_step_budget_is_vllms_default_for_the_gpu():
    """8,192 tokens on a GPU of 70 GiB or more that is not an A100, else 2,048 (vLLM's EngineArgs defaults)."""
    budgets = {
        gpu: vllm_batched_tokens(gpu, mib)
        for gpu, mib in (("A10G", 22888), ("L4", 22888), ("L40S", 45776), ("A100-80GB", 81920), ("H100", 81920))
    }
    assert budgets == {"A10G": 2048, "L4": 2048, "L40S": 2048, "A100-80GB": 2048, "H100": 8192}
    assert vllm_batched_tokens("H200", 144384) == 8192


def test_a_prompt_longer_than_the_step_budget_spans_several_steps():
    """Llama-3.1-8B bf16 on one A10G, 5,000-token prompts, one stream: 5,000 / 2,048 = 2.44 steps' worth (a mean, not
    rounded up), each computing a chunk while the weights stream in (the compute is longer) plus the step overhead;
    with 11 streams the 10 others take a token each of every step, 5,000 / 2,038 = 2.45, and add their KV reads."""
    gpus, models, f = load_gpu_catalog(), load_model_catalog(), load_calibration().factors
    instance = gpus.instance_types["g5.2xlarge"]
    model = models.model("meta-llama/Llama-3.1-8B-Instruct")
    r = replica(model, "bf16", gpus.gpus["A10G"], instance, 1, 5000, 200, f, 1.0, 2048)
    prefill = 2 * model.active_params_b * 1e9 * 5000 / (125e12 * f.prefill_efficiency)
    weights_read = model.weights_bytes("bf16") / (600e9 * f.decode_efficiency)
    assert prefill > 3 * weights_read
    assert prompt_s(r, 0) == pytest.approx(prefill + 5000 / 2048 * f.step_overhead_s, rel=1e-12)
    ten = 5000 / 2038 * (f.step_overhead_s + 10 * r.step_per_sequence_s)
    assert prompt_s(r, 10) == pytest.approx(prefill + ten, rel=1e-12)
    assert prompt_s(r, 100) == pytest.approx(prefill + 5000 / 1948 * (f.step_overhead_s + 100 * r.step_per_sequence_s))
    # Queued, a long prompt holds the same share of full steps as its own.
    assert prompt_busy_s(r, 10) == pytest.approx(prefill + ten, rel=1e-12)
    # A short prompt's chunk computes faster than the weights stream in: its step is the weights' read.
    short = replica(model, "bf16", gpus.gpus["A10G"], instance, 1, 20, 200, f, 1.0, 2048)
    assert prompt_s(short, 0) == pytest.approx(weights_read + f.step_overhead_s, rel=1e-12)
    # Queued, short prompts share full steps: one of 20 tokens holds 20 / 2,038 of a step's overhead and riders (and
    # of its weight read, under its compute), not a whole step.
    share = 20 / (2048 - 10)
    short_prefill = prefill * 20 / 5000
    held = max(short_prefill, share * weights_read) + share * (f.step_overhead_s + 10 * short.step_per_sequence_s)
    assert prompt_busy_s(short, 10) == pytest.approx(held, rel=1e-12)
    # An engine that prefills in steps of its own: the prefill alone, and decode stalls for it.
    own = replica(model, "bf16", gpus.gpus["A10G"], instance, 1, 5000, 200, f, 1.0, 0)
    assert prompt_s(own, 10) == prompt_busy_s(own, 10) == pytest.approx(prefill, rel=1e-12)
