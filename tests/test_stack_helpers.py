"""The pure pieces of the program: subnet layout, cache shape, pod specs, kubeconfig, names, the autoscaler's pins."""

from __future__ import annotations

import ipaddress
import json

import pytest
from stack_mocks import use_stack_modules

from sizing.plan import CachePlan, NetworkPlan, PodPlan

use_stack_modules()
import autoscaler
import cluster
import config
import data
import network
import workloads

POD = PodPlan(
    min_replicas=3, max_replicas=9, cpu_request_m=250, cpu_limit_m=750, memory_request_mib=300, memory_limit_mib=600
)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/20"])
@pytest.mark.parametrize("zones", [2, 3, 6])
def test_subnets_do_not_overlap_stay_in_the_vpc_and_give_pods_most_of_it(cidr, zones):
    private, public = network.subnet_cidrs(cidr, zones)
    vpc = ipaddress.IPv4Network(cidr)
    blocks = [ipaddress.IPv4Network(b) for b in private + public]
    assert len(private) == len(public) == zones
    assert all(b.subnet_of(vpc) for b in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    assert ipaddress.IPv4Network(private[0]).num_addresses == vpc.num_addresses // 8
    assert ipaddress.IPv4Network(public[0]).num_addresses == vpc.num_addresses // 64


def test_more_zones_than_the_layout_holds_is_refused():
    with pytest.raises(ValueError):
        network.subnet_cidrs("10.0.0.0/16", 7)


@pytest.mark.parametrize(
    ("cidr", "zones", "usable"),
    [
        ("10.0.0.0/16", 3, 3 * (8192 - 5)),  # 24,561
        ("10.0.0.0/16", 6, 6 * (8192 - 5)),
        ("172.16.0.0/18", 2, 2 * (2048 - 5)),
        ("192.168.0.0/20", 3, 3 * (512 - 5)),  # 1,521
    ],
)
def test_private_capacity_is_the_private_subnets_less_what_aws_reserves(cidr, zones, usable):
    assert network.private_capacity(cidr, zones) == usable
    private, _ = network.subnet_cidrs(cidr, zones)
    assert usable == sum(ipaddress.IPv4Network(block).num_addresses - 5 for block in private)


def network_plan(vpc_ips_max: int) -> NetworkPlan:
    return NetworkPlan(availability_zones=3, nat_gateways=3, vpc_ips_max=vpc_ips_max)


def test_a_fleet_that_fills_the_private_subnets_exactly_fits():
    network.require_address_space(network_plan(24_561), "10.0.0.0/16")


def test_one_address_more_is_refused_in_one_line_naming_vpc_cidr():
    with pytest.raises(config.ConfigError) as raised:
        network.require_address_space(network_plan(59_889), "10.0.0.0/16")
    assert str(raised.value) == (
        "chat-infra:vpcCidr: the plan's max fleet needs about 59,889 VPC addresses but the private subnets of "
        "10.0.0.0/16 hold 24,561; lower chat-infra:concurrentUsers, raise assumptions.backend.users_per_pod, or "
        "split the load across stacks"
    )
    with pytest.raises(config.ConfigError, match="needs about 24,562 VPC addresses"):
        network.require_address_space(network_plan(24_562), "10.0.0.0/16")


def test_a_vpc_narrower_than_a_16_is_told_it_can_widen():
    with pytest.raises(config.ConfigError) as raised:
        network.require_address_space(network_plan(2_000), "192.168.0.0/20")
    assert "192.168.0.0/20 hold 1,521; widen chat-infra:vpcCidr (up to /16), lower chat-infra:concurrentUsers" in str(
        raised.value
    )


def cache(**kw) -> CachePlan:
    base = dict(
        enabled=True,
        node_type="cache.r6g.large",
        num_nodes=1,
        shards=1,
        replicas_per_shard=0,
        required_memory_gib=1,
        usable_memory_gib_per_node=9.8,
        monthly_usd=1,
        engine="valkey",
        reason="test",
    )
    return CachePlan(**{**base, **kw})


def test_one_shard_without_a_replica_is_one_cluster_mode_shard_without_multi_az():
    layout = data.cache_layout(cache())
    assert (layout["cluster_mode"], layout["num_node_groups"], layout["replicas_per_node_group"]) == ("enabled", 1, 0)
    # Cluster mode requires automatic failover on; Multi-AZ needs a replica to promote.
    assert layout["automatic_failover_enabled"] is True and layout["multi_az_enabled"] is False


def test_one_shard_with_a_replica_fails_over_across_zones():
    layout = data.cache_layout(cache(num_nodes=2, replicas_per_shard=1))
    assert (layout["num_node_groups"], layout["replicas_per_node_group"]) == (1, 1)
    assert layout["automatic_failover_enabled"] is True and layout["multi_az_enabled"] is True


@pytest.mark.parametrize(("shards", "replicas"), [(1, 0), (1, 1), (4, 1), (40, 0)])
def test_every_shape_is_cluster_mode_so_only_the_counts_differ(shards, replicas):
    layout = data.cache_layout(cache(num_nodes=shards * (1 + replicas), shards=shards, replicas_per_shard=replicas))
    assert (layout["num_node_groups"], layout["replicas_per_node_group"]) == (shards, replicas)
    one = data.cache_layout(cache())
    # Growing from one shard to several changes num_node_groups and replicas, both updated in place, nothing else.
    assert {k for k in layout if layout[k] != one[k]} <= {
        "num_node_groups",
        "replicas_per_node_group",
        "multi_az_enabled",
    }
    assert layout["parameter_group_name"] == "default.valkey8.cluster.on"
    assert data.cache_layout(cache(engine="redis"))["parameter_group_name"] == "default.redis7.cluster.on"
    assert "num_cache_clusters" not in layout


def test_pod_specs_carry_the_plan_unchanged():
    app = workloads.App("api", "example/api:1", POD, 65)
    assert workloads.resources(POD) == {
        "requests": {"cpu": "250m", "memory": "300Mi"},
        "limits": {"cpu": "750m", "memory": "600Mi"},
    }
    spec = workloads.deployment_spec(app, {"A": "b"})
    assert spec["replicas"] == 3
    assert spec["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "b"}]
    hpa = workloads.hpa_spec(app)
    assert (hpa["min_replicas"], hpa["max_replicas"]) == (3, 9)
    assert hpa["metrics"][0]["resource"]["target"]["average_utilization"] == 65
    assert spec["selector"]["match_labels"] == workloads.pdb_spec(app)["selector"]["match_labels"]


def test_kubeconfig_uses_the_aws_cli_for_short_lived_tokens():
    config = cluster.kubeconfig("c1", "https://x", "Q0E=", "eu-west-1")
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "c1",
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ]
    assert "token" not in user["user"]


def test_kubeconfig_takes_the_aws_providers_profile_and_role():
    identity = config.AwsIdentity(profile="ci", role_arn="arn:aws:iam::123456789012:role/deploy")
    (user,) = cluster.kubeconfig("c1", "https://x", "Q0E=", "eu-west-1", identity)["users"]
    args = user["user"]["exec"]["args"]
    assert args[:8] == ["eks", "get-token", "--cluster-name", "c1", "--region", "eu-west-1", "--output", "json"]
    assert args[8:] == ["--role-arn", "arn:aws:iam::123456789012:role/deploy", "--profile", "ci"]


def test_admins_are_the_listed_principals_or_else_the_deployer():
    deployer = "arn:aws:iam::123456789012:role/deployer"
    ci, alice = "arn:aws:iam::123456789012:role/ci", "arn:aws:iam::123456789012:user/alice"
    assert cluster.admins_for((), deployer) == ([deployer], [])
    assert cluster.admins_for((ci, deployer), deployer) == ([ci, deployer], [])
    admins, (warning,) = cluster.admins_for((ci, alice), deployer)
    assert admins == [ci, alice]
    assert warning.startswith(f"{deployer} runs this update but is not in chat-infra:adminPrincipalArns: ")
    # Resource names follow the principal, not its position: reordering the list replaces nothing.
    assert cluster.admin_resource_suffix(ci) != cluster.admin_resource_suffix(alice)
    assert cluster.admin_resource_suffix(ci) == cluster.admin_resource_suffix("arn:aws:iam::123456789012:role/ci")


def test_an_endpoint_open_to_the_world_is_warned_about():
    assert cluster.endpoint_warnings(()) and cluster.endpoint_warnings(("203.0.113.0/24", "0.0.0.0/0"))
    assert cluster.endpoint_warnings(("203.0.113.0/24",)) == []


@pytest.mark.parametrize(("stack", "name"), [("dev", "chat-infra-dev"), ("org.prod/eu", "chat-infra-org-prod-eu")])
def test_cluster_names_are_valid_eks_names(stack, name):
    assert cluster.cluster_name_for("chat-infra", stack) == name


@pytest.mark.parametrize("minor", sorted(autoscaler.VERSIONS))
def test_each_pinned_autoscaler_is_the_release_for_its_kubernetes_minor(minor):
    version = autoscaler.version_for(minor)
    assert version.image_tag.startswith(f"v{minor}.")
    major, chart_minor, patch = version.chart.split(".")
    assert major == "9" and chart_minor.isdigit() and patch.isdigit()


def test_newer_kubernetes_minors_pin_newer_charts():
    charts = [tuple(int(n) for n in autoscaler.VERSIONS[m].chart.split(".")) for m in sorted(autoscaler.VERSIONS)]
    assert charts == sorted(charts) and len(set(charts)) == len(charts)


def test_the_default_kubernetes_version_has_an_autoscaler():
    assert config.DEFAULT_KUBERNETES_VERSION in autoscaler.VERSIONS


def test_an_unpinned_kubernetes_minor_is_refused_naming_the_key():
    with pytest.raises(config.ConfigError) as raised:
        autoscaler.version_for("1.99")
    assert str(raised.value).startswith("chat-infra:kubernetesVersion: no Cluster Autoscaler release is pinned for ")
    assert "Kubernetes 1.99 " in str(raised.value)


def test_the_scaling_policy_reads_anywhere_but_resizes_only_owned_groups():
    arn = autoscaler.node_groups_arn("aws", "eu-west-1", "123456789012", "c1")
    assert arn == "arn:aws:eks:eu-west-1:123456789012:nodegroup/c1/*/*"
    policy = json.loads(autoscaler.scaling_policy("c1", arn))
    read, describe, scale = policy["Statement"]
    # DescribeNodegroup: this cluster's groups only.
    assert (describe["Action"], describe["Resource"]) == (["eks:DescribeNodegroup"], arn)
    assert "Condition" not in read and set(read["Action"]) == set(autoscaler.READ_ACTIONS)
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/c1": "owned"}}
    assert set(scale["Action"]) == {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    # The condition's tag is the one the node groups carry with that value.
    key = next(iter(scale["Condition"]["StringEquals"])).removeprefix("aws:ResourceTag/")
    assert cluster.autoscaler_tags("c1")[key] == "owned"


def test_the_chart_values_name_the_service_account_pod_identity_binds():
    values = autoscaler.chart_values("c1", "eu-west-1", autoscaler.version_for("1.34"), 300)
    assert values["rbac"]["serviceAccount"]["name"] == autoscaler.SERVICE_ACCOUNT
    assert (values["autoDiscovery"]["clusterName"], values["awsRegion"]) == ("c1", "eu-west-1")
    assert values["image"]["tag"] == "v1.34.2"
