"""Shared test set-up: the LLM token-price cache lives in a temporary folder, never in the user's ~/.cache."""

from __future__ import annotations

import os
import tempfile

import pytest

# Set at import, before any test (or a subprocess it starts) resolves a token price.
os.environ["SIZING_CACHE_DIR"] = tempfile.mkdtemp(prefix="sizing-test-cache-")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no in-process answers: the next resolution goes to genai-prices (or the file)."""
    from sizing.llm.token_prices import resolve_token_prices

    monkeypatch.setenv("SIZING_CACHE_DIR", str(tmp_path))
    resolve_token_prices.cache_clear()
    yield tmp_path
    resolve_token_prices.cache_clear()


# Under mutation testing (mutmut sets MUTANT_UNDER_TEST) every test starts with the engine's memo caches empty: a
# result cached by an earlier test would otherwise hide which functions a test really runs (mutmut picks the tests
# to run per mutant from that record) and answer for a mutated function without calling it.
_ENGINE_MODULES = (
    "sizing.engine.nodes",
    "sizing.engine.selection",
    "sizing.engine.cache",
    "sizing.engine.exact",
    "sizing.engine.database",
    "sizing.engine.load_profile",
    "sizing.engine.spot",
    "sizing.engine.calculator",
    "sizing.llm.traffic",
    "sizing.selfhosted.choose",
    "sizing.selfhosted.serving",
)


@pytest.fixture(autouse=True)
def _fresh_engine_caches():
    if os.environ.get("MUTANT_UNDER_TEST"):
        import sys

        for name in _ENGINE_MODULES:
            for value in vars(sys.modules[name]).values() if name in sys.modules else ():
                if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", "") == name:
                    value.cache_clear()
    yield


# --- a small fake catalog and price table, for numbers a person can check by hand ------------------------------------
#
# Invented types with round specs and round prices, so every node count and cost line of a plan built on them can be
# derived on paper (tests/test_costs_by_hand.py, tests/test_overrides.py). They do not move when the shipped catalog
# or prices change. The table declares a 1,000-hour month, but a plan bills traffic.days_per_month x 24 hours (730 by
# default, calculator._month_of): the monthly figures below are at 730 h.
#
#   type         arch    kind       vCPU  GiB  ENI pods  IPs/ENI  $/h    $/month (730 h)
#   gp1.xlarge   x86_64  general    4     16   29        10       0.20   146
#   gp1.2xlarge  x86_64  general    8     32   58        15       0.44   321.20
#   bt1.large    x86_64  burstable  2     8    12        6        0.06   43.80  (baseline 40%; surplus $0.05/vCPU-h)
#   ar1.xlarge   arm64   general    4     16   29        10       0.16   116.80
#
#   cache node       GiB  $/h   $/month (Redis OSS; Valkey 20% less)
#   cache.f1.medium  4    0.05  36.50
#   cache.f1.large   16   0.20  146
#
#   EKS $0.10/h (extended support $0.60/h); NAT gateway $0.05/h + $0.01/GB; NLB $0.02/h + $0.01/LCU-h (unused);
#   ALB $0.03/h + $0.01/LCU-h; WAF $5/web ACL-month + $1/rule-month + $0.50/million requests; public IPv4
#   $0.01/h; gp3 $0.10/GB-month; DynamoDB on demand $0.20 / $1.00 per million reads / writes, provisioned $0.0001 /
#   $0.0005 per RCU-h / WCU-h, storage $0.50/GB-month, point-in-time recovery $0.20/GB-month; KMS key $1/month;
#   CloudWatch logs $0.50/GB ingested, $0.03/GB-month stored; cross-zone transfer $0.01/GB; internet egress 100 GB
#   free, then $0.10/GB.

FAKE_REGION = "us-east-1"
FAKE_HOURS = 1_000


@pytest.fixture(scope="session")
def fake_catalog():
    from sizing.data.catalog import CacheNodeType, Catalog, InstanceType

    def node(name, vcpu, memory_gib, eni_max_pods, ipv4_per_eni, arch="x86_64", kind="general", baseline=None):
        enis = (eni_max_pods - 2) // (ipv4_per_eni - 1)  # the EKS AMI's max pods = ENIs x (IPs - 1) + 2
        return InstanceType(
            name=name,
            vcpu=vcpu,
            memory_gib=memory_gib,
            enis=enis,
            eni_max_pods=eni_max_pods,
            ipv4_per_eni=ipv4_per_eni,
            arch=arch,
            family_kind=kind,
            baseline_cpu=baseline,
        )

    types = [
        node("gp1.xlarge", 4, 16, 29, 10),
        node("gp1.2xlarge", 8, 32, 58, 15),
        node("bt1.large", 2, 8, 12, 6, kind="burstable", baseline=0.4),
        node("ar1.xlarge", 4, 16, 29, 10, arch="arm64"),
    ]
    caches = [CacheNodeType(name="cache.f1.medium", memory_gib=4), CacheNodeType(name="cache.f1.large", memory_gib=16)]
    return Catalog(
        as_of="2000-01-01", instance_types={t.name: t for t in types}, cache_node_types={c.name: c for c in caches}
    )


@pytest.fixture(scope="session")
def fake_prices():
    """One region's prices, passed to ``calculate(prices=...)`` as a ``RegionPrices`` (a table need not cover the
    shipped catalog). Egress: 100 GB free, then $0.10/GB; Valkey 20% below; the small lines at round prices."""
    from sizing.data.pricing import Egress, RegionPrices

    return RegionPrices(
        region=FAKE_REGION,
        as_of="2000-01-02",
        currency="USD",
        source="invented for tests",
        hours_per_month=FAKE_HOURS,
        services={
            "eks_cluster_hour": 0.10,
            "nat_gateway_hour": 0.05,
            "nat_gateway_gb": 0.01,
            "nlb_hour": 0.02,
            "nlb_lcu_hour": 0.01,
            "ebs_gp3_gb_month": 0.10,
            "public_ipv4_hour": 0.01,
            "dynamodb_on_demand_read_million": 0.20,
            "dynamodb_on_demand_write_million": 1.00,
            "dynamodb_provisioned_rcu_hour": 0.0001,
            "dynamodb_provisioned_wcu_hour": 0.0005,
            "dynamodb_storage_gb_month": 0.50,
            "dynamodb_pitr_gb_month": 0.20,
            "eks_extended_support_hour": 0.60,
            "kms_key_month": 1.00,
            "cloudwatch_logs_ingest_gb": 0.50,
            "cloudwatch_logs_storage_gb_month": 0.03,
            "data_transfer_cross_az_gb": 0.01,
            "alb_hour": 0.03,
            "alb_lcu_hour": 0.01,
            "waf_web_acl_month": 5.00,
            "waf_rule_month": 1.00,
            "waf_request_million": 0.50,
            "vpc_endpoint_hour": 0.02,
            "vpc_endpoint_gb": 0.005,
        },
        ec2_hour={"gp1.xlarge": 0.20, "gp1.2xlarge": 0.44, "bt1.large": 0.06, "ar1.xlarge": 0.16},
        elasticache_hour={"cache.f1.medium": 0.05, "cache.f1.large": 0.20},
        burstable_surplus_vcpu_hour={"bt1": 0.05},
        internet_egress=Egress(free_gb=100, tiers=((None, 0.10),)),
        # GPU types for a self-hosted model (vllm:MODEL): two A10G sizes and an L40S priced out of reach.
        gpu_hour={"g5.xlarge": 0.50, "g5.2xlarge": 1.00, "g6e.xlarge": 50.0},
        s3_standard_gb_month=0.02,
    )
