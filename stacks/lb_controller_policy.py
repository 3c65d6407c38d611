"""The AWS Load Balancer Controller's IAM policy, as the project documents it for v2.14 (docs/install/iam_policy.json
of kubernetes-sigs/aws-load-balancer-controller, and the EKS user guide's "Install the AWS Load Balancer Controller").

Written out here as data (reads, then writes narrowed by the tags the controller puts on what it creates) so a
review sees every grant, and the partition can follow the account's. Only the Ingress half of the published policy:
the stack declares no LoadBalancer Service (the chart's Service webhook is off), so the grants conditioned on the
``service.k8s.aws/cluster`` tag (the controller's NLBs) are left out. A newer controller may need more: when the
chart pin moves (edge.CHART_VERSION), compare this with the policy published for that release.
"""

from __future__ import annotations

import json
from typing import Any

# The tags the controller sets on every load balancer, target group and security group it creates: writes to
# anything else in the account are refused by the conditions below.
INGRESS_TAG = "ingress.k8s.aws/cluster"

DESCRIBE = (
    "iam:CreateServiceLinkedRole",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
)
# Certificates it discovers and the WAF web ACL and Shield protection it attaches to the load balancer.
EDGE_SERVICES = (
    "cognito-idp:DescribeUserPoolClient",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
    "shield:CreateProtection",
    "shield:DeleteProtection",
)
LOAD_BALANCER_CHANGES = (
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
)
LISTENER_CHANGES = (
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
    "elasticloadbalancing:SetWebAcl",
)


def _tagged(tag: str) -> dict[str, Any]:
    return {"Null": {f"aws:ResourceTag/{tag}": "false"}}


def controller_policy(partition: str = "aws") -> str:
    elb = f"arn:{partition}:elasticloadbalancing:*:*"
    statements: list[dict[str, Any]] = [
        {"Sid": "Discover", "Effect": "Allow", "Action": list(DESCRIBE), "Resource": "*"},
        {"Sid": "EdgeServices", "Effect": "Allow", "Action": list(EDGE_SERVICES), "Resource": "*"},
        {
            "Sid": "SecurityGroupRules",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "*",
        },
        {"Sid": "CreateSecurityGroup", "Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": "*"},
        {
            "Sid": "TagNewSecurityGroup",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags"],
            "Resource": f"arn:{partition}:ec2:*:*:security-group/*",
            "Condition": {
                "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
                "Null": {f"aws:RequestTag/{INGRESS_TAG}": "false"},
            },
        },
        {
            "Sid": "RetagOwnSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": f"arn:{partition}:ec2:*:*:security-group/*",
            "Condition": {"Null": {f"aws:RequestTag/{INGRESS_TAG}": "true", f"aws:ResourceTag/{INGRESS_TAG}": "false"}},
        },
        {
            "Sid": "ChangeOwnSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "*",
            "Condition": _tagged(INGRESS_TAG),
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": {"Null": {f"aws:RequestTag/{INGRESS_TAG}": "false"}},
        },
        {
            "Sid": "ListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": "*",
        },
        {
            "Sid": "RetagOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                f"{elb}:targetgroup/*/*",
                f"{elb}:loadbalancer/net/*/*",
                f"{elb}:loadbalancer/app/*/*",
            ],
            "Condition": {"Null": {f"aws:RequestTag/{INGRESS_TAG}": "true", f"aws:ResourceTag/{INGRESS_TAG}": "false"}},
        },
        {
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        },
        {
            "Sid": "ChangeOwnLoadBalancers",
            "Effect": "Allow",
            "Action": list(LOAD_BALANCER_CHANGES),
            "Resource": "*",
            "Condition": _tagged(INGRESS_TAG),
        },
        {
            "Sid": "RegisterTargets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": f"{elb}:targetgroup/*/*",
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags"],
            "Resource": [
                f"{elb}:targetgroup/*/*",
                f"{elb}:loadbalancer/net/*/*",
                f"{elb}:loadbalancer/app/*/*",
            ],
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                "Null": {f"aws:RequestTag/{INGRESS_TAG}": "false"},
            },
        },
        {"Sid": "ListenerChanges", "Effect": "Allow", "Action": list(LISTENER_CHANGES), "Resource": "*"},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
