"""What a running deployment used, read from Prometheus's HTTP API (``/api/v1/query`` and ``/api/v1/query_range``).

The standard library's HTTP client: one GET per query, a bearer token from an environment variable, and every way the
server can refuse (unreachable, 401/403, ``status: error``, a body that is not an API answer) turned into one line.
Warnings the server attaches to an answer (``warnings``, ``infos``) are passed on as notes, never dropped.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from datetime import datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from sizing.calibrate.measurements import AppUsage, ClusterUsage, Series, Window
from sizing.errors import SizingError

DEFAULT_TOKEN_ENV = "PROMETHEUS_TOKEN"
DEFAULT_USERS_METRIC = "chat_active_users"
DEFAULT_REQUESTS_METRIC = "http_requests_total"
CPU_METRIC = "container_cpu_usage_seconds_total"
MEMORY_METRIC = "container_memory_working_set_bytes"
DEFAULT_STEP_S = 300
# Prometheus refuses a range query of more than 11,000 points per series: a longer window takes a longer step.
MAX_POINTS = 11_000
# A series with data for less than this share of the window's steps is partial: its peak and percentiles would
# describe only the part it covers.
MIN_COVERAGE = 0.5
MAX_ANSWER_BYTES = 256 * 1024 * 1024
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_DURATION = re.compile(r"([0-9]+)([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
WHAT = "--prometheus"


def parse_duration(text: str, what: str) -> int:
    """``7d``, ``12h``, ``90m``, ``2w`` (Prometheus's own units) in seconds."""
    match = _DURATION.fullmatch(text.strip())
    seconds = int(match[1]) * _UNIT_S[match[2]] if match else 0
    if not match or seconds <= 0 or seconds > 400 * 86400:
        raise SizingError(f"{what}: expected a duration such as 7d, 12h or 90m (at most 400d), got {text!r}")
    return seconds


def parse_time(text: str | None, what: str) -> float:
    """RFC 3339 (``2026-12-07T00:00:00Z``) or unix seconds; None: now."""
    if text is None:
        return time.time()
    try:
        return float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip()) else _rfc3339(text)
    except ValueError:
        raise SizingError(f"{what}: expected a time like 2026-12-07T00:00:00Z or unix seconds, got {text!r}") from None


def _rfc3339(text: str) -> float:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment.timestamp()


def metric_name(text: str, what: str) -> str:
    if not _METRIC.fullmatch(text):
        raise SizingError(f"{what}: {text!r} is not a Prometheus metric name (letters, digits, _ and :)")
    return text


def _duration_text(seconds: int) -> str:
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNIT_S[unit] == 0:
            return f"{seconds // _UNIT_S[unit]}{unit}"
    return f"{seconds}s"


class Prometheus:
    """One server; ``warnings`` gathers what it said alongside its answers."""

    def __init__(self, url: str, token_env: str = DEFAULT_TOKEN_ENV, timeout_s: float = 30) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SizingError(f"{WHAT}: expected the server's http:// or https:// address, got {url!r}")
        self.url = url.strip().rstrip("/")
        self.token_env = token_env
        token = os.environ.get(token_env, "").strip()
        if token and not token.isprintable():
            raise SizingError(f"{WHAT}: ${token_env} holds a control character; it must hold just the bearer token")
        self.token = token or None
        self.timeout_s = timeout_s
        self.warnings: list[str] = []

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        return self._result(self._get("/api/v1/query", {"query": promql, "time": f"{at:.3f}"}, promql), "vector")

    def query_range(self, promql: str, start: float, end: float, step_s: int) -> list[dict[str, Any]]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step_s)}
        return self._result(self._get("/api/v1/query_range", params, promql), "matrix")

    def _get(self, path: str, params: dict[str, str], promql: str) -> dict[str, Any]:
        headers = {"Accept": "application/json", "User-Agent": "chat-infra-sizing"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = Request(f"{self.url}{path}?{urlencode(params)}", headers=headers)
        try:
            with urlopen(request, timeout=self.timeout_s) as answer:
                status, body = answer.status, answer.read(MAX_ANSWER_BYTES + 1)
        except HTTPError as error:
            status, body = error.code, error.read(MAX_ANSWER_BYTES + 1)
            error.close()
            if status in (401, 403):
                hint = (
                    f"check the token in ${self.token_env}"
                    if self.token
                    else f"it needs a bearer token: put it in ${self.token_env}"
                )
                raise SizingError(
                    f"{WHAT}: {self.url} refused the request (HTTP {status} {error.reason}): {hint}"
                ) from None
        except URLError as error:
            raise SizingError(f"{WHAT}: cannot reach {self.url}: {error.reason}") from None
        except TimeoutError:
            raise SizingError(f"{WHAT}: {self.url} did not answer within {self.timeout_s:g} s") from None
        except (OSError, ValueError) as error:
            raise SizingError(f"{WHAT}: cannot reach {self.url}: {error}") from None
        if len(body) > MAX_ANSWER_BYTES:
            raise SizingError(f"{WHAT}: the answer to {promql} is larger than 256 MiB: shorten --since or raise --step")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or data.get("status") not in ("success", "error"):
            if status == 503:
                raise SizingError(f"{WHAT}: {self.url} is not ready (HTTP 503): it may be starting; try again shortly")
            raise SizingError(
                f"{WHAT}: {self.url}{path} answered HTTP {status} with something that is not a Prometheus API answer: "
                "is the address a Prometheus server (without /api/v1)?"
            )
        for key in ("warnings", "infos"):
            for text in data.get(key) or []:
                self.warnings.append(f"Prometheus {key[:-1]} for {promql}: {text}")
        if data["status"] == "error":
            raise SizingError(
                f"{WHAT}: the query failed ({data.get('errorType', 'error')}): {data.get('error', 'no reason given')}; "
                f"query: {promql}"
            )
        return data

    def _result(self, data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        inner = data.get("data")
        if not isinstance(inner, dict) or inner.get("resultType") != kind or not isinstance(inner.get("result"), list):
            raise SizingError(f"{WHAT}: {self.url} answered without a {kind} result")
        return inner["result"]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _sample(series: dict[str, Any]) -> float | None:
    """An instant vector element's value (``"value": [time, "number"]``), None if it is not a finite number."""
    pair = series.get("value") if isinstance(series, dict) else None
    return _number(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None


def _points(series: dict[str, Any], url: str) -> dict[float, float]:
    values = series.get("values") if isinstance(series, dict) else None
    if not isinstance(values, list):
        raise SizingError(f"{WHAT}: {url} answered a range query without values")
    points = {}
    for pair in values:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise SizingError(f"{WHAT}: {url} answered a sample that is not [time, value]")
        t, v = _number(pair[0]), _number(pair[1])
        if t is not None and v is not None:  # NaN and Inf (a counter reset mid-window, 0/0) are gaps, not values
            points[t] = v
    return points


def _selector(matchers: dict[str, str]) -> str:
    # JSON's string escapes are PromQL's: a quote or backslash in a namespace cannot break out of the matcher.
    inner = ",".join(f"{label}={json.dumps(value)}" for label, value in matchers.items() if value)
    return "{" + inner + "}" if inner else ""


def window_for(since: str, end: float, step_s: int = DEFAULT_STEP_S) -> Window:
    span = parse_duration(since, "--since")
    step = max(step_s, math.ceil(span / MAX_POINTS / 60) * 60)
    end = math.floor(end / step) * step  # aligned, so the hours of the day fall on whole steps
    return Window(start=end - span, end=end, step_s=step, since=since)


class _Reader:
    def __init__(self, server: Prometheus, window: Window) -> None:
        self.server, self.window = server, window
        self.rate_window = _duration_text(max(window.step_s, 300))

    def range(self, promql: str) -> list[dict[str, Any]]:
        w = self.window
        return self.server.query_range(promql, w.start + w.step_s, w.end, w.step_s)

    def summed(self, promql: str) -> Series:
        points: dict[float, float] = {}
        for series in self.range(promql):
            for t, v in _points(series, self.server.url).items():
                points[t] = points.get(t, 0.0) + v
        return Series(promql, points)

    def check_coverage(self, series: Series, fix: str) -> None:
        steps = round((self.window.end - self.window.start) / self.window.step_s)
        if not series.points:
            raise SizingError(f"{WHAT}: no samples of {series.query} over {self.window.text()}: {fix}")
        if len(series.points) < MIN_COVERAGE * steps:
            raise SizingError(
                f"{WHAT}: {series.query} has samples at {len(series.points):,} of {steps:,} steps over "
                f"{self.window.text()}: a partial series; choose a --since the series covers"
            )

    def app(self, app: str, container: str, namespace: str | None) -> AppUsage:
        selector = _selector({"namespace": namespace or "", "container": container})
        cpu_query = f"sum by (pod) (rate({CPU_METRIC}{selector}[{self.rate_window}]))"
        pods = self.range(cpu_query)
        pod_cpu: list[float] = []
        total: dict[float, float] = {}
        for series in pods:
            for t, v in _points(series, self.server.url).items():
                pod_cpu.append(v)
                total[t] = total.get(t, 0.0) + v
        fix = f"check --namespace and --{app}-container (the container's name in the pod spec)"
        self.check_coverage(Series(cpu_query, total), fix)
        memory_query = f"max(max_over_time({MEMORY_METRIC}{selector}[{_duration_text(round(self.window.end - self.window.start))}]))"
        peaks = [m for s in self.server.query(memory_query, self.window.end) if (m := _sample(s)) is not None]
        if not peaks:
            raise SizingError(f"{WHAT}: no samples of {memory_query} over {self.window.text()}: {fix}")
        return AppUsage(app, cpu_query, tuple(pod_cpu), Series(cpu_query, total), memory_query, max(peaks))

    def optional(self, promql: str, given: bool, flag: str, notes: list[str]) -> Series | None:
        series = self.summed(promql)
        if not series.points:
            if given:
                raise SizingError(f"{WHAT}: no samples of {promql} over {self.window.text()}: check {flag}")
            notes.append(f"no samples of {promql} (name the metric with {flag}): what needs it keeps its default")
            return None
        self.check_coverage(series, f"check {flag}")
        return series


def read_cluster(
    server: Prometheus,
    window: Window,
    containers: dict[str, str],
    namespace: str | None = None,
    users_metric: str | None = None,
    requests_metric: str | None = None,
    timezone: str = "UTC",
) -> ClusterUsage:
    """``containers``: the assumptions section ("backend", "frontend") -> its container name in the pods."""
    reader = _Reader(server, window)
    apps = tuple(reader.app(app, container, namespace) for app, container in containers.items())
    notes: list[str] = []
    namespaced = _selector({"namespace": namespace or ""})
    users = reader.optional(
        f"sum({users_metric or DEFAULT_USERS_METRIC}{namespaced})", users_metric is not None, "--users-metric", notes
    )
    requests = reader.optional(
        f"sum(rate({requests_metric or DEFAULT_REQUESTS_METRIC}{namespaced}[{reader.rate_window}]))",
        requests_metric is not None,
        "--requests-metric",
        notes,
    )
    return ClusterUsage(window, timezone, apps, users, requests, tuple(notes + server.warnings))
