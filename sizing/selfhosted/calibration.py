"""The speed model's factors and the benchmark points they were fitted to (``data/selfhosted_calibration.yaml``)."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sizing.selfhosted.catalog import GPUCatalog, ModelCatalog, WeightFormat
from sizing.selfhosted.speed import SpeedFactors, replica, steady

# A prediction further than this from a published point fails tests/test_selfhosted_calibration.py.
TOLERANCE = 0.25
# The fit's honest worst (26.63%, selfhosted_calibration.yaml's header): a metric a point records in
# ``outside_tolerance``, with the reason, is held to this instead, and must really be outside TOLERANCE.
OUTSIDE_TOLERANCE_BOUND = 0.27
KV_SCALE = {"auto": 1.0, "fp8": 0.5}  # KV cache bytes over the model's bf16 ones
SOURCE = "speed model calibrated to published serving benchmarks (sizing/data/selfhosted_calibration.yaml)"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Predicted(_Data):
    output_tokens_per_s: float
    ttft_s: float
    itl_s: float


class BenchmarkPoint(_Data):
    streams: int = Field(gt=0)  # the benchmark's nominal concurrency
    # The mean concurrency the server saw, where the run's own Little's law puts it below the nominal (llmperf: 100
    # requests a run, so ramp-up and tail thin the load), with how it was derived; the prediction is made there.
    effective_streams: float | None = Field(default=None, gt=0)
    effective_streams_from: str | None = None
    output_tokens_per_s: float = Field(gt=0)
    ttft_s: float = Field(gt=0)
    itl_s: float = Field(gt=0)
    predicted: Predicted
    outside_tolerance: dict[Literal["ttft_s", "itl_s", "output_tokens_per_s"], str] = {}  # metric: why

    @model_validator(mode="after")
    def _effective_with_its_derivation(self) -> BenchmarkPoint:
        if (self.effective_streams is None) != (self.effective_streams_from is None):
            raise ValueError("give effective_streams with effective_streams_from (how it was derived)")
        return self

    @property
    def mean_streams(self) -> float:
        return self.streams if self.effective_streams is None else self.effective_streams


class Benchmark(_Data):
    name: str
    source: str = Field(min_length=1)
    model: str
    weight_format: WeightFormat
    kv_cache_dtype: Literal["auto", "fp8"]  # auto: the model's (bf16)
    kv_cache_dtype_from: str = Field(min_length=1)
    instance_type: str
    tensor_parallel_size: int
    # Tokens a step may hold where the engine prefills prompts in the decode batch's steps (TensorRT-LLM's in-flight
    # batching, vLLM's chunked prefill); 0 where a prefill runs in a step of its own (vLLM 0.4's default).
    batched_tokens: int = Field(ge=0)
    batched_tokens_from: str = Field(min_length=1)
    # Tokens as the server counted them (the model's own tokenizer): what it prefilled and decoded.
    input_tokens: int
    output_tokens: int
    # Where the benchmark's client counts tokens with another tokenizer (llmperf: Llama-2's), its count of the same
    # answer: its ITL and tok/s are per client token. None: the client counts the server's tokens.
    client_output_tokens: float | None = Field(default=None, gt=0)
    tokens_from: str = Field(min_length=1)
    # Squared coefficient of variation of the prompts' prefill time (0: every prompt the same length).
    prompt_cv2: float = Field(ge=0)
    # True where the benchmark's ITL is a request's whole time, first token included, over its output tokens
    # (llmperf); False where it is the time between tokens after the first (AIPerf, vLLM's benchmark).
    itl_whole_request: bool
    compare_throughput: bool
    points: tuple[BenchmarkPoint, ...]

    @property
    def counted_output_tokens(self) -> float:
        """The answer's length in the tokens the benchmark's figures are per."""
        return self.output_tokens if self.client_output_tokens is None else self.client_output_tokens


class Calibration(_Data):
    as_of: str
    factors: SpeedFactors
    benchmarks: tuple[Benchmark, ...]

    def __hash__(self) -> int:
        return id(self)


def predict(
    bench: Benchmark, streams: float, factors: SpeedFactors, gpus: GPUCatalog, models: ModelCatalog
) -> Predicted:
    """The model's figures for a benchmark at ``streams`` (mean) open, each as the benchmark measures it."""
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
        bench.prompt_cv2,
        bench.batched_tokens,
        KV_SCALE[bench.kv_cache_dtype],
    )
    rate, ttft, itl = steady(r, streams)
    if bench.itl_whole_request:  # the first token after TTFT, each of the server's other N - 1 one ITL later
        itl = (ttft + (bench.output_tokens - 1) * itl) / bench.counted_output_tokens
    return Predicted(output_tokens_per_s=rate * bench.counted_output_tokens, ttft_s=ttft, itl_s=itl)


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
