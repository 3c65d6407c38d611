"""Hand-built self-hosted serving plans (SelfHostedPlan), and a way to run the Pulumi program on a plan carrying one.

The capacity model that fills ``plan.llm.self_hosted`` is not needed to check what the stack declares from it: the
program's ``config.plan_for`` is swapped for one that puts a hand-built SelfHostedPlan on the engine's plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from stack_mocks import Run, StackMocks, run_program, use_stack_modules

from sizing.plan import IntRange, Range, SelfHostedPlan, SizingPlan

use_stack_modules()
import config as stack_config

# One GPU per replica, bf16 weights read from S3.
LLAMA_8B_L40S = SelfHostedPlan(
    model="meta-llama/Llama-3.1-8B-Instruct",
    weight_format="bf16",
    instance_type="g6e.xlarge",
    gpus_per_replica=1,
    tensor_parallel_size=1,
    replicas=IntRange(min=2, max=6),
    nodes=IntRange(min=2, max=6),
    max_model_len=8192,
    gpu_memory_utilization=0.9,
    max_num_seqs=64,
    max_num_batched_tokens=2048,
    kv_cache_tokens=190_000,
    output_tokens_per_s=1500.0,
    time_to_first_token_s=0.4,
    inter_token_latency_s=0.03,
    weights_gib=15.0,
    load_seconds=240.0,
    monthly_usd=Range(min=2700.0, max=8100.0),
    expected_monthly_usd=4000.0,
    source="hand-built for the stack tests",
)

# Tensor parallelism over the four GPUs of one node, FP8 weights downloaded from Hugging Face.
LLAMA_70B_TP4 = SelfHostedPlan(
    model="meta-llama/Llama-3.3-70B-Instruct",
    weight_format="fp8",
    quantization="fp8",  # dynamic fp8 from the bf16 checkpoint, as the capacity model plans it
    instance_type="g6e.12xlarge",
    gpus_per_replica=4,
    tensor_parallel_size=4,
    replicas=IntRange(min=2, max=4),
    nodes=IntRange(min=2, max=4),
    max_model_len=6144,
    gpu_memory_utilization=0.92,
    max_num_seqs=48,
    kv_cache_tokens=300_000,
    output_tokens_per_s=900.0,
    time_to_first_token_s=0.8,
    inter_token_latency_s=0.05,
    weights_gib=65.8,
    load_seconds=600.0,
    monthly_usd=Range(min=22000.0, max=44000.0),
    expected_monthly_usd=30000.0,
    source="hand-built for the stack tests",
)


def with_self_hosted(plan: SizingPlan, served: SelfHostedPlan) -> SizingPlan:
    assert plan.llm is not None
    llm = plan.llm.model_copy(update={"provider": "vllm", "model": served.model, "self_hosted": served})
    return plan.model_copy(update={"llm": llm})


@contextmanager
def self_hosting(served: SelfHostedPlan) -> Iterator[None]:
    """While open, the program's plan serves ``served`` on its own GPUs."""
    engine = stack_config.plan_for
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            stack_config, "plan_for", lambda *args, **kwargs: with_self_hosted(engine(*args, **kwargs), served)
        )
        yield


def run_self_hosted(
    served: SelfHostedPlan,
    config: dict[str, Any],
    secret_keys: list[str] | None = None,
    mocks: StackMocks | None = None,
) -> Run:
    with self_hosting(served):
        return run_program(config, secret_keys=secret_keys, mocks=mocks)
