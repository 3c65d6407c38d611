"""The LLM panel's rows for a self-hosted model (``--llm vllm:MODEL``), each figure with where it comes from."""

from __future__ import annotations

from sizing.cli.formats import money, money_range
from sizing.plan import LLMPlan


def self_hosted_rows(plan: LLMPlan) -> list[tuple[str, str]]:
    sh, even = plan.self_hosted, plan.break_even
    assert sh is not None
    a_targets = "targets: llm.self_hosted.target_*"
    rows = [
        ("Model", f"{plan.provider_name} {sh.model} ({sh.weight_format}, loads {sh.checkpoint})"),
        (
            "Deployment",
            f"{sh.replicas.min}-{sh.replicas.max} vLLM replicas on {sh.nodes.min}-{sh.nodes.max} x {sh.instance_type} "
            f"({sh.gpu}, tensor parallel {sh.tensor_parallel_size}, {sh.replicas_per_node} per node); "
            f"{sh.selection_rule}",
        ),
        (
            "Per Replica",
            f"{sh.max_num_seqs} streams (--max-num-seqs), {sh.output_tokens_per_s:,.0f} output tokens/s, KV cache "
            f"{sh.kv_cache_tokens:,} tokens at --gpu-memory-utilization {sh.gpu_memory_utilization:g}, "
            f"--max-model-len {sh.max_model_len:,}, --max-num-batched-tokens {sh.max_num_batched_tokens:,} "
            f"(vLLM's default for the {sh.gpu}; source: {sh.source})",
        ),
        (
            "Latency at Peak",
            f"time to first token {sh.time_to_first_token_s:.2f} s, inter-token {sh.inter_token_latency_s * 1000:.0f} "
            f"ms ({a_targets}; "
            + (
                "the first token predicted, the rest what your measurement leaves by Little's law)"
                if sh.measured
                else "predicted by the same model)"
            ),
        ),
        (
            "Weights and Start",
            f"{sh.weights_gib:,.1f} GiB per replica (data/selfhosted_models.yaml); ready {sh.load_seconds:,.0f} s "
            f"after its node, {sh.scale_up_lag_s:,.0f} s from scale-up (llm.self_hosted.node_start_s, "
            "engine_start_s, weight_load_gib_per_s)",
        ),
        (
            "Open Streams",
            f"{plan.peak.open_streams:,.0f} at peak, {plan.peak.stream_seconds:.1f} s each "
            f"(p90 {plan.peak.stream_seconds_p90:.1f} s)",
        ),
        (
            "LLM Cost",
            f"{money_range(plan.monthly_usd.min, plan.monthly_usd.max)} / month, {money(plan.expected_monthly_usd)} "
            "expected: GPU nodes, weights in S3, image and weight pulls (no token line; each in the cost breakdown)",
        ),
    ]
    if even is not None:
        rows.append(("Break-even", f"{even.summary} ({even.source})"))
    if sh.alternatives:
        rows.append(
            (
                "Runner-ups",
                "; ".join(
                    f"{o.instance_type} {o.weight_format} TP{o.tensor_parallel_size}: {money(o.expected_monthly_usd)} "
                    f"expected, {o.replicas.min}-{o.replicas.max} replicas"
                    for o in sh.alternatives
                ),
            )
        )
    rows.append(("Limits", sh.limits))
    return rows
