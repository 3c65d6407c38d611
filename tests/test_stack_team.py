"""The stack as a platform team runs it (issue 7): access for a team and CI, upgrades, quotas caught at preview,
a cache that grows in place, Redis AUTH and NetworkPolicies, streaming-safe drains, the endpoint and its logs.

Every point is checked at 1,000 and 300,000 concurrent users, once with the team's settings and once with the
defaults. Expected values are derived here from the config and the documented rules, not read back from the code.
"""

from __future__ import annotations

import functools
import json
import math

import pulumi
import pytest
from stack_mocks import (
    ACCOUNT,
    DEPLOYER_ROLE,
    MOCK_PASSWORD,
    Run,
    StackMocks,
    addon_version,
    run_program,
    use_stack_modules,
)

from sizing import Workload, calculate

use_stack_modules()
import data as stack_data

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SECRET = "kubernetes:core/v1:Secret"
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"

CI_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
TEAM = {
    "adminPrincipalArns": [CI_ROLE, DEPLOYER_ROLE, ALICE],
    "publicAccessCidrs": ["203.0.113.0/24", "198.51.100.7/32"],
    "controlPlaneLogRetentionDays": 30,
    "nodeUpdateMaxUnavailablePercent": 20,
    # The AWS provider runs under a profile and assumes the deployer role, as CI would.
    "aws:profile": "ci",
    "aws:assumeRoles": [{"roleArn": DEPLOYER_ROLE, "sessionName": "ci-run"}],
}
LOADS = {
    "1k": {"concurrentUsers": 1000, "totalUsers": 10000},
    # 107,143 RCU at peak: above the default 40,000 per-table quota, so raised as AWS would have to.
    "300k": {"concurrentUsers": 300_000, "dynamodbTableQuota": 120_000},
}
SETTINGS = {"team": TEAM, "defaults": {}}
ADDONS = {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"}
BEFORE_NODES = {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}


def plan_for(load: dict):
    fields = {"concurrentUsers": "concurrent_users", "totalUsers": "total_users", "assumptions": "assumptions"}
    return calculate(Workload(region="us-east-1", **{fields[k]: v for k, v in load.items() if k in fields}))


@functools.cache
def run_of(load: str, kind: str) -> Run:
    """Each load and settings run once for the whole module (the cache test reuses the defaults' runs)."""
    return run_program({**LOADS[load], **SETTINGS[kind]})


@pytest.fixture(scope="module", params=[(load, kind) for load in LOADS for kind in SETTINGS], ids=lambda p: "-".join(p))
def case(request):
    load, kind = request.param
    return run_of(load, kind), plan_for(LOADS[load]), kind


def unwrap(value):
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def is_secret(value) -> bool:
    return isinstance(value, dict) and SECRET_SIGNATURE in value


def warnings(run: Run) -> list[str]:
    return [message for level, message in run.log if level == "WARNING"]


def depends_on(run: Run, name: str) -> set[str]:
    return {urn.split("::")[-1] for urn in run.named(name).dependencies}


# --- 1. access --------------------------------------------------------------------------------------------------------


def test_cluster_admin_goes_to_the_listed_principals_or_else_to_the_deployer(case):
    run, _, kind = case
    expected = TEAM["adminPrincipalArns"] if kind == "team" else [DEPLOYER_ROLE]
    cluster = run.one(CLUSTER).inputs
    # Nobody gets access implicitly for having created the cluster: the entries below are all there is.
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    entries = {e.inputs["principalArn"]: e for e in run.of_type(ACCESS_ENTRY)}
    assert sorted(entries) == sorted(expected)
    associations = {a.inputs["principalArn"]: a for a in run.of_type(ACCESS_POLICY)}
    assert sorted(associations) == sorted(expected)
    for principal, association in associations.items():
        assert entries[principal].inputs["type"] == "STANDARD"
        assert entries[principal].inputs["clusterName"] == association.inputs["clusterName"] == "chat-infra-test"
        assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert association.inputs["accessScope"] == {"type": "cluster"}
        # The association waits for its entry (EKS refuses a policy for a principal without one).
        assert entries[principal].urn in association.dependencies
    # The deployer is listed in both settings: no warning that it would be locked out.
    assert not [w for w in warnings(run) if "adminPrincipalArns" in w]


def test_the_kubernetes_provider_acts_as_the_aws_providers_identity(case):
    run, _, kind = case
    kubeconfig = json.loads(unwrap(run.one("pulumi:providers:kubernetes").inputs["kubeconfig"]))
    args = kubeconfig["users"][0]["user"]["exec"]["args"]
    assert args[:2] == ["eks", "get-token"]
    if kind == "team":
        # aws:profile and the one role of aws:assumeRoles, exactly as the AWS provider uses them.
        assert args[args.index("--profile") + 1] == "ci"
        assert args[args.index("--role-arn") + 1] == DEPLOYER_ROLE
    else:
        assert "--profile" not in args and "--role-arn" not in args


def test_a_deployer_outside_the_list_is_warned_before_it_meets_401():
    run = run_program({**LOADS["1k"], "adminPrincipalArns": [CI_ROLE]})
    assert [e.inputs["principalArn"] for e in run.of_type(ACCESS_ENTRY)] == [CI_ROLE]
    (warning,) = [w for w in warnings(run) if "adminPrincipalArns" in w]
    assert warning.startswith(f"{DEPLOYER_ROLE} runs this update but is not in chat-infra:adminPrincipalArns")
    assert "401" in warning


def test_a_teammate_running_up_with_an_empty_list_becomes_the_admin_not_an_addition():
    alice_runs = run_program(LOADS["1k"], mocks=StackMocks(deployer=ALICE))
    assert [e.inputs["principalArn"] for e in alice_runs.of_type(ACCESS_ENTRY)] == [ALICE]


# --- 2. upgrades ------------------------------------------------------------------------------------------------------


def check_everything_runs(run: Run, version: str) -> None:
    assert run.one(CLUSTER).inputs["version"] == version
    groups = run.of_type(NODE_GROUP)
    assert groups and all(g.inputs["version"] == version for g in groups)
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in run.of_type(ADDON)}
    assert addons == {name: addon_version(name, version) for name in ADDONS}


def test_node_groups_and_managed_addons_run_the_clusters_version(case):
    run, _, kind = case
    check_everything_runs(run, "1.34")
    cluster = run.one(CLUSTER).inputs
    # No unmanaged bootstrap copies that nothing would upgrade.
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    percent = 20 if kind == "team" else 33
    for group in run.of_type(NODE_GROUP):
        assert group.inputs["updateConfig"] == {"maxUnavailablePercentage": percent}
        assert group.inputs["nodeRepairConfig"] == {"enabled": True}
        # The nodes' network, kube-proxy and Pod Identity agents exist before any node joins.
        assert {f"cluster-{n}" for n in ("vpc-cni", "kube-proxy", "pod-identity-agent")} <= depends_on(run, group.name)
    groups = {g.name for g in run.of_type(NODE_GROUP)}
    for name in ("cluster-coredns", "cluster-metrics-server"):
        assert groups <= depends_on(run, name)
    for addon in run.of_type(ADDON):
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
        # Add-ons before the nodes wait for nothing but the cluster (they would otherwise wait forever).
        if addon.inputs["addonName"] in BEFORE_NODES:
            assert not groups & depends_on(run, addon.name)


@pytest.mark.parametrize(("load", "version"), [("1k", "1.33"), ("300k", "1.35")])
def test_changing_kubernetes_version_moves_every_node_group_and_addon(load, version):
    # From the default 1.34 (the fixture's runs, checked above) to another minor, down for one load, up for the other.
    run = run_program({**LOADS[load], "kubernetesVersion": version})
    check_everything_runs(run, version)
    assert run.one("kubernetes:helm.sh/v3:Release").inputs["values"]["image"]["tag"].startswith(f"v{version}.")


def test_extended_support_is_a_choice():
    run = run_program({**LOADS["1k"], "upgradePolicy": "EXTENDED"})
    assert run.one(CLUSTER).inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


# --- 3. quotas --------------------------------------------------------------------------------------------------------


def test_300k_without_a_raised_table_quota_stops_the_preview_before_anything_is_declared():
    # 300,000 users x 0.5 reads/s of 4 KB eventually consistent = 75,000 RCU; auto scaling's ceiling is that / 0.7
    # = 107,142.9 -> 107,143. Writes: 300,000 x 0.1/s of 1 KB = 30,000 WCU -> / 0.7 = 42,857.1 -> 42,858.
    read_max, write_max = math.ceil(75_000 / 0.7), math.ceil(30_000 / 0.7)
    assert (read_max, write_max) == (107_143, 42_858)
    mocks = StackMocks()
    with pytest.raises(pulumi.RunError) as raised:
        run_program({"concurrentUsers": 300_000}, mocks=mocks)
    assert str(raised.value) == (
        "chat-infra:dynamodbTableQuota: the table may need 107,143 read and 42,858 write capacity units per second, "
        'above the per-table quota of 40,000; ask AWS to raise the DynamoDB quota "Table-level read throughput '
        'limit" and "Table-level write throughput limit" to at least 107,143 in this region, then '
        "`pulumi config set chat-infra:dynamodbTableQuota 107143`"
    )
    assert mocks.resources == [] and mocks.calls == []


def test_the_quota_is_a_bound_the_peak_may_reach():
    database = plan_for(LOADS["300k"]).database
    stack_data.require_table_quota(database, 107_143)
    with pytest.raises(pulumi.RunError, match=r"may need 107,143 read capacity units per second, above .* 107,142;"):
        stack_data.require_table_quota(database, 107_142)
    # On demand the table serves its peak units directly (no auto scaling headroom): 75,000 reads.
    on_demand = plan_for({**LOADS["300k"], "assumptions": {"database": {"billing_mode": "PAY_PER_REQUEST"}}}).database
    stack_data.require_table_quota(on_demand, 75_000)
    with pytest.raises(pulumi.RunError, match=r"may need 75,000 read capacity units"):
        stack_data.require_table_quota(on_demand, 74_999)


def test_a_provisioned_table_starts_at_its_autoscaling_floor(case):
    run, plan, _ = case
    table = run.one("aws:dynamodb/table:Table").inputs
    assert plan.database.billing_mode == "PROVISIONED"  # both loads: cheaper than on demand at their traffic
    # Peak units: users x 0.5 reads/s of 4 KB, eventually consistent (half an RCU each), and users x 0.1 writes/s
    # of 1 KB; the floor is 25% of them, rounded up: 250 -> 63 and 100 -> 25 RCU/WCU at 1k; 75,000 -> 18,750 and
    # 30,000 -> 7,500 at 300k.
    users = plan.workload.concurrent_users
    peak_read, peak_write = users * 0.5 / 2, users * 0.1
    assert (plan.database.read_capacity_units, plan.database.write_capacity_units) == (peak_read, peak_write)
    assert (table["readCapacity"], table["writeCapacity"]) == (math.ceil(peak_read / 4), math.ceil(peak_write / 4))
    assert {1_000: (63, 25), 300_000: (18_750, 7_500)}[users] == (table["readCapacity"], table["writeCapacity"])


def test_the_max_fleets_vcpus_are_reported_and_warned_above_the_ec2_quota(case):
    run, plan, _ = case
    nodes = run.outputs["sizing"]["nodes"]
    assert nodes["max_vcpus"] == nodes["max_nodes"] * nodes["vcpu"]
    vcpu_warnings = [w for w in warnings(run) if "L-1216C47A" in w]
    if nodes["max_vcpus"] > 1_152:
        (warning,) = vcpu_warnings
        assert f"runs {nodes['max_vcpus']:,} vCPUs, above the 1,152 assumed" in warning
    else:
        assert vcpu_warnings == []
    # 300k: 208 nodes of 36 vCPU = 7,488, far above; 1k: 16 nodes of 2 vCPU = 32, far below.
    assert (nodes["max_vcpus"] > 1_152) is (plan.workload.concurrent_users == 300_000)


# --- 4. cache growth --------------------------------------------------------------------------------------------------

# Inputs whose change makes the AWS provider replace a replication group (ForceNew in terraform-provider-aws's
# aws_elasticache_replication_group, plus the customizations that force it on an engine downgrade and on
# node_group_configuration), and the ones that switch the cluster's mode, which AWS changes only in steps.
REPLACING = (
    "atRestEncryptionEnabled",
    "dataTieringEnabled",
    "globalReplicationGroupId",
    "kmsKeyId",
    "networkType",
    "port",
    "replicationGroupId",
    "securityGroupNames",
    "snapshotArns",
    "snapshotName",
    "subnetGroupName",
    "engine",
    "engineVersion",
    "transitEncryptionEnabled",
    "nodeGroupConfigurations",
)
MODE = ("clusterMode", "parameterGroupName")
# What may differ between a one-shard and a many-shard cache: all updated in place.
IN_PLACE = {"nodeType", "numNodeGroups", "replicasPerNodeGroup", "multiAzEnabled"}


def test_growing_from_one_shard_to_many_changes_nothing_that_replaces_the_cache():
    # 1k: one shard (and a replica); 300k: many shards, the cheapest layout for its sessions.
    runs = {load: run_of(load, "defaults") for load in LOADS}
    plans = {load: plan_for(LOADS[load]).cache for load in LOADS}
    assert plans["1k"].shards == 1 and plans["300k"].shards > 1
    groups = {name: run.one(REPLICATION_GROUP) for name, run in runs.items()}
    first = next(iter(groups.values()))
    for name, group in groups.items():
        # The same resource (same URN), with every replacing input and the cluster mode unchanged...
        assert group.urn == first.urn, name
        assert {k: group.inputs.get(k) for k in REPLACING + MODE} == {k: first.inputs.get(k) for k in REPLACING + MODE}
        assert group.inputs["clusterMode"] == "enabled"
        # ...and only the shape's counts and node type differing.
        differing = {k for k in set(group.inputs) | set(first.inputs) if group.inputs.get(k) != first.inputs.get(k)}
        assert differing <= IN_PLACE, name
        assert group.inputs["numNodeGroups"] == plans[name].shards
        env = {e["name"]: e.get("value") for e in backend_env(runs[name])}
        assert env["REDIS_CLUSTER_MODE"] == "true"
        assert (
            env["CACHE_HOST"] == runs[name].outputs["cacheEndpoint"] == "clustercfg.data-cache-1a2b3c.cache.example.com"
        )


# --- 5. Redis AUTH and network policy ---------------------------------------------------------------------------------


def backend_env(run: Run) -> list[dict]:
    return run.named("workloads-backend").inputs["spec"]["template"]["spec"]["containers"][0]["env"]


def test_redis_requires_a_generated_token_the_backend_reads_from_a_secret(case):
    run, _, _ = case
    password = run.named("data-cache-auth")
    assert (password.inputs["length"], password.inputs["special"]) == (64, False)
    group = run.one(REPLICATION_GROUP).inputs
    token = MOCK_PASSWORD[:64]
    # Secret on the wire to the provider, and AUTH only ever over TLS.
    assert is_secret(group["authToken"]) and unwrap(group["authToken"]) == token
    assert group["transitEncryptionEnabled"] is True
    secret = run.one(SECRET)
    assert is_secret(secret.inputs["stringData"]) and unwrap(secret.inputs["stringData"]) == {"token": token}
    assert secret.inputs["metadata"]["namespace"] == "chat-app"
    env = {e["name"]: e for e in backend_env(run)}
    assert env["REDIS_AUTH_TOKEN"] == {
        "name": "REDIS_AUTH_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": secret.inputs["metadata"]["name"], "key": "token"}},
    }
    # Nowhere in clear: not in any environment value, nor in the outputs.
    assert token not in json.dumps([e.get("value") for e in backend_env(run)]) + json.dumps(run.outputs, default=str)
    assert secret.urn in run.named("workloads-backend").dependencies


def policies(run: Run) -> dict[str, dict]:
    return {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in run.of_type(NETWORK_POLICY)}


def rule(ports: list[tuple[str, int]], cidr: str | None = None, pods: dict | None = None) -> dict:
    out = {"ports": [{"protocol": proto, "port": port} for proto, port in ports]}
    if cidr:
        out["to"] = [{"ipBlock": {"cidr": cidr}}]
    return out


def test_the_vpc_cni_enforces_network_policies(case):
    run, _, _ = case
    (cni,) = [a for a in run.of_type(ADDON) if a.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_only_the_intended_traffic_reaches_and_leaves_the_app(case):
    run, _, _ = case
    specs = policies(run)
    labels = {
        app: run.named(f"workloads-{app}").inputs["spec"]["selector"]["matchLabels"] for app in ("backend", "frontend")
    }
    assert set(specs) == {"default-deny-ingress", "frontend-ingress", "backend-ingress", "backend-egress"}
    assert all(p.inputs["metadata"]["namespace"] == "chat-app" for p in run.of_type(NETWORK_POLICY))
    # Every pod of the namespace: no ingress unless allowed below.
    assert specs["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    # The frontend's HTTP port from anywhere (the load balancer forwards clients from any address), nothing else.
    assert specs["frontend-ingress"] == {
        "podSelector": {"matchLabels": labels["frontend"]},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 8080}]}],
    }
    # The backend from the frontend's pods only.
    assert specs["backend-ingress"] == {
        "podSelector": {"matchLabels": labels["backend"]},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": labels["frontend"]}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
    }
    # Out of the backend: DNS, Redis inside the VPC, its credentials from the Pod Identity agent, and HTTPS
    # (DynamoDB's endpoint, the model's API); nothing else.
    assert specs["backend-egress"] == {
        "podSelector": {"matchLabels": labels["backend"]},
        "policyTypes": ["Egress"],
        "egress": [
            rule([("UDP", 53), ("TCP", 53)]),
            rule([("TCP", 6379)], "10.0.0.0/16"),
            rule([("TCP", 80)], "169.254.170.23/32"),
            rule([("TCP", 443)], "0.0.0.0/0"),
        ],
    }
    # The cache admits the nodes' security group on 6379 and the backend may send there: the two layers agree.
    assert run.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs["port"] == 6379


# --- 6. streaming-safe scaling ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("app", ["backend", "frontend"])
def test_rollouts_and_drains_let_streams_finish(case, app):
    run, plan, _ = case
    spec = run.named(f"workloads-{app}").inputs["spec"]
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    grace = pod["terminationGracePeriodSeconds"]
    # The plan's drain (llm_access.grace_seconds): at least Kubernetes' 30 s, longer than the p90 stream.
    assert grace >= 30 and grace > plan.llm.peak.stream_seconds_p90
    (container,) = pod["containers"]
    # New requests stop arriving before SIGTERM; the pause is part of the grace period, not on top of it.
    assert 0 < container["lifecycle"]["preStop"]["sleep"]["seconds"] < grace
    assert run.named(f"workloads-{app}-pdb").inputs["spec"]["maxUnavailable"] == "10%"
    # Scale-in waits as long as the pods are given, not the autoscaler's own 600 s default (too short or too long).
    args = run.one("kubernetes:helm.sh/v3:Release").inputs["values"]["extraArgs"]
    assert args["max-graceful-termination-sec"] == grace


# --- 7. exposure and logs ---------------------------------------------------------------------------------------------


def test_the_endpoint_is_limited_to_the_teams_addresses_or_the_preview_says_it_is_open(case):
    run, _, kind = case
    vpc = run.one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    open_warnings = [w for w in warnings(run) if "publicAccessCidrs" in w]
    if kind == "team":
        assert vpc["publicAccessCidrs"] == TEAM["publicAccessCidrs"] and open_warnings == []
    else:
        assert vpc["publicAccessCidrs"] == ["0.0.0.0/0"]
        (warning,) = open_warnings
        assert warning.startswith("the Kubernetes API endpoint is public to 0.0.0.0/0")


def test_the_control_plane_log_group_is_the_stacks_with_a_retention(case):
    run, _, kind = case
    group = run.one("aws:cloudwatch/logGroup:LogGroup")
    # The name EKS writes to: created first by the stack, EKS would otherwise create it with no retention.
    assert group.inputs["name"] == "/aws/eks/chat-infra-test/cluster"
    assert group.inputs["retentionInDays"] == (30 if kind == "team" else 90)
    assert group.name in depends_on(run, "cluster-eks")
    assert run.one(CLUSTER).inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
