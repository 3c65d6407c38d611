"""The pure pieces of the program: subnet layout, cache shape, pod specs, kubeconfig, names."""

from __future__ import annotations

import ipaddress

import pytest

from sizing.plan import CachePlan, PodPlan
from stack_mocks import use_stack_modules

use_stack_modules()
import cluster  # noqa: E402  (stacks/)
import data  # noqa: E402
import network  # noqa: E402
import workloads  # noqa: E402

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
    )
    return CachePlan(**{**base, **kw})


def test_one_shard_without_a_replica_is_a_single_node_without_failover():
    layout = data.cache_layout(cache())
    assert layout["cluster_mode"] == "disabled" and layout["num_cache_clusters"] == 1
    assert layout["automatic_failover_enabled"] is False and layout["multi_az_enabled"] is False


def test_one_shard_with_a_replica_fails_over_across_zones():
    layout = data.cache_layout(cache(num_nodes=2, replicas_per_shard=1))
    assert layout["num_cache_clusters"] == 2
    assert layout["automatic_failover_enabled"] is True and layout["multi_az_enabled"] is True


def test_several_shards_use_cluster_mode():
    layout = data.cache_layout(cache(num_nodes=8, shards=4, replicas_per_shard=1))
    assert (layout["cluster_mode"], layout["num_node_groups"], layout["replicas_per_node_group"]) == ("enabled", 4, 1)
    assert layout["parameter_group_name"].endswith(".cluster.on")
    assert "num_cache_clusters" not in layout


def test_pod_specs_carry_the_plan_unchanged():
    app = workloads.App("api", "example/api:1", POD)
    assert workloads.resources(POD) == {
        "requests": {"cpu": "250m", "memory": "300Mi"},
        "limits": {"cpu": "750m", "memory": "600Mi"},
    }
    spec = workloads.deployment_spec(app, {"A": "b"})
    assert spec["replicas"] == 3
    assert spec["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "b"}]
    hpa = workloads.hpa_spec(app)
    assert (hpa["min_replicas"], hpa["max_replicas"]) == (3, 9)
    assert spec["selector"]["match_labels"] == workloads.pdb_spec(app)["selector"]["match_labels"]


def test_kubeconfig_uses_the_aws_cli_for_short_lived_tokens():
    config = cluster.kubeconfig("c1", "https://x", "Q0E=", "eu-west-1")
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == ["eks", "get-token", "--cluster-name", "c1", "--region", "eu-west-1", "--output", "json"]
    assert "token" not in user["user"]


@pytest.mark.parametrize(("stack", "name"), [("dev", "chat-infra-dev"), ("org.prod/eu", "chat-infra-org-prod-eu")])
def test_cluster_names_are_valid_eks_names(stack, name):
    assert cluster.cluster_name_for("chat-infra", stack) == name
