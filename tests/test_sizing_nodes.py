"""Node sizing: kubelet allocatable, packing, the fit sweep, instance selection and node-group limits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sizing import SizingError, Workload, calculate
from sizing.assumptions import DEFAULT_HOURLY_PROFILE, Assumptions
from sizing.data.catalog import load_catalog
from sizing.data.pricing import region_prices
from sizing.engine.addons import cluster_addons, fixed_pods
from sizing.engine.limits import MAX_NODES_PER_GROUP
from sizing.engine.nodes import (
    Allocatable,
    PodShape,
    allocatable,
    kube_reserved_cpu_m,
    nodes_to_pack,
    workload_capacity,
)
from sizing.engine.selection import split_groups


def instance(name):
    return load_catalog().instance(name)


@pytest.mark.parametrize(("vcpu", "reserved"), [(1, 60), (2, 70), (4, 80), (8, 90), (16, 110), (48, 190), (96, 310)])
def test_kube_reserved_cpu_matches_the_eks_ami(vcpu, reserved):
    assert kube_reserved_cpu_m(vcpu) == reserved


@pytest.mark.parametrize(
    ("name", "cpu_m", "memory_mib", "pods"),
    [
        # 8 GiB x 0.925 = 7577.6 MiB, less 255 + 11 x 29 (ENI pods) kube-reserved and 100 MiB eviction.
        ("m5.large", 1930, 6903, 29),
        ("c5.large", 1930, 3114, 29),
        ("t3.medium", 1930, 3246, 17),
        # ENI allows 234 pods but managed node groups cap at 110 (< 30 vCPU); memory is reserved for 234.
        ("m5.4xlarge", 15890, 57691, 110),
        # 36 vCPU: the 250 cap is above the ENI's 234. 73,728 x 0.925 - (255 + 11 x 234) - 100 = 65,269.4.
        ("c5.9xlarge", 35840, 65269, 234),
        # ENI 737, capped at 250; 262,144 x 0.925 - (255 + 11 x 737) - 100 = 234,021.2; 64,000 - 230 CPU.
        ("m5.16xlarge", 63770, 234021, 250),
    ],
)
def test_allocatable_follows_the_kubelet(name, cpu_m, memory_mib, pods):
    assert allocatable(instance(name)) == Allocatable(cpu_m, memory_mib, pods)


def test_daemonsets_are_taken_before_the_application():
    from sizing.assumptions import DaemonSetAssumptions

    node = workload_capacity(instance("m5.large"), DaemonSetAssumptions(pods=4, cpu_m=300, memory_mib=512))
    assert node == Allocatable(1630, 6391, 25)


def first_fit_decreasing(node: Allocatable, *shapes: PodShape, fixed=()) -> int | None:
    """Item-by-item FFD, the slow reference the closed form must agree with: the ``fixed`` pods first (the add-ons,
    deployed with the cluster), then the app's, each set largest first, every pod on the first node it fits."""

    def decreasing(items):
        return sorted(
            items, key=lambda item: max(item[0] / node.cpu_m, item[1] / node.memory_mib, 1 / node.pods), reverse=True
        )

    app = [(s.cpu_m, s.memory_mib) for s in shapes for _ in range(s.count)]
    bins: list[list[int]] = []
    for cpu, memory in [*decreasing(fixed), *decreasing(app)]:
        for free in bins:
            if free[0] >= cpu and free[1] >= memory and free[2] >= 1:
                free[0] -= cpu
                free[1] -= memory
                free[2] -= 1
                break
        else:
            if node.cpu_m < cpu or node.memory_mib < memory or node.pods < 1:
                return None
            bins.append([node.cpu_m - cpu, node.memory_mib - memory, node.pods - 1])
    return len(bins)


@settings(max_examples=300, deadline=None)
@given(
    node=st.builds(Allocatable, st.integers(100, 8000), st.integers(100, 16000), st.integers(1, 40)),
    a=st.builds(PodShape, st.integers(0, 60), st.integers(50, 2000), st.integers(64, 4096)),
    b=st.builds(PodShape, st.integers(0, 60), st.integers(50, 2000), st.integers(64, 4096)),
)
def test_closed_form_packing_equals_item_by_item_ffd(node, a, b):
    assert nodes_to_pack(node, a, b) == first_fit_decreasing(node, a, b)


@settings(max_examples=300, deadline=None)
@given(
    node=st.builds(Allocatable, st.integers(100, 8000), st.integers(100, 16000), st.integers(1, 40)),
    a=st.builds(PodShape, st.integers(0, 60), st.integers(50, 2000), st.integers(64, 4096)),
    b=st.builds(PodShape, st.integers(0, 60), st.integers(50, 2000), st.integers(64, 4096)),
    fixed=st.lists(st.tuples(st.integers(10, 3000), st.integers(16, 4096)), max_size=12).map(tuple),
)
def test_closed_form_packing_beside_fixed_pods_equals_item_by_item_ffd(node, a, b, fixed):
    """The add-ons' pods placed first, the app's filling what they leave before opening nodes of their own."""
    assert nodes_to_pack(node, a, b, fixed) == first_fit_decreasing(node, a, b, fixed=fixed)


def test_the_stacks_addons_on_a_small_node_take_two_and_the_app_fills_their_leftovers():
    # t3a.small after the default DaemonSets: 1,730m, 1,195 MiB, 5 pod slots. The add-ons' 7 pods, largest first
    # (the autoscaler's 600 MiB is half the memory; the others are a fifth of the slots each, in their order): the
    # autoscaler, 2 CoreDNS and 2 metrics-server fill the first node's 5 slots (1,230m and 55 MiB left); the 2 load
    # balancer controllers take a second (1,530m, 939 MiB, 3 slots left): a backend (500m, 512 MiB) fits there and
    # nowhere on the first. 3 backends: 1 there + 2 on a node of their own = 3 nodes.
    node = workload_capacity(instance("t3a.small"), Assumptions().daemonsets)
    assert node == Allocatable(1_730, 1_195, 5)
    fixed = fixed_pods(cluster_addons(self_hosted=False))
    assert nodes_to_pack(node, PodShape(0, 500, 512), PodShape(0, 200, 256), fixed) == 2
    assert nodes_to_pack(node, PodShape(1, 500, 512), PodShape(0, 200, 256), fixed) == 2
    assert nodes_to_pack(node, PodShape(3, 500, 512), PodShape(0, 200, 256), fixed) == 3
    # A frontend beside the lone backend (427 MiB left), the next on a new node.
    assert nodes_to_pack(node, PodShape(1, 500, 512), PodShape(1, 200, 256), fixed) == 2
    assert nodes_to_pack(node, PodShape(1, 500, 512), PodShape(2, 200, 256), fixed) == 3


def fits(plan, backend_count: int, frontend_count: int, nodes: int) -> bool:
    """An independent check: fill node after node greedily and see whether everything lands, the cluster add-ons'
    pods the plan lists with the app's."""
    a = plan.assumptions.daemonsets
    cpu, memory, slots = (
        plan.nodes.allocatable_cpu_m - a.cpu_m,
        plan.nodes.allocatable_memory_mib - a.memory_mib,
        (plan.nodes.max_pods - a.pods),
    )
    assert plan.nodes.addons, "the plan lists the add-ons every fleet holds"
    left = [
        *((addon.replicas, addon.cpu_request_m, addon.memory_request_mib) for addon in plan.nodes.addons),
        (backend_count, plan.backend.cpu_request_m, plan.backend.memory_request_mib),
        (frontend_count, plan.frontend.cpu_request_m, plan.frontend.memory_request_mib),
    ]
    for _ in range(nodes):
        free_cpu, free_memory, free_slots = cpu, memory, slots
        for index, (count, pod_cpu, pod_memory) in enumerate(left):
            placed = min(count, free_slots, free_cpu // pod_cpu, free_memory // pod_memory)
            free_cpu, free_memory, free_slots = (
                free_cpu - placed * pod_cpu,
                free_memory - placed * pod_memory,
                (free_slots - placed),
            )
            left[index] = (count - placed, pod_cpu, pod_memory)
        if not any(count for count, _, _ in left):
            return True
    return False


SWEEP = sorted({int(10 * 1.25**k) for k in range(52)} | {10, 499, 500, 2_499, 2_500, 9_999, 10_000, 1_000_000})


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_replicas_fit_on_the_fleet_from_10_to_a_million_users(arch):
    assert SWEEP[0] == 10 and SWEEP[-1] == 1_000_000
    for users in SWEEP:
        plan = calculate(Workload(concurrent_users=users, arch=arch))
        assert fits(plan, plan.backend.max_replicas, plan.frontend.max_replicas, plan.nodes.max_nodes), users
        assert fits(plan, plan.backend.min_replicas, plan.frontend.min_replicas, plan.nodes.min_nodes), users
        assert plan.nodes.min_nodes >= 3
        assert sum(g.max_nodes for g in plan.nodes.groups) == plan.nodes.max_nodes
        assert sum(g.min_nodes for g in plan.nodes.groups) == plan.nodes.min_nodes
        assert all(g.max_nodes <= MAX_NODES_PER_GROUP for g in plan.nodes.groups)


def test_raw_vcpu_counting_undersizes_the_fleet():
    """The seed's method (sum of requests / raw vCPU) next to what the kubelet can actually schedule."""
    plan = calculate(Workload(concurrent_users=8_000, instance_type="c5.xlarge"))
    requested_m = plan.backend.max_replicas * 500 + plan.frontend.max_replicas * 200
    raw_vcpu_nodes = -(-requested_m // 4_000)  # 164 vCPU on 4-vCPU nodes: 41
    assert not fits(plan, plan.backend.max_replicas, plan.frontend.max_replicas, raw_vcpu_nodes)
    assert fits(plan, plan.backend.max_replicas, plan.frontend.max_replicas, plan.nodes.max_nodes)


def test_node_buffer_and_floor():
    plan = calculate(Workload(concurrent_users=10, instance_type="m5.xlarge"))
    assert plan.nodes.min_nodes == plan.nodes.max_nodes == 3  # one per AZ even when one node would do
    plan = calculate(Workload(concurrent_users=8_000, instance_type="c5.xlarge"))
    # 7 backends per node (3,720m free), 6 beside the add-ons' 700m (20m left): 104 = 6 + 14 x 7 + 0. Frontends top
    # up: 1 on each full node, so 6 of 20 need a 16th node. 16 x 1.2 = 19.2 -> 20.
    assert plan.nodes.min_nodes == 20


def test_cheapest_fleet_is_chosen_and_runner_ups_are_reported():
    plan = calculate(Workload(concurrent_users=8_000))
    chosen = plan.nodes.monthly_usd.min + plan.nodes.monthly_usd.max
    scores = [o.monthly_usd.min + o.monthly_usd.max for o in plan.nodes.alternatives]
    assert len(plan.nodes.alternatives) == 3
    assert scores == sorted(scores)
    assert chosen <= scores[0]
    # No x86 type in the catalog beats it: price every one pinned.
    for name, spec in load_catalog().instance_types.items():
        if spec.arch != "x86_64" or spec.burstable:
            continue
        try:
            other = calculate(Workload(concurrent_users=8_000, instance_type=name)).nodes
        except SizingError:
            continue
        assert chosen <= other.monthly_usd.min + other.monthly_usd.max + 1e-6, name


def test_fleet_cost_is_nodes_times_price_volume_and_credits():
    plan = calculate(Workload(concurrent_users=1_000, instance_type="t3a.medium"))
    nodes = plan.nodes
    # A t3a.medium offers 1,730m after the DaemonSets: 3 backends (500m) and a frontend (200m) beside them; beside
    # the add-ons' 700m, 2 backends and no frontend. 13 backends = 2 + 3 x 3 + 2, the 3 frontends beside the full
    # nodes: 5 nodes x 1.2 = 6; 39 = 2 + 12 x 3 + 1, the 6 frontends beside: 14 x 1.2 -> 17.
    assert (nodes.instance_type, nodes.min_nodes, nodes.max_nodes) == ("t3a.medium", 6, 17)

    # Credits from the pods' requests at the HPA's 70% target: the min fleet holds 13 backend x 500m + 3 frontend x
    # 200m = 7,100m, the max fleet 39 x 500m + 6 x 200m = 20,700m; every node runs 200m of DaemonSets and the fleet
    # 700m of add-ons. A t3a.medium has a 20% baseline of 2 vCPUs (0.4 vCPU) and surplus vCPU-hours cost $0.05.
    def credits(pods_cpu_m, nodes, load):
        used = (load * pods_cpu_m + nodes * 200 + 700) * 0.7 / 1000
        return max(0.0, used - nodes * 0.4) * 0.05 * 730

    assert nodes.credits_monthly_usd.max == pytest.approx(credits(20_700, 17, 1.0), abs=0.01)  # $385.44
    assert nodes.credits_monthly_usd.min == pytest.approx(credits(7_100, 6, 0.5), abs=0.01)  # average load: $51.65
    # AWS bills the surplus left after the day's earned credits: the day's average use, i.e. the use at its mean
    # load (0.5), not the hours above the baseline one by one.
    mean = sum(DEFAULT_HOURLY_PROFILE) / 24
    assert nodes.credits_expected_monthly_usd == pytest.approx(credits(7_100, 6, mean), abs=0.01)
    assert nodes.credits_expected_monthly_usd < sum(credits(7_100, 6, share) for share in DEFAULT_HOURLY_PROFILE) / 24
    assert nodes.credits_monthly_usd.min <= nodes.credits_expected_monthly_usd <= nodes.credits_monthly_usd.max
    per_node = nodes.hourly_usd * 730 + 20 * 0.08
    assert nodes.monthly_usd.max == pytest.approx(17 * per_node + credits(20_700, 17, 1.0), abs=0.01)


def test_non_burstable_types_pay_no_credits():
    plan = calculate(Workload(concurrent_users=8_000))
    assert plan.nodes.credits_monthly_usd.max == 0
    assert not any(item.item == "Burstable CPU credits" for item in plan.cost.breakdown)


def offering(*families):
    """us-east-1's prices with only these families offered: a region where the rest is not sold."""
    east = region_prices("us-east-1")
    return east.model_copy(update={"ec2_hour": {n: p for n, p in east.ec2_hour.items() if n.split(".")[0] in families}})


def test_equal_prices_go_to_the_newer_generation():
    # c5 and c6i cost the same per size ($0.34/h for a 2xlarge); only the generation breaks the tie.
    nodes = calculate(Workload(concurrent_users=8_000), prices=offering("c5", "c6i")).nodes
    assert nodes.instance_type == "c6i.2xlarge"
    twin = next(o for o in nodes.alternatives if o.instance_type == "c5.2xlarge")
    assert twin.monthly_usd == nodes.monthly_usd


def test_types_a_region_does_not_offer_are_skipped_and_refused_when_pinned():
    prices = offering("c5", "c6i", "m6i")
    nodes = calculate(Workload(concurrent_users=8_000), prices=prices).nodes
    assert {nodes.instance_type, *(o.instance_type for o in nodes.alternatives)} <= set(prices.ec2_hour)
    # The whole catalog would choose the cheaper c6a ($0.306/h against $0.34/h for a 2xlarge).
    assert calculate(Workload(concurrent_users=8_000)).nodes.instance_type == "c6a.2xlarge"
    with pytest.raises(
        SizingError,
        match=r"^c6a.2xlarge is not offered in us-east-1 \(no price for it in the prices as "
        r"of 2026-02-09\); pick another type$",
    ):
        calculate(Workload(concurrent_users=8_000, instance_type="c6a.2xlarge"), prices=prices)


def test_the_memory_floor_keeps_small_types_out():
    # 2 GiB types (t3a.small at $0.0188/h) are in by default: the floor is 2 GiB.
    assert calculate(Workload(concurrent_users=100)).nodes.instance_type == "t3a.small"
    nodes = calculate(Workload(concurrent_users=100, assumptions={"nodes": {"min_memory_gib": 4}})).nodes
    chosen = [nodes.instance_type, *(o.instance_type for o in nodes.alternatives)]
    assert all(load_catalog().instance(name).memory_gib >= 4 for name in chosen)
    assert nodes.instance_type == "t3a.medium"
    with pytest.raises(SizingError, match="no x86_64 instance type offered in us-east-1 with at least 1024 GiB"):
        calculate(Workload(concurrent_users=100, assumptions={"nodes": {"min_memory_gib": 1024}}))


def test_pinning_a_burstable_type_beyond_its_tiers_warns():
    plan = calculate(Workload(concurrent_users=8_000, instance_type="t3.xlarge"))
    assert plan.nodes.instance_type == "t3.xlarge"
    assert any("t3.xlarge is burstable" in w for w in plan.warnings)
    assert plan.nodes.credits_monthly_usd.max > 0


def test_burstable_only_for_small_and_medium():
    def burstable(name):
        return load_catalog().instance(name).burstable

    for users in (100, 300, 1_000):
        nodes = calculate(Workload(concurrent_users=users)).nodes
        assert any(burstable(n) for n in [nodes.instance_type, *(o.instance_type for o in nodes.alternatives)])
    for users in (2_500, 8_000, 50_000):
        nodes = calculate(Workload(concurrent_users=users)).nodes
        assert not burstable(nodes.instance_type)
        assert not any(burstable(o.instance_type) for o in nodes.alternatives)


def test_arch_selects_graviton():
    plan = calculate(Workload(concurrent_users=8_000, arch="arm64"))
    assert plan.nodes.arch == plan.workload.arch == "arm64"
    assert load_catalog().instance(plan.nodes.instance_type).arch == "arm64"
    assert all(o.arch == "arm64" for o in plan.nodes.alternatives)
    assert calculate(Workload(concurrent_users=8_000)).workload.arch == "x86_64"


def test_arch_follows_a_pinned_type_and_may_not_contradict_it():
    assert calculate(Workload(concurrent_users=1_000, instance_type="m7g.xlarge")).workload.arch == "arm64"
    with pytest.raises(SizingError, match="x86_64 contradicts the pinned instance type m7g.xlarge, which is arm64"):
        calculate(Workload(concurrent_users=1_000, instance_type="m7g.xlarge", arch="x86_64"))


def test_pinned_type_is_used_and_alternatives_show_cheaper_options():
    plan = calculate(Workload(concurrent_users=8_000, instance_type="r6i.2xlarge"))
    assert plan.nodes.instance_type == "r6i.2xlarge" and plan.nodes.pinned
    assert plan.nodes.alternatives[0].monthly_usd.max < plan.nodes.monthly_usd.max


def test_a_type_that_cannot_hold_a_pod_is_refused():
    with pytest.raises(SizingError, match="cannot schedule"):
        calculate(
            Workload(
                concurrent_users=100,
                instance_type="t3.medium",
                assumptions={"backend": {"memory_request_mib": 8192, "memory_limit_mib": 8192}},
            )
        )


def test_fleets_above_450_nodes_split_into_groups():
    plan = calculate(Workload(concurrent_users=200_000, instance_type="c6i.large"))
    assert plan.nodes.max_nodes > MAX_NODES_PER_GROUP
    groups = plan.nodes.groups
    assert len(groups) == -(-plan.nodes.max_nodes // MAX_NODES_PER_GROUP)
    assert len({g.name for g in groups}) == len(groups)
    assert max(g.max_nodes for g in groups) - min(g.max_nodes for g in groups) <= 1


def test_split_groups_is_even_and_complete():
    groups = split_groups("m5.large", 901, 1_351)
    assert [g.max_nodes for g in groups] == [338, 338, 338, 337]
    assert sum(g.min_nodes for g in groups) == 901


def test_kubernetes_cluster_limits_warn():
    plan = calculate(Workload(concurrent_users=10_000_000))
    assert any("pods Kubernetes supports" in w for w in plan.warnings)
    assert not calculate(Workload(concurrent_users=1_000, llm=None)).warnings


@pytest.mark.parametrize("self_hosted", [None, False, True], ids=["no-addons", "addons", "addons-and-keda"])
def test_pruned_ranking_keeps_exactly_the_exhaustive_top_fleets(self_hosted):
    """Selection packs a class only while its lower bound can still win; the result must be the exhaustive one. The
    bound counts the add-ons' pods: a bound without them could prune a fleet that wins once they are packed."""
    from sizing.data.pricing import region_prices
    from sizing.engine import selection
    from sizing.engine.pods import pod_plan

    catalog, prices = load_catalog(), region_prices("us-east-1")
    fixed = () if self_hosted is None else fixed_pods(cluster_addons(self_hosted))
    for users, arch in [
        (10, "x86_64"),
        (300, "x86_64"),
        (1_000, "arm64"),
        (2_693, "x86_64"),
        (40_000, "x86_64"),
        (400_000, "arm64"),
    ]:
        a = Workload(concurrent_users=users).assumptions
        backend, frontend = pod_plan(users, a.backend, a.min_replicas), pod_plan(users, a.frontend, a.min_replicas)
        classes = selection._capacity_classes(
            catalog,
            prices,
            arch,
            users < 2_500,
            a.nodes.min_memory_gib,
            a.daemonsets,
            selection._shapes(backend, frontend),
            a.node_disk_gib,
            fixed,
        )
        costs = selection._node_costs(catalog, prices, a.node_disk_gib)
        pruned = selection._fleets(classes, backend, frontend, a, costs)
        exhaustive = selection._fleets(classes, backend, frontend, a, costs, keep=None)
        assert pruned == exhaustive[: selection.KEEP], users
        assert len(exhaustive) > 3 * len(pruned)


def test_the_pruning_bound_is_exact_where_float_buffers_are_not():
    """10 x 1.1 is 11.000000000000002 in floats: a bound rounded up from it claims a node too many and would prune a
    fleet that belongs among the cheapest (t4g.small here, fifth). The bound is computed in integers."""
    from sizing.engine import selection
    from sizing.plan import PodPlan
    from sizing.workload import _DEFAULTS, merge_overrides

    limits = {"cpu_limit_m": 2000, "memory_limit_mib": 1024}
    a = Assumptions.model_validate(
        merge_overrides(
            _DEFAULTS,
            {
                "node_buffer": 1.1,
                "min_nodes": 1,
                "backend": {"cpu_request_m": 500, "memory_request_mib": 64, **limits},
                "frontend": {"cpu_request_m": 200, "memory_request_mib": 64, **limits},
                "daemonsets": {"pods": 10, "cpu_m": 0, "memory_mib": 0},
            },
        )
    )
    backend = PodPlan(min_replicas=41, max_replicas=164, cpu_request_m=500, memory_request_mib=64, **limits)
    frontend = PodPlan(min_replicas=9, max_replicas=36, cpu_request_m=200, memory_request_mib=64, **limits)
    catalog, prices = load_catalog(), region_prices("us-east-1")
    classes = selection._capacity_classes(
        catalog,
        prices,
        "arm64",
        True,
        a.nodes.min_memory_gib,
        a.daemonsets,
        selection._shapes(backend, frontend),
        a.node_disk_gib,
    )
    costs = selection._node_costs(catalog, prices, a.node_disk_gib)
    exhaustive = selection._fleets(classes, backend, frontend, a, costs, keep=None)
    assert [f[3] for f in exhaustive[:5]][-1] == "t4g.small"
    assert selection._fleets(classes, backend, frontend, a, costs, keep=5) == exhaustive[:5]
