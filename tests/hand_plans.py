"""The explicit assumptions the hand-derived tests build on, and how they build a plan on the fake catalog and prices.

Spelt out in full (not the shipped defaults), so a change of a default does not move the hand-derived numbers.
"""

from __future__ import annotations

from sizing import Workload, calculate
from sizing.llm.choice import LLMChoice
from sizing.llm.token_prices import TokenPrices, TurnUsage

ASSUMPTIONS = {
    "tiers": {"medium": 500, "large": 2_500, "enterprise": 10_000},
    "requests_per_user_per_minute": 3,
    "min_replicas": 2,
    "backend": {
        "users_per_pod": 100,
        "buffer": 1.2,
        "max_multiplier": 2,
        "cpu_request_m": 1000,
        "cpu_limit_m": 2000,
        "memory_request_mib": 1024,
        "memory_limit_mib": 2048,
    },
    "frontend": {
        "users_per_pod": 500,
        "buffer": 1.0,
        "max_multiplier": 2,
        "cpu_request_m": 500,
        "cpu_limit_m": 1000,
        "memory_request_mib": 512,
        "memory_limit_mib": 1024,
    },
    "daemonsets": {"pods": 2, "cpu_m": 420, "memory_mib": 481},
    "hpa_target_cpu_percent": 70,
    "node_buffer": 1.25,
    "min_nodes": 3,
    "node_disk_gib": 20,
    "nodes": {"min_memory_gib": 2},
    "burstable_tiers": ["small", "medium"],
    "database": {
        "reads_per_user_per_second": 0.5,
        "writes_per_user_per_second": 0.1,
        "read_item_kb": 4,
        "write_item_kb": 1,
        "eventually_consistent_reads": True,
        "storage_mib_per_user": 5,
        # Writes update items in place (the table does not grow): the storage is the per-user data alone.
        # The retention case of tests/test_overrides.py and tests/test_sizing_services.py price the retention.
        "retention_days": None,
        "billing_mode": "auto",
        "target_utilization": 0.8,
        "min_capacity_fraction": 0.2,
    },
    # The rules these hand-worked plans were written for, spelt out: Redis OSS at list price, sessions filling the
    # usable memory, the replica from the large tier.
    "cache": {
        "enabled": "auto",
        "enabled_from_tier": "medium",
        "mib_per_session": 0.5,
        "usable_fraction": 0.75,
        "max_memory_use": 1.0,
        "engine": "redis",
        "min_node_type": "cache.f1.medium",
        "replica_from_tier": "large",
    },
    # A 10% average load (one peak hour, the rest at 1.4/23 of it): low enough that the provisioned-capacity floor
    # (20% of peak, held at 80%) binds. A 730-hour month (365 / 12 days x 24 h), whatever the price table's own.
    "traffic": {
        "hourly_profile": [1.0] + [1.4 / 23] * 23,
        "days_per_month": 365 / 12,
        "egress_kb_per_request": 16,
        "response_kb_per_request": 32,
    },
    # The Azure trace's turn shape; speeds set here so no model profile is consulted for the stream length.
    "llm": {
        "turns_per_user_per_minute": 1,
        "input_tokens_per_turn": 1_155,
        "output_tokens_per_turn": 211,
        "output_tokens_per_turn_p90": 424,
        "cached_input_share": 0,
        "time_to_first_token_s": 1,
        "output_tokens_per_s": 100,
        "streams_per_backend_pod": 200,
        "quota_tokens_per_minute": None,
        "quota_requests_per_minute": None,
    },
    "single_nat_gateway_tiers": ["small", "medium"],
    "availability_zones": 3,
    # A Bedrock model's bytes through the interface endpoint only when that costs less (engine/llm_route.py).
    "bedrock_vpc_endpoint": "auto",
    # The control plane's small lines: standard support, and its logs kept 90 days, their volume derived from the
    # API server's activity (log_gb_per_month unset) on the shipped estimates, spelt out.
    "cluster": {
        "support": "STANDARD",
        "log_gb_per_month": None,
        "log_retention_days": 90,
        "logs": {
            "other_leaders": 2,
            "other_standbys": 2,
            "api_servers": 2,
            "cluster_watches": 100,
            "watches_per_node": 12,
            "audit_event_bytes": 1_300,
            "pod_events": 14,
            "pod_event_bytes": 2_500,
            "rollouts_per_day": 1,
            "authenticator_lines_per_node_hour": 60,
            "authenticator_line_bytes": 450,
            "api_server_bytes_per_hour": 200_000,
            "api_server_line_bytes": 200,
            "archived_share": 0.15,
        },
    },
    # The WAF limit derived over 5 minutes with ten times a user's rate; the rate-based rule alone.
    "edge": {
        "rate_limit_window_s": 300,
        "rate_limit_headroom": 10,
        "rate_limit_per_ip": None,
        "waf_managed_rules": False,
    },
}


def merged(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def build(
    catalog,
    prices,
    users: int,
    total: int | None = None,
    overrides: dict | None = None,
    token_prices=None,
    llm_profiles=None,
    **workload,
):
    assumptions = merged(ASSUMPTIONS, overrides or {})
    workload.setdefault("llm", None)
    return calculate(
        Workload(concurrent_users=users, total_users=total, assumptions=assumptions, **workload),
        catalog=catalog,
        prices=prices,
        token_prices=token_prices,
        llm_profiles=llm_profiles,
    )


def flat_token_prices(input_pm: float = 1.0, output_pm: float = 5.0, cached_pm: float = 0.1, write_pm: float = 1.25):
    """A stand-in for genai-prices: fixed USD per million input, output, cache-read and cache-write tokens, no tiers.
    As genai-prices does, ``input_tokens`` counts every input token, the cached and written ones included."""

    def resolve(choice: LLMChoice, usage: TurnUsage) -> TokenPrices:
        fresh = usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens
        turn = (
            fresh * input_pm
            + usage.cached_input_tokens * cached_pm
            + usage.cache_write_tokens * write_pm
            + usage.output_tokens * output_pm
        ) / 1e6
        return TokenPrices(
            provider=choice.provider,
            provider_name="test",
            model=choice.model,
            priced_as=choice.model,
            prices_as_of="test prices",
            input_per_million=input_pm,
            cached_input_per_million=cached_pm,
            output_per_million=output_pm,
            turn_usd=turn,
            cache_write_per_million=write_pm,
        )

    return resolve
