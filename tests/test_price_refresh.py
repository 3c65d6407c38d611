"""`sizing prices refresh` against a local Price List endpoint, price files, and `--prices` / `SIZING_PRICES`."""

import datetime
import io
import json
import socket
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import fake_ec2
import pytest
import yaml
from fake_price_list import (
    PriceList,
    egress_products,
    free_egress_product,
    older_ec2_egress_product,
    product,
    region_products,
    serve,
)

from sizing import SizingError, Workload, calculate
from sizing.cli.command import main
from sizing.data.catalog import load_catalog
from sizing.data.pricing import Egress, dump_price_file, load_price_file, load_prices, region_entry
from sizing.selfhosted.catalog import load_gpu_catalog

# The stand-in's Frankfurt: every EC2 and ElastiCache price 20% above the shipped us-east-1 one, and neither the
# 8th-generation AMD families nor r8i-flex nor cache.m7g offered there.
MISSING_FAMILIES = {"m8a", "c8a", "r8a", "r8i-flex"}
EAST = load_prices().regions["us-east-1"]
FRANKFURT_EC2 = {
    name: round(usd * 1.2, 6) for name, usd in EAST.ec2_hour.items() if name.split(".")[0] not in MISSING_FAMILIES
}
# GPU types a self-hosted model may use, queried as EC2 types; the p5 family is not listed here (not offered).
FRANKFURT_GPU = {name: round(usd * 1.2, 6) for name, usd in EAST.gpu_hour.items() if not name.startswith("p5")}
FRANKFURT_CACHE = {
    name: round(usd * 1.2, 6) for name, usd in EAST.elasticache_hour.items() if not name.startswith("cache.m7g.")
}
FRANKFURT_SERVICES = {
    "eks_cluster_hour": 0.10,
    "nat_gateway_hour": 0.052,
    "nat_gateway_gb": 0.052,
    "nlb_hour": 0.027,
    "nlb_lcu_hour": 0.0072,
    "ebs_gp3_gb_month": 0.0952,
    "public_ipv4_hour": 0.005,
    "dynamodb_on_demand_read_million": 0.1525,
    "dynamodb_on_demand_write_million": 0.7625,
    "dynamodb_provisioned_rcu_hour": 0.0001586,
    "dynamodb_provisioned_wcu_hour": 0.000793,
    "dynamodb_storage_gb_month": 0.306,
    "dynamodb_pitr_gb_month": 0.2448,
    "eks_extended_support_hour": 0.60,
    "kms_key_month": 1.0,
    "cloudwatch_logs_ingest_gb": 0.63,
    "cloudwatch_logs_storage_gb_month": 0.0324,
    "data_transfer_cross_az_gb": 0.01,
    "alb_hour": 0.0252,
    "alb_lcu_hour": 0.008,
    "waf_web_acl_month": 5.0,
    "waf_rule_month": 1.0,
    "waf_request_million": 0.6,
    "vpc_endpoint_hour": 0.012,
    "vpc_endpoint_gb": 0.01,
}
FRANKFURT_CREDITS = {"t3": 0.05, "t3a": 0.05, "t4g": 0.04}
# Spot there, over the last day: each type at on-demand x (s - 0.05, s, s + 0.2) across three zones (a spike in
# one: the median, not the mean, is s), s by the family's kind; r5 has no history (not sold as Spot that day).
SPOT_SHARE = {"compute": 0.40, "general": 0.35, "memory": 0.30, "burstable": 0.45}
NO_SPOT_HISTORY = {"r5"}
# Compute Savings Plans there: every type 28% off for one year, 50% off for three, but m5.large at 60% off for one
# year (the median over the types, not their mean, is 28%).
SAVINGS = {"1y": 0.28, "3y": 0.5}


def frankfurt_spot() -> dict[str, list[float]]:
    catalog = load_catalog()
    history = {}
    for name, usd in FRANKFURT_EC2.items():
        kind = catalog.instance(name).family_kind
        if catalog.instance(name).family not in NO_SPOT_HISTORY:
            share = SPOT_SHARE[kind]
            history[name] = [usd * (share - 0.05), usd * share, usd * (share + 0.2)]
    return history


def frankfurt_rates() -> list[dict]:
    rates = []
    for name, usd in FRANKFURT_EC2.items():
        one_year = 0.6 if name == "m5.large" else SAVINGS["1y"]
        rates += [
            fake_ec2.rate(name, "eu-central-1", "EUC1", usd * (1 - one_year), 1),
            fake_ec2.rate(name, "eu-central-1", "EUC1", usd * (1 - SAVINGS["3y"]), 3),
        ]
    # Look-alikes the refresh must not take: Windows, dedicated tenancy, another region.
    rates += [
        fake_ec2.rate("m5.large", "eu-central-1", "EUC1", 0.001, 1, productDescription="Windows"),
        fake_ec2.rate("m5.large", "eu-central-1", "EUC1", 0.001, 1, tenancy="dedicated"),
        fake_ec2.rate("m5.large", "eu-west-1", "EU", 0.001, 3),
    ]
    return rates


def today():
    return datetime.datetime.now(datetime.UTC).date().isoformat()


DUMMY_AWS = {
    # Dummy credentials and no shared config: nothing here may reach a real account.
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
UNSET_AWS = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_DEFAULT_REGION",
    "SIZING_PRICES",
)


def dummy_aws(patch):
    for name in UNSET_AWS:
        patch.delenv(name, raising=False)
    for name, value in DUMMY_AWS.items():
        patch.setenv(name, value)


class Servers:
    """The Price List stand-in and the EC2 / Savings Plans one: one object to stop."""

    def __init__(self, *servers):
        self.servers = servers

    def shutdown(self):
        for server in self.servers:
            server.shutdown()

    def server_close(self):
        for server in self.servers:
            server.server_close()


def frankfurt_endpoint():
    """A Price List endpoint on 127.0.0.1 serving Frankfurt (eu-central-1), which the shipped prices lack, and an
    EC2 / Savings Plans one with its Spot history and Savings Plan rates (``price_list.ec2``)."""
    price_list = PriceList()
    region_products(
        price_list,
        "eu-central-1",
        "EUC1",
        ec2={**FRANKFURT_EC2, **FRANKFURT_GPU},
        cache=FRANKFURT_CACHE,
        services=FRANKFURT_SERVICES,
        credits=FRANKFURT_CREDITS,
    )
    server, price_list.url = serve(price_list)
    price_list.ec2 = fake_ec2.Ec2(
        spot=fake_ec2.spot_rows(frankfurt_spot(), ["eu-central-1a", "eu-central-1b", "eu-central-1c"]),
        rates=frankfurt_rates(),
        page_size=10,
    )
    return Servers(server, fake_ec2.serve(price_list.ec2)), price_list


def point_at(patch, price_list):
    patch.setenv("AWS_ENDPOINT_URL_PRICING", price_list.url)
    patch.setenv("AWS_ENDPOINT_URL_EC2", price_list.ec2.url)
    patch.setenv("AWS_ENDPOINT_URL_SAVINGSPLANS", price_list.ec2.url)


@pytest.fixture
def aws(monkeypatch):
    dummy_aws(monkeypatch)
    return monkeypatch


@pytest.fixture
def endpoint(aws):
    server, price_list = frankfurt_endpoint()
    point_at(aws, price_list)
    yield price_list
    server.shutdown()
    server.server_close()


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def refresh(capsys, target, region="eu-central-1"):
    return run(capsys, "prices", "refresh", "--region", region, "--output", str(target))


@dataclass
class Refreshed:
    price_list: PriceList
    file: Path
    code: int
    out: str
    err: str


def refresh_once(endpoint, region: str, target) -> Refreshed:
    """`sizing prices refresh --region REGION --output TARGET` against a stand-in endpoint, which it then stops."""
    server, price_list = endpoint
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        dummy_aws(patch)
        point_at(patch, price_list)
        code = main(["prices", "refresh", "--region", region, "--output", str(target)])
    server.shutdown()
    server.server_close()
    return Refreshed(price_list, target, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """One refresh of Frankfurt into a price file that already holds us-east-1 (a refresh makes ~330 requests)."""
    target = tmp_path_factory.mktemp("refreshed") / "prices.yaml"
    target.write_text(dump_price_file({"us-east-1": region_entry(EAST)}))
    return refresh_once(frankfurt_endpoint(), "eu-central-1", target)


def test_refresh_writes_a_dated_price_file_of_what_the_api_lists(refreshed):
    assert (refreshed.code, refreshed.out) == (0, "")
    offered = len(FRANKFURT_EC2)
    families = {name.split(".")[0] for name in FRANKFURT_EC2}
    assert refreshed.err == (
        f"sizing: eu-central-1: {offered} of {len(load_catalog().instance_types)} catalog "
        f"instance types offered, prices as of {today()}; internet egress: none in the Price List (the plan prices "
        f"AWS's standard US/EU tiers and says so); {len(FRANKFURT_GPU)} of {len(load_gpu_catalog().instance_types)} "
        "GPU instance types offered; Spot discounts for "
        f"{len(families - NO_SPOT_HISTORY)} families from the EC2 Spot price history, 1 kept as "
        f"of 2026-11-29; Savings Plan rates from the Savings Plans API\n"
    )
    frankfurt = load_price_file(refreshed.file).region("eu-central-1")
    assert (frankfurt.as_of, frankfurt.currency) == (today(), "USD")
    assert refreshed.price_list.url in frankfurt.source
    assert frankfurt.ec2_hour == FRANKFURT_EC2  # the Windows and reserved-capacity twins were not taken
    assert not any(name.split(".")[0] in MISSING_FAMILIES for name in frankfurt.ec2_hour)
    assert frankfurt.elasticache_hour == FRANKFURT_CACHE  # Redis OSS, not the cheaper Valkey rows
    assert frankfurt.gpu_hour == FRANKFURT_GPU  # read like the other EC2 types, kept apart from node selection's
    assert not any(name in frankfurt.ec2_hour for name in FRANKFURT_GPU)
    # Per-request DynamoDB prices are listed per unit: 0.1525 per million arrives as 1.525e-7 per request. Free tiers
    # and look-alikes (Standard-IA, trust stores, EKS extended support) were skipped.
    assert frankfurt.services == pytest.approx(FRANKFURT_SERVICES, rel=1e-9)
    assert frankfurt.burstable_surplus_vcpu_hour == FRANKFURT_CREDITS


def test_refresh_queries_as_the_brief_says_and_pages(refreshed):
    calls = refreshed.price_list.requests
    assert {c["target"] for c in calls} == {"AWSPriceListService.GetProducts"}
    m5 = next(c for c in calls if {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "m5.large"} in c["Filters"])
    assert m5["ServiceCode"] == "AmazonEC2"
    assert {(f["Field"], f["Value"]) for f in m5["Filters"]} == {
        ("regionCode", "eu-central-1"),
        ("instanceType", "m5.large"),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
        ("locationType", "AWS Region"),
    }
    # One query per catalog type and per GPU type, offered or not.
    assert sum(c["ServiceCode"] == "AmazonEC2" and "instanceType" in str(c["Filters"]) for c in calls) == len(
        load_catalog().instance_types
    ) + len(load_gpu_catalog().instance_types)
    # ElastiCache is one query over the region: 19 Redis nodes, 3 to a page here, is 7 pages.
    cache_calls = [c for c in calls if c["ServiceCode"] == "AmazonElastiCache"]
    assert len(cache_calls) == -(-len(FRANKFURT_CACHE) // 3) == 7
    assert [c.get("NextToken") for c in cache_calls] == [None, "3", "6", "9", "12", "15", "18"]


def test_refresh_into_an_existing_file_keeps_its_other_regions(refreshed):
    table = load_price_file(refreshed.file)
    assert list(table.regions) == ["eu-central-1", "us-east-1"]
    assert table.region("us-east-1").model_dump(exclude={"region"}) == EAST.model_dump(exclude={"region"})


def test_prices_land_in_the_plan_for_a_new_region(refreshed, capsys, monkeypatch):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    target = refreshed.file
    code, out, err = run(
        capsys, "report", "-c", "8000", "--region", "eu-central-1", "--prices", str(target), "-f", "json"
    )
    assert (code, err) == (0, "")
    plan = json.loads(out)
    nodes, cost = plan["nodes"], plan["cost"]
    assert plan["workload"]["region"] == "eu-central-1"
    assert (cost["prices_as_of"], cost["currency"]) == (today(), "USD")
    assert nodes["hourly_usd"] == FRANKFURT_EC2[nodes["instance_type"]]
    assert all(o["instance_type"] in FRANKFURT_EC2 for o in nodes["alternatives"])
    items = {i["item"]: i["monthly_usd"] for i in cost["breakdown"]}
    assert items["EKS control plane"]["max"] == pytest.approx(0.10 * 730)
    assert items["EC2 nodes"]["max"] == pytest.approx(nodes["max_nodes"] * nodes["hourly_usd"] * 730, abs=0.01)
    assert items["Node EBS volumes (gp3)"]["max"] == pytest.approx(nodes["max_nodes"] * 20 * 0.0952, abs=0.01)
    # 8,000 users is the large tier: a NAT gateway per AZ (3), and the LLM's bytes through them all month: 8,000
    # turns a minute of the default conversation's mean turn, 5,622 bytes up (a 1,000-byte envelope + 1,155.5
    # tokens x 4) and 43,966 down (500 bytes of headers + 211 x (4 + 173 Bedrock event-stream framing + 29 TLS)).
    # They go through the Bedrock endpoint, at the refreshed $0.012 an endpoint-zone-hour and $0.01 a GB, rather
    # than through the gateways at $0.052 a GB: the gateways bill their hours only.
    gigabytes = 8000 * 60 * 730 * (5_622 + 43_966) / 1e9
    assert plan["network"]["llm_route"]["via"] == "interface_endpoint"
    assert items["Bedrock VPC endpoint (3 zones)"]["max"] == pytest.approx(3 * 0.012 * 730 + gigabytes * 0.01, abs=0.01)
    assert items["NAT gateways (3)"]["max"] == pytest.approx(3 * 0.052 * 730, abs=0.01)
    # SIZING_PRICES does what --prices does.
    monkeypatch.setenv("SIZING_PRICES", str(target))
    assert json.loads(run(capsys, "report", "-c", "8000", "--region", "eu-central-1", "-f", "json")[1]) == plan
    # The engine takes the same table directly.
    direct = calculate(
        Workload(concurrent_users=8000, region="eu-central-1"), prices=load_price_file(target), compare_arch=True
    )
    assert direct.model_dump(mode="json") == plan


def test_a_region_the_file_lacks_names_the_refresh_command(refreshed, capsys):
    code, out, err = run(capsys, "report", "-c", "100", "--region", "ap-northeast-1", "--prices", str(refreshed.file))
    assert (code, out) == (2, "")
    assert err == (
        f"sizing: error: --region: no price data for region 'ap-northeast-1' in {refreshed.file} (which "
        "has: eu-central-1, us-east-1); fetch it with `sizing prices refresh --region ap-northeast-1 "
        "--output prices.yaml` and pass --prices prices.yaml\n"
    )


def good_file(tmp_path):
    target = tmp_path / "prices.yaml"
    target.write_text(dump_price_file({"us-east-1": region_entry(EAST)}))
    return target, target.read_bytes()


def assert_failed_cleanly(code, out, err, tmp_path, target, before, message):
    assert (code, out) == (2, "")
    assert err.startswith("sizing: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err
    assert target.read_bytes() == before  # the existing price file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["prices.yaml"]  # and no temporary file left beside it


def broken(kind):
    ok = product(
        "AmazonEC2",
        "Compute Instance",
        {
            "regionCode": "eu-central-1",
            "locationType": "AWS Region",
            "instanceType": "m5.large",
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
        },
        0.5,
        sku="BROKEN",
    )
    if kind == "not-json":
        return "{not json"
    if kind == "no-terms":
        del ok["terms"]
    elif kind == "not-a-number":
        ok["terms"]["OnDemand"]["BROKEN.JRTCKXETXF"]["priceDimensions"]["BROKEN.JRTCKXETXF.6YS6EN2CT7"][
            "pricePerUnit"
        ] = {"USD": "lots"}
    elif kind == "not-usd":
        ok["terms"]["OnDemand"]["BROKEN.JRTCKXETXF"]["priceDimensions"]["BROKEN.JRTCKXETXF.6YS6EN2CT7"][
            "pricePerUnit"
        ] = {"CNY": "0.8"}
    elif kind == "no-attributes":
        del ok["product"]["attributes"]
    return ok  # "two-prices": a second m5.large at $0.50


MALFORMED = [
    # Served to every AmazonEC2 query, so the first one (the NAT gateway's) meets it.
    ("not-json", "the Price List API answered the AmazonEC2 NAT Gateway query with an item that is not JSON"),
    ("no-terms", "the Price List API returned m5.large in eu-central-1 (BROKEN) without a readable on-demand price"),
    ("not-a-number", "without a readable on-demand price (ValueError: could not convert string to float: 'lots')"),
    ("not-usd", "the Price List API priced m5.large in eu-central-1 (BROKEN) in CNY, not USD"),
    (
        "no-attributes",
        "the Price List API answered the AmazonEC2 NAT Gateway query with a product without attributes (BROKEN)",
    ),
    ("two-prices", "the Price List API lists 2 different on-demand prices for m5.large in eu-central-1: 0.1152, 0.5"),
]


@pytest.mark.parametrize(("kind", "message"), MALFORMED, ids=[k for k, _ in MALFORMED])
def test_a_malformed_item_stops_the_refresh_and_leaves_the_file(endpoint, capsys, tmp_path, kind, message):
    target, before = good_file(tmp_path)
    endpoint.add("AmazonEC2", broken(kind))
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(code, out, err, tmp_path, target, before, message)


def test_a_missing_service_price_stops_the_refresh(endpoint, capsys, tmp_path):
    endpoint.products = [(code, doc) for code, doc in endpoint.products if "NatGateway-Bytes" not in json.dumps(doc)]
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "the Price List API has no NatGateway-Bytes price (AmazonEC2) for eu-central-1, needed for nat_gateway_gb",
    )


def test_a_region_without_a_waf_request_price_stops_the_refresh(endpoint, capsys, tmp_path):
    endpoint.products = [(code, doc) for code, doc in endpoint.products if "RequestV2" not in json.dumps(doc)]
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "the Price List API has no RequestV2 price (awswaf) for eu-central-1, needed for waf_request_million",
    )


def test_the_waf_request_price_is_the_smallest_inspection_sizes(endpoint, capsys, tmp_path):
    # Without the 16 KB product the 32 KB one (twice the price) is the smallest left: $1.20 a million.
    endpoint.products = [(code, doc) for code, doc in endpoint.products if "RequestV2-16KB" not in json.dumps(doc)]
    target = tmp_path / "prices.yaml"
    code, _, err = refresh(capsys, target)
    assert code == 0, err
    services = yaml.safe_load(target.read_text())["regions"]["eu-central-1"]["services"]
    assert services["waf_request_million"] == pytest.approx(0.6 * 2)
    # The ALB's hour and LCU come from the application family, not the network one listed beside it.
    assert (services["alb_hour"], services["alb_lcu_hour"]) == (pytest.approx(0.0252), pytest.approx(0.008))


def test_an_unknown_region_is_one_line(endpoint, capsys, tmp_path):
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target, region="eu-south-9")
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "--region: the Price List API has no prices for 'eu-south-9'; check the region name",
    )


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_endpoint_is_one_line_and_writes_nothing(aws, capsys, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    aws.setenv("AWS_ENDPOINT_URL_PRICING", url)
    aws.setenv("AWS_MAX_ATTEMPTS", "1")
    target = tmp_path / "prices.yaml"
    code, out, err = refresh(capsys, target)
    assert (code, out) == (2, "")
    assert err.startswith(f"sizing: error: cannot read the Price List API at {url}: Could not connect")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_failing_endpoint_is_retried_a_bounded_number_of_times(endpoint, aws, capsys, tmp_path):
    endpoint.status = 500
    aws.setenv("AWS_MAX_ATTEMPTS", "2")
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        f"the Price List API at {endpoint.url} refused the request: InternalErrorException: the fake is down",
    )
    assert len(endpoint.requests) == 2  # the first query, tried twice, and nothing after it


def test_the_client_has_timeouts_and_bounded_retries(aws):
    from sizing.data.price_refresh import pricing_client

    config = pricing_client().meta.config
    assert (config.connect_timeout, config.read_timeout) == (5, 20)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    aws.setenv("AWS_MAX_ATTEMPTS", "9")
    with pytest.raises(SizingError, match="AWS_MAX_ATTEMPTS: must be a whole number from 1 to 5"):
        pricing_client()


def test_without_boto3_the_command_says_how_to_install_it(aws, capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # what `import boto3` sees when it is not installed
    code, out, err = refresh(capsys, tmp_path / "prices.yaml")
    assert (code, out) == (2, "")
    assert err == "sizing: error: `sizing prices refresh` needs boto3: pip install 'chat-infra[aws]'\n"
    assert list(tmp_path.iterdir()) == []


def test_without_credentials_the_command_says_so(endpoint, aws, capsys, tmp_path):
    aws.delenv("AWS_ACCESS_KEY_ID")
    aws.delenv("AWS_SECRET_ACCESS_KEY")
    code, out, err = refresh(capsys, tmp_path / "prices.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("sizing: error: no AWS credentials found") and err.count("\n") == 1
    assert endpoint.requests == []


def test_refreshing_into_a_file_that_is_not_a_price_file_is_refused_first(endpoint, capsys, tmp_path):
    target = tmp_path / "prices.yaml"
    target.write_text("backend: {users_per_pod: 80}\n")
    code, out, err = refresh(capsys, target)
    assert (code, out) == (2, "")
    assert err.startswith(f"sizing: error: --output: {target}: ")
    assert endpoint.requests == []
    assert target.read_text() == "backend: {users_per_pod: 80}\n"


def price_file(tmp_path, change):
    data = {"hours_per_month": 730, "regions": {"eu-central-1": region_entry(EAST)}}
    change(data["regions"]["eu-central-1"], data)
    target = tmp_path / "prices.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def set_(path, value):
    def change(region, data):
        *parents, last = path
        node = region if parents[:1] != ["/"] else data
        for key in parents:
            if key != "/":
                node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value

    return change


DELETE = object()
BAD_FILES = [
    (set_(["ec2_hour", "m5.large"], -1), "regions.eu-central-1.ec2_hour.m5.large: must be greater than 0 (got -1)"),
    (
        set_(["ec2_hour", "m5.large"], "cheap"),
        "regions.eu-central-1.ec2_hour.m5.large: must be a valid number (got 'cheap')",
    ),
    (set_(["ec2_hour", "m5.large"], True), "regions.eu-central-1.ec2_hour.m5.large: must be a valid number"),
    (set_(["ec2_hour", "m5.large"], float("nan")), "regions.eu-central-1.ec2_hour.m5.large: must be a finite number"),
    (set_(["ec2_hour", "m5.huge"], 1.0), "regions.eu-central-1: 'm5.huge' is not a catalog instance type"),
    (set_(["elasticache_hour", "cache.x9.huge"], 1.0), "'cache.x9.huge' is not a catalog cache node type"),
    (set_(["services", "nat_gateway_gb"], DELETE), "regions.eu-central-1: services lacks nat_gateway_gb"),
    (set_(["services", "nat_gateway_byte"], 0.1), "services has unknown price 'nat_gateway_byte'"),
    (
        set_(["burstable_surplus_vcpu_hour", "t4g"], DELETE),
        "regions.eu-central-1: burstable_surplus_vcpu_hour lacks t4g, whose types are priced",
    ),
    (set_(["ec2_hour"], {}), "regions.eu-central-1.ec2_hour: Dictionary should have at least 1 item"),
    (set_(["as_of"], "last week"), "regions.eu-central-1.as_of: must be a date like 2026-02-09 (got 'last week')"),
    (set_(["as_of"], "2026-02-30"), "regions.eu-central-1.as_of: must be a date like 2026-02-09 (got '2026-02-30')"),
    (set_(["currency"], "dollars"), "regions.eu-central-1.currency: String should match pattern '^[A-Z]{3}$'"),
    (set_(["currnecy"], "USD"), "regions.eu-central-1.currnecy: unknown setting (check the spelling)"),
    (set_(["/", "regions"], {"mars": {}}), "'mars' is not an AWS region name like eu-central-1"),
    (set_(["/", "regions"], {}), "regions: Dictionary should have at least 1 item"),
    (set_(["/", "hours_per_month"], 24), "hours_per_month: must be greater than or equal to 672 (got 24)"),
]


@pytest.mark.parametrize(("change", "message"), BAD_FILES, ids=[m[:40] for _, m in BAD_FILES])
def test_a_bad_price_file_is_one_line_naming_the_problem(capsys, tmp_path, monkeypatch, change, message):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    target = price_file(tmp_path, change)
    code, out, err = run(capsys, "report", "-c", "100", "--region", "eu-central-1", "--prices", str(target))
    assert (code, out) == (2, "")
    assert err.startswith(f"sizing: error: --prices: {target}: ") and err.count("\n") == 1
    assert message in err


def test_a_bad_file_in_sizing_prices_is_named_as_such(capsys, tmp_path, monkeypatch):
    target = tmp_path / "prices.yaml"
    target.write_text("- not a mapping\n")
    monkeypatch.setenv("SIZING_PRICES", str(target))
    code, out, err = run(capsys, "compare", "100", "1000")
    assert (code, out) == (2, "")
    assert err == f"sizing: error: SIZING_PRICES: {target} must hold a price file (regions: {{REGION: {{...}}}})\n"


def test_a_price_file_without_a_type_means_not_offered(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    dropped = {name for name in EAST.ec2_hour if name.startswith(("c6a.", "c5a."))}
    target = price_file(tmp_path, lambda region, data: [region["ec2_hour"].pop(n) for n in dropped])
    plan = json.loads(
        run(capsys, "report", "-c", "8000", "--region", "eu-central-1", "--prices", str(target), "-f", "json")[1]
    )
    chosen = {plan["nodes"]["instance_type"], *(o["instance_type"] for o in plan["nodes"]["alternatives"])}
    assert chosen and not chosen & dropped
    code, out, err = run(
        capsys,
        "report",
        "-c",
        "8000",
        "--region",
        "eu-central-1",
        "--prices",
        str(target),
        "--instance-type",
        "c6a.2xlarge",
    )
    assert (code, out) == (2, "")
    assert err == (
        "sizing: error: --instance-type: c6a.2xlarge is not offered in eu-central-1 (no price for it in "
        "the prices as of 2026-02-09); pick another type\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prices"], "missing command: use `sizing prices refresh --region REGION`"),
        (["prices", "refresh"], "Missing option '--region'"),
        (
            ["prices", "refresh", "--region", "Frankfurt"],
            "--region: 'Frankfurt' is not an AWS region name like eu-central-1",
        ),
        (["prices", "refresh", "--region", "eu-central-1", "--output", "{tmp}"], "--output: {tmp} is a directory"),
    ],
    ids=["no-subcommand", "no-region", "not-a-region", "output-is-a-directory"],
)
def test_refresh_input_errors_are_one_line_before_any_request(endpoint, capsys, tmp_path, args, message):
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert (code, out) == (2, "")
    assert err.startswith("sizing: error: ") and err.count("\n") == 1
    assert message.format(tmp=tmp_path) in err
    assert endpoint.requests == []


# --- Spot discounts and Savings Plan rates ------------------------------------------------------------------------


def test_refresh_derives_spot_discounts_from_the_last_days_history(refreshed):
    spot = load_price_file(refreshed.file).region("eu-central-1").spot_discount
    catalog = load_catalog()
    offered = {catalog.instance(name).family: catalog.instance(name).family_kind for name in FRANKFURT_EC2}
    # Each type's median over its three zones is on-demand x the share: 1 - the share for every type and family.
    expected = {
        family: round(1 - SPOT_SHARE[kind], 3) for family, kind in offered.items() if family not in NO_SPOT_HISTORY
    }
    # r5 had no history there: the shipped snapshot's value, us-east-1's since the snapshot has no Frankfurt.
    expected["r5"] = EAST.spot_discount.families["r5"]
    assert spot.families == expected
    assert set(spot.families) == set(offered)  # the families not offered there (m8a, c8a...) are left out
    # The table holds a value as old as the snapshot: it is dated as the snapshot is.
    assert spot.as_of == EAST.spot_discount.as_of
    assert "DescribeSpotPriceHistory" in spot.source and refreshed.price_list.ec2.url in spot.source
    assert "r5 without history there, kept from: us-east-1's values, not eu-central-1's" in spot.source


def test_refresh_asks_ec2_for_a_days_linux_history_per_family_and_pages(refreshed):
    calls = [c for c in refreshed.price_list.ec2.requests if c["api"] == "ec2"]
    assert {c["Action"] for c in calls} == {"DescribeSpotPriceHistory"}
    assert {c["ProductDescription.1"] for c in calls} == {"Linux/UNIX"}
    c6a = [c for c in calls if c.get("InstanceType.1") == "c6a.large"]
    assert {v for c in c6a for k, v in c.items() if k.startswith("InstanceType.")} == {
        name for name in FRANKFURT_EC2 if name.startswith("c6a.")
    }
    start = datetime.datetime.fromisoformat(c6a[0]["StartTime"].replace("Z", "+00:00"))
    end = datetime.datetime.fromisoformat(c6a[0]["EndTime"].replace("Z", "+00:00"))
    assert end - start == datetime.timedelta(days=1)
    # 8 types x (3 zones + a Windows row the query filters out) = 24 rows, 10 to a page: 3 pages.
    assert [c.get("NextToken") for c in c6a] == [None, "10", "20"]


def test_refresh_reads_compute_savings_plan_rates(refreshed):
    rates = load_price_file(refreshed.file).region("eu-central-1").savings_plan_discount
    # Every type's rate is 28% and 50% off: the look-alikes (Windows, dedicated, another region) were skipped.
    assert rates.terms == SAVINGS
    assert (rates.as_of, "DescribeSavingsPlansOfferingRates" in rates.source) == (today(), True)
    calls = [c for c in refreshed.price_list.ec2.requests if c["api"] == "savingsplans"]
    assert calls[0]["savingsPlanTypes"] == ["Compute"] and calls[0]["savingsPlanPaymentOptions"] == ["No Upfront"]
    assert {"name": "region", "values": ["eu-central-1"]} in calls[0]["filters"]
    assert [c.get("nextToken") for c in calls][:3] == [None, "10", "20"]


def test_the_refreshed_rates_price_a_plan(refreshed, capsys, monkeypatch):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    code, out, err = run(
        capsys,
        "report",
        "-c",
        "8000",
        "--region",
        "eu-central-1",
        "--prices",
        str(refreshed.file),
        "--capacity",
        "spot-burst",
        "--savings-plan",
        "3y",
        "-f",
        "json",
    )
    assert (code, err) == (0, "")
    nodes = json.loads(out)["nodes"]
    hourly = FRANKFURT_EC2[nodes["instance_type"]]
    assert nodes["savings_plan"]["commitment_usd_per_hour"] == pytest.approx(
        nodes["min_nodes"] * hourly * 0.5, abs=1e-4
    )
    catalog = load_catalog()
    for spot in nodes["spot"]["instance_types"]:
        share = SPOT_SHARE[catalog.instance(spot["instance_type"]).family_kind]
        assert spot["hourly_usd"] == pytest.approx(FRANKFURT_EC2[spot["instance_type"]] * share, abs=1e-6)


def test_unavailable_discount_apis_keep_the_snapshot_and_the_refresh_goes_on(endpoint, aws, capsys, tmp_path):
    aws.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint.ec2.ec2_status, endpoint.ec2.savings_status = 503, 500
    target = tmp_path / "prices.yaml"
    code, out, err = refresh(capsys, target)
    assert (code, out) == (0, "")
    assert err.endswith(
        "; Spot discounts kept as of 2026-11-29 (EC2 Spot price history unavailable: Unavailable: the "
        "fake says no); Savings Plan rates: none (the Savings Plans API unavailable: "
        "InternalServerException: the fake is down)\n"
    )
    frankfurt = load_price_file(target).region("eu-central-1")
    # The shipped us-east-1 values, with their date, said to be another region's; only the families offered.
    assert frankfurt.spot_discount.as_of == EAST.spot_discount.as_of
    assert frankfurt.spot_discount.source.startswith("us-east-1's values, not eu-central-1's: ")
    assert frankfurt.spot_discount.families == {
        f: d for f, d in EAST.spot_discount.families.items() if f not in MISSING_FAMILIES
    }
    assert frankfurt.savings_plan_discount is None
    # One EC2 request (the first family, tried once), not one per family.
    assert len([c for c in endpoint.ec2.requests if c["api"] == "ec2"]) == 1


def test_a_file_keeps_its_own_discounts_when_the_apis_do_not_answer(endpoint, aws, capsys, tmp_path):
    target = tmp_path / "prices.yaml"
    assert refresh(capsys, target)[0] == 0
    first = load_price_file(target).region("eu-central-1")
    aws.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint.ec2.ec2_status, endpoint.ec2.savings_status = 503, 500
    code, _, err = refresh(capsys, target)
    assert code == 0 and f"Savings Plan rates kept as of {today()}" in err
    again = load_price_file(target).region("eu-central-1")
    assert again.spot_discount == first.spot_discount and again.savings_plan_discount == first.savings_plan_discount


def test_an_unreadable_spot_price_keeps_the_snapshot(endpoint, capsys, tmp_path):
    endpoint.ec2.spot[0] = (*endpoint.ec2.spot[0][:2], "free", "Linux/UNIX")
    target = tmp_path / "prices.yaml"
    code, _, err = refresh(capsys, target)
    assert code == 0
    assert (
        f"(EC2 Spot price history unavailable: a Spot price of {endpoint.ec2.spot[0][0]} is not a number "
        "('free'))" in err
    )
    assert load_price_file(target).region("eu-central-1").spot_discount.as_of == EAST.spot_discount.as_of


# --- internet egress ----------------------------------------------------------------------------------------------
# The stand-in's Tokyo: Frankfurt's EC2, ElastiCache and service prices (the plan only needs some), and invented
# Tokyo-like internet egress tiers as AWSDataTransfer lists them, from 0 GB, after the global 100 GB free.
TOKYO_EGRESS = [(0, 10240, 0.114), (10240, 51200, 0.089), (51200, 153600, 0.086), (153600, "Inf", 0.084)]
EGRESS_WARNING = "the price data has no internet egress prices; priced at AWS's standard US/EU tiers"


def tokyo_endpoint():
    price_list = PriceList()
    region_products(
        price_list,
        "ap-northeast-1",
        "APN1",
        ec2=FRANKFURT_EC2,
        cache=FRANKFURT_CACHE,
        services=FRANKFURT_SERVICES,
        credits=FRANKFURT_CREDITS,
    )
    tokyo = egress_products(price_list, "ap-northeast-1", "APN1", TOKYO_EGRESS, location="Asia Pacific (Tokyo)")
    # The free allowance covers Tokyo's product among others'.
    price_list.add("AWSDataTransfer", free_egress_product(100, applies_to=("DTO-us-east-1", tokyo, "DTO-sa-east-1")))
    server, price_list.url = serve(price_list)
    price_list.ec2 = fake_ec2.Ec2()  # no Spot history nor Savings Plan rates there: the refresh goes on without
    return Servers(server, fake_ec2.serve(price_list.ec2)), price_list


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory):
    """One refresh of Tokyo (ap-northeast-1) into a new price file."""
    target = tmp_path_factory.mktemp("tokyo") / "prices.yaml"
    return refresh_once(tokyo_endpoint(), "ap-northeast-1", target)


def test_refresh_writes_the_regions_internet_egress_tiers(tokyo):
    assert (tokyo.code, tokyo.out) == (0, "")
    assert f"prices as of {today()}; internet egress: 4 tiers from AWSDataTransfer, 100 GB free; " in tokyo.err
    # The bounds as the price file counts them, after the free 100 GB: AWS's 0-10240 GB tier is the first 10 TB
    # "beyond the global free tier". The look-alikes (data in, to another region, another usage type) were skipped.
    written = yaml.safe_load(tokyo.file.read_text())["regions"]["ap-northeast-1"]["internet_egress"]
    assert written == {
        "free_gb": 100,
        "tiers": [[10240, 0.114], [51200, 0.089], [153600, 0.086], [None, 0.084]],
    }
    tokyo_prices = load_price_file(tokyo.file).region("ap-northeast-1")
    assert tokyo_prices.internet_egress == Egress(
        free_gb=100, tiers=((10240, 0.114), (51200, 0.089), (153600, 0.086), (None, 0.084))
    )
    assert not tokyo_prices.internet_egress_assumed
    # Asked of AWSDataTransfer by the source region's code (data transfer products have no regionCode): the traffic
    # between its zones, its internet egress, and the free allowance by its usage type, in no region.
    transfer = [c for c in tokyo.price_list.requests if c["ServiceCode"] == "AWSDataTransfer"]
    assert [{(f["Field"], f["Value"]) for f in c["Filters"]} for c in transfer] == [
        {("fromRegionCode", "ap-northeast-1"), ("transferType", "IntraRegion")},
        {("fromRegionCode", "ap-northeast-1"), ("transferType", "AWS Outbound"), ("toLocation", "External")},
        {("usagetype", "Global-DataTransfer-Out-Bytes"), ("transferType", "AWS Outbound"), ("toLocation", "External")},
    ]


def plan_for(capsys, region, prices_file):
    code, out, err = run(capsys, "report", "-c", "8000", "--region", region, "--prices", str(prices_file), "-f", "json")
    assert (code, err) == (0, "")
    return json.loads(out)


# 8,000 users x 3 requests a minute = 400 requests/s, each answered with 32 KB, all month at peak:
# 400 x 32 KB x 730 h x 3,600 s / 1e6 = 33,638.4 GB out to the internet; two thirds of it also crosses a zone, $0.01
# a GB each way: 33,638.4 x 2/3 x 2 x 0.01 = 448.512.
PEAK_GB, CROSS_AZ_USD = 33_638.4, 448.512


def test_refreshed_egress_tiers_price_the_plans_data_transfer(tokyo, capsys, monkeypatch):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    plan = plan_for(capsys, "ap-northeast-1", tokyo.file)
    line = next(i for i in plan["cost"]["breakdown"] if i["key"] == "data_transfer")
    # Tokyo's tiers on 33,638.4 - 100 free = 33,538.4 GB: 10,240 at $0.114 = 1,167.36, the other 23,298.4 at $0.089
    # = 2,073.5576; with the cross-zone 448.512: 3,689.4296.
    egress = load_price_file(tokyo.file).region("ap-northeast-1").internet_egress
    assert egress.monthly_usd(PEAK_GB) == pytest.approx(1_167.36 + 2_073.5576)
    assert line["monthly_usd"]["max"] == pytest.approx(1_167.36 + 2_073.5576 + CROSS_AZ_USD, abs=0.005)
    assert line["monthly_usd"]["max"] == pytest.approx(3_689.43, abs=0.005)
    assert "(100 GB free)" in line["source"]
    assert not any(EGRESS_WARNING in w for w in plan["warnings"])  # the region's own prices, nothing assumed


def test_a_region_without_egress_products_keeps_the_warning(refreshed, capsys, monkeypatch):
    monkeypatch.delenv("SIZING_PRICES", raising=False)
    assert "; internet egress: none in the Price List (the plan prices AWS's standard US/EU tiers" in refreshed.err
    assert "internet_egress" not in yaml.safe_load(refreshed.file.read_text())["regions"]["eu-central-1"]
    assert load_price_file(refreshed.file).region("eu-central-1").internet_egress_assumed
    plan = plan_for(capsys, "eu-central-1", refreshed.file)
    assert f"eu-central-1: {EGRESS_WARNING}" in plan["warnings"]
    line = next(i for i in plan["cost"]["breakdown"] if i["key"] == "data_transfer")
    # AWS's standard tiers instead: 10,240 GB at $0.09 = 921.60, 23,298.4 at $0.085 = 1,980.364, + 448.512.
    assert line["monthly_usd"]["max"] == pytest.approx(921.60 + 1_980.364 + CROSS_AZ_USD, abs=0.005)
    assert line["monthly_usd"]["max"] == pytest.approx(3_350.48, abs=0.005)


FRANKFURT_LOCATION = "Somewhere (eu-central-1)"  # what the stand-in's Frankfurt products call their location
MALFORMED_EGRESS = [
    (
        "not-a-number",
        [(0, 10240, "lots"), (10240, "Inf", 0.085)],
        "the Price List API returned internet egress from eu-central-1 (DTO-eu-central-1) without readable on-demand "
        "tiers (ValueError: could not convert string to float: 'lots')",
    ),
    (
        "descending",
        [(0, 10240, 0.09), (10240, 5120, 0.085), (5120, "Inf", 0.07)],
        "the Price List API lists internet egress from eu-central-1 (DTO-eu-central-1) with a tier ending at 5120 GB, "
        "not above its beginning (10240 GB): 0-10240 GB at 0.09, 5120-Inf GB at 0.07, 10240-5120 GB at 0.085",
    ),
    (
        "two-open-tiers",
        [(0, 10240, 0.09), (10240, "Inf", 0.085), (51200, "Inf", 0.07)],
        "with 2 open-ended tiers (one, the last, is expected)",
    ),
    ("no-open-tier", [(0, 10240, 0.09), (10240, 51200, 0.085)], "with 0 open-ended tiers (one, the last, is expected)"),
    (
        "gap",
        [(0, 10240, 0.09), (20480, "Inf", 0.085)],
        "with a tier beginning at 20480 GB where 10240 GB was expected (a gap or an overlap)",
    ),
    ("free-after-paid", [(0, 10240, 0.09), (10240, "Inf", 0)], "with a tier at $0.00 other than a free first one"),
    ("negative", [(0, 10240, 0.09), (10240, "Inf", -0.01)], "with a price of -0.01 USD per GB"),
]


@pytest.mark.parametrize(("kind", "tiers", "message"), MALFORMED_EGRESS, ids=[k for k, _, _ in MALFORMED_EGRESS])
def test_malformed_egress_tiers_stop_the_refresh_and_leave_the_file(endpoint, capsys, tmp_path, kind, tiers, message):
    egress_products(endpoint, "eu-central-1", "EUC1", tiers, location=FRANKFURT_LOCATION)
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(code, out, err, tmp_path, target, before, message)


def test_egress_priced_in_another_currency_stops_the_refresh(endpoint, capsys, tmp_path):
    sku = egress_products(endpoint, "eu-central-1", "EUC1", [(0, "Inf", 0.09)], location=FRANKFURT_LOCATION)
    listed = next(doc for _, doc in endpoint.products if isinstance(doc, dict) and doc["product"]["sku"] == sku)
    for dimension in listed["terms"]["OnDemand"][f"{sku}.JRTCKXETXF"]["priceDimensions"].values():
        dimension["pricePerUnit"] = {"CNY": "0.6"}
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "the Price List API priced internet egress from eu-central-1 (DTO-eu-central-1) in CNY, not USD",
    )
    assert (
        err
        == "sizing: error: the Price List API priced internet egress from eu-central-1 (DTO-eu-central-1) in CNY, not USD\n"
    )


def test_two_different_egress_tables_for_a_region_stop_the_refresh(endpoint, capsys, tmp_path):
    egress_products(endpoint, "eu-central-1", "EUC1", [(0, 10240, 0.09), (10240, "Inf", 0.085)], location="x")
    egress_products(endpoint, "eu-central-1", "EUC1", [(0, "Inf", 0.09)], location="x", sku="DTO-TWIN")
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "the Price List API lists 2 different tier tables for internet egress from eu-central-1: DTO-TWIN, "
        "DTO-eu-central-1",
    )


def test_a_free_allowance_that_is_not_free_stops_the_refresh(endpoint, capsys, tmp_path):
    egress_products(endpoint, "eu-central-1", "EUC1", [(0, 10240, 0.09), (10240, "Inf", 0.085)], location="x")
    endpoint.add("AWSDataTransfer", free_egress_product(100, usd=0.01))
    target, before = good_file(tmp_path)
    code, out, err = refresh(capsys, target)
    assert_failed_cleanly(
        code,
        out,
        err,
        tmp_path,
        target,
        before,
        "the Price List API lists the global free internet egress allowance (FREE-DTO) as something other than 0 to "
        "N GB at $0.00: 0-100 GB at 0.01",
    )


@pytest.fixture
def small_endpoint(aws):
    """An empty Price List stand-in and a pricing client pointed at it, for reading egress alone."""
    from sizing.data.price_refresh import pricing_client

    price_list = PriceList()
    server, price_list.url = serve(price_list)
    aws.setenv("AWS_ENDPOINT_URL_PRICING", price_list.url)
    yield price_list, pricing_client()
    server.shutdown()
    server.server_close()


def test_us_east_1s_bare_usage_type_and_the_free_allowance(small_endpoint):
    from sizing.data.price_refresh import egress_block

    price_list, client = small_endpoint
    east = egress_products(price_list, "us-east-1", None, [(0, 10240, 0.09), (10240, "Inf", 0.085)], location="US")
    price_list.add("AWSDataTransfer", free_egress_product(100, applies_to=(east,)))
    block, note = egress_block(client, "us-east-1")
    assert block == {"free_gb": 100, "tiers": [[10240, 0.09], [None, 0.085]]}
    assert note == "internet egress: 2 tiers from AWSDataTransfer, 100 GB free"


def test_no_free_allowance_for_the_region_means_none_assumed(small_endpoint):
    from sizing.data.price_refresh import egress_block

    price_list, client = small_endpoint
    egress_products(price_list, "us-gov-west-1", "UGW1", [(0, 10240, 0.155), (10240, "Inf", 0.14)], location="Gov")
    # The allowance covers other regions' products only (AWS: not GovCloud); the same with no allowance at all.
    price_list.add("AWSDataTransfer", free_egress_product(100, applies_to=("DTO-us-east-1",)))
    block, note = egress_block(client, "us-gov-west-1")
    assert block == {"free_gb": 0, "tiers": [[10240, 0.155], [None, 0.14]]}
    assert (
        note == "internet egress: 2 tiers from AWSDataTransfer, 0 GB free (the Price List has no free allowance for it)"
    )
    price_list.products.pop()
    assert egress_block(client, "us-gov-west-1") == (block, note)


def test_older_offers_egress_under_amazonec2_with_its_own_free_first_gb(small_endpoint):
    from sizing.data.price_refresh import egress_block

    price_list, client = small_endpoint
    # Nothing in AWSDataTransfer for the region; AmazonEC2 lists it under the region's long name, which the region's
    # NAT gateway products give, with the first GB free and the later bounds counted from 0 GB.
    price_list.add(
        "AmazonEC2",
        product(
            "AmazonEC2",
            "NAT Gateway",
            {"regionCode": "sa-east-1", "location": "South America (Sao Paulo)", "usagetype": "SAE1-NatGateway-Hours"},
            0.093,
            sku="NAT-SAE1",
        ),
    )
    price_list.add(
        "AmazonEC2",
        older_ec2_egress_product(
            "South America (Sao Paulo)",
            "SAE1",
            [(0, 1, 0), (1, 10240, 0.25), (10240, 51200, 0.23), (51200, "Inf", 0.21)],
        ),
    )
    price_list.add("AmazonEC2", older_ec2_egress_product("Asia Pacific (Tokyo)", "APN1", [(0, "Inf", 9.9)]))
    block, note = egress_block(client, "sa-east-1")
    # 1 GB free, then 10,240 - 1 = 10,239 GB at $0.25 (AWS's "next 9.999 TB"), to 51,200 - 1 = 51,199 GB at $0.23.
    assert block == {"free_gb": 1, "tiers": [[10239, 0.25], [51199, 0.23], [None, 0.21]]}
    assert note == "internet egress: 3 tiers from AmazonEC2, 1 GB free"
    assert Egress(**block).monthly_usd(1 + 10_239 + 100) == pytest.approx(10_239 * 0.25 + 100 * 0.23)


def test_no_egress_anywhere_is_no_block(small_endpoint):
    from sizing.data.price_refresh import egress_block

    _, client = small_endpoint
    block, note = egress_block(client, "ap-northeast-1")
    assert block is None and note.startswith("internet egress: none in the Price List")


def test_kms_usage_types_carry_the_region_code_not_the_ec2_prefix():
    # The Price List names KMS usage types eu-central-1-KMS-Keys; the EC2-style prefixes still match elsewhere and
    # look-alikes without a region still do not.
    from sizing.data.price_refresh import usagetype_pattern

    kms = usagetype_pattern("KMS-Keys")
    assert kms.fullmatch("eu-central-1-KMS-Keys") and kms.fullmatch("us-gov-west-1-KMS-Keys")
    assert kms.fullmatch("KMS-Keys") and not kms.fullmatch("IA-KMS-Keys")
    assert usagetype_pattern("ReadRequestUnits").fullmatch("EUC1-ReadRequestUnits")
    assert not usagetype_pattern("ReadRequestUnits").fullmatch("IA-ReadRequestUnits")
