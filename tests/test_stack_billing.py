"""Every resource type the program declares is priced on a line of the plan's breakdown or explicitly free
(stacks/billing.py), at 1,000 and 300,000 users: a new billable type without an entry fails here."""

from __future__ import annotations

import pytest
from self_hosted_plans import LLAMA_8B_L40S, run_self_hosted
from stack_mocks import Run, run_program, use_stack_modules

use_stack_modules()
import billing

LOADS = {
    # On-demand table, one NAT gateway, a single-shard cache.
    # A domain in the user's zone: the stack requests the certificate, validates it and adds the alias record.
    "1k": {
        "concurrentUsers": 1000,
        "totalUsers": 10000,
        "domainName": "chat.example.com",
        "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    },
    # Provisioned table with auto scaling (targets, policies), a NAT gateway per zone, a cache with a replica.
    "300k": {"concurrentUsers": 300_000, "dynamodbTableQuota": 120_000},
}


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    runs = {name: run_program(load) for name, load in LOADS.items()}
    # A self-hosted model (vllm:): GPU nodes, the device plugin, vLLM, Prometheus and KEDA.
    runs["1k-vllm"] = run_self_hosted(LLAMA_8B_L40S, {**LOADS["1k"], "modelWeightsUri": "s3://acme-models/llama"})
    return runs


def declared(run: Run) -> set[str]:
    """Every type registered with the engine, components aside: they group resources and are never billed."""
    return {r.typ for r in run.resources if r.custom}


@pytest.mark.parametrize("load", [*LOADS, "1k-vllm"])
def test_every_declared_resource_type_is_priced_or_explicitly_free(runs, load):
    types = declared(runs[load])
    assert len(types) > 30
    assert billing.unpriced(types) == [], "add these types to stacks/billing.py: a line of the plan or Free(why)"


def test_the_map_lists_nothing_the_program_does_not_declare(runs):
    # A stale entry would hide that its line prices nothing; the two loads together declare every type.
    assert set(billing.BILLING) == set().union(*(declared(run) for run in runs.values()))


def test_the_map_points_only_at_lines_of_the_breakdown_and_every_line_is_pointed_at():
    assert billing.unknown_keys() == []
    assert billing.unused_keys() == []
    for typ, entry in billing.BILLING.items():
        assert entry.why.strip(), typ
        if isinstance(entry, billing.Billed):
            assert entry.keys and len(set(entry.keys)) == len(entry.keys), typ


def test_a_new_type_without_an_entry_is_caught():
    types = {"aws:ec2/natGateway:NatGateway", "aws:rds/instance:Instance"}
    assert billing.unpriced(types) == ["aws:rds/instance:Instance"]


def test_a_typo_in_a_key_is_caught(monkeypatch):
    monkeypatch.setitem(billing.BILLING, "aws:ec2/eip:Eip", billing.Billed(("public_ip4",), "typo"))
    assert billing.unknown_keys() == ["public_ip4"]


@pytest.mark.parametrize("load", list(LOADS))
def test_what_the_free_entries_rely_on_holds(runs, load):
    run = runs[load]
    # The DynamoDB gateway endpoint is free; the one interface endpoint is Bedrock's, there only when the plan bills
    # it, and for as many zones' hours as the plan counts.
    endpoints = run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.name for e in endpoints if e.inputs["vpcEndpointType"] == "Gateway"] == ["network-dynamodb"]
    interfaces = [e for e in endpoints if e.inputs["vpcEndpointType"] == "Interface"]
    sizing = run.outputs["sizing"]
    billed = [i for i in sizing["cost"]["breakdown"] if i["key"] == "llm_endpoint"]
    assert len(interfaces) == len(billed) == (sizing["network"]["llm_route"]["via"] == "interface_endpoint")
    for interface, line in zip(interfaces, billed, strict=True):
        zones = sizing["network"]["availability_zones"]
        assert len(interface.inputs["subnetIds"]) == zones and line["item"] == f"Bedrock VPC endpoint ({zones} zones)"
    # No cache snapshots are kept, so ElastiCache bills nodes only.
    for group in run.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        assert not group.inputs.get("snapshotRetentionLimit")
    # No Service is a load balancer: the one load balancer is the Ingress's ALB.
    services = {
        s.inputs["metadata"]["name"]: s.inputs["spec"]["type"] for s in run.of_type("kubernetes:core/v1:Service")
    }
    assert services == {"backend": "ClusterIP", "frontend": "ClusterIP"}
    assert len(run.of_type("kubernetes:networking.k8s.io/v1:Ingress")) == 1
    # No hosted zone is created (the user brings it), and every record is free: validation or an alias to the ALB.
    assert not run.of_type("aws:route53/zone:Zone")
    for record in run.of_type("aws:route53/record:Record"):
        assert record.inputs["type"] == "CNAME" or record.inputs["aliases"], record.name


def test_the_self_hosted_models_services_cost_nothing(runs):
    # vLLM, its headless twin for Prometheus, and Prometheus itself are ClusterIP: no load balancer, no address.
    services = {
        s.inputs["metadata"]["name"]: s.inputs["spec"]["type"]
        for s in runs["1k-vllm"].of_type("kubernetes:core/v1:Service")
    }
    assert services == {
        "backend": "ClusterIP",
        "frontend": "ClusterIP",
        "vllm": "ClusterIP",
        "vllm-pods": "ClusterIP",
        "prometheus": "ClusterIP",
    }


# Lines that exist only in some plans: extended support under upgradePolicy EXTENDED, credits on burstable nodes,
# Spot nodes under spot-burst, GPU nodes with a self-hosted model, the Bedrock endpoint when the plan routes through it,
# and the cross-zone hops, $0 when nothing goes through a shared NAT gateway and no vLLM pod is called.
CONDITIONAL = {
    "eks_extended_support",
    "burstable_credits",
    "ec2_spot_nodes",
    "llm_gpu_nodes",
    "llm_endpoint",
    "cross_zone_hops",
}


@pytest.mark.parametrize("load", list(LOADS))
def test_every_billed_type_lands_on_a_line_of_this_plans_bill(runs, load):
    """The map's keys are not just names: each billed resource type the run declares has its line in the very plan
    the stack deployed (the `sizing` output), with a cost above zero."""
    run = runs[load]
    lines = {item["key"]: item for item in run.outputs["sizing"]["cost"]["breakdown"]}
    for typ in declared(run):
        entry = billing.BILLING[typ]
        if isinstance(entry, billing.Billed):
            for key in set(entry.keys) - CONDITIONAL:
                assert key in lines and lines[key]["monthly_usd"]["max"] > 0, (typ, key)


def test_extended_support_is_billed_when_chosen():
    run = run_program({**LOADS["1k"], "upgradePolicy": "EXTENDED", "controlPlaneLogRetentionDays": 30})
    lines = {item["key"]: item for item in run.outputs["sizing"]["cost"]["breakdown"]}
    # $0.60 an hour in extended support against $0.10 standard, 730 hours.
    assert lines["eks_extended_support"]["monthly_usd"]["max"] == pytest.approx(0.50 * 730)
    # The logs at the max fleet the plan reports (docs/methodology.md, "Control-plane logs", the shipped estimates):
    # an hour, 15,055 steady audit events of 1,300 bytes ((2 + 2) leaders x 1,800, (1 + 2) standbys x 1,125, 2 API
    # servers' leases x 360, the autoscaler's 2 x 360, 100 watches x 16, 2 HPAs x 720) and the API server's 200,000
    # bytes in 1,000 lines, per node 564 events of 1,300 bytes and 60 sign-ins of 450; 14 events of 2,500 bytes a pod
    # started, a day a rollout of the HPA's ceiling and its rise from the floor. Ingested at $0.50 a GB; 15% of it
    # and 26 bytes an event kept the 30 days configured, at $0.03.
    sizing = run.outputs["sizing"]
    ceiling = sizing["backend"]["max_replicas"] + sizing["frontend"]["max_replicas"]
    floor = sizing["backend"]["min_replicas"] + sizing["frontend"]["min_replicas"]
    nodes, pods = sizing["nodes"]["max_nodes"], ceiling + ceiling - floor
    hourly = 15_055 * 1_300 + 200_000 + nodes * (564 * 1_300 + 60 * 450)
    log_gb = (hourly * 730 + pods * 35_000 * 730 / 24) / 1e9
    log_events = (15_055 + 1_000 + nodes * (564 + 60)) * 730 + pods * 14 * 730 / 24
    assert lines["control_plane_logs"]["monthly_usd"]["max"] == pytest.approx(
        log_gb * 0.50 + (log_gb * 0.15 + log_events * 26 / 1e9) * 30 / (365 / 12) * 0.03, abs=0.01
    )
    assert lines["control_plane_logs"]["item"].endswith("; 30 days kept)")
    assert run.one("aws:eks/cluster:Cluster").inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_the_log_model_counts_what_the_stack_runs(runs):
    """engine/control_plane_logs.py prices the log types the cluster sends, the leader-elected replicas and the HPAs
    the stack declares: a change to any of them must change the model too. The leader-elected add-ons' replicas are
    engine/addons.py's, which the stack passes to the charts: one leader each, the other replicas stand by."""
    import cluster
    import gpu_autoscaling

    from sizing.engine import control_plane_logs as model

    assert tuple(cluster.CLUSTER_LOG_TYPES) == model.LOG_TYPES
    run = runs["1k"]
    releases = {r.inputs["chart"]: r.inputs.get("values", {}) for r in run.of_type("kubernetes:helm.sh/v3:Release")}
    # The Cluster Autoscaler's chart runs one replica unless told otherwise; the Load Balancer Controller is told 2.
    assert releases.keys() == {"cluster-autoscaler", "aws-load-balancer-controller"}
    replicas = {
        "cluster-autoscaler": releases["cluster-autoscaler"].get("replicaCount", 1),
        "aws-load-balancer-controller": releases["aws-load-balancer-controller"]["replicaCount"],
    }
    assert {a.name: a.replicas for a in model.STACK_LEADER_ELECTED} == replicas
    assert len(run.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) == model.STACK_HPAS
    # Self-hosted: KEDA's operator (one replica by default) and the one ScaledObject KEDA turns into an HPA.
    vllm = runs["1k-vllm"]
    keda = [r for r in vllm.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == gpu_autoscaling.KEDA_CHART]
    assert len(keda) == 1
    operator = keda[0].inputs["values"].get("operator", {}).get("replicaCount", 1)
    assert [(a.name, a.replicas) for a in model.SELF_HOSTED_LEADER_ELECTED] == [("keda-operator", operator)]
    scaled = [r for r in vllm.resources if r.typ == "kubernetes:keda.sh/v1alpha1:ScaledObject"]
    assert len(scaled) == model.SELF_HOSTED_HPAS
    assert len(vllm.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) == model.STACK_HPAS
