"""The speed model's shape over the whole catalog: both latencies grow with the open streams (operating_point's
bisection relies on it), Little's law holds at every point, one stream waits for nothing, and the bisection finds the
same operating point as counting up one stream at a time."""

from __future__ import annotations

import itertools

import pytest

from sizing.assumptions import SelfHostedAssumptions
from sizing.selfhosted.calibration import load_calibration
from sizing.selfhosted.catalog import load_gpu_catalog, load_model_catalog
from sizing.selfhosted.memory import memory
from sizing.selfhosted.speed import at, operating_point, replica

IN, OUT = 1155, 211
SH = SelfHostedAssumptions()


def _replicas():
    """Every distinct (model, format, GPU, interconnect, TP) that fits one mean turn, with the sequences it holds."""
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
                    mem = memory(model, fmt, instance, tp, SH.gpu_memory_utilization, SH.runtime_overhead_gib, IN + OUT)
                    if mem.sequences >= 1:
                        r = replica(
                            model, fmt, gpus.gpus[instance.gpu], instance, tp, IN, OUT, factors, SH.prompt_length_cv2
                        )
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
    points = [at(r, c) for c in _streams(most)]
    for before, after in itertools.pairwise(points):
        assert after.ttft_s >= before.ttft_s and after.itl_s >= before.itl_s, (before, after)
        assert after.turns_per_s >= before.turns_per_s, (before, after)
    for p in points:
        assert p.turns_per_s * (p.ttft_s + OUT * p.itl_s) == pytest.approx(p.streams, rel=1e-9)
        assert p.turns_per_s * r.prefill_s < 1  # prefill never takes the whole GPU
    one = points[0]
    assert one.ttft_s == pytest.approx(r.ttft_overhead_s + r.prefill_s, rel=1e-12)  # nothing else runs
    assert one.itl_s == pytest.approx(r.step_fixed_s + r.step_per_sequence_s, rel=1e-12)  # nor stalls its decode


@pytest.mark.parametrize(("key", "r", "most"), REPLICAS[::7], ids=[key for key, _, _ in REPLICAS[::7]])
def test_bisection_finds_the_last_stream_count_that_meets_both_targets(key, r, most):
    for ttft_target, itl_target in ((1.5, 0.06), (0.8, 0.04), (3.0, 0.1)):
        counted = None
        for c in range(1, min(most, 256) + 1):
            p = at(r, c)
            if p.ttft_s > ttft_target or p.itl_s > itl_target:
                break
            counted = p
        assert operating_point(r, min(most, 256), ttft_target, itl_target) == counted
