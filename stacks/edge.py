"""The public edge: the AWS Load Balancer Controller, and the frontend behind an Ingress -> ALB with HTTPS, timeouts
that fit the plan's answer streams, and a WAF web ACL that caps what one client address can spend.

Why an ALB: it is what AWS WAF attaches to (an NLB is not), it terminates TLS with an ACM certificate and a current
policy, redirects HTTP to HTTPS, and passes server-sent events and WebSockets through. Its timeouts come from the
plan (``alb_timeouts``), the WAF rules from ``plan.edge.waf`` (``waf_rules``, in the wafv2 API's own shape, which the
tests check against botocore's service model). The spec builders are pure; the components only declare them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from cluster import pod_identity_role
from edge_config import EdgeSettings
from lb_controller_policy import controller_policy
from llm_access import CLOSE_SECONDS, TAIL_FACTOR, grace_seconds

from sizing.engine.addons import LOAD_BALANCER_CONTROLLER
from sizing.plan import LLMPlan, WafPlan

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
RELEASE_NAME = "aws-load-balancer-controller"
CHART = "aws-load-balancer-controller"
CHART_REPO = "https://aws.github.io/eks-charts"
# Chart 1.14.0 ships controller v2.14.0 (aws/eks-charts; run on EKS 1.35 in gitops-bridge-dev/gitops-bridge-argocd-
# control-plane-template#59). lb_controller_policy.py follows this release's published policy.
CHART_VERSION = "1.14.0"
APP_VERSION = "v2.14.0"
INGRESS_CLASS = "alb"
# TLS 1.3 and 1.2 only, forward-secret ciphers: ELB's recommended policy for HTTPS listeners.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTP_PORT, HTTPS_PORT = 80, 443
ANYWHERE = "0.0.0.0/0"
# ALB bounds (ModifyLoadBalancerAttributes / ModifyTargetGroupAttributes) and the idle timeout's default.
IDLE_TIMEOUT_DEFAULT, IDLE_TIMEOUT_MAX = 60, 4_000
DEREGISTRATION_MAX = 3_600
# Two controller pods on different nodes: a node drain leaves one reconciling. Written once, in sizing, whose plan
# packs these pods beside the app's (sizing/engine/addons.py).
REPLICAS = LOAD_BALANCER_CONTROLLER.replicas
RESOURCES = LOAD_BALANCER_CONTROLLER.resources()
RATE_RULE, MANAGED_RULE = "rate-limit-per-ip", "aws-common-rule-set"


@dataclass(frozen=True)
class AlbTimeouts:
    idle_seconds: int
    deregistration_delay_seconds: int


def alb_timeouts(llm: LLMPlan | None) -> AlbTimeouts:
    """From the plan's answer streams, as the pods' grace period is (llm_access.grace_seconds).

    Idle timeout: the longest a connection may stay silent. A streamed answer sends tokens as they come, but an app
    that relays the answer whole sends nothing until its end: the p90 stream twice over (the margin the drain uses),
    never under ALB's default 60 s. Deregistration delay: how long the ALB lets a stopping pod's requests finish:
    the drain plus the preStop pause (a stream may start just before the pod leaves the target group), which is the
    grace period less the seconds kept to close connections, so the ALB never holds a target the kubelet has killed.
    """
    drain = math.ceil(TAIL_FACTOR * llm.peak.stream_seconds_p90) if llm is not None else 0
    idle = min(IDLE_TIMEOUT_MAX, max(IDLE_TIMEOUT_DEFAULT, drain))
    # grace = max(30, preStop + drain + close): less the close seconds, never under preStop + drain.
    deregistration = min(DEREGISTRATION_MAX, grace_seconds(llm) - CLOSE_SECONDS)
    return AlbTimeouts(idle, deregistration)


def controller_values(cluster_name: pulumi.Input[str], region: str, vpc_id: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "clusterName": cluster_name,
        # Pods cannot reach the instance metadata service (hop limit 1, cluster.py): the region and VPC it would
        # have looked up there are given.
        "region": region,
        "vpcId": vpc_id,
        # Named, not generated: the Pod Identity association must name the same account before the pod starts.
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicaCount": REPLICAS,
        "resources": RESOURCES,
        "ingressClass": INGRESS_CLASS,
        "createIngressClassResource": True,
        # Only Ingresses: no LoadBalancer Service of the stack is handed to this controller (its IAM policy has no
        # grants for the NLBs it would make).
        "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux"},
    }


def waf_rules(waf: WafPlan) -> list[dict[str, Any]]:
    """The web ACL's rules in the wafv2 API shape (CreateWebACL's Rule): a block of any client address over the
    plan's limit in its window, and, when asked, AWS's common rule set with its own actions."""

    def visibility(name: str) -> dict[str, Any]:
        return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}

    rules: list[dict[str, Any]] = [
        {
            "Name": RATE_RULE,
            "Priority": 0,
            "Action": {"Block": {}},
            "Statement": {
                "RateBasedStatement": {
                    "Limit": waf.rate_limit_per_ip,
                    "EvaluationWindowSec": waf.evaluation_window_s,
                    "AggregateKeyType": "IP",
                }
            },
            "VisibilityConfig": visibility(RATE_RULE),
        }
    ]
    if waf.managed_rules:
        rules.append(
            {
                "Name": MANAGED_RULE,
                "Priority": 1,
                "OverrideAction": {"None": {}},
                "Statement": {
                    "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
                },
                "VisibilityConfig": visibility(MANAGED_RULE),
            }
        )
    return rules


# The wafv2 API's member names where the Pulumi provider's are not their plain snake_case.
_PULUMI_NAMES = {"CloudWatchMetricsEnabled": "cloudwatch_metrics_enabled"}


def pulumi_shape(value: Any) -> Any:
    """An API-shaped WAF structure as ``aws.wafv2.WebAcl`` takes it: PascalCase members in snake_case."""
    if isinstance(value, dict):
        return {
            _PULUMI_NAMES.get(key, re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()): pulumi_shape(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [pulumi_shape(item) for item in value]
    return value


def ingress_annotations(
    settings: EdgeSettings,
    timeouts: AlbTimeouts,
    readiness_path: str,
    security_group_id: str,
    web_acl_arn: str,
    certificate_arn: str | None,
) -> dict[str, str]:
    """The ALB the controller makes of the Ingress: internet-facing, straight to the pods' IPs, TLS with the plan's
    timeouts, the stack's own security group and the WAF web ACL."""
    annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        # Pods are targets themselves (the VPC CNI gives them VPC addresses): no NodePort hop through kube-proxy.
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/load-balancer-attributes": ",".join(
            [
                f"idle_timeout.timeout_seconds={timeouts.idle_seconds}",
                "routing.http.drop_invalid_header_fields.enabled=true",
            ]
        ),
        "alb.ingress.kubernetes.io/target-group-attributes": (
            f"deregistration_delay.timeout_seconds={timeouts.deregistration_delay_seconds}"
        ),
        # Healthy means ready to serve: the same HTTP path the kubelet's readiness probe asks, not an open port.
        "alb.ingress.kubernetes.io/healthcheck-protocol": "HTTP",
        "alb.ingress.kubernetes.io/healthcheck-path": readiness_path,
        "alb.ingress.kubernetes.io/success-codes": "200",
        "alb.ingress.kubernetes.io/security-groups": security_group_id,
        # The controller still opens the pods' side to the ALB (a backend security group rule on the nodes).
        "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "true",
        "alb.ingress.kubernetes.io/wafv2-acl-arn": web_acl_arn,
    }
    if settings.https:
        assert certificate_arn is not None
        annotations.update(
            {
                "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTP": HTTP_PORT}, {"HTTPS": HTTPS_PORT}]),
                # Port 80 answers only with a redirect to 443.
                "alb.ingress.kubernetes.io/ssl-redirect": str(HTTPS_PORT),
                "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
                "alb.ingress.kubernetes.io/ssl-policy": TLS_POLICY,
            }
        )
    else:
        annotations["alb.ingress.kubernetes.io/listen-ports"] = json.dumps([{"HTTP": HTTP_PORT}])
    return annotations


def ingress_spec(service: str, port: int, host: str | None) -> Any:
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": "/",
                    "path_type": "Prefix",
                    "backend": {"service": {"name": service, "port": {"number": port}}},
                }
            ]
        }
    }
    if host is not None:
        rule["host"] = host
    return {"ingress_class_name": INGRESS_CLASS, "rules": [rule]}


def security_group_ingress(https: bool) -> list[Any]:
    """What the internet may reach: 443, and 80 only to be redirected to it; 80 alone on a plain-HTTP dev stack."""
    ports = [HTTPS_PORT, HTTP_PORT] if https else [HTTP_PORT]
    return [
        {
            "protocol": "tcp",
            "from_port": port,
            "to_port": port,
            "cidr_blocks": [ANYWHERE],
            "description": "HTTPS" if port == HTTPS_PORT else ("redirect to HTTPS" if https else "plain HTTP (dev)"),
        }
        for port in ports
    ]


def security_group_egress(vpc_cidr: str, pod_port: int) -> list[Any]:
    """Out only to the pods' port inside the VPC: the targets and their health checks."""
    return [
        {
            "protocol": "tcp",
            "from_port": pod_port,
            "to_port": pod_port,
            "cidr_blocks": [vpc_cidr],
            "description": "to the frontend pods",
        }
    ]


def load_balancer_hostname(status: Any) -> str:
    """The first address of an Ingress's status (a typed IngressStatus, or a dict under some SDK paths)."""
    if status is None:
        return ""
    balancer = status.get("load_balancer") if isinstance(status, dict) else status.load_balancer
    entries = (balancer.get("ingress") if isinstance(balancer, dict) else getattr(balancer, "ingress", None)) or []
    first = entries[0] if entries else None
    if first is None:
        return ""
    return str((first.get("hostname") if isinstance(first, dict) else first.hostname) or "")


class LoadBalancerController(pulumi.ComponentResource):
    """The AWS Load Balancer Controller, with an IAM role of its own through EKS Pod Identity (like the autoscaler).

    Cluster infrastructure: deployed with or without the app, so an Ingress can always be reconciled (and, on
    destroy, its ALB deleted before the controller goes)."""

    def __init__(
        self,
        name: str,
        cluster_name: pulumi.Input[str],
        region: str,
        vpc_id: pulumi.Input[str],
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:edge:LoadBalancerController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Trusted only from this stack's cluster (aws:SourceAccount, aws:SourceArn), like every Pod Identity role.
        self.role = pod_identity_role(f"{name}-role", cluster_name, region, parent=self)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        policy = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id, policy=partition.apply(controller_policy), opts=child
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-identity",
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=self.role.arn,
            opts=child,
        )
        # Credentials are injected when the pod is created: the association and its policy come first.
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPO},
            namespace=NAMESPACE,
            values=controller_values(cluster_name, region, vpc_id),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[association, policy]),
        )
        self.register_outputs({"roleArn": self.role.arn, "chartVersion": CHART_VERSION})


class Edge(pulumi.ComponentResource):
    """The frontend's public entrance: certificate (given, or requested and validated in the zone), the ALB's
    security group, the WAF web ACL, the Ingress the controller turns into the ALB, and the alias record."""

    def __init__(
        self,
        name: str,
        settings: EdgeSettings,
        waf: WafPlan,
        timeouts: AlbTimeouts,
        readiness_path: str,
        namespace: str,
        service: str,
        service_port: int,
        pod_port: int,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        region: str,
        provider: k8s.Provider,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chat-infra:edge:Edge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.certificate_arn: pulumi.Output[str] | None = None
        if settings.certificate_arn is not None:
            self.certificate_arn = pulumi.Output.from_input(settings.certificate_arn)
        elif settings.requests_certificate:
            certificate = aws.acm.Certificate(
                f"{name}-certificate",
                domain_name=settings.domain_name,
                validation_method="DNS",
                opts=child,
            )
            option = certificate.domain_validation_options[0]
            record = aws.route53.Record(
                f"{name}-certificate-validation-record",
                zone_id=settings.hosted_zone_id,
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=300,
                allow_overwrite=True,
                opts=child,
            )
            validation = aws.acm.CertificateValidation(
                f"{name}-certificate-validation",
                certificate_arn=certificate.arn,
                validation_record_fqdns=[record.fqdn],
                opts=child,
            )
            # The listener takes the certificate once it is issued, not while ACM still checks the record.
            self.certificate_arn = validation.certificate_arn

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=vpc_id,
            description="The frontend's ALB: HTTPS from anywhere, HTTP only to redirect, out only to the pods",
            ingress=security_group_ingress(settings.https),
            egress=security_group_egress(vpc_cidr, pod_port),
            tags={"Name": f"{name}-alb"},
            opts=child,
        )
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description="Caps the requests one client address makes (the LLM spend guard)",
            default_action={"allow": {}},
            rules=pulumi_shape(waf_rules(waf)),
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": f"{name}-waf",
                "sampled_requests_enabled": True,
            },
            opts=child,
        )
        annotations = pulumi.Output.all(
            self.security_group.id, self.web_acl.arn, self.certificate_arn if self.certificate_arn else None
        ).apply(lambda args: ingress_annotations(settings, timeouts, readiness_path, args[0], args[1], args[2] or None))
        metadata: Any = {"name": service, "namespace": namespace, "annotations": annotations}
        self.ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=metadata,
            spec=ingress_spec(service, service_port, settings.domain_name),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on),
        )
        # The ALB's DNS name, once the controller has made it (Pulumi waits for the Ingress to get an address).
        self.hostname = self.ingress.status.apply(load_balancer_hostname)
        if settings.alias_record:
            zone = aws.lb.get_hosted_zone_id_output(
                load_balancer_type="application", region=region, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            aws.route53.Record(
                f"{name}-alias",
                zone_id=settings.hosted_zone_id,
                name=settings.domain_name,
                type="A",
                aliases=[{"name": self.hostname, "zone_id": zone.id, "evaluate_target_health": True}],
                opts=child,
            )
        self.tls_policy = TLS_POLICY if settings.https else "none (plain HTTP)"
        scheme = "https" if settings.https else "http"
        self.url = (
            pulumi.Output.from_input(f"{scheme}://{settings.domain_name}")
            if settings.domain_name
            else self.hostname.apply(lambda host: f"{scheme}://{host}")
        )
        self.register_outputs(
            {
                "url": self.url,
                "webAclArn": self.web_acl.arn,
                "securityGroupId": self.security_group.id,
                "tlsPolicy": self.tls_policy,
            }
        )
