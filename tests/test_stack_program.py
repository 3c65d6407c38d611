"""The Pulumi program declares what the sizing plan says, for loads from small to beyond one node group.

Each load's program runs once against mocks (module fixture); every test then asserts on what was recorded, after
the program finished, so no check can hide in an ``apply`` that never ran.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter

import kubernetes_validate
import pytest
from stack_mocks import Run, run_program, use_stack_modules

from sizing import Workload, calculate

use_stack_modules()
import autoscaler as stack_autoscaler
import cluster as stack_cluster
import config as stack_config
import network as stack_network

# Quiet all day but one evening hour: DynamoDB's auto-scaling floor and lag cost more than on-demand requests.
SPIKY_DAY = [0.02] * 21 + [1.0] + [0.02] * 2
LOADS = {
    "small-300": {
        "concurrentUsers": 300,
        "totalUsers": 3000,
        "assumptions": {"traffic": {"hourly_profile": SPIKY_DAY}},
    },
    "medium-1000": {"concurrentUsers": 1000, "totalUsers": 10000},
    # A non-default HPA target: the deployed HPAs must follow the plan's assumption, not a constant.
    # Redis OSS instead of the default Valkey: the stack deploys the engine the plan priced.
    "large-8000": {
        "concurrentUsers": 8000,
        "totalUsers": 80000,
        "assumptions": {"hpa_target_cpu_percent": 60, "cache": {"engine": "redis"}},
    },
    # The largest load here, whose max fleet the default /16 can still address (see test_stack_config for 1,000,000
    # users, which it cannot). Sessions of 1 MiB, not the default 0.5, so the cache must shard. Its table may need
    # 107,143 RCU, so the per-table quota is raised as AWS would have to (without it, the preview stops).
    "enterprise-300k": {
        "concurrentUsers": 300_000,
        "dynamodbTableQuota": 120_000,
        "assumptions": {"cache": {"mib_per_session": 1}},
    },
    # Above 450 nodes: two node groups.
    "pinned-c6i.large-50k": {"concurrentUsers": 50_000, "instanceType": "c6i.large"},
}
WORKLOAD_FIELDS = {
    "concurrentUsers": "concurrent_users",
    "totalUsers": "total_users",
    "instanceType": "instance_type",
    "assumptions": "assumptions",
}
DEFAULT_VPC_CIDR = stack_config.KEYS["vpcCidr"].default

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
TABLE = "aws:dynamodb/table:Table"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
K8S_PROVIDER = "pulumi:providers:kubernetes"
APPS = ("backend", "frontend")


def expected_plan(load: dict):
    return calculate(
        Workload(region="us-east-1", **{WORKLOAD_FIELDS[k]: v for k, v in load.items() if k in WORKLOAD_FIELDS})
    )


@pytest.fixture(scope="module", params=list(LOADS), ids=list(LOADS))
def case(request) -> tuple[Run, object]:
    load = LOADS[request.param]
    return run_program(load), expected_plan(load)


def test_the_loads_cover_every_shape_of_plan():
    plans = [expected_plan(load) for load in LOADS.values()]
    assert {p.tier for p in plans} == {"small", "medium", "large", "enterprise"}
    assert {p.database.billing_mode for p in plans} == {"PAY_PER_REQUEST", "PROVISIONED"}
    assert any(not p.cache.enabled for p in plans) and any(p.cache.shards == 1 and p.cache.enabled for p in plans)
    assert any(p.cache.shards > 1 for p in plans)
    assert {p.cache.engine for p in plans if p.cache.enabled} == {"valkey", "redis"}
    assert {p.network.nat_gateways for p in plans} == {1, 3}
    assert any(len(p.nodes.groups) > 1 for p in plans), "no load above the 450-node group limit"
    assert any(p.warnings for p in plans), "no load whose warnings the preview must show"
    # Every load can be deployed: its max fleet fits the default VPC's private subnets.
    for p in plans:
        assert p.network.vpc_ips_max <= stack_network.private_capacity(DEFAULT_VPC_CIDR, p.network.availability_zones)


# --- cluster --------------------------------------------------------------------------------------------------------


def test_one_node_group_per_plan_group_with_the_plans_type_and_bounds(case):
    run, plan = case
    groups = {g.name: g for g in run.of_type(NODE_GROUP)}
    assert set(groups) == {f"cluster-{g.name}" for g in plan.nodes.groups}
    for planned in plan.nodes.groups:
        group = groups[f"cluster-{planned.name}"]
        assert group.inputs["instanceTypes"] == [planned.instance_type]
        assert group.inputs["scalingConfig"] == {
            "minSize": planned.min_nodes,
            "maxSize": planned.max_nodes,
            "desiredSize": planned.min_nodes,
        }
        # Nothing ignored: each `up` declares the live desired size clamped to the bounds (test_stack_day2.py), and
        # on this first `up` (no cluster yet) that is the minimum.
        assert group.ignore_changes == []
        assert (
            group.inputs["amiType"]
            == {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}[plan.nodes.arch]
        )
        assert group.inputs["tags"] == {
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/chat-infra-test": "owned",
        }
        assert group.inputs["subnetIds"] == [f"network-private-{i}-id" for i in range(plan.network.availability_zones)]
        assert group.inputs["launchTemplate"] == {"id": "cluster-nodes-id", "version": "1"}


def test_nodes_require_imdsv2_and_boot_from_an_encrypted_disk_of_the_planned_size(case):
    run, plan = case
    template = run.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (disk,) = template.inputs["blockDeviceMappings"]
    assert disk["ebs"]["encrypted"] == "true"
    assert disk["ebs"]["volumeSize"] == plan.assumptions.node_disk_gib
    assert "instanceType" not in template.inputs  # the node group's instance_types decide


def test_roles_get_exactly_the_managed_policies_they_need(case):
    run, _ = case
    attached = Counter()
    for attachment in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        role = attachment.inputs["role"].removesuffix("-1a2b3c")
        attached[(role, attachment.inputs["policyArn"].rsplit("/", 1)[1])] += 1
    assert attached == Counter(
        {
            ("cluster-cluster-role", "AmazonEKSClusterPolicy"): 1,
            ("cluster-node-role", "AmazonEKSWorkerNodePolicy"): 1,
            ("cluster-node-role", "AmazonEKS_CNI_Policy"): 1,
            ("cluster-node-role", "AmazonEC2ContainerRegistryReadOnly"): 1,
        }
    )
    trusts = {
        r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
        for r in run.of_type("aws:iam/role:Role")
    }
    assert trusts == {
        "cluster-cluster-role": "eks.amazonaws.com",
        "cluster-node-role": "ec2.amazonaws.com",
        "workloads-backend-role": "pods.eks.amazonaws.com",
        "autoscaler-role": "pods.eks.amazonaws.com",
        "lb-controller-role": "pods.eks.amazonaws.com",
    }


def test_the_cluster_is_private_and_envelope_encrypts_secrets_with_a_rotating_key(case):
    run, plan = case
    cluster = run.one("aws:eks/cluster:Cluster")
    key = run.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert cluster.inputs["name"] == "chat-infra-test"
    assert cluster.inputs["version"] == stack_config.DEFAULT_KUBERNETES_VERSION
    assert cluster.inputs["encryptionConfig"] == {
        "provider": {"keyArn": "arn:aws:mock:::aws:kms/key:Key/cluster-secrets-1a2b3c"},
        "resources": ["secrets"],
    }
    assert cluster.inputs["vpcConfig"]["subnetIds"] == [
        f"network-private-{i}-id" for i in range(plan.network.availability_zones)
    ]


# --- network --------------------------------------------------------------------------------------------------------


def test_subnets_span_the_plans_zones_with_the_tags_eks_load_balancers_need(case):
    run, plan = case
    subnets = {s.name: s for s in run.of_type("aws:ec2/subnet:Subnet")}
    zones = plan.network.availability_zones
    assert set(subnets) == {f"network-{kind}-{i}" for kind in ("public", "private") for i in range(zones)}
    assert len({s.inputs["availabilityZone"] for s in subnets.values()}) == zones
    for i in range(zones):
        public, private = subnets[f"network-public-{i}"].inputs, subnets[f"network-private-{i}"].inputs
        assert public["tags"]["kubernetes.io/role/elb"] == "1"
        assert private["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in private["tags"]
        for tags in (public["tags"], private["tags"]):
            assert tags["kubernetes.io/cluster/chat-infra-test"] == "shared"
        assert public["mapPublicIpOnLaunch"] is False


def test_nat_gateways_as_the_plan_counts_them_and_every_private_subnet_routes_through_one(case):
    run, plan = case
    nats = run.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == plan.network.nat_gateways
    assert len(run.of_type("aws:ec2/eip:Eip")) == plan.network.nat_gateways
    assert len({n.inputs["subnetId"] for n in nats}) == len(nats)
    used = set()
    for i in range(plan.network.availability_zones):
        table = run.named(f"network-private-rt-{i}")
        (route,) = table.inputs["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        used.add(route["natGatewayId"])
    assert used == {f"network-nat-{i}-id" for i in range(plan.network.nat_gateways)}
    (public_route,) = run.named("network-public-rt").inputs["routes"]
    assert public_route["gatewayId"] == "network-igw-id"


def test_dynamodb_traffic_from_the_private_subnets_skips_the_nat_gateways(case):
    run, plan = case
    (endpoint,) = [
        e for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Gateway"
    ]
    assert endpoint.name == "network-dynamodb"
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.dynamodb"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["vpcId"] == "network-vpc-id"
    # Every private route table (where nodes and pods route from), and only those.
    private_tables = [f"network-private-rt-{i}" for i in range(plan.network.availability_zones)]
    tables = {r.name for r in run.of_type("aws:ec2/routeTable:RouteTable")}
    assert tables == {*private_tables, "network-public-rt"}
    assert endpoint.inputs["routeTableIds"] == [f"{name}-id" for name in private_tables]
    assert endpoint.parent == run.one("chat-infra:network:Network").urn


# --- data -----------------------------------------------------------------------------------------------------------


def test_the_table_is_billed_and_scaled_as_planned(case):
    run, plan = case
    table = run.one(TABLE)
    database = plan.database
    assert table.inputs["billingMode"] == database.billing_mode
    targets = {t.inputs["scalableDimension"]: t.inputs for t in run.of_type(SCALING_TARGET)}
    policies = run.of_type(SCALING_POLICY)
    if database.billing_mode == "PROVISIONED":
        # Created at auto scaling's floor, which target tracking then raises with the load.
        assert table.inputs["readCapacity"] == database.read_autoscaling.min
        assert table.inputs["writeCapacity"] == database.write_autoscaling.min
        assert table.ignore_changes == ["readCapacity", "writeCapacity"]
        read, write = targets["dynamodb:table:ReadCapacityUnits"], targets["dynamodb:table:WriteCapacityUnits"]
        assert (read["minCapacity"], read["maxCapacity"]) == (
            database.read_autoscaling.min,
            database.read_autoscaling.max,
        )
        assert (write["minCapacity"], write["maxCapacity"]) == (
            database.write_autoscaling.min,
            database.write_autoscaling.max,
        )
        assert read["resourceId"] == "table/data-conversations-1a2b3c"
        assert len(targets) == 2 and len(policies) == 2
        for policy in policies:
            tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
            assert policy.inputs["policyType"] == "TargetTrackingScaling"
            assert tracking["targetValue"] == pytest.approx(plan.assumptions.database.target_utilization * 100)
    else:
        assert "readCapacity" not in table.inputs and "writeCapacity" not in table.inputs
        assert not targets and not policies


def test_the_table_is_protected_recoverable_and_encrypted(case):
    run, _ = case
    table = run.one(TABLE)
    assert table.protect is True
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert table.inputs["serverSideEncryption"] == {"enabled": True}
    assert table.inputs["deletionProtectionEnabled"] is True
    assert not [r.name for r in run.resources if r.protect and r.typ != TABLE], "only the table needs protecting"


def test_the_cache_has_the_plans_node_type_and_count_or_does_not_exist(case):
    run, plan = case
    cache = plan.cache
    elasticache = [r for r in run.resources if r.typ.startswith("aws:elasticache/")]
    if not cache.enabled:
        assert elasticache == []
        assert run.outputs["cacheEndpoint"] is None
        assert not any(e["name"] == "CACHE_HOST" for e in env_of(run, "backend"))
        return
    group = run.one(REPLICATION_GROUP).inputs
    assert group["nodeType"] == cache.node_type
    # The engine the plan priced, at a version whose default parameter group family the group names.
    assert (group["engine"], group["engineVersion"]) == {"valkey": ("valkey", "8.0"), "redis": ("redis", "7.1")}[
        cache.engine
    ]
    family = {"valkey": "default.valkey8", "redis": "default.redis7"}[cache.engine]
    # Cluster mode for one shard as for many: the shard count is the only thing that grows.
    assert group["parameterGroupName"] == f"{family}.cluster.on"
    assert (group["numNodeGroups"], group["replicasPerNodeGroup"]) == (cache.shards, cache.replicas_per_shard)
    assert group["numNodeGroups"] * (1 + group["replicasPerNodeGroup"]) == cache.num_nodes
    assert group["clusterMode"] == "enabled" and "numCacheClusters" not in group
    assert run.outputs["cacheEndpoint"] == "clustercfg.data-cache-1a2b3c.cache.example.com"
    assert group["atRestEncryptionEnabled"] is True
    assert group["transitEncryptionEnabled"] is True
    has_replica = cache.num_nodes > cache.shards
    assert group["automaticFailoverEnabled"] is True
    assert group.get("multiAzEnabled", False) is has_replica
    env = {e["name"]: e.get("value") for e in env_of(run, "backend")}
    assert env["CACHE_HOST"] == run.outputs["cacheEndpoint"]


def test_only_the_clusters_nodes_reach_the_cache_on_6379(case):
    run, plan = case
    # The Bedrock endpoint's group has its own rule (tests/test_stack_llm_endpoint.py).
    endpoint = plan.network.llm_route is not None and plan.network.llm_route.via == "interface_endpoint"
    rules = [
        r
        for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] != "bedrock-endpoint-sg-id"
    ]
    if not plan.cache.enabled:
        # The ALB's own group (edge.py) is the only other security group, with the endpoint's when there is one.
        groups = [g.name for g in run.of_type("aws:ec2/securityGroup:SecurityGroup")]
        assert rules == [] and sorted(groups) == sorted(["edge-alb-sg", *(["bedrock-endpoint-sg"] if endpoint else [])])
        return
    (rule,) = rules
    assert rule.inputs["referencedSecurityGroupId"] == "sg-cluster"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (6379, 6379, "tcp")
    assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs)
    (group,) = [g.inputs for g in run.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == "data-cache"]
    assert not group.get("ingress") and not group.get("egress")
    assert run.one(REPLICATION_GROUP).inputs["securityGroupIds"] == ["data-cache-id"]


# --- workloads ------------------------------------------------------------------------------------------------------


def pod_spec(run: Run, app: str) -> dict:
    return run.named(f"workloads-{app}").inputs["spec"]["template"]["spec"]


def env_of(run: Run, app: str) -> list[dict]:
    return pod_spec(run, app)["containers"][0].get("env", [])


@pytest.mark.parametrize("app", APPS)
def test_containers_request_and_limit_what_the_plan_says(case, app):
    run, plan = case
    pod = getattr(plan, app)
    (container,) = pod_spec(run, app)["containers"]
    assert container["resources"] == {
        "requests": {"cpu": f"{pod.cpu_request_m}m", "memory": f"{pod.memory_request_mib}Mi"},
        "limits": {"cpu": f"{pod.cpu_limit_m}m", "memory": f"{pod.memory_limit_mib}Mi"},
    }
    deployment = run.named(f"workloads-{app}")
    assert deployment.inputs["spec"]["replicas"] == pod.min_replicas
    assert deployment.ignore_changes == ["spec.replicas"]


@pytest.mark.parametrize("app", APPS)
def test_each_hpa_scales_its_deployment_between_the_plans_bounds(case, app):
    run, plan = case
    pod = getattr(plan, app)
    hpa = run.named(f"workloads-{app}-hpa").inputs
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (pod.min_replicas, pod.max_replicas)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": app}
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": plan.assumptions.hpa_target_cpu_percent,
    }
    pdb = run.named(f"workloads-{app}-pdb").inputs["spec"]
    assert pdb["selector"]["matchLabels"] == run.named(f"workloads-{app}").inputs["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("app", APPS)
def test_pods_run_locked_down_and_spread_over_zones(case, app):
    run, _ = case
    spec = pod_spec(run, app)
    (container,) = spec["containers"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] > 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    assert "topology.kubernetes.io/zone" in {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
    namespace = run.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    assert namespace["name"] == "chat-app"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_backend_gets_the_table_name_and_its_own_narrow_table_role(case):
    run, _ = case
    env = {e["name"]: e.get("value") for e in env_of(run, "backend")}
    assert env["TABLE_NAME"] == run.outputs["tableName"] == "data-conversations-1a2b3c"
    policy = json.loads(run.named("workloads-backend-table-access").inputs["policy"])
    (statement,) = policy["Statement"]
    table_arn = "arn:aws:mock:::aws:dynamodb/table:Table/data-conversations-1a2b3c"
    assert statement["Resource"] == [table_arn, f"{table_arn}/index/*"]
    assert all(action.startswith("dynamodb:") and "*" not in action for action in statement["Action"])
    association = run.named("workloads-backend-identity")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == ("chat-app", "backend")
    assert pod_spec(run, "backend")["serviceAccountName"] == "backend"
    # Credentials are injected at pod creation: the first pods must not start before the association exists.
    assert association.urn in run.named("workloads-backend").dependencies


def test_every_kubernetes_object_goes_through_the_clusters_provider(case):
    run, _ = case
    provider = run.one(K8S_PROVIDER)
    assert provider.parent == run.one("chat-infra:cluster:Cluster").urn
    # Nothing reaches the cluster before its nodes, the metrics API and the Pod Identity agent exist.
    waits_for = {urn.split("::")[-1] for urn in provider.dependencies}
    add_ons = {a.name for a in run.of_type("aws:eks/addon:Addon")}
    assert add_ons >= {"cluster-metrics-server", "cluster-pod-identity-agent", "cluster-vpc-cni", "cluster-coredns"}
    # ...nor before its identity may: without an access entry every call would be refused (401).
    access = {a.name for a in run.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert access and waits_for >= {g.name for g in run.of_type(NODE_GROUP)} | add_ons | access
    secret = provider.inputs["kubeconfig"]
    # Still a secret on the wire: the mock monitor shows the envelope Pulumi sends.
    assert secret["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    kubeconfig = json.loads(secret["value"])
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    for resource in run.resources:
        if resource.typ.startswith("kubernetes:"):
            assert resource.provider.startswith(provider.urn + "::"), resource.name


# --- every Kubernetes object against the official schema -------------------------------------------------------------


# Pulumi types served by the kubernetes provider that are not Kubernetes objects: a Helm release's inputs are a chart
# reference and its values, which the API server never sees, so there is no schema to hold them to. Skipped by name,
# so nothing else can slip past the schema check.
NOT_KUBERNETES_OBJECTS = {RELEASE}


def object_type(obj: dict) -> str:
    """The Pulumi type token of a Kubernetes object, from its own apiVersion and kind (core has no group)."""
    group_version = obj["apiVersion"] if "/" in obj["apiVersion"] else f"core/{obj['apiVersion']}"
    return f"kubernetes:{group_version}:{obj['kind']}"


# How a secret input crosses the wire to the engine (and so how the mocks record it): the value inside a marker.
SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def unwrap_secrets(value):
    """The object as the API server receives it: Pulumi's secret envelopes replaced by the values they hold."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE[0]) == SECRET_SIGNATURE[1]:
            return unwrap_secrets(value["value"])
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def kubernetes_objects(run: Run) -> list[dict]:
    return [
        unwrap_secrets(r.inputs)
        for r in run.resources
        if r.typ.startswith("kubernetes:") and r.typ not in NOT_KUBERNETES_OBJECTS
    ]


def test_every_kubernetes_object_validates_strictly_against_the_kubernetes_schema(case):
    run, plan = case
    served = [r for r in run.resources if r.typ.startswith("kubernetes:")]
    # Each validated input is the object its type says it is; the only resources not validated are the named ones.
    assert all(object_type(r.inputs) == r.typ for r in served if r.typ not in NOT_KUBERNETES_OBJECTS)
    assert {r.typ for r in served} - {object_type(o) for o in kubernetes_objects(run)} == NOT_KUBERNETES_OBJECTS
    objects = kubernetes_objects(run)
    assert {o["kind"] for o in objects} == {
        "Namespace",
        "ServiceAccount",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
        *(["Secret"] if plan.cache.enabled else []),
    }
    version = stack_config.DEFAULT_KUBERNETES_VERSION
    for obj in objects:
        assert kubernetes_validate.validate(obj, version, strict=True) == version


def test_the_schema_check_rejects_what_kubernetes_would_reject():
    run = run_program(LOADS["small-300"])
    (deployment,) = [
        o for o in kubernetes_objects(run) if o["kind"] == "Deployment" and o["metadata"]["name"] == "backend"
    ]
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="securityContex"):
        kubernetes_validate.validate(typo, stack_config.DEFAULT_KUBERNETES_VERSION, strict=True)


# --- structure and outputs ------------------------------------------------------------------------------------------


def test_resource_names_are_unique(case):
    run, _ = case
    assert len(run.urns) == len(set(run.urns))
    assert len({(r.typ, r.name) for r in run.resources}) == len(run.resources)
    physical = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in kubernetes_objects(run)]
    physical += [("HelmRelease", r.inputs["namespace"], r.inputs["name"]) for r in run.of_type(RELEASE)]
    assert len(physical) == len(set(physical))


def test_every_resource_belongs_to_one_of_the_components(case):
    run, plan = case
    components = {r.urn: r.typ for r in run.resources if not r.custom}
    endpoint = plan.network.llm_route is not None and plan.network.llm_route.via == "interface_endpoint"
    assert sorted(components.values()) == [
        "chat-infra:autoscaler:ClusterAutoscaler",
        "chat-infra:cluster:Cluster",
        "chat-infra:data:Data",
        "chat-infra:edge:Edge",
        "chat-infra:edge:LoadBalancerController",
        *(["chat-infra:network:BedrockEndpoint"] if endpoint else []),
        "chat-infra:network:Network",
        "chat-infra:workloads:Workloads",
    ]
    for resource in run.resources:
        if resource.custom:
            assert resource.parent in components, resource.name


def test_the_outputs_carry_the_whole_plan_its_cost_and_what_was_created(case):
    run, plan = case
    assert run.outputs["sizing"] == json.loads(plan.model_dump_json())
    assert run.outputs["tier"] == plan.tier
    assert run.outputs["monthlyCostMinUsd"] == plan.cost.monthly_usd.min
    assert run.outputs["monthlyCostMaxUsd"] == plan.cost.monthly_usd.max
    assert run.outputs["clusterName"] == "chat-infra-test"
    # The names the program gives the groups (slot, type, digest: test_stack_day2.py), in the plan's order.
    assert run.outputs["nodeGroupNames"] == [
        run.named(f"cluster-{g.name}").inputs["nodeGroupName"] for g in plan.nodes.groups
    ]
    assert all(
        name.startswith(f"{g.name}-") for name, g in zip(run.outputs["nodeGroupNames"], plan.nodes.groups, strict=True)
    )
    assert run.outputs["tableName"] == "data-conversations-1a2b3c"
    assert run.secret_outputs == {"kubeconfig"}
    assert json.loads(run.outputs["kubeconfig"])["clusters"][0]["cluster"]["server"].startswith("https://")


def test_every_provider_call_is_one_the_mocks_answer_on_purpose(case):
    run, plan = case
    endpoint = plan.network.llm_route is not None and plan.network.llm_route.via == "interface_endpoint"
    assert sorted({token for token, _ in run.calls}) == [
        # The live subnets' zones (none on a first `up`), kept across runs: zones.py.
        "aws:ec2/getSubnets:getSubnets",
        # The zones Bedrock's endpoint service is offered in, before the endpoint is declared: llm_endpoint.py.
        *(["aws:ec2/getVpcEndpointService:getVpcEndpointService"] if endpoint else []),
        "aws:eks/getAddonVersion:getAddonVersion",
        # Whether the cluster exists yet, before its node groups are read: node_groups.py.
        "aws:eks/getClusters:getClusters",
        "aws:iam/getSessionContext:getSessionContext",
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        # Who deploys (the default admin), and the account id in the Bedrock inference profile's ARN.
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
    ]


# --- other settings -------------------------------------------------------------------------------------------------


def test_arm64_nodes_get_the_arm_image_and_a_graviton_type():
    run = run_program({"concurrentUsers": 1000, "totalUsers": 10000, "arch": "arm64"})
    plan = calculate(Workload(concurrent_users=1000, total_users=10000, arch="arm64"))
    (group,) = run.of_type(NODE_GROUP)
    assert group.inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert group.inputs["instanceTypes"] == [plan.nodes.instance_type]


def test_unset_arch_follows_a_pinned_graviton_type():
    # arch defaults to "" (not set): the pinned type decides, so pinning m7g.large needs no arch key too.
    run = run_program({"concurrentUsers": 1000, "totalUsers": 10000, "instanceType": "m7g.large"})
    (group,) = run.of_type(NODE_GROUP)
    assert group.inputs["instanceTypes"] == ["m7g.large"]
    assert group.inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert run.outputs["sizing"]["workload"]["arch"] == "arm64"


def test_the_dynamodb_endpoint_is_the_deployed_regions():
    run = run_program({"concurrentUsers": 1000, "totalUsers": 10000}, region="us-west-2")
    endpoints = {
        e.inputs["vpcEndpointType"]: e.inputs["serviceName"] for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert endpoints == {
        "Gateway": "com.amazonaws.us-west-2.dynamodb",
        "Interface": "com.amazonaws.us-west-2.bedrock-runtime",
    }
    assert run.outputs["sizing"]["workload"]["region"] == "us-west-2"


def test_assumption_overrides_reach_the_plan_and_the_resources():
    run = run_program({"concurrentUsers": 1000, "assumptions": {"backend": {"users_per_pod": 50}}})
    plan = calculate(Workload(concurrent_users=1000, assumptions={"backend": {"users_per_pod": 50}}))
    assert run.named("workloads-backend-hpa").inputs["spec"]["minReplicas"] == plan.backend.min_replicas
    assert plan.backend.min_replicas != expected_plan({"concurrentUsers": 1000}).backend.min_replicas


def test_without_workloads_the_app_is_left_out_but_the_cluster_still_autoscales():
    run = run_program({"concurrentUsers": 1000, "totalUsers": 10000, "deployWorkloads": False})
    assert run.one(NODE_GROUP) and run.one(TABLE)
    assert "chat-infra:workloads:Workloads" not in {r.typ for r in run.resources}
    assert not [r.name for r in run.resources if r.name.startswith("workloads-")]
    # Nothing of the app reaches the cluster: the only things inside it are the autoscaler's release...
    assert kubernetes_objects(run) == []
    # ...and the load balancer controller's, cluster infrastructure too; no Ingress, so no ALB and no WAF.
    assert sorted(r.name for r in run.resources if r.typ.startswith("kubernetes:")) == [
        "autoscaler-release",
        "lb-controller-release",
    ]
    assert not run.of_type("aws:wafv2/webAcl:WebAcl")
    # ...deployed as with the workloads, through the cluster's provider, with its own role.
    check_the_autoscaler(run, expected_plan({"concurrentUsers": 1000, "totalUsers": 10000}))


def test_the_plans_warnings_show_in_the_preview():
    load = LOADS["enterprise-300k"]
    run = run_program(load)
    warnings = [message for level, message in run.log if level == "WARNING"]
    # The plan's, then the stack's own: the API endpoint is open to the world while publicAccessCidrs is unset.
    assert warnings[:-1] == expected_plan(load).warnings and len(warnings) > 1
    assert warnings[-1].startswith("the Kubernetes API endpoint is public to 0.0.0.0/0")


# --- cluster autoscaler ---------------------------------------------------------------------------------------------


def check_the_autoscaler(run: Run, plan) -> None:
    """What makes the node groups move: a release that discovers this cluster's groups, with a role that may resize
    only them, bound to the release's service account. Shared with the run without workloads."""
    components = [r for r in run.resources if r.typ == "chat-infra:autoscaler:ClusterAutoscaler"]
    assert [c.name for c in components] == ["autoscaler"]
    component = components[0]
    children = [r for r in run.resources if r.parent == component.urn]
    assert sorted(r.name for r in children) == [
        "autoscaler-identity",
        "autoscaler-release",
        "autoscaler-role",
        "autoscaler-scaling",
    ]
    assert not [r.name for r in run.resources if r.name.startswith("autoscaler-") and r.parent != component.urn]

    release = run.named("autoscaler-release")
    values = release.inputs["values"]
    assert (release.inputs["chart"], release.inputs["namespace"]) == ("cluster-autoscaler", "kube-system")
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    version = stack_autoscaler.VERSIONS[stack_config.DEFAULT_KUBERNETES_VERSION]
    assert release.inputs["version"] == version.chart
    assert values["autoDiscovery"]["clusterName"] == run.outputs["clusterName"] == "chat-infra-test"
    assert values["awsRegion"] == plan.workload.region == "us-east-1"
    assert values["image"] == {"repository": "registry.k8s.io/autoscaling/cluster-autoscaler", "tag": version.image_tag}
    # The autoscaler is released per Kubernetes minor and must run the cluster's.
    assert values["image"]["tag"].startswith(f"v{stack_config.DEFAULT_KUBERNETES_VERSION}.")
    args = values["extraArgs"]
    assert args["balance-similar-node-groups"] is True
    assert args["skip-nodes-with-system-pods"] is False
    # The priority expander ranks the plan's groups above any other (a group being replaced), then least-waste.
    assert args["expander"] == "priority,least-waste"
    assert values["expanderPriorities"] == {
        "30": [f"^eks-{re.escape(name)}-[0-9a-f-]+$" for name in run.outputs["nodeGroupNames"]],
        "10": [".*"],
    }
    # Balancing compares node labels: every label the node groups set must be ignored, or no two are "similar".
    ignored = {v for k, v in args.items() if k.split("_")[0] == "balancing-ignore-label"}
    for group in run.of_type(NODE_GROUP):
        assert set(group.inputs["labels"]) <= ignored, group.name
    assert values["resources"]["requests"] and values["resources"]["limits"]["memory"]
    assert release.provider.startswith(run.one(K8S_PROVIDER).urn + "::")

    # The role reaches the pod only through the release's service account, in kube-system.
    role, policy = run.named("autoscaler-role"), run.named("autoscaler-scaling")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    # Only this account's cluster may hand the role out (the confused deputy guard of the EKS docs).
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnEquals": {"aws:SourceArn": "arn:aws:eks:us-east-1:123456789012:cluster/chat-infra-test"},
    }
    association = run.named("autoscaler-identity").inputs
    assert association == {
        "clusterName": "chat-infra-test",
        "namespace": "kube-system",
        "serviceAccount": values["rbac"]["serviceAccount"]["name"],
        "roleArn": "arn:aws:mock:::aws:iam/role:Role/autoscaler-role-1a2b3c",
    }
    assert values["rbac"]["serviceAccount"] == {"create": True, "name": "cluster-autoscaler"}
    assert policy.inputs["role"] == "autoscaler-role-id"
    # The pod gets its credentials when it is created: association and permissions come first.
    assert {policy.urn, run.named("autoscaler-identity").urn} <= set(release.dependencies)

    # Reads anywhere; changes capacity only in groups tagged as owned by this cluster, as the node groups are.
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert all(s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s for s in statements)
    actions = [a for s in statements for a in s["Action"]]
    assert len(actions) == len(set(actions)) and not [a for a in actions if "*" in a]
    mutating = {a for a in actions if not a.split(":")[1].startswith(("Describe", "Get"))}
    assert mutating == {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    owned = {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/chat-infra-test": "owned"}}
    for statement in statements:
        if mutating & set(statement["Action"]):
            assert statement["Condition"] == owned
            assert set(statement["Action"]) <= mutating
        else:
            assert "Condition" not in statement
    for group in run.of_type(NODE_GROUP):
        assert group.inputs["tags"]["k8s.io/cluster-autoscaler/chat-infra-test"] == "owned"
    # DescribeNodegroup reaches this cluster's node groups only, not every cluster's in the account.
    (describe,) = [s for s in statements if "eks:DescribeNodegroup" in s["Action"]]
    assert describe["Action"] == ["eks:DescribeNodegroup"]
    assert describe["Resource"] == "arn:aws:eks:us-east-1:123456789012:nodegroup/chat-infra-test/*/*"
    assert all(s["Resource"] != "*" for s in statements if s["Action"] == ["eks:DescribeNodegroup"])


def test_the_cluster_autoscaler_moves_the_node_groups_between_the_plans_bounds(case):
    run, plan = case
    check_the_autoscaler(run, plan)


def test_the_autoscaler_runs_the_clusters_kubernetes_minor():
    version = "1.33"
    run = run_program({"concurrentUsers": 1000, "totalUsers": 10000, "kubernetesVersion": version})
    release = run.named("autoscaler-release")
    assert run.one("aws:eks/cluster:Cluster").inputs["version"] == version
    assert release.inputs["values"]["image"]["tag"].startswith(f"v{version}.")
    assert release.inputs["version"] == stack_autoscaler.VERSIONS[version].chart
    assert stack_cluster.NODE_GROUP_LABEL in release.inputs["values"]["extraArgs"].values()
