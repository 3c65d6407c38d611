"""Bad self-hosted input: one clear line, exit status 2, no traceback."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sizing.cli.command import main
from sizing.data.pricing import region_entry, region_prices


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(capsys, *args) -> str:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_an_unknown_model_names_the_known_ones(capsys):
    err = one_line(capsys, "report", "-c", "100", "--llm", "vllm:meta-llama/Llama-9-1T")
    assert err.startswith("sizing: error: --llm: unknown self-hosted model 'meta-llama/Llama-9-1T'; known: ")
    assert "meta-llama/Llama-3.1-8B-Instruct" in err


def test_a_model_that_fits_no_gpu_offered_in_the_region(capsys, tmp_path):
    entry = region_entry(region_prices("us-east-1"))
    entry["gpu_hour"] = {"g5.xlarge": 1.006, "g6.xlarge": 0.8048}  # only 24 GB GPUs, one a node
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump({"regions": {"us-east-1": entry}}))
    err = one_line(
        capsys, "report", "-c", "100", "--llm", "vllm:meta-llama/Llama-3.3-70B-Instruct", "--prices", str(path)
    )
    assert "fits no GPU instance offered in us-east-1" in err and "(the largest holds 22 GiB)" in err


def test_a_model_that_fits_no_pinned_gpu(capsys, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("llm: {self_hosted: {instance_type: g6.xlarge}}\n")
    err = one_line(capsys, "report", "-c", "100", "--llm", "vllm:openai/gpt-oss-120b", "--assumptions", str(path))
    assert "fits no g6.xlarge (pinned) offered in us-east-1 (the largest holds 22 GiB)" in err


def test_targets_no_gpu_can_meet(capsys, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("llm: {self_hosted: {target_inter_token_latency_s: 0.001}}\n")
    err = one_line(
        capsys, "report", "-c", "100", "--llm", "vllm:meta-llama/Llama-3.1-8B-Instruct", "--assumptions", str(path)
    )
    assert "within the targets" in err and "inter-token latency 0.001 s" in err


@pytest.mark.parametrize(
    ("assumptions", "message"),
    [
        ("llm: {self_hosted: {instance_type: m5.large}}", "'m5.large' is not a GPU instance type"),
        ("llm: {self_hosted: {weight_format: fp4}}", "weight_format"),
        ("llm: {self_hosted: {measured_tokens_per_s: 400}}", "give measured_tokens_per_s and measured_concurrency"),
        (
            "llm: {self_hosted: {measured_tokens_per_s: 400, measured_concurrency: 8}}",
            "a measurement is of one deployment",
        ),
        ("llm: {self_hosted: {max_model_len: 200000}}", "above meta-llama/Llama-3.1-8B-Instruct's context"),
    ],
)
def test_bad_self_hosted_assumptions(capsys, tmp_path, assumptions, message):
    path = tmp_path / "a.yaml"
    path.write_text(assumptions + "\n")
    err = one_line(
        capsys, "report", "-c", "100", "--llm", "vllm:meta-llama/Llama-3.1-8B-Instruct", "--assumptions", str(path)
    )
    assert message in err


@pytest.mark.parametrize(
    ("compare", "message"),
    [
        ("vllm:Qwen/Qwen2.5-32B-Instruct", "expected an API model"),
        # Well formed but unknown: still the comparison's flag that is named, not --llm.
        ("openai:gpt-99", "unknown OpenAI model 'gpt-99'"),
    ],
)
def test_llm_compare_must_be_a_known_api_model(capsys, compare, message):
    err = one_line(
        capsys, "report", "-c", "100", "--llm", "vllm:meta-llama/Llama-3.1-8B-Instruct", "--llm-compare", compare
    )
    assert err.startswith(f"sizing: error: --llm-compare: {message}")


def test_report_and_compare_take_a_self_hosted_model(capsys):
    code, out, err = run(
        capsys, "report", "-c", "500", "--llm", "vllm:Qwen/Qwen2.5-32B-Instruct", "--llm-compare", "openai:gpt-4o-mini"
    )
    assert code == 0, err
    assert "vLLM (self-hosted) Qwen/Qwen2.5-32B-Instruct" in out and "openai:gpt-4o-mini" in out
    assert "predicted, not measured" in out and "vllm bench serve" in out
    assert "--max-num-batched-tokens" in " ".join(out.split())  # the step budget the speed model assumed
    code, out, err = run(capsys, "compare", "300", "3000", "--llm", "vllm:openai/gpt-oss-120b", "--format", "json")
    assert code == 0, err
    import json

    plans = json.loads(out)
    assert [p["llm"]["self_hosted"]["model"] for p in plans] == ["openai/gpt-oss-120b"] * 2
    code, out, err = run(
        capsys, "compare", "300", "--llm", "vllm:openai/gpt-oss-120b", "--llm", "none", "--format", "markdown"
    )
    assert code == 0, err
    gpu_row = next(line for line in out.splitlines() if line.startswith("| LLM GPU nodes"))
    sh = plans[0]["llm"]["self_hosted"]
    assert f"{sh['nodes']['min']}-{sh['nodes']['max']} x {sh['instance_type']}" in gpu_row and gpu_row.endswith("| - |")


def test_the_python_api_and_the_json_contract_carry_the_self_hosted_plan():
    from sizing import SizingPlan, Workload, calculate

    plan = calculate(Workload(concurrent_users=2000, llm="vllm:meta-llama/Llama-3.3-70B-Instruct"))
    data = plan.model_dump(mode="json")
    sh, even = data["llm"]["self_hosted"], data["llm"]["break_even"]
    # every field of the stack's contract is filled
    for field in (
        "model",
        "weight_format",
        "instance_type",
        "gpus_per_replica",
        "tensor_parallel_size",
        "max_model_len",
        "gpu_memory_utilization",
        "max_num_seqs",
        "kv_cache_tokens",
        "output_tokens_per_s",
        "time_to_first_token_s",
        "inter_token_latency_s",
        "weights_gib",
        "load_seconds",
        "expected_monthly_usd",
        "source",
        "max_num_batched_tokens",
    ):
        assert sh[field] not in (None, "", 0), field
    # vLLM's step budget for the plan's GPU: 8,192 on one of 70 GiB or more that is not an A100, else 2,048
    assert sh["max_num_batched_tokens"] == (8192 if sh["gpu"] in ("H100", "H200") else 2048)
    assert sh["replicas"]["min"] >= 2 and sh["nodes"]["max"] >= sh["nodes"]["min"] >= 1
    assert sh["tensor_parallel_size"] > 1  # 141 GB of bf16 or 73 GB of fp8 weights: never one GPU
    assert even["api_model"] == "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
    keys = [i["key"] for i in data["cost"]["breakdown"]]
    assert "llm_api" not in keys and {"llm_gpu_nodes", "llm_weights_storage", "llm_weights_transfer"} <= set(keys)
    assert data["cost"]["llm_expected_monthly_usd"] == pytest.approx(
        sum(i["expected_monthly_usd"] for i in data["cost"]["breakdown"] if i["key"].startswith("llm_")), abs=0.02
    )
    assert SizingPlan.model_validate(data) == plan  # the contract reads back


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(["meta-llama/Llama-3.1-8B-Instruct", "openai/gpt-oss-120b"])
    | st.text(st.characters(exclude_characters="\x00"), max_size=30),
    compare=st.sampled_from(["openai:gpt-4o-mini", "vllm:x", "none", ""])
    | st.text(st.characters(exclude_characters="\x00"), max_size=30),
)
def test_any_text_as_a_self_hosted_model_or_its_comparison_is_a_plan_or_one_line(model, compare):
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["report", "-c", "100", "--llm", f"vllm:{model}", "--llm-compare", compare, "--format", "json"])
    assert "Traceback" not in err.getvalue()
    if code == 0:
        assert out.getvalue().startswith("{")
    else:
        assert (code, out.getvalue()) == (2, "") and err.getvalue().count("\n") == 1, err.getvalue()


def test_a_price_file_with_an_unknown_gpu_type_is_one_line(capsys, tmp_path):
    entry = region_entry(region_prices("us-east-1"))
    entry["gpu_hour"] = {"g9.huge": 1.0}
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump({"regions": {"us-east-1": entry}}))
    err = one_line(capsys, "report", "-c", "100", "--prices", str(path))
    assert "gpu_hour: 'g9.huge' is not a GPU instance type (see sizing/data/gpu_instances.yaml)" in err
