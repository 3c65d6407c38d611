"""The model and GPU instance catalogs (``data/selfhosted_models.yaml``, ``data/gpu_instances.yaml``), validated once."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sizing.errors import SizingError

WeightFormat = Literal["bf16", "fp8", "int4"]
GIB = 1024**3


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightFormatSpec(_Data):
    bytes_per_param: float = Field(gt=0, le=4)
    quantization: str | None = None  # vLLM --quantization; None: the checkpoint's own
    checkpoint: str | None = None  # the Hugging Face repository of this format when it is not the model's own


class ModelSpec(_Data):
    source: str = Field(min_length=1)
    params_b: float = Field(gt=0)
    active_params_b: float = Field(gt=0)
    embedding_params_b: float = Field(ge=0)
    layers: int = Field(gt=0)
    sliding_window_layers: int = Field(default=0, ge=0)
    sliding_window: int = Field(default=0, ge=0)
    attention_heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    max_context: int = Field(gt=0)
    weight_formats: dict[WeightFormat, WeightFormatSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.active_params_b > self.params_b or self.sliding_window_layers > self.layers:
            raise ValueError("active params and sliding-window layers cannot exceed the whole")
        return self

    def __hash__(self) -> int:
        # Cached work is keyed by the model; the catalog is loaded once, so its identity is the key.
        return id(self)

    def weights_bytes(self, fmt: WeightFormat) -> float:
        return self.params_b * 1e9 * self.weight_formats[fmt].bytes_per_param

    @property
    def kv_bytes_per_token(self) -> int:
        """bf16 K and V of every full-attention layer: what each token a sequence holds costs."""
        return 2 * (self.layers - self.sliding_window_layers) * self.kv_heads * self.head_dim * 2

    @property
    def kv_bytes_per_sequence_fixed(self) -> int:
        """The sliding-window layers' K and V, at most ``sliding_window`` tokens of each sequence."""
        return 2 * self.sliding_window_layers * self.kv_heads * self.head_dim * 2 * self.sliding_window

    def tensor_parallel_ok(self, tp: int) -> bool:
        """vLLM splits attention heads (and KV heads, or replicates them) across the TP group."""
        return self.attention_heads % tp == 0 and (self.kv_heads % tp == 0 or tp % self.kv_heads == 0)


class GPUSpec(_Data):
    memory_gb: float = Field(gt=0)
    bandwidth_gb_s: float = Field(gt=0)
    bf16_tflops: float = Field(gt=0)
    fp8_tflops: float | None = Field(default=None, gt=0)
    compute_capability: str

    def tflops(self, fmt: WeightFormat) -> float:
        """FP8 weights multiply in FP8 only where the GPU has FP8 tensor cores; elsewhere (and int4) in bf16."""
        return self.fp8_tflops if fmt == "fp8" and self.fp8_tflops is not None else self.bf16_tflops


class GPUInstance(_Data):
    gpu: str
    gpus: int = Field(gt=0)
    gpu_memory_mib: int = Field(gt=0)
    vcpu: int = Field(gt=0)
    memory_gib: float = Field(gt=0)
    interconnect: Literal["pcie", "nvlink"]
    max_pods: int = Field(gt=2)  # the VPC CNI's: ENIs x (IPv4 per ENI - 1) + 2
    ipv4_per_eni: int = Field(gt=1)


class GPUCatalog(_Data):
    as_of: str
    gpus: dict[str, GPUSpec]
    instance_types: dict[str, GPUInstance]

    @model_validator(mode="after")
    def _known_gpus(self) -> GPUCatalog:
        for name, instance in self.instance_types.items():
            if instance.gpu not in self.gpus:
                raise ValueError(f"{name}: unknown GPU {instance.gpu}")
        return self

    def __hash__(self) -> int:
        return id(self)


class ModelCatalog(_Data):
    as_of: str
    models: dict[str, ModelSpec]

    def __hash__(self) -> int:
        return id(self)

    def model(self, name: str) -> ModelSpec:
        found = self.models.get(name) or next((m for n, m in self.models.items() if n.lower() == name.lower()), None)
        if found is None:
            raise SizingError(
                f"unknown self-hosted model {name!r}; known: {', '.join(self.models)} "
                "(write it as --llm vllm:MODEL, e.g. vllm:meta-llama/Llama-3.1-8B-Instruct)",
                field="llm",
            )
        return found

    def canonical(self, name: str) -> str:
        self.model(name)
        return next(n for n in self.models if n.lower() == name.lower())


@cache
def load_gpu_catalog() -> GPUCatalog:
    from sizing.data.packaged_data import read_data

    return GPUCatalog.model_validate(read_data("gpu_instances.yaml"))


@cache
def load_model_catalog() -> ModelCatalog:
    from sizing.data.packaged_data import read_data

    return ModelCatalog.model_validate(read_data("selfhosted_models.yaml"))
