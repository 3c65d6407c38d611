"""How many bytes the EKS control plane sends to CloudWatch Logs a month, from what makes the API server busy, and
what AWS bills for them.

The stack enables the api, audit and authenticator logs (``stacks/cluster.py``, ``CLUSTER_LOG_TYPES``). Users'
requests never reach the API server; the cluster's own machinery does, and each of its requests is an audit event
under EKS's fixed audit policy (the EKS Best Practices Guide, "Auditing and logging": leases, watches and most
reads at Metadata or Request level, one event a request since ``RequestReceived`` is omitted, two for a watch,
``ResponseStarted`` and ``ResponseComplete``). So the volume follows the nodes (heartbeats, their agents' watches,
their IAM authentications), the pods started (created, scheduled, made ready, removed), the HPAs' syncs and the
leader-elected controllers, not the users. docs/methodology.md, "Control-plane logs", has the formula and a figure.
"""

from __future__ import annotations

from typing import NamedTuple

from sizing.assumptions import ClusterAssumptions, ControlPlaneLogAssumptions
from sizing.plan import CostItem, NodePlan, PodPlan, Range, SelfHostedPlan

# The log types this model covers: those the stack enables (a test keeps the two in step).
LOG_TYPES = ("api", "audit", "authenticator")

# Kubernetes' intervals, facts rather than assumptions (EKS does not let you change them):
NODE_LEASE_RENEW_S = 10  # a kubelet renews its node Lease every 10 s (Kubernetes docs, "Node heartbeats")
NODE_STATUS_REPORT_S = 300  # and patches its node's .status at least every 5 minutes (ditto), when nothing changed
LEADER_RETRY_S = 2  # client-go's leader election: the leader renews, each standby polls, every 2 s (retry period)
WATCH_MEAN_S = 450  # client-go re-opens each watch after a random 5 to 10 minutes (reflector's minWatchTimeout)
EVENTS_PER_WATCH = 2  # a watch is audited when its response starts and when it completes
HPA_SYNC_S = 15  # kube-controller-manager's --horizontal-pod-autoscaler-sync-period
HPA_REQUESTS_PER_SYNC = 3  # each sync reads the scale and the pods' metrics and writes the HPA's status
AUTOSCALER_SCAN_S = 10  # the Cluster Autoscaler's --scan-interval: it rewrites its status ConfigMap every scan

# The stack's own share (stacks/autoscaler.py, stacks/edge.py, stacks/workloads.py, stacks/gpu_autoscaling.py; a test
# checks these against the stack): one Cluster Autoscaler and two Load Balancer Controller replicas elect a leader,
# the backend and the frontend each have an HPA; a self-hosted model adds KEDA's operator and the HPA it makes.
STACK_LEADER_CANDIDATES = 3
STACK_HPAS = 2
SELF_HOSTED_LEADER_CANDIDATES = 1
SELF_HOSTED_HPAS = 1

# Kept forever (retention 0), the logs are priced for the stock of one year: the bill keeps growing after that.
FOREVER_DAYS = 365

SOURCE = "CloudWatch Logs ingestion (uncompressed bytes) and storage ({share:.0%} of them, gzip-compressed) list prices"


class Activity(NamedTuple):
    """What keeps the API server busy at one bound of the plan."""

    nodes: int
    pods_started_per_day: float
    leader_candidates: int  # the stack's own
    hpas: int


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
    (or as often as the day's own profile makes it). A rollout replaces every pod."""
    floor = backend.min_replicas + frontend.min_replicas
    ceiling = backend.max_replicas + frontend.max_replicas
    gpu = (0, 0) if self_hosted is None else (self_hosted.nodes.min, self_hosted.nodes.max)
    vllm = (0, 0) if self_hosted is None else (self_hosted.replicas.min, self_hosted.replicas.max)
    candidates = STACK_LEADER_CANDIDATES + (0 if self_hosted is None else SELF_HOSTED_LEADER_CANDIDATES)
    hpas = STACK_HPAS + (0 if self_hosted is None else SELF_HOSTED_HPAS)
    swing = ceiling - floor + vllm[1] - vllm[0]
    low_nodes = nodes.min_nodes + gpu[0]
    return (
        Activity(low_nodes, rollouts_per_day * (floor + vllm[0]), candidates, hpas),
        Activity(low_nodes, rollouts_per_day * (expected_pods + vllm[0]) + expected_started, candidates, hpas),
        Activity(
            nodes.max_nodes + gpu[1],
            rollouts_per_day * (ceiling + vllm[1]) + max(expected_started, swing),
            candidates,
            hpas,
        ),
    )


def audit_events_per_hour(logs: ControlPlaneLogAssumptions, a: Activity) -> float:
    """The steady audit events: leader elections, the Cluster Autoscaler's status, watches re-opened, node heartbeats
    (Lease renewals and status patches) and HPA syncs."""
    per_node = 3600 / NODE_LEASE_RENEW_S + 3600 / NODE_STATUS_REPORT_S + logs.watches_per_node * watch_events_per_hour()
    return (
        (a.leader_candidates + logs.other_leader_candidates) * 3600 / LEADER_RETRY_S
        + 3600 / AUTOSCALER_SCAN_S
        + logs.cluster_watches * watch_events_per_hour()
        + a.nodes * per_node
        + a.hpas * HPA_REQUESTS_PER_SYNC * 3600 / HPA_SYNC_S
    )


def watch_events_per_hour() -> float:
    return EVENTS_PER_WATCH * 3600 / WATCH_MEAN_S


def gb_per_month(logs: ControlPlaneLogAssumptions, a: Activity, hours_per_month: float) -> float:
    """Uncompressed bytes ingested a month, in GB (10^9 bytes, as AWS bills): the steady audit events, the
    authenticator's lines and the API server's own log every hour, and the pods' events every day."""
    hourly = (
        audit_events_per_hour(logs, a) * logs.audit_event_bytes
        + a.nodes * logs.authenticator_lines_per_node_hour * logs.authenticator_line_bytes
        + logs.api_server_bytes_per_hour
    )
    daily = a.pods_started_per_day * logs.pod_events * logs.pod_event_bytes
    return (hourly * hours_per_month + daily * hours_per_month / 24) / 1e9


def monthly_usd(
    gigabytes: float, cluster: ClusterAssumptions, hours_per_month: float, ingest: float, store: float
) -> float:
    """What AWS bills for a month of ``gigabytes``. EKS's control-plane logs are billed as CloudWatch vended logs
    (usage type VendedLog-Bytes), whose first tier, the first 10 TB a month of the paying account, is the standard
    ingestion price: metered on the events' uncompressed bytes, as the log group's IncomingBytes counts them (the
    26 bytes a PutLogEvents call counts per event are that API's batch-size rule, not a billed overhead). Storage
    is billed on the archived, gzip-compressed bytes (``archived_share`` of them) for as long as the retention
    keeps them: a stock of ``retention days`` of ingestion."""
    days = cluster.log_retention_days or FOREVER_DAYS
    stored = gigabytes * cluster.logs.archived_share * days / (hours_per_month / 24)
    return gigabytes * ingest + stored * store


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
    if cluster.log_gb_per_month is not None:
        low = expected = high = cluster.log_gb_per_month
        label = f"Control-plane logs ({cluster.log_gb_per_month:g} GB/month, {days} days kept)"
        source = f"cluster.log_gb_per_month as set; {prices}"
    else:
        low, expected, high = (gb_per_month(cluster.logs, a, hours_per_month) for a in bounds)
        up_to = "" if _gb(expected) == _gb(high) else f", up to {_gb(high)}"
        label = f"Control-plane logs ({_gb(expected)} GB/month{up_to}; {days} days kept)"
        lo, hi = bounds[1], bounds[2]
        source = (
            f"derived from the API server's activity (cluster.logs, estimates: measure IncomingBytes): "
            f"{_span(lo.nodes, hi.nodes)} nodes' heartbeats, watches and sign-ins, "
            f"{lo.leader_candidates + cluster.logs.other_leader_candidates} leader-election candidates, "
            f"{lo.hpas} HPAs, {cluster.logs.cluster_watches:,} cluster watches, "
            f"{_span(lo.pods_started_per_day, hi.pods_started_per_day)} pods started a day; {prices}"
        )

    def usd(gigabytes: float) -> float:
        return round(monthly_usd(gigabytes, cluster, hours_per_month, ingest, store), 2)

    return CostItem(
        key="control_plane_logs",
        item=label,
        monthly_usd=Range(min=usd(low), max=usd(high)),
        expected_monthly_usd=usd(expected),
        source=source,
    )
