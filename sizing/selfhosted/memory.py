"""What fits on a GPU: weights, vLLM's runtime overhead and the KV cache, within ``gpu_memory_utilization``.

vLLM reserves ``gpu_memory_utilization`` of each GPU, loads its shard of the weights (a 1/TP share), keeps some for
activations and CUDA graphs, and gives the rest to the paged KV cache (docs.vllm.ai "GPU KV cache size: N tokens").
A sequence holds its prompt and its answer so far; pages are allocated as it grows, so the mean turn sets how many
sequences share the cache, and ``max_model_len`` only has to fit at least once.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.selfhosted.catalog import GIB, GPUInstance, ModelSpec, WeightFormat

MIB = 1024**2


class Memory(NamedTuple):
    weights_bytes_per_gpu: float
    kv_budget_bytes: float  # per replica, all its GPUs
    kv_tokens: int  # per replica
    sequences: int  # concurrent sequences of the mean turn the cache holds


def memory(
    model: ModelSpec,
    fmt: WeightFormat,
    instance: GPUInstance,
    tp: int,
    utilization: float,
    overhead_gib: float,
    tokens_per_sequence: int,
    kv_scale: float = 1.0,
) -> Memory:
    """Per GPU: usable MiB x utilization - overhead - weights / TP; the KV budget is that times TP.

    ``kv_scale``: the KV cache's bytes over the model's bf16 ones (0.5 for an FP8 KV cache; the plans keep 1)."""
    weights = model.weights_bytes(fmt) / tp
    per_gpu = instance.gpu_memory_mib * MIB * utilization - overhead_gib * GIB - weights
    budget = max(per_gpu, 0.0) * tp
    per_token = model.kv_bytes_per_token * kv_scale
    tokens = int(budget // per_token)
    fixed = model.kv_bytes_per_sequence_fixed * kv_scale
    sequences = int(budget // (tokens_per_sequence * per_token + fixed))
    return Memory(weights, budget, tokens, sequences)
