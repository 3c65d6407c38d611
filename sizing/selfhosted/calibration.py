"""The speed model's factors and the benchmark points they were fitted to (``data/selfhosted_calibration.yaml``)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from sizing.selfhosted.catalog import GPUCatalog, ModelCatalog, WeightFormat
from sizing.selfhosted.speed import SpeedFactors, at, replica

# A prediction further than this from a published point fails tests/test_selfhosted_calibration.py.
TOLERANCE = 0.25
SOURCE = "speed model calibrated to published serving benchmarks (sizing/data/selfhosted_calibration.yaml)"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Predicted(_Data):
    output_tokens_per_s: float
    ttft_s: float
    itl_s: float


class BenchmarkPoint(_Data):
    streams: int = Field(gt=0)
    output_tokens_per_s: float = Field(gt=0)
    ttft_s: float = Field(gt=0)
    itl_s: float = Field(gt=0)
    predicted: Predicted


class Benchmark(_Data):
    name: str
    source: str = Field(min_length=1)
    model: str
    weight_format: WeightFormat
    instance_type: str
    tensor_parallel_size: int
    input_tokens: int
    output_tokens: int
    # True where the benchmark's ITL is a request's whole time, first token included, over its output tokens
    # (llmperf); False where it is the time between tokens after the first (AIPerf, vLLM's benchmark).
    itl_whole_request: bool
    compare_throughput: bool
    points: tuple[BenchmarkPoint, ...]


class Calibration(_Data):
    as_of: str
    factors: SpeedFactors
    benchmarks: tuple[Benchmark, ...]

    def __hash__(self) -> int:
        return id(self)


def predict(bench: Benchmark, streams: int, factors: SpeedFactors, gpus: GPUCatalog, models: ModelCatalog) -> Predicted:
    """The model's figures for a benchmark at ``streams``, each as the benchmark measures it."""
    instance = gpus.instance_types[bench.instance_type]
    r = replica(
        models.model(bench.model),
        bench.weight_format,
        gpus.gpus[instance.gpu],
        instance,
        bench.tensor_parallel_size,
        bench.input_tokens,
        bench.output_tokens,
        factors,
    )
    point = at(r, streams)
    itl = point.itl_s
    if bench.itl_whole_request:  # the first token after TTFT, each of the other N - 1 one ITL later
        itl = (point.ttft_s + (bench.output_tokens - 1) * point.itl_s) / bench.output_tokens
    return Predicted(output_tokens_per_s=point.output_tokens_per_s, ttft_s=point.ttft_s, itl_s=itl)


def compared(bench: Benchmark, point: BenchmarkPoint, got: Predicted) -> tuple[tuple[str, float, float], ...]:
    """(metric, predicted, measured) for what the calibration holds to the tolerance: time to first token and
    inter-token latency at every point, output tokens/s where the benchmark's own numbers obey Little's law."""
    metrics = [("ttft_s", got.ttft_s, point.ttft_s), ("itl_s", got.itl_s, point.itl_s)]
    if bench.compare_throughput:
        metrics.append(("output_tokens_per_s", got.output_tokens_per_s, point.output_tokens_per_s))
    return tuple(metrics)


@cache
def load_calibration() -> Calibration:
    from sizing.data.packaged_data import read_data

    return Calibration.model_validate(read_data("selfhosted_calibration.yaml"))
