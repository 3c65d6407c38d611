"""The stack against numbers written by hand, not against ``calculate()``: a wrong plan must not pass by being
faithfully deployed.

Two fixed plans, the node type pinned (m6i.xlarge: 4 vCPU, 16 GiB, 58 ENI pods, 15 addresses per ENI, from the
shipped catalog) so that a change in which type is cheapest cannot move them, and every assumption that shapes them
stated in the config. Per m6i.xlarge node, after kube-reserved (80m) and the DaemonSets (3 pods, 200m, 256 MiB):
3,920 - 200 = 3,720m; 16,384 x 0.925 = 15,155.2 - (255 + 11 x 58) - 100 = 14,162 - 256 = 13,906 MiB; 58 - 3 = 55
pods. That holds 7 backends (500m: 3,500m) and beside them 1 frontend (200m); 18 frontends on an empty node. The
cluster add-ons' 7 pods (700m, 1,396 MiB: CoreDNS, metrics-server, the Cluster Autoscaler, the load balancer
controller) take the first node, which keeps 3,020m for 6 backends and no frontend (20m left).
"""

from __future__ import annotations

import pytest
from stack_mocks import Run, run_program

ASSUMPTIONS = {
    "min_replicas": 2,
    "backend": {
        "users_per_pod": 100,
        "buffer": 1.3,
        "max_multiplier": 3,
        "cpu_request_m": 500,
        "cpu_limit_m": 1000,
        "memory_request_mib": 512,
        "memory_limit_mib": 1024,
    },
    "frontend": {
        "users_per_pod": 500,
        "buffer": 1.2,
        "max_multiplier": 2,
        "cpu_request_m": 200,
        "cpu_limit_m": 400,
        "memory_request_mib": 256,
        "memory_limit_mib": 512,
    },
    "daemonsets": {"pods": 3, "cpu_m": 200, "memory_mib": 256},
    "hpa_target_cpu_percent": 70,
    "node_buffer": 1.2,
    "min_nodes": 3,
    "node_disk_gib": 20,
    "database": {
        "reads_per_user_per_second": 0.5,
        "writes_per_user_per_second": 0.1,
        "read_item_kb": 4,
        "write_item_kb": 1,
        "eventually_consistent_reads": True,
        "billing_mode": "PROVISIONED",
        "target_utilization": 0.7,
        "min_capacity_fraction": 0.25,
    },
    "cache": {
        "enabled": True,
        "mib_per_session": 0.5,
        "usable_fraction": 0.75,
        "max_memory_use": 1.0,
        "engine": "redis",
        "min_node_type": "cache.t3.small",
        "replica_from_tier": "large",
    },
    "single_nat_gateway_tiers": ["small", "medium"],
    "availability_zones": 3,
}

EXPECTED = {
    # 1,000 users (medium), no LLM.
    # Backend ceil(1,000 / 100 x 1.3) = 13 .. 39; frontend ceil(2 x 1.2) = 3 .. 6.
    # Min nodes: 13 backends = 6 beside the add-ons + 7 (a frontend beside), the other 2 frontends on a node of their
    #   own = 3 nodes x 1.2 = 3.6 -> 4 (3 without the add-ons).
    # Max nodes: 39 = 6 + 4 x 7 + 5 (4 frontends beside the full nodes, the other 2 beside the 5) = 6 x 1.2 = 7.2
    #   -> 8.
    # DynamoDB: 500 reads/s of 4 KB, eventually consistent = 250 RCU; 100 writes/s of 1 KB = 100 WCU; scaling from
    # ceil(250 x 0.25) = 63 to ceil(250 / 0.7) = 358 RCU and from 25 to ceil(142.9) = 143 WCU.
    # Cache: 1,000 x 0.5 MiB = 0.49 GiB; the cheapest node of at least cache.t3.small's 1.37 GiB is cache.t4g.small
    # ($0.032/h, 1.03 GiB usable); no replica below large. One NAT gateway (medium).
    1_000: dict(
        config={"concurrentUsers": 1_000, "totalUsers": 10_000, "instanceType": "m6i.xlarge", "llm": "none"},
        tier="medium",
        groups={"cluster-workers-1": (4, 8)},
        backend=(13, 39),
        frontend=(3, 6),
        # The table is created at its auto-scaling floor (the quota check is at preview), then scales.
        table=(63, 25),
        read_scaling=(63, 358),
        write_scaling=(25, 143),
        cache=("cache.t4g.small", 1, 0),
        nat_gateways=1,
        # (39 + 6) pods and the add-ons' 7, 6 or 7 on each of 8 m6i.xlarge: ceil(7 / 14) + 1 = 2 ENIs of 15 a node.
        vpc_ips=8 * 2 * 15,
        llm_env=[{"name": "LLM_PROVIDER", "value": "none"}],
        grace_seconds=30,
        cpu_target=70,
    ),
    # 100,000 users (enterprise), the default Bedrock model with its stream speed set (1 s + 20 tokens/s).
    # Backend 1,300 .. 3,900; frontend 240 .. 480.
    # Min nodes: 1,300 = 6 beside the add-ons + 184 x 7 + 6 (720m left: 3 frontends); 240 frontends: 184 beside the
    #   full nodes, 3 beside the 6, 53 on ceil(53 / 18) = 3 more = 189 x 1.2 = 226.8 -> 227.
    # Max nodes: 3,900 = 6 + 556 x 7 + 2; 480 frontends all beside the full nodes = 558 x 1.2 = 669.6 -> 670, in
    #   ceil(670 / 450) = 2 groups of 335 (min 114 and 113).
    # Open streams: 100,000 / 60 x (1 + 211 / 20) = 19,250, at 200 a pod 97: under the 3,900 the users need.
    # DynamoDB: 25,000 RCU scaling 6,250 .. ceil(35,714.3) = 35,715; 10,000 WCU scaling 2,500 .. 14,286.
    # Cache: 48.8 GiB, with a replica from large. The cheapest layout: cache.r6g.large (13.07 GiB, 9.8 usable) in
    #   ceil(48.8 / 9.8) = 5 shards x 2 nodes x $0.206/h = $2.06/h, against 3 x 2 cache.r6g.xlarge ($2.466/h) or one
    #   cache.r6g.4xlarge pair ($3.284/h).
    # A NAT gateway per zone from large: 3.
    100_000: dict(
        config={
            "concurrentUsers": 100_000,
            "totalUsers": 1_000_000,
            "instanceType": "m6i.xlarge",
            # A non-default HPA target: the HPAs must follow the assumption.
            "assumptions": {
                "hpa_target_cpu_percent": 60,
                "llm": {"time_to_first_token_s": 1, "output_tokens_per_s": 20},
            },
        },
        tier="enterprise",
        groups={"cluster-workers-1": (114, 335), "cluster-workers-2": (113, 335)},
        backend=(1_300, 3_900),
        frontend=(240, 480),
        table=(6_250, 2_500),
        read_scaling=(6_250, 35_715),
        write_scaling=(2_500, 14_286),
        cache=("cache.r6g.large", 5, 1),
        nat_gateways=3,
        vpc_ips=670 * 2 * 15,  # 4,387 pods, 6 or 7 a node: 2 ENIs of 15 each
        llm_env=[
            {"name": "LLM_PROVIDER", "value": "aws"},
            {"name": "LLM_MODEL", "value": "global.anthropic.claude-haiku-4-5-20251001-v1:0"},
        ],
        # The p90 answer streams 1 + 424 / 20 = 22.2 s: 5 s pre-stop + ceil(2 x 22.2) = 45 + 10 s to close = 60.
        grace_seconds=60,
        cpu_target=60,
    ),
}


def config_for(users: int) -> dict:
    config = dict(EXPECTED[users]["config"])
    return {**config, "assumptions": {**ASSUMPTIONS, **config.get("assumptions", {})}}


@pytest.fixture(scope="module", params=list(EXPECTED), ids=[f"{u}-users" for u in EXPECTED])
def deployed(request) -> tuple[Run, dict]:
    return run_program(config_for(request.param)), EXPECTED[request.param]


def test_node_groups_have_the_pinned_type_and_the_hand_counted_bounds(deployed):
    run, want = deployed
    groups = {g.name: g.inputs for g in run.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert {name: (g["scalingConfig"]["minSize"], g["scalingConfig"]["maxSize"]) for name, g in groups.items()} == (
        want["groups"]
    )
    assert all(g["instanceTypes"] == ["m6i.xlarge"] for g in groups.values())
    assert all(g["scalingConfig"]["desiredSize"] == g["scalingConfig"]["minSize"] for g in groups.values())
    (disk,) = run.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["blockDeviceMappings"]
    assert disk["ebs"]["volumeSize"] == 20


@pytest.mark.parametrize("app", ["backend", "frontend"])
def test_deployments_and_hpas_have_the_hand_counted_replicas(deployed, app):
    run, want = deployed
    low, high = want[app]
    hpa = run.named(f"workloads-{app}-hpa").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (low, high)
    (metric,) = hpa["metrics"]
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": want["cpu_target"]}
    deployment = run.named(f"workloads-{app}").inputs["spec"]
    assert deployment["replicas"] == low
    (container,) = deployment["template"]["spec"]["containers"]
    assert (
        container["resources"]
        == {
            "backend": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1000m", "memory": "1024Mi"}},
            "frontend": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"cpu": "400m", "memory": "512Mi"}},
        }[app]
    )
    assert deployment["template"]["spec"]["terminationGracePeriodSeconds"] == want["grace_seconds"]


def test_the_table_has_the_hand_counted_capacity_and_scaling_bounds(deployed):
    run, want = deployed
    table = run.one("aws:dynamodb/table:Table").inputs
    assert (table["billingMode"], table["readCapacity"], table["writeCapacity"]) == ("PROVISIONED", *want["table"])
    targets = {t.inputs["scalableDimension"]: t.inputs for t in run.of_type("aws:appautoscaling/target:Target")}
    assert {dim: (t["minCapacity"], t["maxCapacity"]) for dim, t in targets.items()} == {
        "dynamodb:table:ReadCapacityUnits": want["read_scaling"],
        "dynamodb:table:WriteCapacityUnits": want["write_scaling"],
    }
    policies = run.of_type("aws:appautoscaling/policy:Policy")
    assert sorted(p.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] for p in policies) == [70, 70]


def test_the_cache_has_the_hand_chosen_node_type_and_count_on_6379(deployed):
    run, want = deployed
    group = run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    node_type, shards, replicas = want["cache"]
    # Cluster mode from the first shard, so growing to more shards is an in-place change.
    assert (group["nodeType"], group["numNodeGroups"], group["replicasPerNodeGroup"], group["port"]) == (
        node_type,
        shards,
        replicas,
        6379,
    )
    assert group.get("multiAzEnabled", False) is (replicas > 0)


def test_nat_gateways_one_or_one_per_zone(deployed):
    run, want = deployed
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == want["nat_gateways"]
    assert len(run.of_type("aws:ec2/eip:Eip")) == want["nat_gateways"]
    assert len(run.of_type("aws:ec2/subnet:Subnet")) == 6  # a public and a private subnet in each of 3 zones


def test_the_backend_env_points_at_the_table_and_the_cache_on_6379(deployed):
    run, want = deployed
    env = run.named("workloads-backend").inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    # A silent stream may last the ALB's idle timeout: twice the p90 answer, ceil(2 x 22.2) = 45 s, but at least
    # the ALB's default 60 s.
    assert env == [
        {"name": "AWS_REGION", "value": "us-east-1"},
        {"name": "STREAM_TIMEOUT_SECONDS", "value": "60"},
        {"name": "TABLE_NAME", "value": "data-conversations-1a2b3c"},
        # The table's TTL attribute and the default 90-day retention the plan prices the storage for.
        {"name": "TABLE_TTL_ATTRIBUTE", "value": "expiresAt"},
        {"name": "TABLE_RETENTION_DAYS", "value": "90"},
        {"name": "CACHE_ENABLED", "value": "true"},
        {"name": "CACHE_HOST", "value": "clustercfg.data-cache-1a2b3c.cache.example.com"},
        {"name": "CACHE_PORT", "value": "6379"},
        {"name": "CACHE_TLS", "value": "true"},
        {"name": "REDIS_CLUSTER_MODE", "value": "true"},
        {"name": "REDIS_AUTH_TOKEN", "valueFrom": {"secretKeyRef": {"name": "cache-auth", "key": "token"}}},
        *want["llm_env"],
    ]
    frontend = run.named("workloads-frontend").inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    assert frontend == [
        {"name": "BACKEND_URL", "value": "http://backend.chat-app.svc.cluster.local"},
        {"name": "STREAM_TIMEOUT_SECONDS", "value": "60"},
    ]
    # The same figure the ALB's idle timeout carries.
    (ingress,) = run.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    attributes = ingress.inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/load-balancer-attributes"]
    assert "idle_timeout.timeout_seconds=60" in attributes


def test_the_exported_plan_is_the_hand_counted_one(deployed):
    run, want = deployed
    plan = run.outputs["sizing"]
    assert run.outputs["tier"] == plan["tier"] == want["tier"]
    assert plan["network"]["vpc_ips_max"] == want["vpc_ips"]
    assert plan["network"]["nat_gateways"] == want["nat_gateways"]
    assert (plan["nodes"]["instance_type"], plan["nodes"]["min_nodes"], plan["nodes"]["max_nodes"]) == (
        "m6i.xlarge",
        sum(g[0] for g in want["groups"].values()),
        sum(g[1] for g in want["groups"].values()),
    )
