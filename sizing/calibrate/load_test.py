"""A load test's aggregate: the request rate it drove, its 95th-percentile latency, the share that failed.

- **k6**: the JSON of ``k6 run --summary-export FILE`` (metrics' figures at the top level: ``http_reqs.rate``,
  ``http_req_duration["p(95)"]``, ``http_req_failed.value``) or of a ``handleSummary`` that writes ``data`` as JSON
  (the same figures under ``values``, the failure share as ``rate``);
- **Locust**: the ``PREFIX_stats.csv`` of ``locust --csv PREFIX``, its ``Aggregated`` row (``Total`` before Locust
  1.0): ``Requests/s``, ``95%`` (ms), ``Failure Count`` / ``Request Count``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from sizing.calibrate.measurements import LoadTest
from sizing.errors import SizingError
from sizing.inputs import Limits, _read_capped

WHAT = "--load-test"
# A k6 summary is a few KiB, a Locust stats file a line per endpoint.
_LIMITS = Limits(16 * 1024 * 1024, 0, 0, "a load test summary is a few KiB")


def _figure(values: dict[str, Any], key: str, path: Path, metric: str) -> float:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise SizingError(f"{WHAT}: {path}: metrics.{metric} has no {key} figure (got {value!r})")
    return float(value)


def read_k6(text: str, path: Path) -> tuple[float, float, float]:
    try:
        data = json.loads(text)
    except ValueError:
        raise SizingError(f"{WHAT}: {path} is not valid JSON (expected k6's --summary-export file)") from None
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise SizingError(f"{WHAT}: {path} has no metrics: not a k6 summary (k6 run --summary-export FILE)")

    def values(name: str) -> dict[str, Any]:
        metric = metrics.get(name)
        if not isinstance(metric, dict):
            raise SizingError(f"{WHAT}: {path} has no {name} metric: not a k6 HTTP test summary")
        inner = metric.get("values", metric)  # handleSummary nests the figures, --summary-export does not
        if not isinstance(inner, dict):
            raise SizingError(f"{WHAT}: {path}: metrics.{name} is not a mapping of figures")
        return inner

    rate = _figure(values("http_reqs"), "rate", path, "http_reqs")
    duration = values("http_req_duration")
    if "p(95)" not in duration:
        raise SizingError(f"{WHAT}: {path}: http_req_duration has no p(95): keep p(95) in --summary-trend-stats")
    p95 = _figure(duration, "p(95)", path, "http_req_duration")
    failed = 0.0
    if "http_req_failed" in metrics:
        figures = values("http_req_failed")
        failed = _figure(figures, "rate" if "rate" in figures else "value", path, "http_req_failed")
    return rate, p95, failed


def read_locust(text: str, path: Path) -> tuple[float, float, float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    needed = ("Name", "Request Count", "Failure Count", "Requests/s", "95%")
    if not rows or any(column not in rows[0] for column in needed):
        raise SizingError(
            f"{WHAT}: {path} lacks Locust's stats columns ({', '.join(needed)}): expected the PREFIX_stats.csv of "
            "locust --csv PREFIX"
        )
    total = next((row for row in rows if row["Name"] in ("Aggregated", "Total")), None)
    if total is None:
        raise SizingError(f"{WHAT}: {path} has no Aggregated row")

    def number(column: str) -> float:
        try:
            value = float(total[column])
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise SizingError(f"{WHAT}: {path}: Aggregated {column} is not a number (got {total[column]!r})")
        return value

    requests = number("Request Count")
    if requests == 0:
        raise SizingError(f"{WHAT}: {path}: the test made no requests")
    return number("Requests/s"), number("95%"), number("Failure Count") / requests


def read_load_test(path: Path, pods: int = 1) -> LoadTest:
    text = _read_capped(path, WHAT, _LIMITS)
    if path.suffix.lower() == ".csv":
        tool, (rate, p95, failed) = "Locust", read_locust(text, path)
    else:
        tool, (rate, p95, failed) = "k6", read_k6(text, path)
    if rate <= 0:
        raise SizingError(f"{WHAT}: {path}: the test made no requests")
    return LoadTest(str(path), tool, rate, p95, failed, pods)
