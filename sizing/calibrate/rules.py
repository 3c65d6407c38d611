"""Measurements in, assumption values out, each with the source a reader can check it against.

Pure: no I/O. The rules (docs/methodology.md, "Calibrating from measurements"):

- **requests** are what a pod uses most of the time: CPU = the 95th percentile of every pod's CPU use at every step
  of the window (as KRR's simple strategy), so a pod is scheduled where it fits on all but its busiest moments;
- **limits** are the peak with headroom: CPU = the busiest pod's busiest step x 1.15 (never below the request),
  memory = the peak working set x 1.15 for both request and limit (memory is not compressible: a pod that outgrows
  its request is the first evicted, one that outgrows its limit is killed, so both get the peak, as KRR does);
- **users per pod** are the users a pod of that CPU request holds at the HPA's CPU target: request x target /
  (CPU per concurrent user), where CPU per user = the Deployment's CPU summed over the window / the concurrent users
  summed over the same steps (a load-weighted mean: busy hours count for more, idle overhead for less);
- **requests per user per minute** = requests per second x 60 summed over the window / users summed the same way;
- **the hourly profile** = the mean concurrent users (else request rate) in each local hour of the day, as a share of
  the busiest hour's mean;
- **per-pod capacity from a load test**: the requests per second one backend pod held with its 95th-percentile
  latency within the target and at most 1% of requests failing, x 60 / requests per user per minute; where
  Prometheus also gave a figure, the smaller of the two stands (a pod must meet both its CPU and its latency target);
- **tokens per turn**: the means of the provider's own counts, the 90th percentile of output, the share of input
  billed as cache reads.

Percentiles are nearest-rank: the smallest value with at least that share of the samples at or below it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sizing.assumptions import Assumptions
from sizing.calibrate.measurements import (
    AppUsage,
    Calibrated,
    Calibration,
    ClusterUsage,
    LLMUsage,
    LoadTest,
    Series,
    Window,
)
from sizing.errors import SizingError

CPU_REQUEST_PERCENTILE = 95
HEADROOM = 1.15
OUTPUT_PERCENTILE = 90
MAX_FAILURE_SHARE = 0.01
MIB = 1024 * 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q% of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(round(q / 100 * len(ordered), 9)))
    return ordered[rank - 1]


def _up(x: float) -> int:
    # Rounded first, so 0.19 cores measured as 0.19000000000000003 is 190m, not 191m.
    return math.ceil(round(x, 6))


def _down(x: float) -> int:
    return math.floor(round(x, 6))


def pod_values(app: AppUsage, window: Window) -> list[Calibrated]:
    p95 = percentile(app.pod_cpu_cores, CPU_REQUEST_PERCENTILE)
    peak = max(app.pod_cpu_cores)
    request = max(1, _up(p95 * 1000))
    limit = max(request, _up(peak * 1000 * HEADROOM))
    memory = max(1, _up(app.peak_memory_bytes / MIB * HEADROOM))
    samples = f"{len(app.pod_cpu_cores):,} pod-steps"
    over = f"over {window.text()}"
    memory_source = (
        f"Prometheus {app.memory_query} over {window.text()}: peak {app.peak_memory_bytes / MIB:,.1f} MiB x {HEADROOM}"
    )
    return [
        Calibrated(
            f"{app.app}.cpu_request_m",
            request,
            f"Prometheus {app.cpu_query} {over}: p{CPU_REQUEST_PERCENTILE} per pod {p95:.6g} cores ({samples})",
        ),
        Calibrated(
            f"{app.app}.cpu_limit_m",
            limit,
            f"Prometheus {app.cpu_query} {over}: max per pod {peak:.6g} cores x {HEADROOM}, at least the request",
        ),
        Calibrated(f"{app.app}.memory_request_mib", memory, memory_source),
        Calibrated(f"{app.app}.memory_limit_mib", memory, memory_source),
    ]


def _paired(a: Series, b: Series) -> list[float]:
    return sorted(t for t in a.points.keys() & b.points.keys() if b.points[t] > 0)


def users_per_pod(
    app: AppUsage, request_m: int, users: Series, hpa_target_percent: int, window: Window
) -> Calibrated | str:
    steps = _paired(app.total_cpu, users)
    if not steps:
        return f"{app.app}.users_per_pod: no step had both CPU use and users above zero"
    cpu = sum(app.total_cpu.points[t] for t in steps)
    people = sum(users.points[t] for t in steps)
    per_user = cpu / people
    if per_user <= 0:
        return f"{app.app}.users_per_pod: the {app.app} used no CPU while users were connected"
    value = _down(request_m / 1000 * hpa_target_percent / 100 / per_user)
    if value < 1:
        return (
            f"{app.app}.users_per_pod: one user takes {per_user:.4g} cores, more than a {request_m}m pod holds at the "
            f"{hpa_target_percent}% HPA target"
        )
    return Calibrated(
        f"{app.app}.users_per_pod",
        float(value),
        f"Prometheus sum({app.cpu_query}) / {users.query} over {window.text()}: {per_user:.6g} cores per concurrent "
        f"user ({len(steps):,} steps); {request_m}m x {hpa_target_percent}% HPA target / that",
    )


def requests_per_user_per_minute(requests: Series, users: Series, window: Window) -> Calibrated | str:
    steps = _paired(requests, users)
    if not steps:
        return "requests_per_user_per_minute: no step had both requests and users"
    value = round(sum(requests.points[t] for t in steps) * 60 / sum(users.points[t] for t in steps), 3)
    if value <= 0:
        return "requests_per_user_per_minute: no requests while users were connected"
    return Calibrated(
        "requests_per_user_per_minute",
        value,
        f"Prometheus {requests.query} x 60 / {users.query} over {window.text()}: load-weighted mean ({len(steps):,} steps)",
    )


MIN_SHARE = 0.001


def hourly_profile(series: Series, window: Window, timezone: str) -> Calibrated | str:
    if window.end - window.start < 24 * 3600:
        return "traffic.hourly_profile: the window is shorter than a day (use --since 1d or more)"
    zone = ZoneInfo(timezone)
    sums = [0.0] * 24
    counts = [0] * 24
    for t, value in series.points.items():
        # Each point stands for the step before it (as a rate over it does): its hour is its middle's.
        hour = datetime.fromtimestamp(t - window.step_s / 2, zone).hour
        sums[hour] += value
        counts[hour] += 1
    missing = [h for h in range(24) if counts[h] == 0]
    if missing:
        raise SizingError(
            f"--prometheus: {series.query} has no samples in {len(missing)} hour(s) of the day "
            f"({', '.join(f'{h:02d}:00' for h in missing[:4])}{'...' if len(missing) > 4 else ''}, {timezone}) "
            f"over {window.text()}: a partial series; choose a --since the series covers"
        )
    means = [s / c for s, c in zip(sums, counts, strict=True)]
    peak = max(means)
    if peak <= 0:
        return f"traffic.hourly_profile: {series.query} is zero all day"
    shares = [max(MIN_SHARE, round(m / peak, 3)) for m in means]
    shares[means.index(peak)] = 1.0
    busiest = means.index(peak)
    return Calibrated(
        "traffic.hourly_profile",
        shares,
        f"Prometheus {series.query} over {window.text()}: mean per hour of the day ({timezone}) / the busiest hour's "
        f"({busiest:02d}:00, mean {peak:.6g})",
    )


def llm_values(usage: LLMUsage) -> tuple[list[Calibrated], list[str]]:
    """Token statistics onto today's ``LLMAssumptions`` fields: the one place that knows their names.

    Returns the values and the measured figures no assumption holds yet (turns per conversation and per user).
    """
    turns = usage.turns
    n = len(turns)
    inputs = [t.input_tokens for t in turns]
    outputs = [t.output_tokens for t in turns]
    cached = sum(t.cached_tokens for t in turns)
    where = f"{', '.join(usage.files)} ({' + '.join(usage.formats)}, {n:,} calls)"
    mean_in, mean_out = sum(inputs) / n, sum(outputs) / n
    p90_in, p90_out = percentile(inputs, OUTPUT_PERCENTILE), percentile(outputs, OUTPUT_PERCENTILE)
    mean_output = max(1, round(mean_out))
    values = [
        Calibrated(
            "llm.input_tokens_per_turn",
            max(1, round(mean_in)),
            f"{where}: mean input tokens per call {mean_in:.1f} (cached included; p90 {p90_in:,.0f})",
        ),
        Calibrated("llm.output_tokens_per_turn", mean_output, f"{where}: mean output tokens per call {mean_out:.1f}"),
        Calibrated(
            "llm.output_tokens_per_turn_p90",
            max(mean_output, round(p90_out)),
            f"{where}: p{OUTPUT_PERCENTILE} output tokens per call {p90_out:,.0f}"
            + (" (below the mean: the mean)" if round(p90_out) < mean_output else ""),
        ),
        Calibrated(
            "llm.cached_input_share",
            round(cached / sum(inputs), 4) if sum(inputs) else 0.0,
            f"{where}: cached input tokens {cached:,} / input tokens {sum(inputs):,}",
        ),
    ]
    return values, conversation_figures(usage)


def conversation_figures(usage: LLMUsage) -> list[str]:
    by_conversation: dict[str, int] = {}
    by_user: dict[str, int] = {}
    conversations_of: dict[str, set[str]] = {}
    for t in usage.turns:
        if t.conversation is not None:
            by_conversation[t.conversation] = by_conversation.get(t.conversation, 0) + 1
        if t.user is not None:
            by_user[t.user] = by_user.get(t.user, 0) + 1
            if t.conversation is not None:
                conversations_of.setdefault(t.user, set()).add(t.conversation)
    figures = []
    if by_conversation:
        counts = list(by_conversation.values())
        figures.append(
            f"turns per conversation: mean {sum(counts) / len(counts):.2f}, p90 {percentile(counts, 90):g} "
            f"({len(counts):,} conversations)"
        )
    if by_user:
        counts = list(by_user.values())
        figures.append(f"turns per user: mean {sum(counts) / len(counts):.2f} ({len(counts):,} users)")
    if conversations_of:
        counts = [len(c) for c in conversations_of.values()]
        figures.append(f"conversations per user: mean {sum(counts) / len(counts):.2f}")
    return figures


def load_test_users_per_pod(
    test: LoadTest, requests_per_user_per_minute: float, rpm_source: str, target_ms: float
) -> Calibrated:
    what = f"--load-test: {test.file}"
    if test.failure_share > MAX_FAILURE_SHARE:
        raise SizingError(
            f"{what}: {test.failure_share:.1%} of requests failed (more than {MAX_FAILURE_SHARE:.0%}): the pod did not "
            f"hold {test.requests_per_second:,.4g} requests/s; rerun at a lower rate"
        )
    if test.latency_p95_ms > target_ms:
        raise SizingError(
            f"{what}: p95 latency {test.latency_p95_ms:,.4g} ms is above the {target_ms:g} ms target: the run went past "
            f"what the pods hold, so it does not say what they hold; rerun at a lower rate or set --latency-target-ms"
        )
    per_pod = test.requests_per_second / test.pods
    value = _down(per_pod * 60 / requests_per_user_per_minute)
    if value < 1:
        raise SizingError(f"{what}: {per_pod:.4g} requests/s per pod is less than one user's load")
    return Calibrated(
        "backend.users_per_pod",
        float(value),
        f"{test.file} ({test.tool}): {test.requests_per_second:,.6g} requests/s over {test.pods} backend pod(s) with p95 "
        f"{test.latency_p95_ms:,.4g} ms <= {target_ms:g} ms target and {test.failure_share:.2%} failed; "
        f"x 60 / {requests_per_user_per_minute:g} requests per user per minute ({rpm_source})",
    )


def calibrate(
    cluster: ClusterUsage | None,
    usage: LLMUsage | None,
    test: LoadTest | None,
    base: Assumptions,
    latency_target_ms: float,
) -> Calibration:
    """Every value the measurements support; what they do not support is a note, and its default stands."""
    values: dict[str, Calibrated] = {}
    notes: list[str] = []
    observed: list[str] = []

    def keep(result: Calibrated | str) -> None:
        if isinstance(result, str):
            notes.append(result)
        else:
            values[result.path] = result

    if cluster is not None:
        window = cluster.window
        notes += cluster.notes
        for app in cluster.apps:
            for value in pod_values(app, window):
                keep(value)
            if cluster.users is not None:
                request = values[f"{app.app}.cpu_request_m"].value
                assert isinstance(request, int)
                keep(users_per_pod(app, request, cluster.users, base.hpa_target_cpu_percent, window))
        if cluster.users is not None:
            peak = max(cluster.users.points.values())
            observed.append(
                f"peak concurrent users {peak:,.0f} ({cluster.users.query} over {window.text()}): "
                f"`sizing report -c {math.ceil(peak)} --assumptions FILE` plans for the load observed"
            )
            if cluster.requests is not None:
                keep(requests_per_user_per_minute(cluster.requests, cluster.users, window))
        profile_series = cluster.users or cluster.requests
        if profile_series is not None:
            keep(hourly_profile(profile_series, window, cluster.timezone))

    if usage is not None:
        llm, figures = llm_values(usage)
        for value in llm:
            keep(value)
        observed += [f"{f} ({', '.join(usage.files)}; no assumption holds it yet)" for f in figures]

    if test is not None:
        measured_rpm = values.get("requests_per_user_per_minute")
        if measured_rpm is not None:
            rpm, rpm_source = measured_rpm.value, "measured above"
        else:
            rpm, rpm_source = base.requests_per_user_per_minute, "the assumptions' value"
        assert isinstance(rpm, (int, float))
        from_test = load_test_users_per_pod(test, rpm, rpm_source, latency_target_ms)
        from_cpu = values.get("backend.users_per_pod")
        if from_cpu is not None and float(from_cpu.value) < float(from_test.value):  # type: ignore[arg-type]
            values["backend.users_per_pod"] = Calibrated(
                from_cpu.path,
                from_cpu.value,
                f"{from_cpu.source}; the smaller of it and the load test's {from_test.value:g}",
            )
        else:
            suffix = f"; the smaller of it and Prometheus's {from_cpu.value:g}" if from_cpu is not None else ""
            values["backend.users_per_pod"] = Calibrated(from_test.path, from_test.value, from_test.source + suffix)
    return Calibration(tuple(values.values()), tuple(notes), tuple(observed))
