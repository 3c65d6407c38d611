"""The speed model against every published benchmark point it was calibrated to: within ±25%, and the predictions
recorded beside each point are what the model says today (so the table cannot drift from the code)."""

from __future__ import annotations

import pytest

from sizing.selfhosted.calibration import TOLERANCE, load_calibration
from sizing.selfhosted.catalog import load_gpu_catalog, load_model_catalog
from sizing.selfhosted.speed import at, replica

CALIBRATION = load_calibration()
CASES = [(b, p) for b in CALIBRATION.benchmarks for p in b.points]


def _predict(bench, point):
    gpus, models = load_gpu_catalog(), load_model_catalog()
    instance = gpus.instance_types[bench.instance_type]
    r = replica(
        models.model(bench.model),
        bench.weight_format,
        gpus.gpus[instance.gpu],
        instance,
        bench.tensor_parallel_size,
        bench.input_tokens,
        bench.output_tokens,
        CALIBRATION.factors,
    )
    return at(r, point.streams)


def test_the_table_has_sourced_points_for_two_gpus_and_tensor_parallelism():
    assert len(CASES) >= 7
    assert {b.instance_type for b in CALIBRATION.benchmarks} >= {"g5.2xlarge", "p5.48xlarge"}
    assert any(b.tensor_parallel_size > 1 for b in CALIBRATION.benchmarks)
    assert all((b.source and "@" in b.source) or "docs.nvidia.com" in b.source for b in CALIBRATION.benchmarks)


@pytest.mark.parametrize(("bench", "point"), CASES, ids=[f"{b.instance_type}-c{p.streams}" for b, p in CASES])
def test_prediction_within_tolerance_of_the_benchmark(bench, point):
    got = _predict(bench, point)
    metrics = [("itl_s", got.itl_s, point.itl_s)]
    if point.streams == 1:
        metrics.append(("ttft_s", got.ttft_s, point.ttft_s))
    if bench.compare_throughput:
        metrics.append(("output_tokens_per_s", got.output_tokens_per_s, point.output_tokens_per_s))
    for name, predicted, measured in metrics:
        assert abs(predicted / measured - 1) <= TOLERANCE, (name, predicted, measured)


@pytest.mark.parametrize(("bench", "point"), CASES, ids=[f"{b.instance_type}-c{p.streams}" for b, p in CASES])
def test_recorded_prediction_is_the_models(bench, point):
    got = _predict(bench, point)
    recorded = point.predicted
    assert got.output_tokens_per_s == pytest.approx(recorded.output_tokens_per_s, rel=0.01)
    assert got.ttft_s == pytest.approx(recorded.ttft_s, rel=0.01)
    assert got.itl_s == pytest.approx(recorded.itl_s, rel=0.01)


def test_the_excluded_throughputs_break_littles_law():
    """Throughput is compared only where the benchmark's own numbers agree with Little's law (the yaml says why)."""
    for bench in CALIBRATION.benchmarks:
        for p in bench.points:
            implied = p.streams * bench.output_tokens / (p.ttft_s + bench.output_tokens * p.itl_s)
            consistent = abs(implied / p.output_tokens_per_s - 1) <= 0.1
            if p.streams > 1:
                assert consistent == bench.compare_throughput, (bench.name, p.streams, implied)
