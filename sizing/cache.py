"""ElastiCache: the cheapest node layout whose usable memory holds every active session."""

from __future__ import annotations

import math

from sizing.assumptions import CacheAssumptions, Tier
from sizing.catalog import load_catalog
from sizing.plan import CachePlan
from sizing.pods import exact
from sizing.pricing import RegionPrices
from sizing.tiers import at_least

# Shards (node groups) one Redis OSS cluster can hold, and the default nodes-per-cluster quota.
MAX_SHARDS = 500
NODES_PER_CLUSTER_QUOTA = 90


def cache_enabled(tier: Tier, cache: CacheAssumptions) -> bool:
    return cache.enabled == "on" or (cache.enabled == "auto" and tier != "small")


def plan_cache(
    concurrent_users: int, tier: Tier, cache: CacheAssumptions, prices: RegionPrices
) -> tuple[CachePlan, list[str]]:
    required_gib = float(concurrent_users * exact(cache.mib_per_session) / 1024)
    if not cache_enabled(tier, cache):
        return CachePlan(
            enabled=False, node_type=None, num_nodes=0, shards=0, replicas_per_shard=0,
            required_memory_gib=round(required_gib, 3), usable_memory_gib_per_node=0, monthly_usd=0,
        ), []
    catalog = load_catalog()
    floor = catalog.cache_node(cache.min_node_type).memory_gib
    replicas = 1 if at_least(tier, cache.replica_from_tier) else 0
    best: tuple[float, int, str] | None = None
    for node in catalog.cache_node_types.values():
        if node.memory_gib < floor:
            continue
        usable = node.memory_gib * cache.usable_fraction
        shards = max(1, math.ceil(required_gib / usable))
        if shards > MAX_SHARDS:
            continue
        monthly = shards * (1 + replicas) * prices.monthly(prices.elasticache_hour[node.name])
        candidate = (round(monthly, 2), shards, node.name)
        best = candidate if best is None or candidate < best else best
    if best is None:
        raise_too_big(required_gib)
    monthly, shards, name = best
    plan = CachePlan(
        enabled=True,
        node_type=name,
        num_nodes=shards * (1 + replicas),
        shards=shards,
        replicas_per_shard=replicas,
        required_memory_gib=round(required_gib, 3),
        usable_memory_gib_per_node=round(catalog.cache_node(name).memory_gib * cache.usable_fraction, 3),
        monthly_usd=monthly,
    )
    warnings = []
    if plan.num_nodes > NODES_PER_CLUSTER_QUOTA:
        warnings.append(
            f"ElastiCache needs {plan.num_nodes} nodes, above the default quota of {NODES_PER_CLUSTER_QUOTA} "
            "nodes per cluster: request an increase"
        )
    return plan, warnings


def raise_too_big(required_gib: float) -> None:
    from sizing.errors import SizingError

    raise SizingError(
        f"no ElastiCache layout of up to {MAX_SHARDS} shards holds {required_gib:,.0f} GiB of sessions; "
        "lower cache.mib_per_session"
    )
