"""The control-plane logs' volume, derived from the API server's activity, and what AWS bills for it, by hand.

The formula is docs/methodology.md's ("Control-plane logs"); the inputs are tests/hand_plans.py's explicit
``cluster.logs`` on the fake catalog and prices. Every hour, whatever the cluster's size, 15,055 steady audit events:
leader elections, (2 of the stack's, the Cluster Autoscaler and the Load Balancer Controller, + 2 other) leaders x
3,600 / 2 s = 7,200 and (1 of the stack's, the controller's second replica, + 2 other) standbys x 3,600 / 3.2 s =
3,375, 2 API servers' identity Leases x 3,600 / 10 s = 720, the Cluster Autoscaler's status (a get and an update) 2 x
3,600 / 10 s = 720, 100 cluster watches x 2 events x 3,600 / 450 s = 1,600 and 2 HPAs x 3 requests x 3,600 / 15 s =
1,440; of 1,300 bytes, and the API server's own 200,000 bytes in lines of 200 (1,000 log events). Per node and hour:
3,600 / 10 s Lease renewals + 3,600 / 300 s status patches + 12 watches x 16 = 564 events of 1,300 bytes, and 60
sign-ins of 450 bytes: 624 log events. Per pod started: 14 events of 2,500 bytes. A 730-hour month; GB are 10^9
bytes. Stored: 15% of the bytes (compressed) + 26 bytes an event.
"""

from __future__ import annotations

import pytest
from hand_plans import build, flat_token_prices

H = 730
STEADY_EVENTS = 4 * 1_800 + 3 * 1_125 + 2 * 360 + 2 * 360 + 100 * 16 + 2 * 3 * 240  # 15,055 audit events an hour
STEADY = STEADY_EVENTS * 1_300 + 200_000  # bytes an hour whatever the size
STEADY_LINES = STEADY_EVENTS + 200_000 / 200  # log events an hour whatever the size
PER_NODE = 564 * 1_300 + 60 * 450  # bytes an hour
PER_NODE_LINES = 564 + 60
PER_POD = 14 * 2_500  # bytes a pod started
PER_POD_LINES = 14


def gigabytes(nodes: int, pods_a_day: float) -> float:
    return ((STEADY + nodes * PER_NODE) * H + pods_a_day * PER_POD * H / 24) / 1e9


def events(nodes: int, pods_a_day: float) -> float:
    return (STEADY_LINES + nodes * PER_NODE_LINES) * H + pods_a_day * PER_POD_LINES * H / 24


def usd(gb: float, log_events: float, days: int = 90) -> float:
    """$0.50 a GB ingested; stored for ``days``, a stock of days / (365 / 12) months at $0.03: 15% of the GB
    (compressed) and 26 bytes of metadata an event."""
    return gb * 0.50 + (gb * 0.15 + log_events * 26 / 1e9) * days / (365 / 12) * 0.03


def bill(nodes: int, pods_a_day: float, days: int = 90) -> float:
    return usd(gigabytes(nodes, pods_a_day), events(nodes, pods_a_day), days)


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
    # 18.33, 18.33, 21.14 GB; 14.92, 14.92, 17.20 million events
    small_bills = (bill(7, 14), bill(7, 14), bill(12, 28 + 14))
    # 29.49, 29.49, 43.51 GB; 24.05, 24.05, 35.50 million events
    large_bills = (bill(27, 70), bill(27, 70), bill(52, 140 + 70))
    row, big = logs(small), logs(large)
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == money(*small_bills)
    assert (big.monthly_usd.min, big.expected_monthly_usd, big.monthly_usd.max) == money(*large_bills)
    assert row.item == "Control-plane logs (18.3 GB/month, up to 21.1; 90 days kept)"
    assert big.item == "Control-plane logs (29.5 GB/month, up to 43.5; 90 days kept)"
    # Twenty more nodes and 56 more pods started a day: 20 x 760,200 bytes x 730 h = 11.10 GB, and 56 x 35,000 bytes
    # x 365 / 12 days = 0.06 GB, in 20 x 624 x 730 + 56 x 14 x 365 / 12 events.
    more_gb = (20 * PER_NODE * H + 56 * PER_POD * H / 24) / 1e9
    more_events = 20 * PER_NODE_LINES * H + 56 * PER_POD_LINES * H / 24
    assert big.expected_monthly_usd - row.expected_monthly_usd == pytest.approx(usd(more_gb, more_events), abs=0.02)
    assert row.source == (
        "derived from the API server's activity (cluster.logs, estimates: measure IncomingBytes): 7 to 12 nodes' "
        "heartbeats, watches and sign-ins, 4 leader elections and 3 standbys, 2 API servers' leases, 2 HPAs, 100 "
        "cluster watches, 14 to 42 pods started a day; CloudWatch Logs ingestion (uncompressed bytes) and storage (15% "
        "of them, the Pricing Calculator's gzip estimate, + 26 bytes an event) list prices"
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
        bill(7, 14), bill(7, started[0]), bill(23, started[1])
    )
    assert row.expected_monthly_usd > row.monthly_usd.min
    assert "7 to 23 nodes' heartbeats" in row.source and "56 to 98 pods started a day" in row.source


def test_a_set_volume_overrides_the_derived_one(plan):
    # 45 GB set: the same at every bound, whatever the fleet; 15% of it kept 30 days, and its events' 26 bytes each.
    # The events are counted at the derived expected bound's mean size: 5,000 users on the hand plans' bt1.large,
    # 27 nodes and 60 + 10 pods rolled out a day (tests/test_costs_by_hand.py's LOADS), 29.49 GB in 24.05 million
    # events, 1,226 bytes each.
    got = plan(5_000, 51_200, {"cluster": {"log_gb_per_month": 45, "log_retention_days": 30}})
    assert got.nodes.min_nodes == 27
    mean = gigabytes(27, 70) * 1e9 / events(27, 70)
    row = logs(got)
    set_bill = usd(45, 45e9 / mean, days=30)
    assert (row.monthly_usd.min, row.expected_monthly_usd, row.monthly_usd.max) == money(*(set_bill,) * 3)
    assert row.item == "Control-plane logs (45 GB/month, 30 days kept)"
    assert row.source == (
        f"cluster.log_gb_per_month as set, events of the derived mean {mean:,.0f} bytes; CloudWatch Logs ingestion "
        "(uncompressed bytes) and storage (15% of them, the Pricing Calculator's gzip estimate, + 26 bytes an event) "
        "list prices"
    )
    assert f"{mean:,.0f}" == "1,226"


def test_storage_is_billed_on_the_compressed_bytes(plan):
    # All ingested bytes stored (archived_share 1) against the default 15%: only the storage term moves, by 85% of
    # the 90-day stock. 1,000 users on the hand plans' bt1.large: 17 nodes, 14 pods started a day (LOADS).
    gb, metadata = gigabytes(17, 14), events(17, 14) * 26 / 1e9
    whole = plan(1_000, 10_240, {"cluster": {"logs": {"archived_share": 1.0}}})
    share = plan(1_000, 10_240)
    assert logs(whole).expected_monthly_usd == pytest.approx(
        gb * 0.50 + (gb + metadata) * 90 / (365 / 12) * 0.03, abs=0.01
    )
    assert logs(whole).expected_monthly_usd - logs(share).expected_monthly_usd == pytest.approx(
        gb * 0.85 * 90 / (365 / 12) * 0.03, abs=0.02
    )


def test_each_log_event_stores_26_bytes_of_metadata(plan):
    # The API server's same 200,000 bytes an hour in lines of 1 byte instead of 200: 199,000 more log events an
    # hour, the bytes ingested unchanged, so only the stored metadata moves: 199,000 x 730 h x 26 bytes = 3.78 GB,
    # a 90-day stock of it at $0.03: $0.34.
    base = plan(1_000, 10_240)
    lines = plan(1_000, 10_240, {"cluster": {"logs": {"api_server_line_bytes": 1}}})
    assert logs(lines).item == logs(base).item
    assert logs(lines).expected_monthly_usd - logs(base).expected_monthly_usd == pytest.approx(
        199_000 * H * 26 / 1e9 * 90 / (365 / 12) * 0.03, abs=0.01
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
    # Leaders: the Cluster Autoscaler, the Load Balancer Controller and KEDA's operator; standbys: the controller's
    # second replica (engine/addons.py: 1, 2 and 1 replicas).
    assert (low.leaders, low.standbys, low.hpas) == (2 + 1, 1, 2 + 1)
    # Rollouts replace the app's and vLLM's pods: 8 + 2 at the min, 8 (the day's mean) + 2 expected; vLLM rises from
    # its floor to its ceiling once a day, 5 - 2 = 3, at the expected and the max; at the max 16 + 5 rolled out and
    # the HPAs' rises, (8 - 4) x 2 + (5 - 2) = 11.
    assert (low.pods_started_per_day, expected.pods_started_per_day, high.pods_started_per_day) == (
        10,
        10 + 3,
        21 + 11,
    )
    without = activity(fleet, pod, pod, 8, 0, None, 1)
    assert (without[0].leaders, without[0].standbys, without[0].hpas) == (2, 1, 2)


def test_the_leader_elections_follow_the_add_ons_replicas(monkeypatch):
    # One leader per leader-elected add-on, its other replicas standing by: a Load Balancer Controller of 3 replicas
    # makes 2 standbys, and each standby is 3,600 / 3.2 s = 1,125 polls an hour against a leader's 1,800 renewals.
    from sizing.assumptions import ControlPlaneLogAssumptions
    from sizing.engine import addons
    from sizing.engine import control_plane_logs as model
    from sizing.plan import NodePlan, PodPlan

    assert model.STACK_LEADER_ELECTED == (addons.CLUSTER_AUTOSCALER, addons.LOAD_BALANCER_CONTROLLER)
    assert model.SELF_HOSTED_LEADER_ELECTED == (addons.KEDA_OPERATOR,)
    pod = PodPlan(
        min_replicas=2, max_replicas=2, cpu_request_m=1, cpu_limit_m=1, memory_request_mib=1, memory_limit_mib=1
    )
    fleet = NodePlan.model_construct(min_nodes=3, max_nodes=3)
    before = model.activity(fleet, pod, pod, 4, 0, None, 1)[0]
    three = addons.LOAD_BALANCER_CONTROLLER._replace(replicas=3)
    monkeypatch.setattr(model, "STACK_LEADER_ELECTED", (addons.CLUSTER_AUTOSCALER, three))
    after = model.activity(fleet, pod, pod, 4, 0, None, 1)[0]
    assert (before.leaders, before.standbys, after.leaders, after.standbys) == (2, 1, 2, 2)
    logs = ControlPlaneLogAssumptions()
    assert model.audit_events_per_hour(logs, after) - model.audit_events_per_hour(logs, before) == 1_125
    assert model.audit_events_per_hour(logs, before) == 3 * (3_600 / 10 + 3_600 / 300 + 12 * 16) + STEADY_EVENTS


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
