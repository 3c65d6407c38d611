"""The shipped catalog and price table: dated, sourced, complete and internally consistent."""

import pytest
import yaml
from importlib import resources

from sizing.catalog import load_catalog
from sizing.pricing import SERVICES, PriceTable, load_prices, region_prices


def raw(name):
    return resources.files("sizing.data").joinpath(name).read_text()


@pytest.mark.parametrize("name", ["catalog.yaml", "prices.yaml"])
def test_data_files_carry_source_and_date(name):
    text = raw(name)
    assert "Source" in text or "Sources" in text
    as_of = str(yaml.safe_load(text)["as_of"])
    assert len(as_of) == 10 and as_of[4] == as_of[7] == "-"


def test_catalog_offers_current_families_and_their_graviton_peers():
    families = {name.split(".")[0] for name in load_catalog().instance_types}
    assert {"m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i", "t3", "t3a"} <= families
    assert {"m6g", "m7g", "c6g", "c7g", "r6g", "t4g"} <= families


# Published by the EKS AMI (amazon-eks-ami, eni-max-pods.txt): an independent spot check of the catalog.
EKS_AMI_MAX_PODS = {
    "m5.large": 29, "m5.xlarge": 58, "m5.4xlarge": 234, "m5.16xlarge": 737, "m6i.24xlarge": 737,
    "c5.9xlarge": 234, "c5.18xlarge": 737, "c6i.12xlarge": 234, "c7g.16xlarge": 737, "r6g.2xlarge": 58,
    "t3.medium": 17, "t3.large": 35, "t3a.xlarge": 58, "t4g.2xlarge": 58, "m7i.8xlarge": 234,
}


def test_eni_pod_limits_match_the_eks_ami():
    catalog = load_catalog()
    assert {name: catalog.instance(name).eni_max_pods for name in EKS_AMI_MAX_PODS} == EKS_AMI_MAX_PODS


def test_eni_pod_limits_follow_the_vpc_cni_formula():
    """max pods = ENIs x (IPv4 per ENI - 1) + 2, with an ENI count AWS actually offers (2 to 15)."""
    for instance in load_catalog().instance_types.values():
        enis, rest = divmod(instance.eni_max_pods - 2, instance.ipv4_per_eni - 1)
        assert rest == 0 and enis in (2, 3, 4, 8, 15), instance.name


def test_every_offered_type_has_a_price_in_every_region():
    table = load_prices()
    for region in table.regions:
        prices = region_prices(region)
        assert set(prices.ec2_hour) >= set(load_catalog().instance_types)
        assert set(prices.elasticache_hour) >= set(load_catalog().cache_node_types)
        assert all(prices.service(s) > 0 for s in SERVICES)
        assert all(p > 0 for p in prices.ec2_hour.values())


def test_a_hole_in_the_price_table_is_refused():
    data = yaml.safe_load(raw("prices.yaml"))
    del data["ec2_hour"]["m5.large"]["us-west-2"]
    data["as_of"] = str(data["as_of"])
    with pytest.raises(ValueError, match="no \\['us-west-2'\\] price for m5.large"):
        PriceTable.model_validate(data)
