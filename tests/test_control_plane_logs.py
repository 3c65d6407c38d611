"""The control-plane logs' volume, derived from the API server's activity, and what AWS bills for it, by hand.

The formula is docs/methodology.md's ("Control-plane logs"); the inputs are tests/hand_plans.py's explicit
``cluster.logs`` on the fake catalog and prices. Every hour, whatever the cluster's size: (3 of the stack's + 4
other) leader-election candidates x 3,600 / 2 s = 12,600 audit events, the Cluster Autoscaler's status 3,600 / 10 s =
360, 100 cluster watches x 2 events x 3,600 / 450 s = 1,600 and 2 HPAs x 3 requests x 3,600 / 15 s = 1,440: 16,000
events of 1,300 bytes, and the API server's own 200,000 bytes. Per node and hour: 3,600 / 10 s Lease renewals +
3,600 / 300 s status patches + 12 watches x 16 = 564 events of 1,300 bytes, and 60 sign-ins of 450 bytes. Per pod
started: 14 events of 2,500 bytes. A 730-hour month; GB are 10^9 bytes.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

H = 730
STEADY = 16_000 * 1_300 + 200_000  # bytes an hour whatever the size
PER_NODE = 564 * 1_300 + 60 * 450  # bytes an hour
PER_POD = 14 * 2_500  # bytes a pod started


def gigabytes(nodes: int, pods_a_day: float) -> float:
    return ((STEADY + nodes * PER_NODE) * H + pods_a_day * PER_POD * H / 24) / 1e9


def usd(gb: float, days: int = 90) -> float:
    """$0.50 a GB ingested; 15% of it stored (compressed) for ``days``, a stock of days / (365 / 12) months, $0.03."""
    return gb * 0.50 + gb * 0.15 * days / (365 / 12) * 0.03


def logs(plan):
    return next(i for i in plan.cost.breakdown if i.key == "control_plane_logs")


def money(*values: float) -> tuple:
    return tuple(pytest.approx(v, abs=0.01) for v in values)


@pytest.fixture
def plan(fake_catalog, fake_prices):
    def make(users, total=None, overrides=None, **workload):
        return build(fake_catalog, fake_prices, users, total, overrides, **workload)

    return make


def test_the_volume_grows_with_the_nodes_and_the_pods(plan):
    # Pinned to gp1.xlarge (3 backends and a frontend a node; 2 and a frontend beside the cluster add-ons' pods:
    # tests/test_costs_by_hand.py). 1,000 users: backend 12 .. 24, frontend 2 .. 4, 5 .. 9 nodes x 1.25 -> 7 .. 12.
    # 5,000 users: backend 60 .. 120, frontend 10 .. 20, 21 .. 41 x 1.25 -> 27 .. 52.
    # Pods started a day: a rollout of the floor at the min and expected (no hour of this profile needs more than
    # the floor); at the max a rollout of the ceiling and the HPA's rise from floor to ceiling.
    small = plan(1_000, 10_240, instance_type="gp1.xlarge")
    large = plan(5_000, 51_200, instance_type="gp1.xlarge")
    assert (small.nodes.min_nodes, small.nodes.max_nodes, large.nodes.min_nodes, large.nodes.max_nodes) == (
        7,
        12,
        27,
        52,
    )
    small_gb = (gigabytes(7, 14), gigabytes(7, 14), gigabytes(12, 28 + 14))  # 19.23, 19.23, 22.03 GB
    large_gb = (gigabytes(27, 70), gigabytes(27, 70), gigabytes(52, 140 + 70))  # 30.39, 30.39, 44.41 GB
    row, big = logs(small), logs(large)
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == money(*map(usd, small_gb))
    assert (big.monthly_usd.min, big.expected_monthly_usd, big.monthly_usd.max) == money(*map(usd, large_gb))
    assert row.item == "Control-plane logs (19.2 GB/month, up to 22.0; 90 days kept)"
    assert big.item == "Control-plane logs (30.4 GB/month, up to 44.4; 90 days kept)"
    # Twenty more nodes and 56 more pods started a day: 20 x 760,200 bytes x 730 h = 11.10 GB, and 56 x 35,000 bytes
    # x 365 / 12 days = 0.06 GB, each GB $0.5133.
    more = (20 * PER_NODE * H + 56 * PER_POD * H / 24) / 1e9
    assert big.expected_monthly_usd - row.expected_monthly_usd == pytest.approx(usd(more), abs=0.02)
    assert row.source.startswith(
        "derived from the API server's activity (cluster.logs, estimates: measure IncomingBytes): 7 to 12 nodes' "
        "heartbeats, watches and sign-ins, 7 leader-election candidates, 2 HPAs, 100 cluster watches, 14 to 42 pods "
        "started a day; CloudWatch Logs ingestion (uncompressed bytes) and storage (15% of them, gzip-compressed)"
    )


def test_pods_the_hpa_starts_over_the_day_are_expected(plan):
    # One open answer stream per backend pod: users / 60 turns/s x (1 s to the first token + 211 / 100 s) = 51.83
    # streams at the peak hour, 51.83 x 1.4/23 = 3.16 in each of the other 23. The backend's floor stays 12 (the
    # users' need; the streams' at the mean load, ceil(5.18), is lower) and its ceiling rises to the peak's 52
    # streams. The HPA runs 52 backends in the peak hour and the floor's 12 in the others: 40 pods started a day.
    # Frontend 2 .. 4, the floor all day. gp1.xlarge holds 3 backends and a frontend, 2 and a frontend beside the
    # add-ons: 12 = 2 + 3 x 3 + 1 -> 5 nodes x 1.25 -> 7, 52 = 2 + 16 x 3 + 2 -> 18 x 1.25 -> 23.
    got = plan(
        1_000,
        10_240,
        {"llm": {"streams_per_backend_pod": 1}},
        instance_type="gp1.xlarge",
        llm="openai:gpt-test",
        token_prices=flat_token_prices(1, 5),
    )
    assert (got.backend.min_replicas, got.backend.max_replicas, got.nodes.min_nodes, got.nodes.max_nodes) == (
        12,
        52,
        7,
        23,
    )
    # Min: a rollout of the floor, 12 + 2. Expected: a rollout of the day's mean pods, (52 + 23 x 12) / 24 + 2, and
    # the 40 the HPA starts. Max: a rollout of the ceiling, 52 + 4, and its rise from the floor, 40 + 2 = 42.
    started = ((52 + 23 * 12) / 24 + 2 + 40, 52 + 4 + 42)
    row = logs(got)
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == money(
        usd(gigabytes(7, 14)), usd(gigabytes(7, started[0])), usd(gigabytes(23, started[1]))
    )
    assert row.expected_monthly_usd > row.monthly_usd.min
    assert "7 to 23 nodes' heartbeats" in row.source and "56 to 98 pods started a day" in row.source


def test_a_set_volume_overrides_the_derived_one(plan):
    # 45 GB set: the same at every bound, whatever the fleet; 15% of it kept 30 days.
    got = plan(5_000, 51_200, {"cluster": {"log_gb_per_month": 45, "log_retention_days": 30}})
    row = logs(got)
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == money(*(usd(45, days=30),) * 3)
    assert row.item == "Control-plane logs (45 GB/month, 30 days kept)"
    assert row.source == (
        "cluster.log_gb_per_month as set; CloudWatch Logs ingestion (uncompressed bytes) and storage (15% of them, "
        "gzip-compressed) list prices"
    )


def test_storage_is_billed_on_the_compressed_bytes(plan):
    # All ingested bytes stored (archived_share 1) against the default 15%: only the storage term moves, by 85% of
    # the 90-day stock. 1,000 users on the hand plans' bt1.large: 17 nodes, 14 pods started a day (LOADS).
    gb = gigabytes(17, 14)
    whole = plan(1_000, 10_240, {"cluster": {"logs": {"archived_share": 1.0}}})
    share = plan(1_000, 10_240)
    assert logs(whole).expected_monthly_usd == pytest.approx(gb * 0.50 + gb * 90 / (365 / 12) * 0.03, abs=0.01)
    assert logs(whole).expected_monthly_usd - logs(share).expected_monthly_usd == pytest.approx(
        gb * 0.85 * 90 / (365 / 12) * 0.03, abs=0.02
    )


def test_a_self_hosted_model_adds_its_gpu_nodes_keda_and_its_hpa():
    # The GPU nodes heartbeat like any other, KEDA's operator elects a leader and the ScaledObject is one more HPA:
    # each an input the activity counts (self-hosted plans are tests/test_selfhosted_by_hand.py's; here the counts).
    from sizing.engine.control_plane_logs import activity
    from sizing.plan import IntRange, NodePlan, PodPlan

    pod = PodPlan(
        min_replicas=4, max_replicas=8, cpu_request_m=1, cpu_limit_m=1, memory_request_mib=1, memory_limit_mib=1
    )
    fleet = NodePlan.model_construct(min_nodes=3, max_nodes=6)

    class GPU:
        nodes = IntRange(min=2, max=5)
        replicas = IntRange(min=2, max=5)

    low, expected, high = activity(fleet, pod, pod, 8, 0, GPU, 1)  # type: ignore[arg-type]
    assert (low.nodes, high.nodes) == (3 + 2, 6 + 5)
    assert (low.leader_candidates, low.hpas) == (3 + 1, 2 + 1)
    # Rollouts replace the app's and vLLM's pods: 8 + 2 at the min, 8 (the day's mean) + 2 expected; at the max
    # 16 + 5 rolled out and the HPAs' rises, (8 - 4) x 2 + (5 - 2) = 11.
    assert (low.pods_started_per_day, expected.pods_started_per_day, high.pods_started_per_day) == (10, 10, 21 + 11)


def test_the_pods_a_day_of_a_busy_twice_day():
    # Two busy spells a day: the backend rises from 12 to 20 twice (16 pods started), the frontend from 2 to 3 once
    # (1), the last hour back to the first counted too. The max bound takes that day's 17 rather than the one swing
    # from floor to ceiling (8 + 1 = 9 here), so it never bills fewer pods than the day's own.
    from sizing.engine.control_plane_logs import activity
    from sizing.engine.pods import HourPods, pods_started_a_day
    from sizing.plan import NodePlan, PodPlan

    backends = [12, 20, 20, 12, 12, 20, 12, *[12] * 17]
    frontends = [2, 3, 3, *[2] * 21]
    day = [HourPods(0, b, f, b, f) for b, f in zip(backends, frontends, strict=True)]
    assert pods_started_a_day(day) == 8 + 8 + 1

    def pods(low: int, high: int) -> PodPlan:
        return PodPlan(
            min_replicas=low,
            max_replicas=high,
            cpu_request_m=1,
            cpu_limit_m=1,
            memory_request_mib=1,
            memory_limit_mib=1,
        )

    fleet = NodePlan.model_construct(min_nodes=3, max_nodes=6)
    _, expected, high = activity(fleet, pods(12, 20), pods(2, 3), 13.0, 17, None, 0)
    assert (expected.pods_started_per_day, high.pods_started_per_day) == (17, 17)
