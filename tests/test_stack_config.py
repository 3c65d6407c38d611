"""Bad stack config stops the program with one line that names the key, before any resource is declared.

Messages are given whole where stacks/config.py words them, and as (key, ending) where sizing.errors.describe does.
"""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from stack_mocks import StackMocks, run_program, use_stack_modules

from sizing import Workload, calculate

use_stack_modules()
import config as stack_config

GOOD = {"concurrentUsers": 1000, "totalUsers": 10000}

BAD = [
    pytest.param(
        {},
        "chat-infra:concurrentUsers: missing; set the peak simultaneous users with "
        "`pulumi config set chat-infra:concurrentUsers 1000`",
        id="missing-concurrentUsers",
    ),
    pytest.param({"concurrentUsers": -5}, ("chat-infra:concurrentUsers: ", "greater than 0 (got -5)"), id="negative"),
    pytest.param(
        {"concurrentUsers": "lots"},
        ("chat-infra:concurrentUsers: ", "valid integer (got 'lots')"),
        id="not-a-number",
    ),
    pytest.param(
        {"concurrentUsers": 1.5},
        ("chat-infra:concurrentUsers: ", "valid integer (got 1.5)"),
        id="fraction",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "totalUsers": -1},
        ("chat-infra:totalUsers: ", "greater than 0 (got -1)"),
        id="negative-total",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "totalUsers": 500},
        "chat-infra:totalUsers: total users (500) cannot be fewer than concurrent users (1,000)",
        id="total-below-concurrent",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "totalUsers": 5000, "activeRatio": "0.2"},
        "chat-infra:totalUsers and chat-infra:activeRatio: give total users or an active ratio, not both",
        id="total-and-ratio",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "activeRatio": "1.5"},
        ("chat-infra:activeRatio: ", "less than or equal to 1 (got 1.5)"),
        id="ratio-above-1",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "arch": "sparc"},
        ("chat-infra:arch: ", "'x86_64' or 'arm64' (got 'sparc')"),
        id="unknown-arch",
    ),
    *(
        pytest.param(
            {"concurrentUsers": 1000, "llm": "vllm:meta-llama/Llama-3.1-8B-Instruct", "llmCompare": compare},
            (
                "chat-infra:llmCompare: ",
                f"expected an API model to compare with as PROVIDER:MODEL (e.g. openai:gpt-4o-mini) (got {compare!r})",
            ),
            id=f"llm-compare-{name}",
        )
        # Not PROVIDER:MODEL; no model at all; a self-hosted model, which has no token price to compare with.
        for name, compare in [("garbage", "gpt-4o-mini"), ("none", "none"), ("self-hosted", "vllm:Qwen/Qwen2.5-7B")]
    ),
    # Well formed, but no such model or provider: the key to fix is still llmCompare, not llm.
    *(
        pytest.param(
            {"concurrentUsers": 1000, "llm": "vllm:meta-llama/Llama-3.1-8B-Instruct", "llmCompare": compare},
            ("chat-infra:llmCompare: ", message),
            id=f"llm-compare-{name}",
        )
        for name, compare, message in [
            ("unknown-model", "openai:gpt-99", "unknown OpenAI model 'gpt-99'; did you mean gpt-4, gpt-5, gpt-4o?"),
            (
                "unknown-provider",
                "madeup:foo",
                "unknown LLM provider 'madeup' (providers are named as in genai-prices: aws, openai, anthropic, "
                "google, ...)",
            ),
        ]
    ),
    pytest.param(
        {"concurrentUsers": 1000, "capacity": "spot"},
        ("chat-infra:capacity: ", "'on-demand' or 'spot-burst' (got 'spot')"),
        id="unknown-capacity",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "savingsPlan": "5y"},
        ("chat-infra:savingsPlan: ", "'none', '1y' or '3y' (got '5y')"),
        id="unknown-savings-plan-term",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "assumptions": {"backend": {"users_per_podd": 80}}},
        "chat-infra:assumptions: backend.users_per_podd: unknown setting (check the spelling)",
        id="assumption-typo",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "assumptions": {"backend": {"users_per_pod": -1}}},
        ("chat-infra:assumptions: backend.users_per_pod: ", "greater than or equal to 1 (got -1)"),
        id="assumption-out-of-range",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "assumptions": "users_per_pod=80"},
        "chat-infra:assumptions: must be an object (got 'users_per_pod=80')",
        id="assumptions-not-an-object",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "vpcCidr": "10.0.0.0/24"},
        "chat-infra:vpcCidr: must be from /16 to /20 to hold the subnets (got '10.0.0.0/24')",
        id="vpc-too-small",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "vpcCidr": "10.0.0.1/16"},
        "chat-infra:vpcCidr: not an IPv4 network: 10.0.0.1/16 has host bits set (got '10.0.0.1/16')",
        id="vpc-host-bits",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "kubernetesVersion": "latest"},
        "chat-infra:kubernetesVersion: must be a minor version like 1.34 (got 'latest')",
        id="kubernetes-version",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "kubernetesVersion": "1.29"},
        "chat-infra:kubernetesVersion: no Cluster Autoscaler release is pinned for Kubernetes 1.29 "
        "(pinned: 1.33, 1.34, 1.35); add it to VERSIONS in stacks/autoscaler.py",
        id="kubernetes-version-without-autoscaler",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "deployWorkloads": "yes"},
        "chat-infra:deployWorkloads: must be true or false (got 'yes')",
        id="deploy-workloads",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "backendImage": "  "},
        "chat-infra:backendImage: must be a container image reference like registry.example.com/team/app:1.2, "
        "with a lowercase path (got '  ')",
        id="empty-image",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "adminPrincipalArns": ["arn:aws:sts::123456789012:assumed-role/ci/run-1"]},
        "chat-infra:adminPrincipalArns: 'arn:aws:sts::123456789012:assumed-role/ci/run-1' is a session, not a principal; "
        "give the role's ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        id="admin-session-arn",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "adminPrincipalArns": ["alice"]},
        "chat-infra:adminPrincipalArns: 'alice' is not an IAM role or user ARN "
        "(arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)",
        id="admin-not-an-arn",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "adminPrincipalArns": ["arn:aws:iam::123456789012:role/ci"] * 2},
        "chat-infra:adminPrincipalArns: 'arn:aws:iam::123456789012:role/ci' is listed twice",
        id="admin-twice",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "adminPrincipalArns": "arn:aws:iam::123456789012:role/ci"},
        "chat-infra:adminPrincipalArns: must be a list of strings (got 'arn:aws:iam::123456789012:role/ci'); set an "
        "item with `pulumi config set --path 'chat-infra:adminPrincipalArns[0]' VALUE`",
        id="admin-not-a-list",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "publicAccessCidrs": [f"10.{i // 256}.{i % 256}.0/24" for i in range(101)]},
        "chat-infra:publicAccessCidrs: 101 items, more than the 100 this program takes",
        id="endpoint-cidrs-too-many",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "publicAccessCidrs": "[" * 5000 + "]" * 5000},
        "chat-infra:publicAccessCidrs: must be a list of strings (got '" + "[" * 76 + "...); set an item with "
        "`pulumi config set --path 'chat-infra:publicAccessCidrs[0]' VALUE`",
        id="endpoint-cidrs-nested-beyond-the-json-parser",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "publicAccessCidrs": ["203.0.113.7/24"]},
        "chat-infra:publicAccessCidrs: not an IPv4 network: 203.0.113.7/24 has host bits set (got '203.0.113.7/24')",
        id="endpoint-cidr-host-bits",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "controlPlaneLogRetentionDays": 45},
        "chat-infra:controlPlaneLogRetentionDays: must be one of CloudWatch's retentions: 1, 3, 5, 7, 14, 30, 60, 90, "
        "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 to keep forever (got '45')",
        id="log-retention",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "upgradePolicy": "extended"},
        "chat-infra:upgradePolicy: must be STANDARD or EXTENDED (got 'extended')",
        id="upgrade-policy",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "nodeUpdateMaxUnavailablePercent": 0},
        "chat-infra:nodeUpdateMaxUnavailablePercent: must be a whole number from 1 to 100 (got '0')",
        id="update-percent",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "dynamodbTableQuota": "lots"},
        "chat-infra:dynamodbTableQuota: must be a whole number from 1 to 10,000,000 (got 'lots')",
        id="table-quota",
    ),
    pytest.param(
        {
            "concurrentUsers": 1000,
            "aws:assumeRoles": [{"roleArn": "arn:aws:iam::1:role/a"}, {"roleArn": "arn:aws:iam::1:role/b"}],
        },
        "aws:assumeRoles: `aws eks get-token` can assume one role with no external ID, session policy or tags; put the "
        "chain in an AWS CLI profile (role_arn, source_profile, external_id) and set aws:profile instead",
        id="role-chain",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "aws:assumeRoles": [{"roleArn": "arn:aws:iam::1:role/a", "externalId": "x"}]},
        "aws:assumeRoles: `aws eks get-token` can assume one role with no external ID, session policy or tags; put the "
        "chain in an AWS CLI profile (role_arn, source_profile, external_id) and set aws:profile instead",
        id="role-external-id",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "aws:accessKey": "AKIAEXAMPLE"},
        "aws:accessKey: the Kubernetes provider's `aws eks get-token` cannot use it; put the keys in the environment "
        "(AWS_ACCESS_KEY_ID, ...) or in a profile and set aws:profile",
        id="static-keys",
    ),
    *(
        pytest.param(
            {"concurrentUsers": 1000, key: image},
            f"chat-infra:{key}: must be a container image reference like registry.example.com/team/app:1.2, "
            f"with a lowercase path (got {image!r})",
            id=f"image-{image}",
        )
        for key, image in [
            ("backendImage", "UPPER/Case"),
            ("frontendImage", "-rf"),
            ("backendImage", "::::"),
            ("backendImage", "nginx:"),
            ("frontendImage", "a//b"),
            ("backendImage", "app@sha256:abc"),
            ("backendImage", "ngi nx"),
            ("backendImage", "app:1.0 --privileged"),
        ]
    ),
    pytest.param(
        {"concurrentUsers": 1000, "backendImage": "app:" + "x" * 129},  # tags are at most 128 characters
        "chat-infra:backendImage: must be a container image reference like registry.example.com/team/app:1.2, "
        "with a lowercase path (got 'app:" + "x" * 72 + "...)",
        id="image-tag-too-long",
    ),
    *(
        pytest.param(
            {"concurrentUsers": 1000, "vpcCidr": cidr},
            f"chat-infra:vpcCidr: {cidr} is not private address space; use a range within 10.0.0.0/8, "
            f"172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10 (got {cidr!r})",
            id=f"vpc-{cidr}",
        )
        # Loopback, multicast, "this network", public space, and /16s straddling the edge of a private block.
        for cidr in [
            "127.0.0.0/16",
            "224.0.0.0/16",
            "0.0.0.0/16",
            "8.8.0.0/16",
            "172.32.0.0/16",
            "11.0.0.0/16",
            "100.128.0.0/16",
        ]
    ),
    pytest.param(
        {"concurrentUsers": 1000, "assumptions": '{"a": ' * 30 + "1" + "}" * 30},
        "chat-infra:assumptions: nested deeper than 20 levels",
        id="assumptions-too-deep",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "assumptions": '{"a": ' * 5000 + "1" + "}" * 5000},
        # Values are shown cut to 77 characters and "...": the quote, twelve '{"a": ' and '{"a"'.
        "chat-infra:assumptions: must be an object (got '" + '{"a": ' * 12 + '{"a"' + "...)",
        id="assumptions-nested-beyond-the-json-parser",
    ),
    pytest.param(
        {"concurrentUsers": 1000, "activeRatio": "1e-309"},
        "chat-infra:activeRatio: an active ratio of 1e-309 means 1.00e+312 registered users, more than "
        "1,000,000,000: use a ratio of at least 1e-06",
        id="subnormal-ratio",
    ),
]


@pytest.mark.parametrize(("values", "message"), BAD)
def test_bad_config_fails_with_one_line_naming_the_key(values, message):
    with pytest.raises(pulumi.RunError) as raised:
        run_program(values)
    line = str(raised.value)
    if isinstance(message, tuple):
        # The wording after the key is sizing.errors.describe's; the key and the offending value are ours to check.
        key, tail = message
        assert line.startswith(key) and line.endswith(tail), line
    else:
        assert line == message
    assert "\n" not in line


@pytest.mark.parametrize(
    ("values", "key", "start"),
    [
        (
            {"concurrentUsers": 1000, "instanceType": "m9.huge"},
            "chat-infra:instanceType",
            "unknown instance type 'm9.huge'",
        ),
        (
            {"concurrentUsers": 1000, "aws:region": "eu-mars-1"},
            "aws:region",
            "no price data for region 'eu-mars-1' in the shipped prices (which has: us-east-1, us-west-2); fetch it "
            "with `sizing prices refresh --region eu-mars-1 --output prices.yaml` and point chat-infra:pricesFile at it "
            "(`pulumi config set chat-infra:pricesFile prices.yaml`)",
        ),
        (
            {"concurrentUsers": 1000, "instanceType": "c6i.large", "arch": "arm64"},
            "chat-infra:arch",
            "arm64 contradicts the pinned instance type c6i.large",
        ),
        (
            {"concurrentUsers": 1000, "savingsPlan": "1y"},
            "chat-infra:savingsPlan",
            "the prices for us-east-1 (as of 2026-02-09) have no Compute Savings Plan rates; fetch them with "
            "`sizing prices refresh --region us-east-1 --output prices.yaml` and use that price file",
        ),
        (
            {"concurrentUsers": 100_000, "capacity": "spot-burst", "instanceType": "m8g.24xlarge"},
            "chat-infra:capacity",
            "spot-burst needs 3 Spot types with m8g.24xlarge's 96 vCPU and 384 GiB offered in us-east-1, and has 1",
        ),
    ],
    ids=[
        "unknown-instance-type",
        "unsupported-region",
        "arch-contradicts-the-pin",
        "savings-plan-without-rates",
        "spot-pool-too-small",
    ],
)
def test_what_the_engine_cannot_size_is_blamed_on_the_key_that_asked_for_it(values, key, start):
    with pytest.raises(pulumi.RunError) as raised:
        run_program(values)
    assert str(raised.value).startswith(f"{key}: {start}")
    assert "\n" not in str(raised.value)


def test_a_missing_region_is_named(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(pulumi.RunError, match=r"^aws:region: missing; set it with `pulumi config set aws:region"):
        run_program(GOOD, region=None)


def test_config_errors_are_run_errors_so_pulumi_prints_no_traceback():
    # The language host logs a RunError's message alone and any other exception with its traceback.
    assert issubclass(stack_config.ConfigError, pulumi.RunError)


@pytest.mark.parametrize(
    "values",
    [
        {"concurrentUsers": -5},
        {"concurrentUsers": 1000, "kubernetesVersion": "1.29"},
        {"concurrentUsers": 1_000_000},
    ],
    ids=["bad-load", "kubernetes-version-without-autoscaler", "fleet-beyond-the-vpc"],
)
def test_the_program_stops_before_declaring_anything(values):
    mocks = StackMocks()
    with pytest.raises(pulumi.RunError):
        run_program(values, mocks=mocks)
    assert mocks.resources == [] and mocks.calls == []


def test_a_fleet_the_vpc_cannot_address_is_refused_naming_vpc_cidr():
    # With the VPC CNI every pod takes a VPC address: 1,000,000 users' max fleet outgrows the private subnets of the
    # default /16 (three eighths of it), so the preview stops instead of pods failing to start at the peak.
    plan = calculate(Workload(concurrent_users=1_000_000, region="us-east-1"))
    held = 3 * (2**13 - 5)
    assert plan.network.availability_zones == 3 and plan.network.vpc_ips_max > held
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1_000_000})
    assert str(raised.value) == (
        f"chat-infra:vpcCidr: the plan's max fleet needs about {plan.network.vpc_ips_max:,} VPC addresses but the "
        f"private subnets of 10.0.0.0/16 hold {held:,}; lower chat-infra:concurrentUsers, raise "
        "assumptions.backend.users_per_pod, or split the load across stacks"
    )


def test_a_smaller_vpc_is_refused_sooner_and_told_it_can_grow():
    # A /20's private subnets hold 3 x 507 addresses: enough for 1,000 users, not for 50,000.
    assert run_program({"concurrentUsers": 1000, "vpcCidr": "10.0.0.0/20"}).outputs["tier"] == "medium"
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 50_000, "vpcCidr": "10.0.0.0/20"})
    line = str(raised.value)
    assert line.startswith("chat-infra:vpcCidr: the plan's max fleet needs about ")
    assert "but the private subnets of 10.0.0.0/20 hold 1,521; widen chat-infra:vpcCidr (up to /16), lower" in line
    assert "\n" not in line


def test_decimals_set_with_path_reach_the_strict_assumptions_as_numbers():
    # `pulumi config set --path 'chat-infra:assumptions.cache.usable_fraction' 0.6` stores "0.6": the CLI types only
    # integers and booleans of path values. Names stay strings; a non-number is still refused by the engine.
    values = {
        "concurrentUsers": 1000,
        "assumptions": {"cache": {"usable_fraction": "0.6"}, "backend": {"buffer": "1.5"}},
    }
    run = run_program(values)
    assumptions = run.outputs["sizing"]["assumptions"]
    assert (assumptions["cache"]["usable_fraction"], assumptions["backend"]["buffer"]) == (0.6, 1.5)
    tiers = run_program({"concurrentUsers": 1000, "assumptions": {"burstable_tiers": ["small"]}})
    assert tiers.outputs["sizing"]["assumptions"]["burstable_tiers"] == ["small"]
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1000, "assumptions": {"backend": {"buffer": "lots"}}})
    assert str(raised.value).startswith("chat-infra:assumptions: backend.buffer: ")


def test_unset_optional_keys_mean_what_pulumi_yaml_says():
    class Config:
        def __init__(self, values):
            self.values = values

        def get(self, key):
            return self.values.get(key)

    settings = stack_config.load(
        Config({"concurrentUsers": "1000", "totalUsers": "0", "activeRatio": "", "allowPlainHttp": "true"}),
        Config({"region": "us-west-2"}),
    )
    workload = settings.workload
    assert (workload.total_users, workload.active_ratio, workload.instance_type) == (None, None, None)
    # arch "" is not set: the engine decides (x86_64, or the pinned type's architecture).
    assert workload.arch is None
    # No comparison model named: a self-hosted model's break-even is priced against the default API model.
    assert workload.llm_compare is None
    assert workload.region == "us-west-2"
    assert settings.deploy_workloads is True
    assert settings.kubernetes_version == stack_config.DEFAULT_KUBERNETES_VERSION
    assert settings.vpc_cidr == "10.0.0.0/16"
    # The team settings, unset: the deployer is the admin, the endpoint open (with a warning), 90 days of logs,
    # standard support, a third of a node group at a time, AWS's default table quota, the environment's identity.
    assert (settings.admin_principal_arns, settings.public_access_cidrs) == ((), ())
    assert (settings.log_retention_days, settings.upgrade_policy) == (90, "STANDARD")
    assert (settings.node_update_max_unavailable_percent, settings.dynamodb_table_quota) == (33, 40_000)
    assert settings.identity == stack_config.AwsIdentity(profile=None, role_arn=None)
    # The edge: no domain, zone or certificate (plain HTTP asked for here), the readiness probe on /, and the plan's
    # WAF limit with no managed rules.
    edge = settings.edge
    assert (edge.domain_name, edge.hosted_zone_id, edge.certificate_arn) == (None, None, None)
    assert (edge.allow_plain_http, edge.readiness_path) == (True, "/")
    assert workload.assumptions.edge.rate_limit_per_ip is None
    assert workload.assumptions.edge.waf_managed_rules is False
    ratio = stack_config.load(
        Config({"concurrentUsers": "1000", "activeRatio": "0.25", "allowPlainHttp": "true"}),
        Config({"region": "us-east-1"}),
    )
    assert ratio.workload.effective_total_users == 4000


def test_more_zones_than_the_region_offers_is_named():
    values = {"concurrentUsers": 1000, "assumptions": {"availability_zones": 4}}
    with pytest.raises(pulumi.RunError) as raised:
        run_program(values, mocks=StackMocks(zones=["us-east-1a", "us-east-1b", "us-east-1c"]))
    assert str(raised.value) == (
        "chat-infra:assumptions: availability_zones: the plan spreads over 4 zones but the region offers 3"
    )


def test_five_zones_when_the_plan_asks_for_them():
    # us-east-1's sixth zone ID (use1-az3) takes no EKS subnets (test_stack_day2.py): five is its most.
    run = run_program({"concurrentUsers": 8000, "assumptions": {"availability_zones": 5}})
    assert len(run.of_type("aws:ec2/subnet:Subnet")) == 10
    assert len({s.inputs["availabilityZone"] for s in run.of_type("aws:ec2/subnet:Subnet")}) == 5


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginxinc/nginx-unprivileged:1.27-alpine",
        "localhost:5000/team/app:v1",
        "[::1]:5000/app",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/chat-backend:2024.06.1",
        "ghcr.io/org/app@sha256:" + "0123456789abcdef" * 4,
        "registry.example.com/a__b/c--d.e_f:V1_x-y.z",
        "UPPER.example.com/lower:Tag",
    ],
)
def test_image_references_of_the_grammar_are_accepted(image):
    settings = stack_config.load(
        _Config({"concurrentUsers": "1000", "backendImage": image, "frontendImage": image}),
        _Config({"region": "us-east-1"}),
    )
    assert (settings.backend_image, settings.frontend_image) == (image, image)


@pytest.mark.parametrize(
    "cidr",
    [
        "10.0.0.0/16",
        "10.255.240.0/20",
        "172.16.0.0/16",
        "172.31.0.0/16",
        "192.168.0.0/16",
        "100.64.0.0/16",
        "100.127.0.0/16",
    ],
)
def test_private_and_shared_address_space_is_accepted(cidr):
    settings = stack_config.load(
        _Config({"concurrentUsers": "1000", "vpcCidr": cidr}), _Config({"region": "us-east-1"})
    )
    assert settings.vpc_cidr == cidr


class _Config:
    """As pulumi.Config.get answers: the value as a string, None when unset. An edge left unset is a plain-HTTP dev
    stack (allowPlainHttp), so that plans come out and the keys under test decide."""

    def __init__(self, values):
        self.values = values

    def get(self, key):
        return self.values.get(key, "true" if key == "allowPlainHttp" else None)


_FIELDS = sorted(
    {
        "backend",
        "users_per_pod",
        "buffer",
        "cache",
        "enabled",
        "database",
        "billing_mode",
        "min_nodes",
        "availability_zones",
        "burstable_tiers",
    }
)
_JSON_SHAPED = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**25), 10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)
_PLAUSIBLE = {
    "concurrentUsers": st.sampled_from(["1000", "250000", "0", "-5", "1.5"]),
    "totalUsers": st.sampled_from(["0", "20000", "500"]),
    "activeRatio": st.sampled_from(["", "0.2", "1e-309", "NaN"]),
    "instanceType": st.sampled_from(["", "t4g.medium", "m6i.xlarge"]),
    "arch": st.sampled_from(["", "x86_64", "arm64"]),
    "assumptions": st.sampled_from(
        ["{}", '{"backend": {"users_per_pod": 80}}', '{"cache": {"usable_fraction": "0.6"}}']
    ),
    "backendImage": st.sampled_from(["nginx:1.27", "UPPER/Case"]),
    "frontendImage": st.sampled_from(["ghcr.io/org/web:1", "-rf"]),
    "kubernetesVersion": st.sampled_from(["1.34", "1.29", "latest"]),
    "vpcCidr": st.sampled_from(["10.0.0.0/16", "127.0.0.0/16", "10.0.0.0/24"]),
    "deployWorkloads": st.sampled_from(["true", "false", "yes"]),
    "capacity": st.sampled_from(["on-demand", "spot-burst", "spot"]),
    "savingsPlan": st.sampled_from(["none", "1y", "5y"]),
    "llmCompare": st.sampled_from(["", "openai:gpt-4o-mini", "vllm:x", "none"]),
    "allowPlainHttp": st.sampled_from(["true", "false", "maybe"]),
    "domainName": st.sampled_from(["", "chat.example.com", "-bad-"]),
    "hostedZoneId": st.sampled_from(["", "Z0123456789ABCDEFGHIJ", "zone"]),
    "certificateArn": st.sampled_from(
        ["", "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "arn:bad"]
    ),
    "rateLimitPerIp": st.sampled_from(["0", "500", "5"]),
    "wafManagedRules": st.sampled_from(["true", "false", "no"]),
    "readinessPath": st.sampled_from(["/", "/healthz", "healthz"]),
}


# Good values only, so that plans come out too.
_GOOD = {
    "concurrentUsers": st.sampled_from(["1000", "250000", "7"]),
    "activeRatio": st.sampled_from(["", "0.2"]),
    "instanceType": st.sampled_from(["", "t4g.medium", "m6i.xlarge"]),
    "assumptions": st.sampled_from(["{}", '{"backend": {"users_per_pod": 80}}']),
    "backendImage": st.just("nginx:1.27"),
    "vpcCidr": st.sampled_from(["10.0.0.0/16", "192.168.0.0/16"]),
    "deployWorkloads": st.sampled_from(["true", "false"]),
    "capacity": st.sampled_from(["on-demand", "spot-burst"]),
    "rateLimitPerIp": st.sampled_from(["0", "500"]),
    "wafManagedRules": st.sampled_from(["true", "false"]),
}
_ANY = {key: plausible | st.text(max_size=40) | _JSON_SHAPED.map(json.dumps) for key, plausible in _PLAUSIBLE.items()}


@settings(max_examples=150, deadline=None)
@given(
    values=st.sampled_from([_ANY, _GOOD]).flatmap(lambda table: st.fixed_dictionaries({}, optional=table)),
    region=st.sampled_from(["us-east-1", "us-west-2"]) | st.text(max_size=20),
)
def test_any_config_is_a_plan_or_one_line_naming_the_key(values, region):
    """Whatever `pulumi config set` stored (every value a string, objects as JSON): a plan, or a ConfigError of one
    line that starts with the key at fault. Never another exception, which Pulumi would print with a traceback."""
    try:
        settings = stack_config.load(_Config(values), _Config({"region": region} if region else {}))
        plan = stack_config.plan_for(settings.workload)
    except stack_config.ConfigError as error:
        line = str(error)
        event("refused")
        assert "\n" not in line and re.match(r"(chat-infra:[a-zA-Z]+|aws:region)(, | and |: )", line), line
        return
    event("plan")
    assert plan.workload.concurrent_users == settings.workload.concurrent_users
    assert settings.vpc_cidr and settings.backend_image and settings.frontend_image


def frankfurt_prices(tmp_path, families=("c5", "c6i")):
    """A price file for eu-central-1 offering only these families (us-east-1's rates, a 2026-03-01 snapshot)."""
    from sizing.data.pricing import dump_price_file, load_prices, region_entry

    entry = region_entry(load_prices().region("us-east-1"))
    entry["as_of"] = "2026-03-01"
    entry["ec2_hour"] = {n: p for n, p in entry["ec2_hour"].items() if n.split(".")[0] in families}
    target = tmp_path / "frankfurt.yaml"
    target.write_text(dump_price_file({"eu-central-1": entry}))
    return target


def test_prices_file_prices_the_plan_the_stack_declares(tmp_path):
    target = frankfurt_prices(tmp_path)
    run = run_program({"concurrentUsers": 8000, "pricesFile": str(target)}, region="eu-central-1")
    plan = run.outputs["sizing"]
    assert plan["workload"]["region"] == "eu-central-1" and plan["cost"]["prices_as_of"] == "2026-03-01"
    # Only c5 and c6i are offered there: at equal prices the newer c6i, not the cheaper c6a of the full catalog.
    assert plan["nodes"]["instance_type"] == "c6i.2xlarge"
    groups = run.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups and {g.inputs["instanceTypes"][0] for g in groups} == {"c6i.2xlarge"}


def test_a_relative_prices_file_is_read_from_the_project_directory(tmp_path, monkeypatch):
    target = frankfurt_prices(tmp_path)
    monkeypatch.setattr(stack_config, "PROJECT_DIR", str(tmp_path))
    settings = stack_config.load(
        type(
            "C",
            (),
            {
                "get": lambda self, key: {
                    "concurrentUsers": "100",
                    "pricesFile": target.name,
                    "allowPlainHttp": "true",
                }.get(key)
            },
        )(),
        type("C", (), {"get": lambda self, key: {"region": "eu-central-1"}.get(key)})(),
    )
    assert list(settings.prices.regions) == ["eu-central-1"]


@pytest.mark.parametrize(
    ("prices_file", "region", "message"),
    [
        (
            "/does/not/exist.yaml",
            "eu-central-1",
            "chat-infra:pricesFile: cannot read /does/not/exist.yaml: No such file or directory",
        ),
        (
            "frankfurt.yaml",
            "ap-south-1",
            "chat-infra:pricesFile: no price data for region 'ap-south-1' in {path} (which has: eu-central-1); fetch it "
            "with `sizing prices refresh --region ap-south-1 --output prices.yaml` and point chat-infra:pricesFile at it "
            "(`pulumi config set chat-infra:pricesFile prices.yaml`)",
        ),
        (
            "broken.yaml",
            "eu-central-1",
            "chat-infra:pricesFile: {path}: regions.eu-central-1.ec2_hour.c5.large: must be greater than 0 (got 0)",
        ),
    ],
    ids=["missing-file", "region-not-in-file", "bad-price"],
)
def test_a_bad_prices_file_is_one_line_naming_the_key(tmp_path, prices_file, region, message):
    good = frankfurt_prices(tmp_path)
    (tmp_path / "broken.yaml").write_text(good.read_text().replace("c5.large: 0.085", "c5.large: 0"))
    path = prices_file if prices_file.startswith("/") else str(tmp_path / prices_file)
    mocks = StackMocks()
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 1000, "pricesFile": path}, region=region, mocks=mocks)
    assert str(raised.value) == message.format(path=path)
    assert mocks.resources == []


SELF_HOSTED = {"llm": "vllm:meta-llama/Llama-3.1-8B-Instruct", "modelWeightsUri": "s3://acme-models/llama"}


def test_llm_compare_names_the_api_model_a_self_hosted_models_break_even_is_priced_against():
    # Spelt as for --llm-compare (the provider in any case); the plan's break-even names it, in the JSON contract.
    compared = run_program({**GOOD, **SELF_HOSTED, "llmCompare": "OpenAI:gpt-4o-mini"})
    assert compared.outputs["sizing"]["llm"]["break_even"]["api_model"] == "openai:gpt-4o-mini"
    # The same as the engine's plan for that workload: the key reaches the Workload, nothing else changes.
    engine = calculate(
        Workload(
            concurrent_users=1000,
            total_users=10000,
            llm=SELF_HOSTED["llm"],
            llm_compare="openai:gpt-4o-mini",
            assumptions={"cluster": {"support": "STANDARD", "log_retention_days": 90}},
        )
    )
    assert compared.outputs["sizing"]["llm"]["break_even"] == engine.llm.break_even.model_dump(mode="json")
    # Unset: the default API model, as the CLI without --llm-compare.
    default = run_program({**GOOD, **SELF_HOSTED})
    assert (
        default.outputs["sizing"]["llm"]["break_even"]["api_model"]
        == "aws:global.anthropic.claude-haiku-4-5-20251001-v1:0"
    )


def test_llm_compare_without_a_self_hosted_model_is_ignored_with_a_warning():
    run = run_program(
        {**GOOD, "llm": "openai:gpt-4o-mini", "llmApiKey": "sk-test", "llmCompare": "openai:gpt-4o"},
        secret_keys=["llmApiKey"],
    )
    assert (
        "WARNING",
        "chat-infra:llmCompare set, but chat-infra:llm is not a vllm: model: ignored (they configure a self-hosted "
        "model only)",
    ) in run.log
    assert run.outputs["sizing"]["llm"]["break_even"] is None
