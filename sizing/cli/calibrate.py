"""``sizing calibrate``: measure the assumptions from a running deployment, write them as an assumptions file.

Everything is read and checked before anything is written: a bad input leaves no file behind.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from sizing.errors import SizingError


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SizingError(f"--timezone: {name!r} is not a time zone name like Europe/Berlin or UTC") from None
    return name


@click.command()
@click.option(
    "--prometheus", "prometheus_url", metavar="URL", help="Prometheus server to read the deployment's use from."
)
@click.option("--since", default="7d", show_default=True, help="How far back the window reaches (s, m, h, d, w).")
@click.option("--end", metavar="TIME", help="End of the window: RFC 3339 or unix seconds (default: now).")
@click.option("--step", default="5m", show_default=True, help="Range query resolution.")
@click.option("--namespace", metavar="NS", help="Kubernetes namespace of the app's pods (default: any).")
@click.option("--backend-container", default="backend", show_default=True, help="The backend's container name.")
@click.option("--frontend-container", default="frontend", show_default=True, help="The frontend's container name.")
@click.option("--users-metric", metavar="NAME", help="Gauge of concurrent users the app exports [chat_active_users].")
@click.option("--requests-metric", metavar="NAME", help="Counter of requests served [http_requests_total].")
@click.option(
    "--token-env", default="PROMETHEUS_TOKEN", show_default=True, help="Environment variable holding a bearer token."
)
@click.option("--timezone", default="UTC", show_default=True, help="Local time of the hourly profile.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 600), help="Seconds per query.")
@click.option(
    "--llm-usage",
    "usage_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="JSONL of OpenAI-style usage records or Bedrock invocation logs (.gz too); repeat for more files.",
)
@click.option("--conversation-field", default="conversation_id", show_default=True, help="Records' conversation id.")
@click.option("--user-field", default="user_id", show_default=True, help="Records' user id.")
@click.option(
    "--load-test",
    "load_test_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="k6 --summary-export JSON or Locust PREFIX_stats.csv.",
)
@click.option(
    "--load-test-pods",
    default=1,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Backend pods under the test.",
)
@click.option(
    "--latency-target-ms",
    default=500.0,
    show_default=True,
    type=click.FloatRange(1, 600_000),
    help="p95 latency target.",
)
@click.option(
    "--assumptions",
    "assumptions_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Assumptions the conversions use where they are not measured (the HPA target, requests per user).",
)
@click.option("--output", "-o", type=click.Path(allow_dash=True), help="Write to FILE (replaced atomically).")
def calibrate(
    prometheus_url,
    since,
    end,
    step,
    namespace,
    backend_container,
    frontend_container,
    users_metric,
    requests_metric,
    token_env,
    timezone,
    timeout,
    usage_files,
    conversation_field,
    user_field,
    load_test_file,
    load_test_pods,
    latency_target_ms,
    assumptions_file,
    output,
) -> None:
    """Measure assumptions from Prometheus, LLM usage logs and a load test; print them as an assumptions file."""
    from sizing.calibrate.measurements import ClusterUsage, LLMUsage, LoadTest
    from sizing.calibrate.rules import calibrate as rules
    from sizing.calibrate.writer import to_yaml
    from sizing.cli.command import _write
    from sizing.inputs import load_assumptions
    from sizing.workload import Workload

    if not (prometheus_url or usage_files or load_test_file):
        raise SizingError("nothing to measure: give --prometheus URL, --llm-usage FILE or --load-test FILE")
    overrides = load_assumptions(assumptions_file) if assumptions_file else {}
    base = Workload.model_validate({"concurrent_users": 1, "assumptions": overrides}).assumptions
    inputs: list[str] = []
    cluster: ClusterUsage | None = None
    if prometheus_url:
        from sizing.calibrate import prometheus as p

        server = p.Prometheus(prometheus_url, token_env, timeout)
        window = p.window_for(since, p.parse_time(end, "--end"), p.parse_duration(step, "--step"))
        cluster = p.read_cluster(
            server,
            window,
            {"backend": backend_container, "frontend": frontend_container},
            namespace,
            p.metric_name(users_metric, "--users-metric") if users_metric else None,
            p.metric_name(requests_metric, "--requests-metric") if requests_metric else None,
            _timezone(timezone),
        )
        inputs.append(f"Prometheus {server.url}, {window.text()}")
    usage: LLMUsage | None = None
    if usage_files:
        from sizing.calibrate.usage_logs import read_usage

        usage = read_usage(list(usage_files), conversation_field, user_field)
        inputs.append(
            f"LLM usage {', '.join(usage.files)}: {len(usage.turns):,} calls ({usage.skipped:,} failed skipped)"
        )
    test: LoadTest | None = None
    if load_test_file:
        from sizing.calibrate.load_test import read_load_test

        test = read_load_test(load_test_file, load_test_pods)
        inputs.append(f"load test {test.file} ({test.tool})")
    calibration = rules(cluster, usage, test, base, latency_target_ms)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = to_yaml(calibration, generated, inputs)
    _check_round_trip(text)
    _write(text, output)
    for note in calibration.notes:
        sys.stderr.write(f"sizing: note: {note}\n")
    sys.stderr.write(f"sizing: calibrated {len(calibration.values)} assumption(s)\n")


def _check_round_trip(text: str) -> None:
    """The file must read back through the same loader and validation as `--assumptions` (or not be written)."""
    from pydantic import ValidationError

    from sizing.errors import describe
    from sizing.inputs import ASSUMPTION_FILE, _load_yaml
    from sizing.workload import Workload

    data = _load_yaml(text, Path("calibrated.yaml"), "sizing calibrate", ASSUMPTION_FILE)
    try:
        Workload.model_validate({"concurrent_users": 1, "assumptions": data})
    except ValidationError as error:
        raise SizingError(
            f"a measured value is outside what the assumptions accept: {describe(error, {'assumptions': 'measured'})}"
        ) from None
