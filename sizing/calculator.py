"""``calculate``: a workload in, a plan out.

Pure given its data: the instance catalog, the price table, the LLM profiles and a token-price resolver are passed in
(defaults: the shipped data files and genai-prices), so a test can hand it a small catalog it can check by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from sizing.cache import cache_cost_items, plan_cache
from sizing.catalog import Catalog, load_catalog
from sizing.cost import summarize_cost
from sizing.database import database_cost_items, plan_database
from sizing.fleet_cost import cluster_cost_items
from sizing.limits import MAX_PLANNED_PODS, check_plannable, cluster_warnings, network_warnings
from sizing.llm.choice import LLMChoice
from sizing.llm.profiles import LLMProfiles, load_llm_profiles
from sizing.llm.token_prices import TokenPrices, TurnUsage, resolve_token_prices
from sizing.llm.traffic import backend_stream_floor, llm_cost_items, plan_llm, turn_usage
from sizing.network import network_cost_items, plan_network
from sizing.plan import IntRange, LLMPlan, Performance, PodPlan, SizingPlan, WorkloadSummary
from sizing.pods import pod_plan
from sizing.pricing import PriceTable, check_prices_cover, load_prices, region_prices
from sizing.selection import plan_nodes
from sizing.tiers import LATENCY_MS, tier_for
from sizing.workload import Workload

TokenPriceResolver = Callable[[LLMChoice, TurnUsage], TokenPrices]


def _with_stream_floor(backend: PodPlan, floor: tuple[int, int]) -> PodPlan:
    """Never fewer backend pods than the open answer streams need (at min load, and at peak)."""
    low = max(backend.min_replicas, floor[0])
    high = max(backend.max_replicas, floor[1], low)
    if (low, high) == (backend.min_replicas, backend.max_replicas):
        return backend
    return backend.model_copy(update={"min_replicas": low, "max_replicas": high})


def calculate(
    workload: Workload,
    *,
    catalog: Catalog | None = None,
    prices: PriceTable | None = None,
    llm_profiles: LLMProfiles | None = None,
    token_prices: TokenPriceResolver | None = None,
) -> SizingPlan:
    a = workload.assumptions
    if catalog is not None or prices is not None:
        # The shipped pair is checked when loaded; a catalog or table passed in must cover the other.
        check_prices_cover(prices or load_prices(), catalog or load_catalog())
    catalog = catalog or load_catalog()
    region = region_prices(workload.region, prices)
    users = workload.concurrent_users
    total = workload.effective_total_users
    tier = tier_for(users)
    requests_per_second = users * a.requests_per_user_per_minute / 60

    llm: LLMPlan | None = None
    llm_warnings: list[str] = []
    choice = workload.llm_choice
    if choice is not None:
        resolve = token_prices or resolve_token_prices
        llm, llm_warnings = plan_llm(users, a.llm, a.traffic.duty_cycle, region.hours_per_month, choice,
                                     resolve(choice, turn_usage(a.llm)), llm_profiles or load_llm_profiles())

    backend = _with_stream_floor(pod_plan(users, a.backend, a.min_replicas),
                                 backend_stream_floor(llm, a.llm, a.traffic.duty_cycle))
    frontend = pod_plan(users, a.frontend, a.min_replicas)
    app_pods_max = backend.max_replicas + frontend.max_replicas
    check_plannable("pods", app_pods_max, MAX_PLANNED_PODS, "concurrent_users",
                    "lower the load or raise the assumptions' users_per_pod")
    nodes, node_month, node_warnings = plan_nodes(tier, backend, frontend, a, workload.arch, workload.instance_type,
                                                  catalog, region)
    database, db_warnings = plan_database(users, total, tier, a.database, a.traffic, region)
    cache, cache_warnings = plan_cache(users, tier, a.cache, catalog, region)
    network = plan_network(tier, a, app_pods_max, nodes, catalog.instance(nodes.instance_type))
    cost = summarize_cost(
        [
            *cluster_cost_items(nodes, node_month, region),
            *network_cost_items(network, users, requests_per_second, a.traffic, region),
            *database_cost_items(database),
            *cache_cost_items(cache),
        ],
        llm_cost_items(llm),
        total_users=total,
        prices_as_of=region.as_of,
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
        llm=llm,
        warnings=cluster_warnings(nodes.max_nodes, app_pods_max, a.daemonsets.pods)
        + network_warnings(network.vpc_ips_max, network.availability_zones)
        + node_warnings
        + db_warnings
        + cache_warnings
        + llm_warnings,
        assumptions=a,
    )
