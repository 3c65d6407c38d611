"""``calculate``: a workload in, a plan out. Pure: no I/O beyond the packaged, cached data files."""

from __future__ import annotations

from sizing.cache import plan_cache
from sizing.catalog import load_catalog
from sizing.cost import plan_cost
from sizing.database import plan_database
from sizing.limits import MAX_PLANNED_PODS, check_plannable, cluster_warnings, network_warnings, vcpu_warnings
from sizing.plan import IntRange, NetworkPlan, Performance, SizingPlan, WorkloadSummary
from sizing.pods import pod_plan
from sizing.pricing import region_prices
from sizing.selection import plan_nodes
from sizing.tiers import LATENCY_MS, tier_for
from sizing.workload import Workload


def calculate(workload: Workload) -> SizingPlan:
    a = workload.assumptions
    prices = region_prices(workload.region)
    users = workload.concurrent_users
    total = workload.effective_total_users
    tier = tier_for(users)
    requests_per_second = users * a.requests_per_user_per_minute / 60

    backend = pod_plan(users, a.backend, a.min_replicas)
    frontend = pod_plan(users, a.frontend, a.min_replicas)
    check_plannable("pods", backend.max_replicas + frontend.max_replicas, MAX_PLANNED_PODS, "concurrent_users",
                    "lower the load or raise the assumptions' users_per_pod")
    nodes, node_warnings = plan_nodes(tier, backend, frontend, a, workload.region, workload.arch,
                                      workload.instance_type)
    database, db_warnings = plan_database(users, total, tier, a.database, a.traffic, prices)
    cache, cache_warnings = plan_cache(users, tier, a.cache, prices)
    node_type = load_catalog().instance(nodes.instance_type)
    network = NetworkPlan(
        availability_zones=a.availability_zones,
        nat_gateways=1 if tier in a.single_nat_gateway_tiers else a.availability_zones,
        vpc_ips_max=backend.max_replicas + frontend.max_replicas + nodes.max_nodes * (1 + node_type.ipv4_per_eni),
    )
    cost = plan_cost(
        concurrent_users=users,
        total_users=total,
        requests_per_second=requests_per_second,
        nodes=nodes,
        database=database,
        cache=cache,
        nat_gateways=network.nat_gateways,
        node_disk_gib=a.node_disk_gib,
        traffic=a.traffic,
        prices=prices,
    )
    latency = LATENCY_MS[tier]
    return SizingPlan(
        tier=tier,
        workload=WorkloadSummary(
            concurrent_users=users,
            total_users=total,
            active_ratio=round(users / total, 6),
            region=workload.region,
            arch=nodes.arch,
        ),
        performance=Performance(
            requests_per_second=requests_per_second, latency_ms=IntRange(min=latency[0], max=latency[1])
        ),
        backend=backend,
        frontend=frontend,
        nodes=nodes,
        database=database,
        cache=cache,
        network=network,
        cost=cost,
        warnings=cluster_warnings(nodes.max_nodes, backend.max_replicas + frontend.max_replicas, a.daemonsets.pods)
        + network_warnings(network.vpc_ips_max, network.availability_zones)
        + vcpu_warnings(nodes.max_vcpus, a.quotas.ec2_on_demand_vcpus)
        + node_warnings
        + db_warnings
        + cache_warnings,
        assumptions=a,
    )

