"""What the readers measured, as plain data: the only thing the rules see, so they can be tested without a server."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """A range query's span: points at ``start + step``, ..., ``end``, each standing for the step before it."""

    start: float  # unix seconds, exclusive
    end: float  # unix seconds, inclusive
    step_s: int
    since: str  # as the user wrote it, e.g. "7d"

    def text(self) -> str:
        from datetime import UTC, datetime

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ")

        return f"{iso(self.start)}..{iso(self.end)} ({self.since}, step {self.step_s}s)"


@dataclass(frozen=True)
class Series:
    """One summed series of a range query: timestamp -> value, finite values only."""

    query: str
    points: dict[float, float]


@dataclass(frozen=True)
class AppUsage:
    """A Deployment's containers as cAdvisor saw them over the window."""

    app: str  # "backend" or "frontend": the assumptions section it calibrates
    cpu_query: str
    pod_cpu_cores: tuple[float, ...]  # every pod at every step
    total_cpu: Series  # summed over pods, per step
    memory_query: str
    peak_memory_bytes: float


@dataclass(frozen=True)
class ClusterUsage:
    window: Window
    timezone: str
    apps: tuple[AppUsage, ...]
    users: Series | None = None  # the concurrent-users gauge, summed, where the app exports one
    requests: Series | None = None  # requests per second, summed
    notes: tuple[str, ...] = ()  # what the server did not have (a metric not exported), and its warnings


@dataclass(frozen=True)
class Turn:
    """One LLM call's tokens, as the provider counted them; input includes the cached part."""

    input_tokens: int
    cached_tokens: int
    output_tokens: int
    conversation: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class LLMUsage:
    files: tuple[str, ...]
    formats: tuple[str, ...]  # the record formats found, e.g. ("OpenAI usage", "Bedrock invocation log")
    turns: tuple[Turn, ...]
    skipped: int = 0  # failed calls (an error record), which bill no tokens


@dataclass(frozen=True)
class LoadTest:
    """The aggregate of one load test run."""

    file: str
    tool: str  # "k6" or "Locust"
    requests_per_second: float
    latency_p95_ms: float
    failure_share: float
    pods: int = 1


@dataclass(frozen=True)
class Calibrated:
    """One assumption value and where it came from (written as a comment and in ``assumptions_source``)."""

    path: str  # dotted, e.g. "backend.cpu_request_m"
    value: object
    source: str


@dataclass(frozen=True)
class Calibration:
    values: tuple[Calibrated, ...]
    notes: tuple[str, ...] = ()  # what could not be measured, and why
    observed: tuple[str, ...] = field(default=())  # measured figures that are not assumptions (peak users, ...)
