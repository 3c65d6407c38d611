"""The Bedrock interface endpoint, under mocks: declared exactly when the plan routes the model through it, in every
zone the plan bills, reachable from the nodes only, and usable by the backend's calls on the plan's model only."""

from __future__ import annotations

import json

import pulumi
import pytest
from stack_mocks import ACCOUNT_ID, StackMocks, run_program, use_stack_modules

use_stack_modules()

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"  # the default model's Bedrock id
BASE = {"concurrentUsers": 1000, "totalUsers": 10000}


def interface_endpoints(run):
    """The interface endpoints a run (or, after a failed run, its mocks) recorded."""
    return [e for e in run.resources if e.typ == ENDPOINT and e.inputs["vpcEndpointType"] == "Interface"]


@pytest.fixture(scope="module")
def run():
    # The default Bedrock model at 1,000 users: 1,086 GB a month at the mean, past the endpoint's 626 GB break-even.
    return run_program(BASE)


def test_the_plan_routes_the_model_through_the_endpoint_and_the_stack_declares_it(run):
    route = run.outputs["sizing"]["network"]["llm_route"]
    assert route["via"] == "interface_endpoint"
    (endpoint,) = interface_endpoints(run)
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.bedrock-runtime" == route["endpoint_service"]
    # Private DNS: the SDK's default URL resolves to the endpoint inside the VPC, no configuration in the app.
    assert endpoint.inputs["privateDnsEnabled"] is True
    assert endpoint.inputs["vpcId"] == "network-vpc-id"
    # An interface in every private subnet: one per zone, the zones the plan bills the endpoint's hours for.
    zones = run.outputs["sizing"]["network"]["availability_zones"]
    assert endpoint.inputs["subnetIds"] == [f"network-private-{i}-id" for i in range(zones)]
    assert run.outputs["bedrockEndpointId"] == "bedrock-endpoint-id"
    # The DynamoDB gateway endpoint is still there beside it.
    assert [e.name for e in run.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"] == ["network-dynamodb"]


def test_only_the_nodes_reach_it_over_https(run):
    (endpoint,) = interface_endpoints(run)
    group = run.named("bedrock-endpoint-sg")
    assert endpoint.inputs["securityGroupIds"] == ["bedrock-endpoint-sg-id"]
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    rules = [
        r
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == "bedrock-endpoint-sg-id"
    ]
    assert [(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [("tcp", 443, 443)]
    (rule,) = rules
    # The cluster security group EKS creates and puts on every node (the mocks answer sg-cluster for it), no range.
    assert "cidrIpv4" not in rule.inputs
    assert rule.inputs["referencedSecurityGroupId"] == "sg-cluster"


def test_its_policy_admits_the_backends_invoke_calls_on_the_plans_model_only(run):
    (endpoint,) = interface_endpoints(run)
    policy = json.loads(endpoint.inputs["policy"])
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{MODEL}"
    only_the_backend = {
        "aws:PrincipalAccount": ACCOUNT_ID,
        "aws:PrincipalTag/eks-cluster-name": "chat-infra-test",
        "aws:PrincipalTag/kubernetes-namespace": "chat-app",
        "aws:PrincipalTag/kubernetes-service-account": "backend",
    }
    actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert policy["Statement"] == [
        {
            "Sid": "InvokeTheProfile",
            "Effect": "Allow",
            "Action": actions,
            "Resource": profile,
            "Principal": {"AWS": "*"},
            "Condition": {"StringEquals": only_the_backend},
        },
        {
            "Sid": "InvokeTheModelThroughTheProfile",
            "Effect": "Allow",
            "Action": actions,
            "Resource": [
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
                "arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
            ],
            "Principal": {"AWS": "*"},
            "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile, **only_the_backend}},
        },
    ]
    # The names in the policy are the ones the backend's Pod Identity association gives its sessions.
    (association,) = [
        a
        for a in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.inputs["serviceAccount"] == "backend"
    ]
    assert (association.inputs["namespace"], association.inputs.get("disableSessionTags")) == ("chat-app", None)


@pytest.mark.parametrize(
    "config",
    [
        # Another provider: its API is on the internet, through NAT.
        {"llm": "openai:gpt-4o-mini", "llmApiKey": "sk-test"},
        # Bedrock, but the endpoint turned off.
        {"assumptions": {"bedrock_vpc_endpoint": False}},
        # Bedrock at a load where NAT is cheaper (109 GB a month at the mean, below the 626 GB break-even).
        {"concurrentUsers": 100, "totalUsers": 1000},
    ],
    ids=["openai", "turned-off", "below-break-even"],
)
def test_no_endpoint_when_the_plan_routes_through_nat(config):
    run = run_program({**BASE, **config}, secret_keys=["llmApiKey"] if "llmApiKey" in config else None)
    assert run.outputs["sizing"]["network"]["llm_route"]["via"] == "nat_gateway"
    assert interface_endpoints(run) == []
    assert "bedrockEndpointId" not in run.outputs
    assert not [i for i in run.outputs["sizing"]["cost"]["breakdown"] if i["key"] == "llm_endpoint"]


def test_a_zone_the_endpoint_service_does_not_serve_stops_the_preview_naming_the_way_out():
    # The cluster's zones by ID are use1-az1, use1-az2 and use1-az4 (us-east-1a, b and d; az3 is refused by EKS);
    # here bedrock-runtime is offered in a, b and e only, and CreateVpcEndpoint would refuse d's subnet mid-`up`.
    mocks = StackMocks(endpoint_zones=["us-east-1a", "us-east-1b", "us-east-1e"])
    with pytest.raises(pulumi.RunError) as raised:
        run_program(BASE, mocks=mocks)
    assert str(raised.value) == (
        "chat-infra:assumptions: the plan routes the model's calls through an interface endpoint, but "
        "com.amazonaws.us-east-1.bedrock-runtime is not offered in us-east-1d, where the cluster has subnets: set "
        "`bedrock_vpc_endpoint: false` in chat-infra:assumptions (the calls then go through NAT), or pin "
        "chat-infra:availabilityZoneIds to zones it serves"
    )
    assert not interface_endpoints(mocks)
    # Either way out works: the zones it serves pinned, or the endpoint turned off.
    pinned = run_program(
        {**BASE, "availabilityZoneIds": ["use1-az1", "use1-az2", "use1-az5"]},
        mocks=StackMocks(endpoint_zones=["us-east-1a", "us-east-1b", "us-east-1e"]),
    )
    assert len(interface_endpoints(pinned)) == 1
    off = run_program(
        {**BASE, "assumptions": {"bedrock_vpc_endpoint": False}},
        mocks=StackMocks(endpoint_zones=["us-east-1a", "us-east-1b", "us-east-1e"]),
    )
    assert interface_endpoints(off) == []
