"""ElastiCache: the cheapest node layout whose usable memory, with headroom, holds every active session."""

from __future__ import annotations

import functools
import math

from sizing.assumptions import CacheAssumptions, Tier
from sizing.data.catalog import Catalog
from sizing.data.pricing import RegionPrices
from sizing.engine.limits import CACHE_MAX_SHARDS, CACHE_NODES_PER_CLUSTER_QUOTA
from sizing.engine.tiers import at_least
from sizing.errors import SizingError
from sizing.plan import CachePlan, CostItem, Range


def cache_enabled(tier: Tier, cache: CacheAssumptions) -> bool:
    return cache.enabled is True or (cache.enabled == "auto" and at_least(tier, cache.enabled_from_tier))


@functools.cache
def _candidates(
    catalog: Catalog, prices: RegionPrices, min_node_type: str, usable_gib_per_gib: float, engine: str
) -> tuple[tuple[str, float, float], ...]:
    """(name, usable GiB, monthly cost) of every node type offered in the region and at least as large as the floor."""
    floor = catalog.cache_node(min_node_type).memory_gib
    discount = prices.elasticache_valkey_discount if engine == "valkey" else 0.0
    return tuple(
        (
            node.name,
            node.memory_gib * usable_gib_per_gib,
            prices.monthly(prices.elasticache_hour[node.name]) * (1 - discount),
        )
        for node in catalog.cache_node_types.values()
        if node.memory_gib >= floor and node.name in prices.elasticache_hour
    )


def _describe(shards: int, nodes_per_shard: int, name: str, monthly: float) -> str:
    layout = f"{shards} shards of {nodes_per_shard} x {name}" if shards > 1 else f"{nodes_per_shard} x {name}"
    return f"{layout} (${monthly:,.2f})"


def plan_cache(
    concurrent_users: int, tier: Tier, cache: CacheAssumptions, catalog: Catalog, prices: RegionPrices
) -> tuple[CachePlan, list[str]]:
    required_gib = concurrent_users * cache.mib_per_session / 1024
    if not cache_enabled(tier, cache):
        return CachePlan(
            enabled=False,
            engine=cache.engine,
            node_type=None,
            num_nodes=0,
            shards=0,
            replicas_per_shard=0,
            required_memory_gib=round(required_gib, 3),
            usable_memory_gib_per_node=0,
            monthly_usd=0,
            reason=f"off: cache.enabled is {cache.enabled} ({tier} tier)",
        ), []
    replicas = 1 if at_least(tier, cache.replica_from_tier) else 0
    per_shard = 1 + replicas
    # Every node type, as one node (shard) or as the shards it takes: the cheapest layout wins, fewer shards on a tie.
    layouts = []
    usable_share = cache.usable_fraction * cache.max_memory_use
    candidates = _candidates(catalog, prices, cache.min_node_type, usable_share, cache.engine)
    if not candidates:
        raise SizingError(
            f"no ElastiCache node type as large as {cache.min_node_type} is offered in {prices.region}",
            field="assumptions.cache.min_node_type",
        )
    for name, usable, node_monthly in candidates:
        shards = max(1, math.ceil(required_gib / usable))
        if shards <= CACHE_MAX_SHARDS:
            layouts.append((round(shards * per_shard * node_monthly, 2), shards, name))
    if not layouts:
        raise SizingError(
            f"no ElastiCache layout of up to {CACHE_MAX_SHARDS} shards holds {required_gib:,.0f} GiB of sessions",
            field="assumptions.cache.mib_per_session",
        )
    layouts.sort()
    monthly, shards, name = layouts[0]
    # Weighed against the cheapest layout of the other shape (one node vs shards), else the runner-up.
    other = next((layout for layout in layouts[1:] if (layout[1] > 1) != (shards > 1)), None) or next(
        iter(layouts[1:]), None
    )
    engine = "Valkey" if cache.engine == "valkey" else "Redis OSS"
    reason = f"{_describe(shards, per_shard, name, monthly)}, {engine}"
    if other is not None:
        reason += f", vs {_describe(other[1], per_shard, other[2], other[0])}"
    plan = CachePlan(
        enabled=True,
        engine=cache.engine,
        node_type=name,
        num_nodes=shards * per_shard,
        shards=shards,
        replicas_per_shard=replicas,
        required_memory_gib=round(required_gib, 3),
        usable_memory_gib_per_node=round(catalog.cache_node(name).memory_gib * usable_share, 3),
        monthly_usd=monthly,
        reason=reason,
    )
    warnings = []
    if plan.num_nodes > CACHE_NODES_PER_CLUSTER_QUOTA:
        warnings.append(
            f"ElastiCache needs {plan.num_nodes} nodes, above the default quota of {CACHE_NODES_PER_CLUSTER_QUOTA} "
            "nodes per cluster: request an increase"
        )
    return plan, warnings


def cache_cost_items(plan: CachePlan) -> list[CostItem]:
    monthly = Range(min=plan.monthly_usd, max=plan.monthly_usd)
    engine = "Valkey" if plan.engine == "valkey" else "Redis OSS"
    return [
        CostItem(
            key="elasticache",
            item=f"ElastiCache ({engine})" if plan.enabled else "ElastiCache",
            monthly_usd=monthly,
            expected_monthly_usd=plan.monthly_usd,
            source="on-demand node list price" + (", Valkey discount" if plan.engine == "valkey" else ""),
        )
    ]
