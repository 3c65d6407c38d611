"""How many bytes the EKS control plane sends to CloudWatch Logs a month, from what makes the API server busy, and
what AWS bills for them.

The stack enables the api, audit and authenticator logs (``stacks/cluster.py``, ``CLUSTER_LOG_TYPES``). Users'
requests never reach the API server; the cluster's own machinery does, and each of its requests is an audit event
under EKS's fixed audit policy (the EKS Best Practices Guide, "Auditing and logging": leases, watches and most
reads at Metadata or Request level, one event a request since ``RequestReceived`` is omitted, two for a watch,
``ResponseStarted`` and ``ResponseComplete``). So the volume follows the nodes (heartbeats, their agents' watches,
their IAM authentications), the pods started (created, scheduled, made ready, removed), the HPAs' syncs, the
leader-elected controllers and the API servers' identity Leases, not the users. docs/methodology.md, "Control-plane
logs", has the formula and a figure.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.assumptions import ClusterAssumptions, ControlPlaneLogAssumptions
from sizing.engine.addons import CLUSTER_AUTOSCALER, KEDA_OPERATOR, LOAD_BALANCER_CONTROLLER, AddOn
from sizing.plan import CostItem, NodePlan, PodPlan, Range, SelfHostedPlan

# The log types this model covers: those the stack enables (a test keeps the two in step).
LOG_TYPES = ("api", "audit", "authenticator")

# The kubelet's defaults, node-side settings (KubeletConfiguration) that the stack leaves as they are: it sets none.
NODE_LEASE_RENEW_S = 10  # a kubelet renews its node Lease every 10 s (a quarter of nodeLeaseDurationSeconds, 40)
NODE_STATUS_REPORT_S = 300  # and patches its node's .status at least every 5 minutes (nodeStatusReportFrequency)
# client-go's leader election (tools/leaderelection/leaderelection.go), at the 2 s RetryPeriod every controller here
# keeps: the leader renews its Lease once a RetryPeriod (renew(): wait.Until); a standby polls it from acquire(),
# wait.JitterUntil(RetryPeriod, JitterFactor 1.2), so every 2 s + a uniform 0 to 2.4 s: 3.2 s on average.
LEADER_RENEW_S = 2
STANDBY_POLL_S = 2 * (1 + 1.2 / 2)
# Each API server renews its identity Lease (kube-system/apiserver-<hash>) every 10 s (kube-apiserver's
# --identity-lease-renew-interval-seconds default), one update a renewal, by system:apiserver: audited.
API_SERVER_LEASE_RENEW_S = 10
WATCH_MEAN_S = 450  # client-go re-opens each watch after a random 5 to 10 minutes (reflector's minWatchTimeout)
EVENTS_PER_WATCH = 2  # a watch is audited when its response starts and when it completes
HPA_SYNC_S = 15  # kube-controller-manager's --horizontal-pod-autoscaler-sync-period
# Each sync reads the scale, reads the metrics (metrics.k8s.io, or KEDA's external metric) and writes the status. The
# audit policy's "Don't log HPA fetching metrics" rule names the user system:kube-controller-manager, but the HPA
# controller calls as system:serviceaccount:kube-system:horizontal-pod-autoscaler (the controller manager runs with
# --use-service-account-credentials), so the metrics reads are audited too.
HPA_REQUESTS_PER_SYNC = 3
AUTOSCALER_SCAN_S = 10  # the Cluster Autoscaler's --scan-interval
# Every scan its WriteStatusConfigMap (clusterstate/utils/status.go) gets the status ConfigMap, then updates it.
AUTOSCALER_REQUESTS_PER_SCAN = 2
# CloudWatch Logs bills the stored (archived) bytes as the gzip-compressed events plus 26 bytes of metadata each.
EVENT_METADATA_BYTES = 26

# The stack's own share (stacks/autoscaler.py, stacks/edge.py, stacks/workloads.py, stacks/gpu_autoscaling.py; a test
# checks these against the stack): the leader-elected add-ons, whose replicas the stack takes from engine/addons.py
# (one leader each, the other replicas stand by), and the HPAs: the backend's and the frontend's; a self-hosted model
# adds KEDA's operator and the HPA its ScaledObject makes.
STACK_LEADER_ELECTED: tuple[AddOn, ...] = (CLUSTER_AUTOSCALER, LOAD_BALANCER_CONTROLLER)
STACK_HPAS = 2
SELF_HOSTED_LEADER_ELECTED: tuple[AddOn, ...] = (KEDA_OPERATOR,)
SELF_HOSTED_HPAS = 1

# Kept forever (retention 0), the logs are priced for the stock of one year: the bill keeps growing after that.
FOREVER_DAYS = 365

SOURCE = (
    "CloudWatch Logs ingestion (uncompressed bytes) and storage ({share:.0%} of them, the Pricing Calculator's "
    "gzip estimate, + 26 bytes an event) list prices"
)


class Activity(NamedTuple):
    """What keeps the API server busy at one bound of the plan."""

    nodes: int
    pods_started_per_day: float
    leaders: int  # the stack's own leader elections, each with one leader renewing
    standbys: int  # the stack's own standby replicas, polling
    hpas: int


class Volume(NamedTuple):
    """A month of the log group: the bytes CloudWatch ingests (uncompressed) and the log events they make."""

    bytes: float
    events: float


def _leader_elected(addons: tuple[AddOn, ...]) -> tuple[int, int]:
    """(leaders, standbys): one leader per leader-elected add-on, its other replicas standing by."""
    return len(addons), sum(a.replicas - 1 for a in addons)


def activity(
    nodes: NodePlan,
    backend: PodPlan,
    frontend: PodPlan,
    expected_pods: float,
    expected_started: int,
    self_hosted: SelfHostedPlan | None,
    rollouts_per_day: float,
) -> tuple[Activity, Activity, Activity]:
    """Min, expected and max. The min and the expected run the min fleet all month, as the bill does (the HPA's
    floor is sized for the peak), the expected with the pods the HPA starts over the day's profile
    (``expected_started``: none unless the busy hours need more backends than the floor) and the day's mean pods
    rolled out; the max runs the max fleet and the HPA's ceiling, rising there from its floor at least once a day
    (or as often as the day's own profile makes it). A rollout replaces every pod the stack deploys: the backend's,
    the frontend's and vLLM's. vLLM's replicas rise from their floor (the day's trough) to their ceiling (its peak)
    once a day at the expected and the max; the plan has no hourly vLLM profile, so the expected rolls out its
    floor."""
    floor = backend.min_replicas + frontend.min_replicas
    ceiling = backend.max_replicas + frontend.max_replicas
    gpu = (0, 0) if self_hosted is None else (self_hosted.nodes.min, self_hosted.nodes.max)
    vllm = (0, 0) if self_hosted is None else (self_hosted.replicas.min, self_hosted.replicas.max)
    elected = STACK_LEADER_ELECTED + (() if self_hosted is None else SELF_HOSTED_LEADER_ELECTED)
    leaders, standbys = _leader_elected(elected)
    hpas = STACK_HPAS + (0 if self_hosted is None else SELF_HOSTED_HPAS)
    vllm_rise = vllm[1] - vllm[0]
    low_nodes = nodes.min_nodes + gpu[0]

    def at(node_count: int, started: float) -> Activity:
        return Activity(node_count, started, leaders, standbys, hpas)

    return (
        at(low_nodes, rollouts_per_day * (floor + vllm[0])),
        at(low_nodes, rollouts_per_day * (expected_pods + vllm[0]) + expected_started + vllm_rise),
        at(
            nodes.max_nodes + gpu[1],
            rollouts_per_day * (ceiling + vllm[1]) + max(expected_started, ceiling - floor) + vllm_rise,
        ),
    )


def audit_events_per_hour(logs: ControlPlaneLogAssumptions, a: Activity) -> float:
    """The steady audit events: leader elections (leaders renewing, standbys polling), the API servers' identity
    Leases, the Cluster Autoscaler's status, watches re-opened, node heartbeats (Lease renewals and status patches)
    and HPA syncs."""
    per_node = 3600 / NODE_LEASE_RENEW_S + 3600 / NODE_STATUS_REPORT_S + logs.watches_per_node * watch_events_per_hour()
    return (
        (a.leaders + logs.other_leaders) * 3600 / LEADER_RENEW_S
        + (a.standbys + logs.other_standbys) * 3600 / STANDBY_POLL_S
        + logs.api_servers * 3600 / API_SERVER_LEASE_RENEW_S
        + AUTOSCALER_REQUESTS_PER_SCAN * 3600 / AUTOSCALER_SCAN_S
        + logs.cluster_watches * watch_events_per_hour()
        + a.nodes * per_node
        + a.hpas * HPA_REQUESTS_PER_SYNC * 3600 / HPA_SYNC_S
    )


def watch_events_per_hour() -> float:
    return EVENTS_PER_WATCH * 3600 / WATCH_MEAN_S


def volume(logs: ControlPlaneLogAssumptions, a: Activity, hours_per_month: float) -> Volume:
    """A month's bytes and events: the steady audit events, the authenticator's lines and the API server's own log
    every hour, and the pods' events every day. Each audit event and each line is one log event."""
    audit = audit_events_per_hour(logs, a)
    sign_ins = a.nodes * logs.authenticator_lines_per_node_hour
    api_lines = logs.api_server_bytes_per_hour / logs.api_server_line_bytes
    pod_events = a.pods_started_per_day * logs.pod_events
    days = hours_per_month / 24
    hourly_bytes = audit * logs.audit_event_bytes + sign_ins * logs.authenticator_line_bytes
    return Volume(
        bytes=(hourly_bytes + logs.api_server_bytes_per_hour) * hours_per_month
        + pod_events * logs.pod_event_bytes * days,
        events=(audit + sign_ins + api_lines) * hours_per_month + pod_events * days,
    )


def gb_per_month(logs: ControlPlaneLogAssumptions, a: Activity, hours_per_month: float) -> float:
    """Uncompressed bytes ingested a month, in GB (10^9 bytes, as AWS bills)."""
    return volume(logs, a, hours_per_month).bytes / 1e9


def monthly_usd(
    gigabytes: float, events: float, cluster: ClusterAssumptions, hours_per_month: float, ingest: float, store: float
) -> float:
    """What AWS bills for a month of ``gigabytes`` in ``events`` log events. EKS's control-plane logs are billed as
    CloudWatch vended logs (usage type VendedLog-Bytes), whose first tier, the first 10 TB a month of the paying
    account, is the standard ingestion price: metered on the events' uncompressed bytes, as the log group's
    IncomingBytes counts them. Storage is billed on the archived bytes, gzip-compressed (``archived_share`` of them,
    the AWS Pricing Calculator's estimate) plus 26 bytes of metadata an event (the CloudWatch pricing page), for as
    long as the retention keeps them: a stock of ``retention days`` of ingestion."""
    days = cluster.log_retention_days or FOREVER_DAYS
    archived = gigabytes * cluster.logs.archived_share + events * EVENT_METADATA_BYTES / 1e9
    return gigabytes * ingest + archived * days / (hours_per_month / 24) * store


def _gb(value: float) -> str:
    return f"{value:,.1f}"


def _span(low: float, high: float) -> str:
    return f"{low:,.0f}" if f"{low:,.0f}" == f"{high:,.0f}" else f"{low:,.0f} to {high:,.0f}"


def control_plane_logs_item(
    cluster: ClusterAssumptions,
    bounds: tuple[Activity, Activity, Activity],
    hours_per_month: float,
    ingest: float,
    store: float,
) -> CostItem:
    """The bill's line: the GB in its label (expected, and up to the max), where they come from in its source."""
    days = cluster.log_retention_days or FOREVER_DAYS
    prices = SOURCE.format(share=cluster.logs.archived_share)
    derived = [volume(cluster.logs, a, hours_per_month) for a in bounds]
    if cluster.log_gb_per_month is not None:
        # A measured volume replaces the bytes; its events are counted at the derived expected bound's mean size.
        set_gb = cluster.log_gb_per_month
        mean_event_bytes = derived[1].bytes / derived[1].events
        low = expected = high = (set_gb, set_gb * 1e9 / mean_event_bytes)
        label = f"Control-plane logs ({set_gb:g} GB/month, {days} days kept)"
        source = f"cluster.log_gb_per_month as set, events of the derived mean {mean_event_bytes:,.0f} bytes; {prices}"
    else:
        low, expected, high = ((v.bytes / 1e9, v.events) for v in derived)
        up_to = "" if _gb(expected[0]) == _gb(high[0]) else f", up to {_gb(high[0])}"
        label = f"Control-plane logs ({_gb(expected[0])} GB/month{up_to}; {days} days kept)"
        lo, hi = bounds[1], bounds[2]
        logs = cluster.logs
        source = (
            f"derived from the API server's activity (cluster.logs, estimates: measure IncomingBytes): "
            f"{_span(lo.nodes, hi.nodes)} nodes' heartbeats, watches and sign-ins, "
            f"{lo.leaders + logs.other_leaders} leader elections and {lo.standbys + logs.other_standbys} standbys, "
            f"{logs.api_servers} API servers' leases, {lo.hpas} HPAs, {logs.cluster_watches:,} cluster watches, "
            f"{_span(lo.pods_started_per_day, hi.pods_started_per_day)} pods started a day; {prices}"
        )

    def usd(month: tuple[float, float]) -> float:
        return round(monthly_usd(month[0], month[1], cluster, hours_per_month, ingest, store), 2)

    return CostItem(
        key="control_plane_logs",
        item=label,
        monthly_usd=Range(min=usd(low), max=usd(high)),
        expected_monthly_usd=usd(expected),
        source=source,
    )
