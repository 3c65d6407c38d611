"""The shipped catalog and price table: dated, sourced, complete and internally consistent."""

import re
from importlib import resources

import yaml

from sizing.data.catalog import load_catalog
from sizing.data.pricing import SERVICES, load_prices, region_prices


def raw(name):
    return resources.files("sizing.data").joinpath(name).read_text()


def is_date(text):
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(text)) is not None


def test_catalog_carries_source_and_date():
    text = raw("catalog.yaml")
    assert "Sources" in text and "eni-max-pods.txt" in text
    assert is_date(yaml.safe_load(text)["as_of"])


def test_every_shipped_region_carries_its_date_currency_and_source():
    text = raw("prices.yaml")
    assert "Sources" in text and "zz_generated.pricing_aws.go" in text
    for name, region in yaml.safe_load(text)["regions"].items():
        assert is_date(region["as_of"]) and region["currency"] == "USD" and region["source"], name
    # A region whose values were not checked says so where a reader (and the report's source line) finds it.
    assert region_prices("us-west-2").source.startswith("NOT VERIFIED")


FAMILIES = {
    # Intel x86_64, 5th to 8th generation, with the flex variants AWS sells
    "m5",
    "m6i",
    "m7i",
    "m7i-flex",
    "m8i",
    "m8i-flex",
    "c5",
    "c6i",
    "c7i",
    "c7i-flex",
    "c8i",
    "c8i-flex",
    "r5",
    "r6i",
    "r7i",
    "r8i",
    "r8i-flex",
    # AMD x86_64, 5th to 8th generation
    "m5a",
    "m6a",
    "m7a",
    "m8a",
    "c5a",
    "c6a",
    "c7a",
    "c8a",
    "r5a",
    "r6a",
    "r7a",
    "r8a",
    # Graviton2, 3 and 4
    "m6g",
    "c6g",
    "r6g",
    "m7g",
    "c7g",
    "r7g",
    "m8g",
    "c8g",
    "r8g",
    # burstable
    "t3",
    "t3a",
    "t4g",
}


def test_catalog_offers_every_current_general_compute_and_memory_family():
    assert {name.split(".")[0] for name in load_catalog().instance_types} == FAMILIES


def test_sizes_run_from_large_to_24xlarge_or_the_family_largest():
    sizes = {}
    for name in load_catalog().instance_types:
        family, size = name.split(".")
        sizes.setdefault(family, []).append(size)
    for family, found in sizes.items():
        if family.startswith("t"):
            assert found == ["small", "medium", "large", "xlarge", "2xlarge"], family
        else:
            assert found[0] == "large" and "metal" not in " ".join(found), family
            # Graviton2/3 and the flex families stop at 16xlarge; every other family is cut at 24xlarge.
            assert found[-1] == (
                "16xlarge"
                if family[:3] in {"m6g", "c6g", "r6g", "m7g", "c7g", "r7g"} or family.endswith("-flex")
                else "24xlarge"
            ), family


def test_memory_follows_the_family_ratio():
    """4 GiB per vCPU for M, 2 for C, 8 for R (EC2 instance type specifications)."""
    ratio = {"general": 4, "compute": 2, "memory": 8}
    for instance in load_catalog().instance_types.values():
        if not instance.burstable:
            assert instance.memory_gib == instance.vcpu * ratio[instance.family_kind], instance.name


# Published by the EKS AMI (amazon-eks-ami templates/shared/runtime/eni-max-pods.txt): an independent check of
# the catalog, covering every ENI layout it holds.
EKS_AMI_MAX_PODS = {
    "m5.large": 29,
    "m5.xlarge": 58,
    "m5.4xlarge": 234,
    "m5.16xlarge": 737,
    "m6i.24xlarge": 737,
    "c5.9xlarge": 234,
    "c5.18xlarge": 737,
    "c6i.12xlarge": 234,
    "c7g.16xlarge": 737,
    "r6g.2xlarge": 58,
    "t3.medium": 17,
    "t3.large": 35,
    "t3a.xlarge": 58,
    "t4g.2xlarge": 58,
    "m7i.8xlarge": 234,
    "t3.small": 11,
    "t3a.small": 8,
    "t4g.small": 11,
    "c6a.16xlarge": 737,
    "m7i-flex.16xlarge": 737,
    "c8i.large": 59,
    "m8i.xlarge": 118,
    "r8i.4xlarge": 394,
    "c8i.8xlarge": 492,
    "m8i-flex.12xlarge": 590,
    "r8i.24xlarge": 1010,
    "c8a.xlarge": 78,
    "m8a.2xlarge": 158,
    "r8a.4xlarge": 314,
    "c8a.8xlarge": 392,
    "m8a.12xlarge": 758,
    "r8a.16xlarge": 1010,
    "m8g.24xlarge": 737,
    "c8g.large": 29,
}


def test_eni_pod_limits_match_the_eks_ami():
    catalog = load_catalog()
    assert {name: catalog.instance(name).eni_max_pods for name in EKS_AMI_MAX_PODS} == EKS_AMI_MAX_PODS


def test_eni_pod_limits_follow_the_vpc_cni_formula():
    """max pods = ENIs x (IPv4 per ENI - 1) + 2, with an ENI count AWS actually offers."""
    for instance in load_catalog().instance_types.values():
        assert instance.eni_max_pods == instance.enis * (instance.ipv4_per_eni - 1) + 2, instance.name
        assert instance.enis in (2, 3, 4, 8, 10, 12, 15, 16), instance.name


def test_the_shipped_snapshot_offers_every_catalog_type_in_every_region():
    for region in load_prices().regions:
        prices = region_prices(region)
        assert set(prices.ec2_hour) == set(load_catalog().instance_types)
        assert set(prices.elasticache_hour) == set(load_catalog().cache_node_types)
        assert set(prices.services) == set(SERVICES)
        assert all(p > 0 for p in [*prices.ec2_hour.values(), *prices.services.values()])


# Rows of Karpenter's generated us-east-1 on-demand table (aws/karpenter-provider-aws,
# pkg/providers/pricing/zz_generated.pricing_aws.go, generated 2026-02-09T13:43:35Z), one or two per family.
KARPENTER_US_EAST_1 = {
    "m5.large": 0.096,
    "m6i.24xlarge": 4.608,
    "m7i.xlarge": 0.2016,
    "m7i-flex.16xlarge": 3.06432,
    "m8i.large": 0.10584,
    "m8i-flex.2xlarge": 0.4022,
    "c5.9xlarge": 1.53,
    "c6i.8xlarge": 1.36,
    "c7i.large": 0.08925,
    "c7i-flex.large": 0.08479,
    "c8i.24xlarge": 4.49808,
    "c8i-flex.xlarge": 0.17804,
    "r5.16xlarge": 4.032,
    "r6i.large": 0.126,
    "r7i.2xlarge": 0.5292,
    "r8i.12xlarge": 3.33408,
    "r8i-flex.large": 0.13197,
    "m5a.24xlarge": 4.128,
    "m6a.large": 0.0864,
    "m7a.xlarge": 0.23184,
    "m8a.8xlarge": 1.94752,
    "c5a.large": 0.077,
    "c6a.large": 0.0765,
    "c6a.24xlarge": 3.672,
    "c7a.4xlarge": 0.82112,
    "c8a.large": 0.10777,
    "r5a.xlarge": 0.226,
    "r6a.12xlarge": 2.7216,
    "r7a.large": 0.15215,
    "r8a.2xlarge": 0.63904,
    "m6g.16xlarge": 2.464,
    "m7g.large": 0.0816,
    "m8g.24xlarge": 4.30848,
    "c6g.large": 0.068,
    "c7g.12xlarge": 1.74,
    "c8g.xlarge": 0.15952,
    "r6g.4xlarge": 0.8064,
    "r7g.large": 0.1071,
    "r8g.2xlarge": 0.47128,
    "t3.small": 0.0208,
    "t3a.small": 0.0188,
    "t4g.small": 0.0168,
    "t3a.medium": 0.0376,
    "t4g.2xlarge": 0.2688,
}


def test_us_east_1_rows_match_their_source():
    prices = region_prices("us-east-1")
    assert {name: prices.ec2_hour[name] for name in KARPENTER_US_EAST_1} == KARPENTER_US_EAST_1


def test_prices_scale_with_size_within_a_family():
    """AWS prices a family linearly in its size (per vCPU; per GiB for T): a mistyped row breaks the line."""
    catalog = load_catalog()
    for region in load_prices().regions:
        prices = region_prices(region)
        per_unit = {}
        for name, hourly in prices.ec2_hour.items():
            instance = catalog.instance(name)
            unit = instance.memory_gib if instance.burstable else instance.vcpu
            per_unit.setdefault(instance.family, []).append((hourly / unit, name))
        for rates in per_unit.values():
            low, high = min(rates), max(rates)
            assert high[0] / low[0] < 1.001, (region, low, high)


# The AWS Spot Instance Advisor's "savings over On-Demand" (%) for us-east-1 Linux, every catalog size of a few
# families, as the feed read 2026-11-29 gives them (spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json).
ADVISOR_US_EAST_1 = {
    "c6a": [59, 56, 53, 49, 51, 55, 55, 57],
    "c6i": [59, 63, 56, 55, 64, 66, 69, 65],
    "m8i-flex": [23, 51, 51, 47, 61, 68, 70],
    "r8g": [63, 63, 64, 63, 74, 70, 76, 74],
    "t4g": [57, 49, 58, 53, 60],
}


def test_spot_discounts_are_the_advisors_median_per_family():
    """The lower middle of the family's sizes: a whole percent the feed actually lists."""
    import statistics

    spot = region_prices("us-east-1").spot_discount
    assert "Spot Instance Advisor" in spot.source and is_date(spot.as_of)
    for family, savings in ADVISOR_US_EAST_1.items():
        assert spot.families[family] == statistics.median_low(savings) / 100, family


def test_every_catalog_family_has_a_spot_discount_in_every_shipped_region():
    families = {t.family for t in load_catalog().instance_types.values()}
    for region in load_prices().regions:
        spot = region_prices(region).spot_discount
        assert set(spot.families) == families, region
        assert all(0.3 <= d <= 0.8 for d in spot.families.values()), region
    assert "Spot discounts" in raw("prices.yaml") and "Savings Plans" in raw("prices.yaml")


def test_no_savings_plan_rates_are_shipped():
    """None could be read from an authoritative table: --savings-plan needs a refreshed price file."""
    assert all(region_prices(region).savings_plan_discount is None for region in load_prices().regions)
