"""The cluster add-ons' pods in the CPU node count, derived by hand on the fake catalog (tests/conftest.py) and the
assumptions of tests/hand_plans.py.

The add-ons (sizing/engine/addons.py): CoreDNS 2 x 100m / 70 MiB and metrics-server 2 x 100m / 200 MiB (the EKS
add-ons' defaults), the Cluster Autoscaler 1 x 100m / 600 MiB and the load balancer controller 2 x 100m / 128 MiB
(the stack's): 7 pods, 700m, 140 + 400 + 600 + 256 = 1,396 MiB. With a self-hosted model, KEDA's operator, metrics
API server and webhooks (3 x 100m / 128 MiB) and Prometheus (100m / 256 MiB) too: 11 pods, 1,100m, 2,036 MiB.

Per node after kube-reserved and the DaemonSets (420m, 481 MiB, 2 pods): gp1.xlarge 3,500m, 14,000 MiB, 27 pods;
bt1.large 1,510m, 6,609 MiB, 10 pods (tests/test_costs_by_hand.py). Backends ask 1,000m / 1,024 MiB, frontends 500m
/ 512 MiB. The add-ons are placed first, largest first, each on the first node it fits; the app's pods fill what they
leave, then take nodes of their own. Fleets: nodes x 1.25, rounded up, at least 3.
"""

from __future__ import annotations

import pytest
from hand_plans import build

from sizing.cli.formats import to_markdown
from sizing.engine.addons import cluster_addons, fixed_pods
from sizing.engine.nodes import Allocatable, PodShape, nodes_to_pack

GP1_XLARGE = Allocatable(3_500, 14_000, 27)
BACKEND, FRONTEND = (1_000, 1_024), (500, 512)
VLLM = "vllm:meta-llama/Llama-3.1-8B-Instruct"


def names(plan) -> list[tuple[str, int]]:
    return [(a.name, a.replicas) for a in plan.nodes.addons]


def test_the_addons_take_a_node_of_their_own_where_the_app_pods_fill_theirs(fake_catalog, fake_prices):
    # 5,000 users: backends ceil(50 x 1.2) = 60 .. 120, frontends 10 .. 20. 3 backends (3,000m) and a frontend
    # (500m) fill a gp1.xlarge's 3,500m exactly: the min replicas alone fill 20 nodes.
    assert nodes_to_pack(GP1_XLARGE, PodShape(60, *BACKEND), PodShape(10, *FRONTEND)) == 20
    # The add-ons' 700m fit on none of them. Placed first, they leave 2,800m: 2 backends and a frontend; the other 58
    # backends are 19 full nodes (9 frontends beside) and 1 more: 21 nodes.
    fixed = fixed_pods(cluster_addons(self_hosted=False))
    assert (len(fixed), sum(c for c, _ in fixed), sum(m for _, m in fixed)) == (7, 700, 1_396)
    assert nodes_to_pack(GP1_XLARGE, PodShape(60, *BACKEND), PodShape(10, *FRONTEND), fixed) == 21
    plan = build(fake_catalog, fake_prices, 5_000, 51_200)
    # 21 x 1.25 = 26.25 -> 27, where the app's pods alone would take 20 x 1.25 = 25; the max fleet 2 + 39 x 3 + 1
    # backends on 41 nodes -> 52 (40 -> 50 alone). The bill follows: 27 .. 52 nodes at $0.20 x 730.
    assert (plan.nodes.instance_type, plan.nodes.min_nodes, plan.nodes.max_nodes) == ("gp1.xlarge", 27, 52)
    nodes_line = next(i for i in plan.cost.breakdown if i.key == "ec2_nodes")
    assert (nodes_line.monthly_usd.min, nodes_line.monthly_usd.max) == (
        pytest.approx(27 * 0.20 * 730, abs=0.01),
        pytest.approx(52 * 0.20 * 730, abs=0.01),
    )
    # The plan says where the count comes from: the add-ons it packed, each with its requests and source.
    assert names(plan) == [
        ("coredns", 2),
        ("metrics-server", 2),
        ("cluster-autoscaler", 1),
        ("aws-load-balancer-controller", 2),
    ]
    assert (plan.nodes.addon_requests.pods, plan.nodes.addon_requests.cpu_m, plan.nodes.addon_requests.memory_mib) == (
        7,
        700,
        1_396,
    )
    assert all(a.source for a in plan.nodes.addons)
    assert "Cluster add-ons: 7 pods, 700m CPU, 1,396 MiB requested" in to_markdown(plan)


def test_keda_and_prometheus_join_the_cpu_nodes_only_beside_a_self_hosted_model(fake_catalog, fake_prices):
    # 400 users on pinned gp1.xlarge: backends ceil(4 x 1.2) = 5 .. 10, frontends 2 .. 4, with an API model or none.
    api = build(fake_catalog, fake_prices, 400, 4_096, instance_type="gp1.xlarge")
    served = build(fake_catalog, fake_prices, 400, 4_096, instance_type="gp1.xlarge", llm=VLLM)
    assert [(p.backend.min_replicas, p.backend.max_replicas) for p in (api, served)] == [(5, 10), (5, 10)]
    assert [(p.frontend.min_replicas, p.frontend.max_replicas) for p in (api, served)] == [(2, 4), (2, 4)]
    assert names(served)[4:] == [
        ("keda-operator", 1),
        ("keda-operator-metrics-apiserver", 1),
        ("keda-admission-webhooks", 1),
        ("prometheus", 1),
    ]
    assert names(served)[:4] == names(api) and len(names(api)) == 4
    total = served.nodes.addon_requests
    assert (total.pods, total.cpu_m, total.memory_mib) == (7 + 4, 700 + 400, 1_396 + 3 * 128 + 256)
    # Without them the add-ons' node keeps 2,800m: 2 backends and a frontend. The other 3 backends fill a node, the
    # other frontend beside them: 2 nodes -> 3. With them it keeps 3,500 - 1,100 = 2,400m: 2 backends and 400m, no
    # frontend; the 3 backends' node takes one frontend, the other needs a node of its own: 3 -> 3.75 -> 4.
    assert (api.nodes.min_nodes, served.nodes.min_nodes) == (3, 4)
    # Max: 10 backends = 2 + 2 x 3 + 2, and the 4 frontends fit beside the full nodes (1 each) and the 2 (1,500m):
    # 4 nodes -> 5 either way.
    assert (api.nodes.max_nodes, served.nodes.max_nodes) == (5, 5)


def test_eleven_addon_pods_outgrow_a_small_nodes_pod_slots(fake_catalog, fake_prices):
    # bt1.large has 10 pod slots. 100 users: backends 2 .. 4, frontends 2 .. 4.
    # The stack's 7 add-on pods fit one node (810m, 3 slots left: a frontend, no backend). Min: 2 backends a node
    # each, a frontend beside the add-ons and one beside a backend: 3 -> 4; max: 4 backends and 1 + 3 frontends: 5
    # -> 7.
    api = build(fake_catalog, fake_prices, 100, 1_024, instance_type="bt1.large")
    assert (api.nodes.min_nodes, api.nodes.max_nodes) == (4, 7)
    # With KEDA and Prometheus, 11: every one is 1/10 of the slots, the most of any dimension, so they go in their
    # order, 10 on the first node (1,000m, 1,780 MiB: no slot left) and Prometheus on a second (1,410m, 9 slots). A
    # backend fits beside Prometheus (410m left: no frontend). Min: the other backend on a node, a frontend beside it,
    # the other frontend on a node of its own (3 a node): 2 + 1 + 1 = 4 -> 5. Max: 3 more backend nodes, 3 frontends
    # beside them, 1 on its own: 2 + 3 + 1 = 6 -> 7.5 -> 8.
    served = build(fake_catalog, fake_prices, 100, 1_024, instance_type="bt1.large", llm=VLLM)
    assert (served.backend.max_replicas, served.frontend.max_replicas) == (4, 4)
    bt1_large = Allocatable(1_510, 6_609, 10)
    fixed = fixed_pods(cluster_addons(self_hosted=True))
    assert nodes_to_pack(bt1_large, PodShape(0, *BACKEND), PodShape(0, *FRONTEND), fixed) == 2
    assert (served.nodes.min_nodes, served.nodes.max_nodes) == (5, 8)


def test_the_report_shows_the_addon_pods_beside_the_node_count(capsys):
    from sizing.cli.command import main

    # Shipped defaults, 1,000 users and no LLM: the stack's 7 add-on pods, beside the fleet they are counted in.
    assert main(["report", "-c", "1000", "--llm", "none"]) == 0
    # The panel's borders and line wraps aside (the terminal's width decides them).
    out = " ".join(capsys.readouterr().out.replace("|", " ").replace("│", " ").split())
    assert "Add-on Pods 7 pods, 700m CPU, 1,396 MiB requested, packed beside the app's on every fleet" in out
    assert out.index("Add-on Pods") < out.index("Node Count")
