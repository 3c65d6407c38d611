"""The speed model's factors and the benchmark points they were fitted to (``data/selfhosted_calibration.yaml``)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from sizing.selfhosted.catalog import WeightFormat
from sizing.selfhosted.speed import SpeedFactors

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
    compare_throughput: bool
    points: tuple[BenchmarkPoint, ...]


class Calibration(_Data):
    as_of: str
    factors: SpeedFactors
    benchmarks: tuple[Benchmark, ...]

    def __hash__(self) -> int:
        return id(self)


@cache
def load_calibration() -> Calibration:
    from sizing.data.packaged_data import read_data

    return Calibration.model_validate(read_data("selfhosted_calibration.yaml"))
