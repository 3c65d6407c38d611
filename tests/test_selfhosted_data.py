"""The shipped self-hosted data: sourced and dated, internally consistent, and derived as its header says."""

from __future__ import annotations

import pytest

from sizing.data.pricing import load_prices
from sizing.engine import ranking, selection
from sizing.selfhosted import choose
from sizing.selfhosted.catalog import load_gpu_catalog, load_model_catalog

MODELS = load_model_catalog()
GPUS = load_gpu_catalog()

# Karpenter's generated us-east-1 on-demand table (2026-07-20), as /work/shared/selfhosted-facts.md section 0 and
# llm-facts.md 5a quote it.
KARPENTER_GPU = {
    "g5.xlarge": 1.006,
    "g5.2xlarge": 1.212,
    "g5.12xlarge": 5.672,
    "g5.48xlarge": 16.288,
    "g6.xlarge": 0.8048,
    "g6.12xlarge": 4.6016,
    "g6e.xlarge": 1.861,
    "g6e.2xlarge": 2.24208,
    "g6e.12xlarge": 10.49264,
    "g6e.48xlarge": 30.13118,
    "p4d.24xlarge": 21.957642,
    "p4de.24xlarge": 27.44705,
    "p5.4xlarge": 6.88,
    "p5.48xlarge": 55.04,
    "p5en.48xlarge": 63.296,
}


def test_the_issue_models_are_in_the_catalog_with_sources():
    assert set(MODELS.models) >= {
        "meta-llama/Llama-3.1-8B-Instruct",
        "Qwen/Qwen2.5-32B-Instruct",
        "meta-llama/Llama-3.3-70B-Instruct",
        "openai/gpt-oss-120b",
    }
    assert all("config.json" in m.source for m in MODELS.models.values())
    assert MODELS.as_of and GPUS.as_of


def test_kv_bytes_per_token_match_the_published_worked_figures():
    # selfhosted-facts.md 4a: Llama-3.1-8B 128 KiB a token, 70B 320 KiB (bf16)
    assert MODELS.model("meta-llama/Llama-3.1-8B-Instruct").kv_bytes_per_token == 128 * 1024
    assert MODELS.model("meta-llama/Llama-3.3-70B-Instruct").kv_bytes_per_token == 320 * 1024
    oss = MODELS.model("openai/gpt-oss-120b")  # 18 full-attention layers; 18 sliding ones hold 128 tokens
    assert oss.kv_bytes_per_token == 2 * 18 * 8 * 64 * 2
    assert oss.kv_bytes_per_sequence_fixed == 2 * 18 * 8 * 64 * 2 * 128


@pytest.mark.parametrize("name", list(MODELS.models))
def test_quantized_bytes_per_parameter_follow_the_header_formula(name):
    m = MODELS.model(name)
    body, embed = m.params_b - m.embedding_params_b, m.embedding_params_b
    formats = m.weight_formats
    if "fp8" in formats:
        assert formats["fp8"].bytes_per_param == pytest.approx((body + 2 * embed) / m.params_b, abs=0.001)
    if "int4" in formats and formats["int4"].quantization == "awq":
        assert formats["int4"].bytes_per_param == pytest.approx(
            (body * (0.5 + 1 / 32) + 2 * embed) / m.params_b, abs=0.001
        )
    if "bf16" in formats:
        assert formats["bf16"].bytes_per_param == 2


def test_gpt_oss_is_its_published_checkpoint():
    oss = MODELS.model("openai/gpt-oss-120b")
    assert oss.weights_bytes("int4") / 2**30 == pytest.approx(60.8, abs=0.05)


def test_gpu_prices_match_the_source_and_every_priced_type_is_in_the_catalog():
    for region in load_prices().regions.values():
        assert set(region.gpu_hour) <= set(GPUS.instance_types)
        assert "p5e.48xlarge" not in region.gpu_hour  # Capacity Blocks only: not offered on demand
        assert not set(region.gpu_hour) & set(region.ec2_hour)  # node selection never ranks a GPU type
    east = load_prices().region("us-east-1").gpu_hour
    assert {name: east[name] for name in KARPENTER_GPU} == KARPENTER_GPU


def test_gpu_instances_agree_with_their_gpu():
    for name, instance in GPUS.instance_types.items():
        gpu = GPUS.gpus[instance.gpu]
        # what the driver reports is the datasheet's size: decimal GB for GDDR (A10G 24 GB = 22,888 MiB, L40S),
        # binary GiB for HBM (A100 40/80, H100 80, H200 141 = 144,384 MiB)
        gddr, hbm = round(gpu.memory_gb * 1e9 / 2**20), gpu.memory_gb * 1024
        assert instance.gpu_memory_mib in (gddr, hbm), name
        assert instance.interconnect == ("nvlink" if name.startswith("p") else "pcie")


# The VPC CNI's pod limits (aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt @ 01d744a5; p5.4xlarge and p5e.48xlarge from
# Karpenter's table), written out here from the source.
ENI_MAX_PODS = {
    "g5.xlarge": 58, "g5.2xlarge": 58, "g5.4xlarge": 234, "g5.8xlarge": 234, "g5.12xlarge": 737, "g5.48xlarge": 345,
    "g6.xlarge": 58, "g6.2xlarge": 58, "g6.4xlarge": 234, "g6.8xlarge": 234, "g6.12xlarge": 234, "g6.48xlarge": 737,
    "g6e.xlarge": 58, "g6e.2xlarge": 58, "g6e.4xlarge": 234, "g6e.12xlarge": 292, "g6e.24xlarge": 492,
    "g6e.48xlarge": 492, "p4d.24xlarge": 737, "p4de.24xlarge": 737, "p5.4xlarge": 118, "p5.48xlarge": 100,
    "p5e.48xlarge": 100, "p5en.48xlarge": 198,
}  # fmt: skip


def test_gpu_instances_carry_the_vpc_cnis_limits_and_an_eni_size_that_divides_them():
    assert {name: i.max_pods for name, i in GPUS.instance_types.items()} == ENI_MAX_PODS
    for name, instance in GPUS.instance_types.items():
        # max pods = ENIs x (IPv4 per ENI - 1) + 2 on the default network card, which holds at most 15 ENIs, with one
        # of EC2's per-ENI sizes. For the g families exactly one divides it (g6e.24xlarge's 490 is 10 x 49, not
        # 35 x 14); p5.48xlarge's, p5e's and
        # p5en's 98 and 196 are also 7 x 14 and 14 x 14, and EC2's network specifications give them 50.
        sizes = [
            k
            for k in (15, 30, 50)
            if (instance.max_pods - 2) % (k - 1) == 0 and (instance.max_pods - 2) // (k - 1) <= 15
        ]
        if len(sizes) > 1:
            assert name.startswith("p") and instance.ipv4_per_eni == 50 in sizes, name
        else:
            assert sizes == [instance.ipv4_per_eni], name


def test_one_ranking_serves_node_and_gpu_selection():
    """Split, not copied: both selections rank through engine/ranking.py."""
    assert selection.Ranking is ranking.Ranking
    assert choose.rank is ranking.rank


def test_ranking_keeps_the_cheapest_with_their_tie_breaks():
    kept = ranking.rank([(3.0, "c"), (1.0, "b"), (1.0, "a"), (2.0, "d"), (9.0, "e")], keep=3)
    assert kept == [(1.0, "a"), (1.0, "b"), (2.0, "d")]
    r = ranking.Ranking(2)
    for c in [(5.0, "x"), (4.0, "y")]:
        r.add(c)
    assert r.worst == float("inf")
    r.settle()
    assert (r.items, r.worst) == ([(4.0, "y"), (5.0, "x")], 5.0)
    assert ranking.rank([(2.0,), (1.0,)], keep=None) == [(1.0,), (2.0,)]
