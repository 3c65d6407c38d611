"""The public edge as the program declares it: the AWS Load Balancer Controller, the frontend's Ingress -> ALB with
HTTPS (a certificate given, or requested and validated in the user's zone), plain HTTP only when asked (and warned
about), timeouts from the plan's answer streams, the WAF web ACL (its rules checked against botocore's wafv2 model),
the security group and the NetworkPolicy that let only the load balancer reach the pods, and the outputs.
"""

from __future__ import annotations

import json
import math
import re

import botocore.session
import kubernetes_validate
import pulumi
import pytest
from botocore.validate import ParamValidator
from hand_plans import build, flat_token_prices
from stack_mocks import ACCOUNT_ID, ALB_HOSTNAME, ALB_ZONE_ID, CERTIFICATE_UUID, Run, run_program, use_stack_modules

from sizing.plan import WafPlan

use_stack_modules()
import config as stack_config
import edge as stack_edge
import llm_access
import network as stack_network

DOMAIN = {"domainName": "chat.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
USERS = {"concurrentUsers": 1000, "totalUsers": 10000}
GIVEN_CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT_ID}:certificate/{CERTIFICATE_UUID}"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
A = "alb.ingress.kubernetes.io/"

WAFV2 = botocore.session.get_session().get_service_model("wafv2")


@pytest.fixture(scope="module")
def domain_run() -> Run:
    return run_program({**USERS, **DOMAIN, "readinessPath": "/healthz/ready", "wafManagedRules": True})


@pytest.fixture(scope="module")
def certificate_run() -> Run:
    return run_program({**USERS, "certificateArn": GIVEN_CERTIFICATE, "rateLimitPerIp": 500})


@pytest.fixture(scope="module")
def plain_run() -> Run:
    return run_program({**USERS, "allowPlainHttp": True})


def annotations(run: Run) -> dict[str, str]:
    return run.one(INGRESS).inputs["metadata"]["annotations"]


# --- timeouts from the plan ------------------------------------------------------------------------------------------


def llm_plan(fake_catalog, fake_prices, tokens_per_s: float):
    plan = build(
        fake_catalog,
        fake_prices,
        1_000,
        10_000,
        {"llm": {"output_tokens_per_s": tokens_per_s}},
        llm="openai:gpt-test",
        token_prices=flat_token_prices(),
    )
    return plan.llm


def test_without_an_llm_the_alb_keeps_its_default_idle_timeout_and_drains_within_the_minimum_grace():
    # Grace 30 s (Kubernetes' default, llm_access.MIN_GRACE_SECONDS) less 10 s to close: 20 s of draining.
    assert stack_edge.alb_timeouts(None) == stack_edge.AlbTimeouts(idle_seconds=60, deregistration_delay_seconds=20)


def test_short_streams_keep_the_default_idle_timeout(fake_catalog, fake_prices):
    # p90 stream: 1 s to the first token + 424 tokens at 100/s = 5.24 s; twice over, 10.48 -> 11 s, under 60 s.
    # Grace max(30, 5 + 11 + 10) = 30 s; the ALB drains 30 - 10 = 20 s, more than the 5 + 11 a stream needs.
    llm = llm_plan(fake_catalog, fake_prices, 100)
    assert llm.peak.stream_seconds_p90 == pytest.approx(5.24)
    assert stack_edge.alb_timeouts(llm) == stack_edge.AlbTimeouts(idle_seconds=60, deregistration_delay_seconds=20)


def test_long_streams_raise_the_idle_timeout_and_the_drain_which_fits_the_pods_grace(fake_catalog, fake_prices):
    # 5 tokens/s: p90 = 1 + 424 / 5 = 85.8 s; twice over, 171.6 -> 172 s of idle allowed. The pods' grace is
    # 5 (preStop) + 172 + 10 = 187 s; the ALB lets their requests run 187 - 10 = 177 s = preStop + the drain.
    llm = llm_plan(fake_catalog, fake_prices, 5)
    timeouts = stack_edge.alb_timeouts(llm)
    assert timeouts == stack_edge.AlbTimeouts(idle_seconds=172, deregistration_delay_seconds=177)
    grace = llm_access.grace_seconds(llm)
    assert grace == 187
    assert llm_access.PRESTOP_SECONDS + math.ceil(2 * 85.8) <= timeouts.deregistration_delay_seconds < grace


def test_the_ingress_carries_the_plans_timeouts_and_the_pods_grace_covers_the_drain(domain_run):
    plan = domain_run.outputs["sizing"]
    p90 = plan["llm"]["peak"]["stream_seconds_p90"]
    drain = math.ceil(2 * p90)
    grace = max(30, 5 + drain + 10)
    attributes = dict(pair.split("=") for pair in annotations(domain_run)[A + "load-balancer-attributes"].split(","))
    assert attributes == {
        "idle_timeout.timeout_seconds": str(max(60, drain)),
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }
    assert annotations(domain_run)[A + "target-group-attributes"] == (
        f"deregistration_delay.timeout_seconds={grace - 10}"
    )
    frontend = next(
        d for d in domain_run.of_type("kubernetes:apps/v1:Deployment") if d.inputs["metadata"]["name"] == "frontend"
    )
    assert frontend.inputs["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == grace
    # Behind the ALB, each app waits on a silent stream as long as the ALB does: the frontend's proxy read from the
    # backend and the backend's read from the model give up no sooner than the edge.
    for app in ("frontend", "backend"):
        deployment = next(
            d for d in domain_run.of_type("kubernetes:apps/v1:Deployment") if d.inputs["metadata"]["name"] == app
        )
        env = {e["name"]: e.get("value") for e in deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["STREAM_TIMEOUT_SECONDS"] == str(max(60, drain)), app


# --- HTTPS -----------------------------------------------------------------------------------------------------------


def test_a_domain_gets_a_dns_validated_certificate_a_current_tls_policy_and_a_redirect(domain_run):
    run = domain_run
    certificate = run.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "chat.example.com"
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {r.name: r.inputs for r in run.of_type("aws:route53/record:Record")}
    validation = records["edge-certificate-validation-record"]
    assert (validation["zoneId"], validation["type"], validation["name"]) == (
        "Z0123456789ABCDEFGHIJ",
        "CNAME",
        "_0123456789abcdef.chat.example.com.",
    )
    assert validation["records"] == ["_fedcba9876543210.acm-validations.aws."]
    waits = run.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert waits["validationRecordFqdns"] == ["_0123456789abcdef.chat.example.com"]
    # The alias: the ALB's DNS name in ELB's zone (no hosted zone is created; the user's holds the records).
    alias = records["edge-alias"]
    assert (alias["zoneId"], alias["name"], alias["type"]) == ("Z0123456789ABCDEFGHIJ", "chat.example.com", "A")
    assert alias["aliases"] == [{"name": ALB_HOSTNAME, "zoneId": ALB_ZONE_ID, "evaluateTargetHealth": True}]
    assert not run.of_type("aws:route53/zone:Zone")
    found = annotations(run)
    assert found[A + "certificate-arn"] == certificate_arn_of(run)
    assert found[A + "ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert json.loads(found[A + "listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert found[A + "ssl-redirect"] == "443"
    assert (found[A + "scheme"], found[A + "target-type"]) == ("internet-facing", "ip")
    assert run.outputs["certificateArn"] == certificate_arn_of(run)
    assert run.outputs["tlsPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert run.outputs["url"] == "https://chat.example.com"
    spec = run.one(INGRESS).inputs["spec"]
    assert spec["ingressClassName"] == "alb"
    assert spec["rules"] == [
        {
            "host": "chat.example.com",
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "frontend", "port": {"number": 80}}},
                    }
                ]
            },
        }
    ]


def certificate_arn_of(run: Run) -> str:
    """The ARN ACM gave the requested certificate (the mocks': stack_mocks.CERTIFICATE_UUID in this account)."""
    assert run.one("aws:acm/certificate:Certificate")
    return f"arn:aws:acm:us-east-1:{ACCOUNT_ID}:certificate/{CERTIFICATE_UUID}"


def test_a_given_certificate_is_used_as_is_and_nothing_is_requested(certificate_run):
    run = certificate_run
    assert not run.of_type("aws:acm/certificate:Certificate")
    assert not run.of_type("aws:route53/record:Record")
    assert annotations(run)[A + "certificate-arn"] == GIVEN_CERTIFICATE
    assert run.outputs["certificateArn"] == GIVEN_CERTIFICATE
    assert run.outputs["url"] == f"https://{ALB_HOSTNAME}"
    assert "host" not in run.one(INGRESS).inputs["spec"]["rules"][0]


def test_plain_http_is_served_only_when_asked_and_every_run_warns(plain_run):
    run = plain_run
    found = annotations(run)
    assert json.loads(found[A + "listen-ports"]) == [{"HTTP": 80}]
    assert not {A + "certificate-arn", A + "ssl-redirect", A + "ssl-policy"} & set(found)
    assert run.outputs["tlsPolicy"] == "none (plain HTTP)"
    assert run.outputs["url"] == f"http://{ALB_HOSTNAME}"
    warnings = [message for level, message in run.log if level == "WARNING"]
    assert any(w.startswith("chat-infra:allowPlainHttp is true: the app is served over plain HTTP") for w in warnings)
    # The security group opens port 80 alone: there is no HTTPS listener to redirect to.
    group = run.named("edge-alb-sg")
    assert [rule["fromPort"] for rule in group.inputs["ingress"]] == [80]


def test_https_stacks_do_not_warn_about_plain_http(domain_run, certificate_run):
    for run in (domain_run, certificate_run):
        assert not any("allowPlainHttp" in message for _, message in run.log)


REFUSED = [
    pytest.param(
        {},
        "chat-infra:domainName: the app is public and served over HTTPS, which needs a certificate: set "
        "chat-infra:domainName and chat-infra:hostedZoneId (the stack requests and validates one), or "
        "chat-infra:certificateArn (an ACM certificate you have); for a dev stack only, "
        "`pulumi config set chat-infra:allowPlainHttp true` serves plain HTTP",
        id="no-certificate",
    ),
    pytest.param({"allowPlainHttp": False}, "chat-infra:domainName: the app is public", id="plain-http-false"),
    pytest.param(
        {"domainName": "chat.example.com"}, "chat-infra:domainName: a certificate for chat.example.com", id="no-zone"
    ),
    pytest.param(
        {"hostedZoneId": "Z0123456789ABCDEFGHIJ"}, "chat-infra:hostedZoneId: set chat-infra:domainName", id="no-domain"
    ),
    pytest.param(
        {"domainName": "not a name", "hostedZoneId": "Z1"}, "chat-infra:domainName: must be a DNS name", id="bad-domain"
    ),
    pytest.param({**DOMAIN, "hostedZoneId": "zone-1"}, "chat-infra:hostedZoneId: must be a Route 53", id="bad-zone"),
    pytest.param({"certificateArn": "arn:aws:iam::1:x"}, "chat-infra:certificateArn: must be an ACM", id="bad-arn"),
    pytest.param(
        {"certificateArn": GIVEN_CERTIFICATE.replace("us-east-1", "eu-west-1")},
        "chat-infra:certificateArn: the certificate is in eu-west-1, but a load balancer in us-east-1",
        id="other-region",
    ),
    pytest.param({**DOMAIN, "allowPlainHttp": True}, "chat-infra:allowPlainHttp: true serves plain HTTP", id="both"),
    pytest.param({"allowPlainHttp": "maybe"}, "chat-infra:allowPlainHttp: must be true or false", id="plain-not-bool"),
    pytest.param(
        {**DOMAIN, "rateLimitPerIp": 9}, "chat-infra:rateLimitPerIp: must be a whole number from 10", id="limit-low"
    ),
    pytest.param(
        {**DOMAIN, "rateLimitPerIp": "fast"}, "chat-infra:rateLimitPerIp: must be a whole number", id="limit-text"
    ),
    pytest.param(
        {**DOMAIN, "wafManagedRules": "yes"}, "chat-infra:wafManagedRules: must be true or false", id="waf-bool"
    ),
    pytest.param({**DOMAIN, "readinessPath": "healthz"}, "chat-infra:readinessPath: must be a URL path", id="path"),
]


@pytest.mark.parametrize(("values", "start"), REFUSED)
def test_a_public_endpoint_without_https_or_with_bad_edge_config_is_refused_in_one_line(values, start):
    mocks_config = {**USERS, **dict.fromkeys(("certificateArn", "domainName", "hostedZoneId"), ""), **values}
    with pytest.raises(pulumi.RunError) as raised:
        run_program(mocks_config)
    line = str(raised.value)
    assert line.startswith(start), line
    assert "\n" not in line


# --- the WAF web ACL ------------------------------------------------------------------------------------------------


def api_shape(value):
    """What the mocks recorded (the provider's camelCase) back in the wafv2 API's PascalCase and types."""
    names = {"cloudwatchMetricsEnabled": "CloudWatchMetricsEnabled"}
    if isinstance(value, dict):
        return {names.get(k, k[:1].upper() + k[1:]): api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    # Pulumi's wire format carries every number as a double: whole ones were integers in the program.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def rule_errors(rule: dict) -> str:
    report = ParamValidator().validate(rule, WAFV2.shape_for("Rule"))
    return report.generate_report() if report.has_errors() else ""


def test_the_declared_web_acl_is_a_valid_create_web_acl_request(domain_run):
    acl = domain_run.one("aws:wafv2/webAcl:WebAcl").inputs
    request = {
        "Name": "chat-app-edge",
        "Scope": acl["scope"],
        "DefaultAction": api_shape(acl["defaultAction"]),
        "Rules": api_shape(acl["rules"]),
        "VisibilityConfig": api_shape(acl["visibilityConfig"]),
    }
    report = ParamValidator().validate(request, WAFV2.operation_model("CreateWebACL").input_shape)
    assert not report.has_errors(), report.generate_report()
    assert request["Scope"] == "REGIONAL"
    waf = domain_run.outputs["sizing"]["edge"]["waf"]
    rate, managed = request["Rules"]
    assert rate["Statement"] == {
        "RateBasedStatement": {
            "Limit": waf["rate_limit_per_ip"],
            "EvaluationWindowSec": 300,
            "AggregateKeyType": "IP",
        }
    }
    assert rate["Action"] == {"Block": {}}
    assert managed["Statement"] == {
        "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
    }
    assert managed["OverrideAction"] == {"None": {}}
    # The rules the plan bills are the rules declared.
    assert waf["rules"] == len(request["Rules"]) == 2
    # The ALB carries it: the controller associates the web ACL named on the Ingress.
    assert annotations(domain_run)[A + "wafv2-acl-arn"].endswith("aws:wafv2/webAcl:WebAcl/edge-waf-1a2b3c")


def test_the_override_is_the_limit_the_web_acl_enforces(certificate_run):
    acl = certificate_run.one("aws:wafv2/webAcl:WebAcl").inputs
    (rule,) = api_shape(acl["rules"])
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == 500
    assert certificate_run.outputs["rateLimitPerIp"] == 500
    assert certificate_run.outputs["sizing"]["edge"]["waf"]["rate_limit_source"] == "override"


@pytest.mark.parametrize("window", [60, 120, 300, 600])
def test_every_window_waf_offers_makes_a_valid_rule(window):
    waf = WafPlan(
        rate_limit_per_ip=10,
        evaluation_window_s=window,
        rate_limit_source="derived",
        derived_rate_limit_per_ip=10,
        rate_limit_reason="",
        max_llm_usd_per_ip_hour=None,
        managed_rules=True,
        rules=2,
        requests_per_month={"min": 0, "max": 0},
    )
    for rule in stack_edge.waf_rules(waf):
        assert rule_errors(rule) == ""


def test_the_model_check_catches_a_wrong_rule():
    (rule,) = stack_edge.waf_rules(
        WafPlan(
            rate_limit_per_ip=150,
            evaluation_window_s=300,
            rate_limit_source="derived",
            derived_rate_limit_per_ip=150,
            rate_limit_reason="",
            max_llm_usd_per_ip_hour=None,
            managed_rules=False,
            rules=1,
            requests_per_month={"min": 0, "max": 0},
        )
    )
    wrong = json.loads(json.dumps(rule))
    wrong["Statement"]["RateBasedStatement"]["Limit"] = "150"
    assert "Invalid type" in rule_errors(wrong)
    wrong = json.loads(json.dumps(rule))
    wrong["Statement"]["RateBasedStatement"]["Limit"] = 9
    assert "Invalid value for parameter" in rule_errors(wrong)  # the model's minimum, 10
    wrong = json.loads(json.dumps(rule))
    del wrong["VisibilityConfig"]
    assert "Missing required parameter" in rule_errors(wrong)


# --- the controller --------------------------------------------------------------------------------------------------


def test_the_controller_is_the_pinned_chart_with_its_own_role_through_pod_identity(domain_run):
    run = domain_run
    release = next(r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.name == "lb-controller-release")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["repositoryOpts"]) == (
        "aws-load-balancer-controller",
        "1.14.0",
        {"repo": "https://aws.github.io/eks-charts"},
    )
    values = release.inputs["values"]
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    # Pods cannot read IMDS (hop limit 1): region and VPC are given.
    assert values["region"] == "us-east-1"
    assert values["vpcId"] == run.one("aws:ec2/vpc:Vpc").name + "-id"
    assert values["clusterName"] == run.outputs["clusterName"]
    assert (values["ingressClass"], values["createIngressClassResource"]) == ("alb", True)
    assert values["enableServiceMutatorWebhook"] is False
    association = next(
        a
        for a in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.name == "lb-controller-identity"
    )
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "kube-system",
        "aws-load-balancer-controller",
    )
    waits_for = {urn.split("::")[-1] for urn in release.dependencies}
    assert {"lb-controller-identity", "lb-controller-policy"} <= waits_for
    # The Ingress waits for the controller, so on destroy the ALB goes before the controller that deletes it.
    assert "lb-controller-release" in {urn.split("::")[-1] for urn in run.one(INGRESS).dependencies}


def test_the_controller_policy_grants_waf_association_and_narrows_writes_to_its_own_load_balancers(domain_run):
    role_policy = next(
        p for p in domain_run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "lb-controller-policy"
    )
    statements = {s["Sid"]: s for s in json.loads(role_policy.inputs["policy"])["Statement"]}
    assert "wafv2:AssociateWebACL" in statements["EdgeServices"]["Action"]
    assert "acm:DescribeCertificate" in statements["EdgeServices"]["Action"]
    create = statements["CreateTaggedLoadBalancers"]
    assert "elasticloadbalancing:CreateLoadBalancer" in create["Action"]
    assert create["Condition"] == {"Null": {"aws:RequestTag/ingress.k8s.aws/cluster": "false"}}
    assert statements["ChangeOwnLoadBalancers"]["Condition"] == {
        "Null": {"aws:ResourceTag/ingress.k8s.aws/cluster": "false"}
    }
    assert "elasticloadbalancing:DeleteLoadBalancer" in statements["ChangeOwnLoadBalancers"]["Action"]
    # No write anywhere without a condition except listeners, rules and target registration, as published.
    unconditioned = {
        action
        for s in statements.values()
        if "Condition" not in s
        for action in s["Action"]
        if not re.search(r":(Describe|Get|List)", action)
    }
    assert "elasticloadbalancing:DeleteLoadBalancer" not in unconditioned
    assert "ec2:DeleteSecurityGroup" not in unconditioned


# --- locked down -----------------------------------------------------------------------------------------------------


def test_the_albs_security_group_opens_443_and_80_only_and_reaches_only_the_pods(domain_run):
    group = domain_run.named("edge-alb-sg")
    ingress = {(r["fromPort"], r["toPort"], r["protocol"], tuple(r["cidrBlocks"])) for r in group.inputs["ingress"]}
    assert ingress == {(443, 443, "tcp", ("0.0.0.0/0",)), (80, 80, "tcp", ("0.0.0.0/0",))}
    assert [(r["fromPort"], r["toPort"], r["cidrBlocks"]) for r in group.inputs["egress"]] == [
        (8080, 8080, ["10.0.0.0/16"])
    ]
    assert annotations(domain_run)[A + "security-groups"] == "edge-alb-sg-id"
    assert annotations(domain_run)[A + "manage-backend-security-group-rules"] == "true"


def test_only_the_public_subnets_where_the_alb_lives_reach_the_frontend_pods(domain_run):
    run = domain_run
    public = sorted(
        s.inputs["cidrBlock"]
        for s in run.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"].get("kubernetes.io/role/elb") == "1"
    )
    assert public == sorted(stack_network.subnet_cidrs("10.0.0.0/16", 3)[1])
    policy = next(
        p
        for p in run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.inputs["metadata"]["name"] == "frontend-ingress"
    )
    (rule,) = policy.inputs["spec"]["ingress"]
    assert sorted(peer["ipBlock"]["cidr"] for peer in rule["from"]) == public
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    # No Service is a load balancer of its own any more.
    assert {s.inputs["spec"]["type"] for s in run.of_type("kubernetes:core/v1:Service")} == {"ClusterIP"}


def test_health_checks_ask_the_readiness_path_the_kubelet_asks(domain_run):
    found = annotations(domain_run)
    assert (found[A + "healthcheck-protocol"], found[A + "healthcheck-path"], found[A + "success-codes"]) == (
        "HTTP",
        "/healthz/ready",
        "200",
    )
    frontend = next(
        d for d in domain_run.of_type("kubernetes:apps/v1:Deployment") if d.inputs["metadata"]["name"] == "frontend"
    )
    (container,) = frontend.inputs["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz/ready", "port": "http"}


@pytest.mark.parametrize("fixture", ["domain_run", "certificate_run", "plain_run"])
def test_the_ingress_validates_strictly_against_the_kubernetes_schema(request, fixture):
    ingress = request.getfixturevalue(fixture).one(INGRESS).inputs
    version = stack_config.DEFAULT_KUBERNETES_VERSION
    assert kubernetes_validate.validate(ingress, version, strict=True) == version
