"""``calculate``: a workload in, a plan out.

Pure given its data: the instance catalog, the price table, the LLM profiles and a token-price resolver are passed in
(defaults: the shipped data files and genai-prices), so a test can hand it a small catalog it can check by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sizing.data.catalog import Catalog, load_catalog
from sizing.data.pricing import PriceTable, RegionPrices, resolve
from sizing.engine.addons import cluster_addons
from sizing.engine.cache import cache_cost_items, plan_cache
from sizing.engine.control_plane_logs import activity
from sizing.engine.cost import summarize_cost
from sizing.engine.database import database_cost_items, plan_database
from sizing.engine.edge import edge_cost_items, plan_edge
from sizing.engine.fleet_cost import cluster_cost_items, control_plane_cost_items
from sizing.engine.limits import MAX_PLANNED_PODS, check_plannable, cluster_warnings, network_warnings, vcpu_warnings
from sizing.engine.llm_route import internet_out_gb_at_peak, plan_llm_route, route_warnings
from sizing.engine.load_profile import load_profile
from sizing.engine.network import cpu_fleet_shapes, network_cost_items, plan_network
from sizing.engine.pods import hourly_pods, pod_plan, pods_started_a_day
from sizing.engine.selection import plan_nodes
from sizing.engine.support import support_cost_items
from sizing.engine.tiers import LATENCY_MS, tier_for
from sizing.llm.choice import LLMChoice
from sizing.llm.conversation_prices import price_conversation
from sizing.llm.guardrails import guardrails_cost_items
from sizing.llm.profiles import LLMProfiles, load_llm_profiles
from sizing.llm.token_prices import TokenPrices, TurnUsage, resolve_token_prices
from sizing.llm.traffic import backend_stream_floor, llm_cost_items, plan_llm
from sizing.plan import CostItem, IntRange, LLMPlan, Performance, PodPlan, SizingPlan, WorkloadSummary
from sizing.workload import Workload

TokenPriceResolver = Callable[[LLMChoice, TurnUsage], TokenPrices]
SELF_HOSTED = "vllm"  # the provider of a self-hosted model (sizing/selfhosted/serving.PROVIDER)


@cache
def _month_of(prices: RegionPrices, hours: float) -> RegionPrices:
    """The price table billing ``traffic.days_per_month`` (730 h by default, AWS's own convention: no copy then)."""
    return prices if prices.hours_per_month == hours else prices.model_copy(update={"hours_per_month": hours})


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
    prices: PriceTable | RegionPrices | None = None,
    llm_profiles: LLMProfiles | None = None,
    token_prices: TokenPriceResolver | None = None,
    compare_arch: bool = False,
) -> SizingPlan:
    """``compare_arch``: also size the other architecture's cheapest fleet, so the plan can say what it would save
    (``nodes.other_arch``); the report asks for it, a caller that only needs the plan need not pay for it."""
    a = workload.assumptions
    catalog = catalog or load_catalog()
    profile = load_profile(a.traffic)
    region = _month_of(resolve(workload.region, prices), profile.hours_per_month)
    users = workload.concurrent_users
    total = workload.effective_total_users
    tier = tier_for(users, a.tiers)
    requests_per_second = users * a.requests_per_user_per_minute / 60

    llm: LLMPlan | None = None
    llm_warnings: list[str] = []
    choice = workload.llm_choice
    self_hosted_items: list[CostItem] | None = None
    if choice is not None and choice.provider == SELF_HOSTED:
        # vllm:MODEL: GPU nodes, weight storage and transfer replace the token line (sizing/selfhosted/), imported
        # only then: a plan with an API model does not pay for its import on a cold start.
        from sizing.selfhosted.serving import self_hosted_llm

        llm, self_hosted_items, llm_warnings = self_hosted_llm(
            workload, profile, region, token_prices or resolve_token_prices, llm_profiles or load_llm_profiles()
        )
    elif choice is not None:
        token_resolver = token_prices or resolve_token_prices
        profiles = llm_profiles or load_llm_profiles()
        priced = price_conversation(
            choice, a.llm, profiles, token_resolver, users * a.llm.turns_per_user_per_minute / 60
        )
        llm, llm_warnings = plan_llm(
            users,
            a.llm,
            profile.mean,
            profile.hours_per_month,
            choice,
            priced.prices,
            profiles,
            priced,
        )
        llm_warnings = [*a.llm.notes, *llm_warnings]

    backend = _with_stream_floor(
        pod_plan(users, a.backend, a.min_replicas), backend_stream_floor(llm, a.llm, profile.mean)
    )
    frontend = pod_plan(users, a.frontend, a.min_replicas)
    app_pods_max = backend.max_replicas + frontend.max_replicas
    # KEDA and the Prometheus it reads run on the CPU nodes only beside a self-hosted model (stacks/gpu_autoscaling.py).
    addons = cluster_addons(self_hosted=self_hosted_items is not None)
    addon_pods = sum(addon.replicas for addon in addons)
    check_plannable(
        "pods",
        app_pods_max,
        MAX_PLANNED_PODS,
        "concurrent_users",
        "lower the load or raise the assumptions' users_per_pod",
    )
    nodes, node_month, node_warnings = plan_nodes(
        tier,
        backend,
        frontend,
        a,
        workload.arch,
        workload.instance_type,
        catalog,
        region,
        workload.capacity,
        workload.savings_plan,
        compare_arch,
        addons,
    )
    database, db_warnings = plan_database(users, total, a.database, profile, region)
    cache, cache_warnings = plan_cache(users, tier, a.cache, catalog, region)
    # The add-ons' pods take a VPC address each, as the app's do.
    gpu_ips = llm.self_hosted.vpc_ips_max if llm is not None and llm.self_hosted is not None else 0
    pods_max = app_pods_max + addon_pods
    network = plan_network(tier, a, pods_max, cpu_fleet_shapes(nodes, catalog, pods_max), gpu_ips_max=gpu_ips)
    # The model's bytes: out of the VPC for an API model; between the backend and the vLLM pods for a self-hosted one.
    wire_gb_at_peak = llm.wire.monthly_gb.max if llm is not None and llm.wire is not None else 0.0
    in_cluster = llm is not None and llm.self_hosted is not None
    llm_gb_at_peak = 0.0 if in_cluster else wire_gb_at_peak
    if llm is not None and choice is not None and llm.self_hosted is None:
        network = network.model_copy(
            update={
                "llm_route": plan_llm_route(
                    network,
                    choice.provider,
                    choice.bedrock,
                    workload.region,
                    llm_gb_at_peak,
                    profile.mean,
                    a.bedrock_vpc_endpoint,
                    region,
                )
            }
        )
    edge = plan_edge(users, requests_per_second, a, llm, profile)
    # The HPA over the day: the control plane logs every pod it starts.
    day = hourly_pods(users, profile.shares, a, backend, frontend, llm.peak.open_streams if llm is not None else 0.0)
    api_activity = activity(
        nodes,
        backend,
        frontend,
        sum(h.backend + h.frontend for h in day) / len(day),
        pods_started_a_day(day),
        llm.self_hosted if llm is not None else None,
        a.cluster.logs.rollouts_per_day,
    )
    infrastructure = [
        *cluster_cost_items(nodes, node_month, region),
        *control_plane_cost_items(a.cluster, region, api_activity),
        *network_cost_items(
            network,
            users,
            requests_per_second,
            a.traffic,
            profile,
            region,
            llm_gb_at_peak,
            internet_out_gb_at_peak(llm, choice is not None and choice.bedrock),
            wire_gb_at_peak if in_cluster else 0.0,
        ),
        *edge_cost_items(
            edge,
            users,
            requests_per_second,
            llm.peak.open_streams if llm is not None else 0.0,
            a.traffic.response_kb_per_request,
            profile,
            region,
        ),
        *database_cost_items(database, region),
        *cache_cost_items(cache),
    ]
    if self_hosted_items is not None:
        llm_items = self_hosted_items  # GPU nodes, weight storage and transfer: AWS charges, all of them
    else:
        llm_items = [*llm_cost_items(llm), *guardrails_cost_items(llm, a.llm)]
    # The support plan is a share of the AWS charges: Bedrock's tokens and Guardrails are, other providers' are not.
    aws_llm = [i for i in llm_items if i.key != "llm_api" or (choice is not None and choice.bedrock)]
    cost = summarize_cost(
        [*infrastructure, *support_cost_items(a.support_plan, [*infrastructure, *aws_llm])],
        llm_items,
        total_users=total,
        prices_as_of=region.as_of,
        currency=region.currency,
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
        warnings=cluster_warnings(nodes.max_nodes, app_pods_max + addon_pods, a.daemonsets.pods)
        + network_warnings(network.vpc_ips_max, network.availability_zones)
        + vcpu_warnings(nodes.max_vcpus, a.quotas.ec2_on_demand_vcpus)
        + node_warnings
        + db_warnings
        + cache_warnings
        + llm_warnings
        + route_warnings(network.llm_route, a.bedrock_vpc_endpoint, llm_gb_at_peak)
        + (
            [f"{workload.region}: the price data has no internet egress prices; priced at AWS's standard US/EU tiers"]
            if region.internet_egress_assumed
            else []
        ),
        assumptions=a,
        assumptions_source=dict(workload.assumptions_source),
        edge=edge,
    )
