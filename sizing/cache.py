"""ElastiCache: the cheapest node layout whose usable memory holds every active session."""

from __future__ import annotations

import math
import functools

from sizing.assumptions import CacheAssumptions, Tier
from sizing.catalog import load_catalog
from sizing.errors import SizingError
from sizing.limits import CACHE_MAX_SHARDS, CACHE_NODES_PER_CLUSTER_QUOTA
from sizing.plan import CachePlan
from sizing.pricing import RegionPrices
from sizing.tiers import at_least



def cache_enabled(tier: Tier, cache: CacheAssumptions) -> bool:
    return cache.enabled is True or (cache.enabled == "auto" and tier != "small")


@functools.cache
def _candidates(
    prices: RegionPrices, min_node_type: str, usable_fraction: float
) -> tuple[tuple[str, float, float], ...]:
    """(name, usable GiB, monthly cost) of every node type offered in the region and at least as large as the floor."""
    catalog = load_catalog()
    floor = catalog.cache_node(min_node_type).memory_gib
    return tuple(
        (node.name, node.memory_gib * usable_fraction, prices.monthly(prices.elasticache_hour[node.name]))
        for node in catalog.cache_node_types.values()
        if node.memory_gib >= floor and node.name in prices.elasticache_hour
    )


def plan_cache(
    concurrent_users: int, tier: Tier, cache: CacheAssumptions, prices: RegionPrices
) -> tuple[CachePlan, list[str]]:
    required_gib = concurrent_users * cache.mib_per_session / 1024
    if not cache_enabled(tier, cache):
        return CachePlan(
            enabled=False, node_type=None, num_nodes=0, shards=0, replicas_per_shard=0,
            required_memory_gib=round(required_gib, 3), usable_memory_gib_per_node=0, monthly_usd=0,
        ), []
    replicas = 1 if at_least(tier, cache.replica_from_tier) else 0
    # The cheapest single node that holds every session; shard (cluster mode) only when no single node can.
    candidates = _candidates(prices, cache.min_node_type, cache.usable_fraction)
    if not candidates:
        raise SizingError(
            f"no ElastiCache node type as large as {cache.min_node_type} is offered in {prices.region}",
            field="assumptions.cache.min_node_type",
        )
    best: tuple[bool, float, int, str] | None = None
    for name, usable, node_monthly in candidates:
        shards = max(1, math.ceil(required_gib / usable))
        if shards <= CACHE_MAX_SHARDS:
            candidate = (shards > 1, round(shards * (1 + replicas) * node_monthly, 2), shards, name)
            best = candidate if best is None or candidate < best else best
    if best is None:
        raise SizingError(
            f"no ElastiCache layout of up to {CACHE_MAX_SHARDS} shards holds {required_gib:,.0f} GiB of sessions",
            field="assumptions.cache.mib_per_session",
        )
    _, monthly, shards, name = best
    plan = CachePlan(
        enabled=True,
        node_type=name,
        num_nodes=shards * (1 + replicas),
        shards=shards,
        replicas_per_shard=replicas,
        required_memory_gib=round(required_gib, 3),
        usable_memory_gib_per_node=round(load_catalog().cache_node(name).memory_gib * cache.usable_fraction, 3),
        monthly_usd=monthly,
    )
    warnings = []
    if plan.num_nodes > CACHE_NODES_PER_CLUSTER_QUOTA:
        warnings.append(
            f"ElastiCache needs {plan.num_nodes} nodes, above the default quota of {CACHE_NODES_PER_CLUSTER_QUOTA} "
            "nodes per cluster: request an increase"
        )
    return plan, warnings

