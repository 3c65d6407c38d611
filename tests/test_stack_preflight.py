"""The account checks at preview, against botocore's Stubber answering in each API's real response shape."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber
from stack_mocks import run_program, use_stack_modules

from sizing import Workload, calculate
from sizing.plan import CachePlan

use_stack_modules()
import preflight
from config import ConfigError

REGION = "us-east-1"
NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
GROUP_ARN = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:data-cache-1a2b3c4"


def client(service):
    return boto3.client(service, region_name=REGION, aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")


@pytest.fixture
def stubbed():
    made = {}

    def make(service):
        made[service] = Stubber(client(service))
        made[service].activate()
        return made[service]

    yield make
    for stub in made.values():
        stub.assert_no_pending_responses()


def quota(code, value, name="q"):
    return {
        "Quota": {
            "ServiceCode": "ec2",
            "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
            "QuotaArn": f"arn:aws:servicequotas:us-east-1:123456789012:ec2/{code}",
            "QuotaCode": code,
            "QuotaName": name,
            "Value": value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }
    }


# ---- EC2 vCPU quotas --------------------------------------------------------------------------------------------


def test_quota_codes_by_family():
    assert preflight.quota_for("t3a.small")[0] == "L-1216C47A"
    assert preflight.quota_for("c6a.2xlarge", spot=True)[0] == "L-34B43A08"
    assert preflight.quota_for("im4gn.large")[0] == "L-1216C47A"
    assert preflight.quota_for("g5.xlarge")[0] == "L-DB2E81BA"
    assert preflight.quota_for("vt1.3xlarge")[0] == "L-DB2E81BA"
    assert preflight.quota_for("p5.48xlarge")[0] == "L-417A185B"
    # Families with quotas of their own are never counted as Standard because their name starts with a Standard letter.
    assert preflight.quota_for("inf2.xlarge") is None and preflight.quota_for("trn1.2xlarge") is None
    assert preflight.quota_for("dl1.24xlarge") is None and preflight.quota_for("mac2.metal") is None


def fleets():
    # 10-26 t3a.small (2 vCPUs): 20-52 vCPUs on demand; a Spot pool of c6i.large (2 vCPUs), 0-10 nodes: 0-20.
    return [preflight.Fleet("t3a.small", 20, 52), preflight.Fleet("c6i.large", 0, 20, spot=True)]


def quotas_stub(stubbed, on_demand, spot):
    stub = stubbed("service-quotas")
    stub.add_response("get_service_quota", quota("L-1216C47A", on_demand), {"ServiceCode": "ec2", "QuotaCode": ANY})
    stub.add_response("get_service_quota", quota("L-34B43A08", spot), {"ServiceCode": "ec2", "QuotaCode": ANY})
    return stub


def run(stub_clients, llm=None, fleets_=(), cache=None):
    cache = cache or CachePlan(
        enabled=False,
        engine="valkey",
        node_type=None,
        num_nodes=0,
        shards=0,
        replicas_per_shard=0,
        required_memory_gib=0,
        usable_memory_gib_per_node=0,
        monthly_usd=0,
        reason="",
    )
    return preflight.run_checks(stub_clients, REGION, "chat-infra/dev", llm, list(fleets_), cache, now=NOW)


def test_quota_below_the_min_fleet_is_refused(stubbed):
    stub = quotas_stub(stubbed, on_demand=16, spot=100)
    found = run(preflight.Clients(service_quotas=stub.client), fleets_=fleets())
    # The min fleet's 20 vCPUs exceed the 16 allowed: refused, asking for the max fleet's 52.
    assert len(found.refusals) == 1 and found.warnings == [] and found.unchecked == []
    (refusal,) = found.refusals
    assert "min fleet needs 20 vCPUs" in refusal and "L-1216C47A" in refusal and "quota of 16" in refusal
    assert "--desired-value 52" in refusal and "\n" not in refusal


def test_quota_between_min_and_max_warns(stubbed):
    stub = quotas_stub(stubbed, on_demand=32, spot=16)
    found = run(preflight.Clients(service_quotas=stub.client), fleets_=fleets())
    assert found.refusals == []
    # 20 <= 32 < 52 on demand; 0 <= 16 < 20 on Spot: both warned.
    assert len(found.warnings) == 2
    assert "max fleet needs 52 vCPUs" in found.warnings[0] and "quota of 32" in found.warnings[0]
    assert "max fleet needs 20 vCPUs" in found.warnings[1] and "L-34B43A08" in found.warnings[1]


def test_quota_above_the_max_is_silent(stubbed):
    stub = quotas_stub(stubbed, on_demand=52, spot=20)  # exactly the max fleets: enough
    found = run(preflight.Clients(service_quotas=stub.client), fleets_=fleets())
    assert (found.refusals, found.warnings, found.unchecked) == ([], [], [])


def test_a_quota_never_raised_falls_back_to_the_aws_default(stubbed):
    stub = stubbed("service-quotas")
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "no applied quota")
    stub.add_response("get_aws_default_service_quota", quota("L-1216C47A", 5))
    found = run(preflight.Clients(service_quotas=stub.client), fleets_=[preflight.Fleet("t3a.small", 20, 52)])
    assert "quota of 5" in found.refusals[0]


def test_gpu_fleets_count_against_their_own_quota():
    values = {"L-1216C47A": 1_000, "L-DB2E81BA": 8}
    found = preflight.check_vcpu_quotas(
        [preflight.Fleet("m7i.large", 4, 40), preflight.Fleet("g6.xlarge", 4, 16)], values.__getitem__, REGION
    )
    # G and VT: 4 <= 8 < 16: a warning naming that quota; the Standard fleet is well inside its own.
    assert found.refusals == [] and len(found.warnings) == 1 and "L-DB2E81BA" in found.warnings[0]


def test_access_denied_is_one_unchecked_line(stubbed):
    stub = stubbed("service-quotas")
    stub.add_client_error("get_service_quota", "AccessDeniedException", "not allowed", http_status_code=400)
    found = run(preflight.Clients(service_quotas=stub.client), fleets_=fleets())
    assert (found.refusals, found.warnings) == ([], [])
    line = preflight.unchecked_line(found.unchecked)
    assert line.count("\n") == 0 and "AccessDeniedException" in line
    assert "aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A" in line


def test_no_credentials_is_one_line_for_every_check(monkeypatch, tmp_path):
    # Nowhere for the credential chain to look: signing raises NoCredentialsError before any request is sent.
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(region_name=REGION)
    clients = preflight.Clients(bedrock=session.client("bedrock"), service_quotas=session.client("service-quotas"))
    found = run(clients, llm=calculate(Workload(concurrent_users=1000)).llm, fleets_=fleets())
    line = preflight.unchecked_line(found.unchecked)
    assert len(found.unchecked) == 2 and line.count("\n") == 0
    assert "(no AWS credentials)" in line and "get-foundation-model-availability" in line


# ---- Bedrock ----------------------------------------------------------------------------------------------------


def availability(agreement="AVAILABLE", authorization="AUTHORIZED", region="AVAILABLE"):
    return {
        "modelId": HAIKU,
        "agreementAvailability": {"status": agreement},
        "authorizationStatus": authorization,
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": region,
    }


def test_bedrock_profile_maps_to_the_foundation_model_and_anthropic_step_missing_warns(stubbed):
    stub = stubbed("bedrock")
    # The plan's id is the global inference profile; the control plane is asked about the foundation model.
    stub.add_response("get_foundation_model_availability", availability(), {"modelId": HAIKU})
    stub.add_client_error("get_use_case_for_model_access", "ResourceNotFoundException", "no use case", 404)
    found = preflight.check_bedrock(stub.client, f"global.{HAIKU}", REGION)
    (warning,) = found.warnings
    assert found.refusals == []
    assert "Anthropic's one-time use-case form" in warning and "put-use-case-for-model-access" in warning


def test_bedrock_agreement_not_in_place_names_the_step_and_keeps_marketplace_off_the_pods(stubbed):
    stub = stubbed("bedrock")
    stub.add_response("get_foundation_model_availability", availability(agreement="NOT_AVAILABLE"))
    stub.add_response("get_use_case_for_model_access", {"formData": b'{"companyName": "x"}'})
    (warning,) = preflight.check_bedrock(stub.client, f"global.{HAIKU}", REGION).warnings
    assert "create-foundation-model-agreement --model-id " + HAIKU in warning
    assert "no Marketplace permissions" in warning


def test_bedrock_ready_is_silent(stubbed):
    stub = stubbed("bedrock")
    stub.add_response("get_foundation_model_availability", availability())
    stub.add_response("get_use_case_for_model_access", {"formData": b'{"companyName": "x"}'})
    assert preflight.check_bedrock(stub.client, f"us.{HAIKU}", REGION).warnings == []


def test_a_model_outside_bedrock_is_not_asked_about(stubbed):
    stub = stubbed("bedrock")  # no response queued: any call would fail the test
    llm = calculate(Workload(concurrent_users=1000, llm="openai:gpt-4o-mini")).llm
    assert run(preflight.Clients(bedrock=stub.client), llm=llm).unchecked == []


# ---- the live cache ---------------------------------------------------------------------------------------------


def cache_plan(shards, usable=0.822, node="cache.t4g.small"):
    return CachePlan(
        enabled=True,
        engine="valkey",
        node_type=node,
        num_nodes=shards * 2,
        shards=shards,
        replicas_per_shard=1,
        required_memory_gib=0.5,
        usable_memory_gib_per_node=usable,
        monthly_usd=1,
        reason="",
    )


def live_cache(stubbed, per_node_bytes):
    """A live group of len(per_node_bytes) shards, each a primary and a replica, at the given 7-day peaks."""
    tagging, elasticache, cloudwatch = (
        stubbed("resourcegroupstaggingapi"),
        stubbed("elasticache"),
        stubbed("cloudwatch"),
    )
    tagging.add_response(
        "get_resources",
        {"ResourceTagMappingList": [{"ResourceARN": GROUP_ARN, "Tags": [{"Key": "chat-infra:stack", "Value": "x"}]}]},
        {
            "TagFilters": [{"Key": "chat-infra:stack", "Values": ["chat-infra/dev"]}],
            "ResourceTypeFilters": ["elasticache:replicationgroup"],
        },
    )
    shards = [
        {
            "NodeGroupId": f"000{i + 1}",
            "Status": "available",
            "NodeGroupMembers": [
                {"CacheClusterId": f"data-cache-1a2b3c4-000{i + 1}-00{n}", "CacheNodeId": "0001"} for n in (1, 2)
            ],
        }
        for i in range(len(per_node_bytes))
    ]
    elasticache.add_response(
        "describe_replication_groups",
        {
            "ReplicationGroups": [
                {
                    "ReplicationGroupId": "data-cache-1a2b3c4",
                    "Status": "available",
                    "NodeGroups": shards,
                    "CacheNodeType": "cache.t4g.small",
                    "ClusterEnabled": True,
                }
            ]
        },
        {"ReplicationGroupId": "data-cache-1a2b3c4"},
    )
    results = []
    for i, (primary, replica) in enumerate(per_node_bytes):
        for j, peak in enumerate((primary, replica)):
            results.append(
                {
                    "Id": f"m{2 * i + j}",
                    "Label": "BytesUsedForCache",
                    "Timestamps": [NOW - datetime.timedelta(hours=3), NOW - datetime.timedelta(hours=2)],
                    "Values": [peak / 2, peak],
                    "StatusCode": "Complete",
                }
            )
    cloudwatch.add_response(
        "get_metric_data",
        {"MetricDataResults": results, "Messages": []},
        {"MetricDataQueries": ANY, "StartTime": NOW - datetime.timedelta(days=7), "EndTime": NOW},
    )
    return preflight.Clients(tagging=tagging.client, elasticache=elasticache.client, cloudwatch=cloudwatch.client)


GIB = 2**30


def test_scale_in_whose_data_would_not_fit_is_refused(stubbed):
    # Two shards live, at peaks of 0.6 and 0.5 GiB (the replica a little behind its primary): 1.1 GiB of data.
    clients = live_cache(stubbed, [(0.6 * GIB, 0.58 * GIB), (0.45 * GIB, 0.5 * GIB)])
    found = run(clients, cache=cache_plan(shards=1))
    # One shard may fill 0.822 GiB < 1.1 GiB: the scale-in is refused.
    (refusal,) = found.refusals
    assert "held 1.10 GiB" in refusal and "0.82 GiB" in refusal and "from 2" in refusal and "\n" not in refusal


def test_scale_in_that_fits_is_silent(stubbed):
    clients = live_cache(stubbed, [(0.3 * GIB, 0.3 * GIB), (0.4 * GIB, 0.4 * GIB)])  # 0.7 GiB <= 0.822
    assert run(clients, cache=cache_plan(shards=1)).refusals == []


def test_data_beyond_an_unchanged_layout_warns_only(stubbed):
    clients = live_cache(stubbed, [(0.6 * GIB, 0.6 * GIB), (0.5 * GIB, 0.5 * GIB)])  # 1.1 GiB
    found = run(clients, cache=cache_plan(shards=2, usable=0.5))  # 2 x 0.5 = 1.0 GiB, not a scale-in
    assert found.refusals == [] and "held 1.10 GiB" in found.warnings[0]


def test_no_live_cache_before_the_first_up(stubbed):
    tagging = stubbed("resourcegroupstaggingapi")
    tagging.add_response("get_resources", {"ResourceTagMappingList": []})
    clients = preflight.Clients(
        tagging=tagging.client, elasticache=client("elasticache"), cloudwatch=client("cloudwatch")
    )
    assert run(clients, cache=cache_plan(shards=1)) == preflight.Findings()


# ---- the program ------------------------------------------------------------------------------------------------


def test_the_program_refuses_at_preview_with_stubbed_clients(stubbed, monkeypatch):
    stub = stubbed("service-quotas")
    stub.add_response("get_service_quota", quota("L-1216C47A", 5))
    monkeypatch.setattr(preflight, "_previewing", lambda: True)
    monkeypatch.setattr(preflight, "connect", lambda region, identity: preflight.Clients(service_quotas=stub.client))
    # 1,000 users: 11 t3a.small of 2 vCPUs at the min (tests/test_plan_diff.py derives the 11).
    with pytest.raises(ConfigError, match=r"min fleet needs 22 vCPUs .* quota of 5"):
        run_program({"concurrentUsers": 1000, "llm": "none"})


def test_the_program_warns_in_one_line_when_aws_cannot_be_reached(monkeypatch):
    def unreachable(region, identity):
        raise OSError("no route to host")

    monkeypatch.setattr(preflight, "_previewing", lambda: True)
    monkeypatch.setattr(preflight, "connect", unreachable)
    run = run_program({"concurrentUsers": 1000})
    lines = [text for level, text in run.log if level == "WARNING" and text.startswith("preflight:")]
    assert len(lines) == 1 and "preflightChecks false" in lines[0] and "OSError: no route to host" in lines[0]
    assert "aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A" in lines[0]
    assert "aws bedrock get-foundation-model-availability" in lines[0] and "BytesUsedForCache" in lines[0]


def test_preflight_checks_off_and_outside_preview_never_connect(monkeypatch):
    def never(region, identity):
        raise AssertionError("connected")

    monkeypatch.setattr(preflight, "connect", never)
    run_program({"concurrentUsers": 1000})  # not a preview: the mocks run as `up`
    monkeypatch.setattr(preflight, "_previewing", lambda: True)
    run_program({"concurrentUsers": 1000, "preflightChecks": False})


def test_preflight_checks_must_be_a_boolean():
    with pytest.raises(ConfigError, match="chat-infra:preflightChecks: must be true or false"):
        run_program({"concurrentUsers": 1000, "preflightChecks": "sometimes"})


def test_the_cache_carries_the_tag_a_preview_finds_it_by():
    run = run_program({"concurrentUsers": 1000})
    group = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert group["tags"] == {"chat-infra:stack": "chat-infra/test"}


def test_a_self_hosted_models_gpu_group_is_a_fleet_of_its_family():
    from self_hosted_plans import LLAMA_70B_TP4

    # g6e.12xlarge: 48 vCPUs (sizing/data/gpu_instances.yaml); the plan's 2 to 4 GPU nodes are 96 to 192 vCPUs of the
    # "Running On-Demand G and VT instances" quota.
    (fleet,) = preflight.self_hosted_fleets(LLAMA_70B_TP4, preflight._gpu_vcpus)
    assert fleet == preflight.Fleet("g6e.12xlarge", 96, 192, False)
    assert preflight.quota_for(fleet.instance_type)[0] == "L-DB2E81BA"
    assert preflight.self_hosted_fleets(None, preflight._gpu_vcpus) == []
