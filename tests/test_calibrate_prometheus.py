"""`sizing calibrate --prometheus` against a real Prometheus server over a TSDB of known values.

The data is generated here, at test time: two days of cAdvisor-shaped CPU counters and memory gauges for two backend
and two frontend pods, a concurrent-users gauge and a request counter, all following one day's shape (USERS), written
as OpenMetrics and backfilled with the server's own `promtool tsdb create-blocks-from openmetrics`. Every expected
figure below is derived by hand from these constants and the documented rules (sizing/calibrate/rules.py).
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from sizing import Workload, calculate
from sizing.calibrate.prometheus import Prometheus
from sizing.cli.command import main
from sizing.errors import SizingError
from sizing.inputs import load_assumptions

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    not (PROMETHEUS and PROMTOOL),
    reason="needs the Debian package `prometheus` (prometheus and promtool on PATH); .ci/run installs it",
)

# Concurrent users in each UTC hour of the day: the peak (200) at 21:00, the second busiest hour (190) at 20:00.
USERS = [40, 30, 20, 20, 20, 20, 30, 40, 60, 80, 100, 120, 140, 140, 140, 140, 150, 160, 170, 180, 190, 200, 120, 60]
PODS = 2
BACKEND_CORES_PER_USER = 0.002  # the whole Deployment's CPU per concurrent user, split evenly over its pods
FRONTEND_CORES_PER_USER = 0.0005
REQUESTS_PER_USER_PER_MINUTE = 3.5
BACKEND_MIB, BACKEND_SPIKE_MIB, FRONTEND_MIB = 300, 400, 100
DAYS = 2
SCRAPE_S = 60
NAMESPACE = "chat"
MIB = 1024 * 1024


def _hour(t: int) -> int:
    # A sample at t carries the hour that ends at it (hour of t - 1 s), as a counter's increment up to t does.
    return ((t - 1) // 3600) % 24


def _openmetrics(start: int) -> str:
    times = [start + k * SCRAPE_S for k in range(DAYS * 86400 // SCRAPE_S + 1)]
    spike_at = start + 86400 + 12 * 3600 + 30 * 60  # one scrape of one backend pod at day 2, 12:30
    lines = ["# TYPE container_cpu_usage_seconds counter"]
    cpu = [("backend", f"backend-{i}", NAMESPACE, BACKEND_CORES_PER_USER / PODS) for i in range(PODS)] + [
        ("frontend", f"frontend-{i}", NAMESPACE, FRONTEND_CORES_PER_USER / PODS) for i in range(PODS)
    ]
    cpu.append(("backend", "backend-0", "other", 0.005))  # another namespace's busy backend: must not count
    for container, pod, namespace, per_user in cpu:
        labels = f'{{namespace="{namespace}",pod="{pod}",container="{container}"}}'
        total = 1000.0
        for i, t in enumerate(times):
            if i:
                total += SCRAPE_S * USERS[_hour(t)] * per_user
            lines.append(f"container_cpu_usage_seconds_total{labels} {total!r} {t}")
    lines.append("# TYPE container_memory_working_set_bytes gauge")
    memory = [("backend", f"backend-{i}", BACKEND_MIB) for i in range(PODS)]
    memory += [("frontend", f"frontend-{i}", FRONTEND_MIB) for i in range(PODS)]
    for container, pod, mib, namespace in [(*m, NAMESPACE) for m in memory] + [("backend", "backend-0", 1024, "other")]:
        labels = f'{{namespace="{namespace}",pod="{pod}",container="{container}"}}'
        for t in times:
            peak = BACKEND_SPIKE_MIB if (pod == "backend-0" and namespace == NAMESPACE and t == spike_at) else mib
            lines.append(f"container_memory_working_set_bytes{labels} {peak * MIB} {t}")
    lines.append("# TYPE chat_active_users gauge")
    lines += [f'chat_active_users{{namespace="{NAMESPACE}"}} {USERS[_hour(t)]} {t}' for t in times]
    lines.append("# TYPE http_requests counter")
    total = 0.0
    for i, t in enumerate(times):
        if i:
            total += SCRAPE_S * USERS[_hour(t)] * REQUESTS_PER_USER_PER_MINUTE / 60
        lines.append(f'http_requests_total{{namespace="{NAMESPACE}"}} {total!r} {t}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(request: pytest.FixtureRequest, folder: Path, storage: Path, *extra: str) -> str:
    """A Prometheus on a free port, killed by the fixture's finalizer and, whatever happens, by `timeout`."""
    port = _free_port()
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 (closed by the finalizer)
    process = subprocess.Popen(
        [
            "timeout",
            "600",
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            "--storage.tsdb.retention.time=30d",
            f"--web.listen-address=127.0.0.1:{port}",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    request.addfinalizer(stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited: {(folder / 'prometheus.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                if answer.status == 200:
                    return url
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return url  # behind basic auth: it is up
            # 503 while it loads the TSDB
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("prometheus did not become ready within 60 s")


@pytest.fixture(scope="module")
def server(request, tmp_path_factory) -> tuple[str, int]:
    """The server's address and the end of its data (midnight UTC, yesterday)."""
    folder = tmp_path_factory.mktemp("prometheus")
    start = (int(time.time()) // 86400 - 3) * 86400
    source = folder / "data.om"
    source.write_text(_openmetrics(start))
    done = subprocess.run(
        [
            str(PROMTOOL),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=24h",
            str(source),
            str(folder / "tsdb"),
        ],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    source.unlink()
    return _serve(request, folder, folder / "tsdb"), start + DAYS * 86400


def calibrate(capsys, *args):
    code = main(["calibrate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_calibration_recovers_the_true_values(server, capsys, tmp_path):
    url, end = server
    target = tmp_path / "calibrated.yaml"
    code, out, err = calibrate(
        capsys,
        "--prometheus",
        url,
        "--since",
        f"{DAYS}d",
        "--end",
        str(end),
        "--namespace",
        NAMESPACE,
        "-o",
        str(target),
    )
    assert code == 0, err
    data = load_assumptions(target)  # the loader --assumptions uses
    backend, frontend = data["backend"], data["frontend"]
    # Per pod, a backend uses USERS[h] x 0.002 / 2 cores in hour h. The busiest hour is 1/24 of the samples (< 5%),
    # so the 95th percentile falls on the second busiest hour (190 users): 0.19 cores.
    assert backend["cpu_request_m"] == 190
    # The limit: the busiest pod-step (200 users: 0.2 cores) x 1.15 = 230m.
    assert backend["cpu_limit_m"] == 230
    # Memory: the one 400 MiB scrape is the peak; x 1.15 = 460 MiB for request and limit.
    assert backend["memory_request_mib"] == backend["memory_limit_mib"] == 460
    # Frontend: 190 x 0.0005 / 2 = 0.0475 cores -> 48m; 0.05 x 1.15 = 0.0575 -> 58m; 100 MiB x 1.15 = 115 MiB.
    assert (frontend["cpu_request_m"], frontend["cpu_limit_m"]) == (48, 58)
    assert frontend["memory_request_mib"] == frontend["memory_limit_mib"] == 115
    # Users per pod at the 70% HPA target: request x 0.7 / CPU per user (the Deployment's, 0.002 and 0.0005 cores):
    # 0.19 x 0.7 / 0.002 = 66.5 -> 66; 0.048 x 0.7 / 0.0005 = 67.2 -> 67 (rounded down: a pod must hold them).
    assert backend["users_per_pod"] == 66
    assert frontend["users_per_pod"] == 67
    assert data["requests_per_user_per_minute"] == REQUESTS_PER_USER_PER_MINUTE
    assert data["traffic"]["hourly_profile"] == [u / max(USERS) for u in USERS]
    # Every value has its source, as a comment above it and as data the report carries.
    text = target.read_text()
    assert "# Prometheus sum by (pod) (rate(container_cpu_usage_seconds_total" in text
    assert 'namespace="chat",container="backend"' in text
    assert "p95 per pod 0.19 cores" in text
    assert set(data["assumptions_source"]) == {
        f"{app}.{key}"
        for app in ("backend", "frontend")
        for key in ("cpu_request_m", "cpu_limit_m", "memory_request_mib", "memory_limit_mib", "users_per_pod")
    } | {"requests_per_user_per_minute", "traffic.hourly_profile"}
    assert "peak concurrent users 200" in text
    assert out == ""
    assert "calibrated 12 assumption(s)" in err
    # Read back as the report reads it: the plan carries the calibrated values and says where they came from.
    plan = calculate(Workload(concurrent_users=200, assumptions=data))
    assert plan.backend.cpu_request_m == 190
    assert plan.assumptions_source["backend.users_per_pod"].startswith("Prometheus sum(sum by (pod)")
    assert plan.assumptions.traffic.hourly_profile[21] == 1.0


def test_the_hourly_profile_is_in_local_time(server, capsys):
    url, end = server
    # In December Berlin is UTC+1: its local hour h is UTC hour h - 1.
    code, out, err = calibrate(
        capsys,
        "--prometheus",
        url,
        "--since",
        "2d",
        "--end",
        str(end),
        "--namespace",
        NAMESPACE,
        "--timezone",
        "Europe/Berlin",
    )
    assert code == 0, err
    assert yaml.safe_load(out)["traffic"]["hourly_profile"] == [USERS[(h - 1) % 24] / max(USERS) for h in range(24)]


def test_a_window_longer_than_the_data_is_a_partial_series(server, capsys, tmp_path):
    url, end = server
    target = tmp_path / "out.yaml"
    code, out, err = calibrate(
        capsys, "--prometheus", url, "--since", "7d", "--end", str(end), "--namespace", NAMESPACE, "-o", str(target)
    )
    # Two days of data in a seven-day window: 576 of 2,016 steps.
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "a partial series" in err and "576 of 2,016 steps" in err
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--backend-container", "api"],
            'no samples of sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="chat",container="api"}',
        ),
        (["--users-metric", "chat_sessions"], 'no samples of sum(chat_sessions{namespace="chat"})'),
        (["--namespace", "nowhere"], "check --namespace and --backend-container"),
    ],
)
def test_an_empty_series_is_named(server, capsys, tmp_path, args, message):
    url, end = server
    target = tmp_path / "out.yaml"
    code, out, err = calibrate(
        capsys,
        "--prometheus",
        url,
        "--since",
        "2d",
        "--end",
        str(end),
        "--namespace",
        NAMESPACE,
        *args,
        "-o",
        str(target),
    )
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
    assert not target.exists()


def test_a_metric_missing_under_its_default_name_is_left_out(server, capsys):
    url, end = server
    # Only the other namespace's backend exists there: the frontend is not selected, the users gauge is absent.
    code, out, err = calibrate(
        capsys,
        "--prometheus",
        url,
        "--since",
        "2d",
        "--end",
        str(end),
        "--namespace",
        "other",
        "--frontend-container",
        "backend",
    )
    assert code == 0, err
    data = yaml.safe_load(out)
    assert "users_per_pod" not in data["backend"] and "requests_per_user_per_minute" not in data
    assert "traffic" not in data
    assert "note: no samples of sum(chat_active_users" in err
    # Its one pod uses USERS[h] x 0.005 cores: p95 the second busiest hour's 0.95, max 1.0 x 1.15;
    # 1,024 MiB x 1.15 = 1,177.6 -> 1,178 MiB.
    assert data["backend"]["cpu_request_m"] == 950 and data["backend"]["cpu_limit_m"] == 1150
    assert data["backend"]["memory_limit_mib"] == 1178


def test_a_server_side_error_is_one_line(server):
    url, end = server
    with pytest.raises(SizingError, match=r"the query failed \(bad_data\): .*; query: sum\($"):
        Prometheus(url).query("sum(", end)


# bcrypt of a password no test knows: every request without it is refused.
_WEB_CONFIG = "basic_auth_users:\n  admin: $2b$12$.5p7zZ9XdcJesqQfWC8PpOb25OjKFeBJbMPvk.5Ip64nJDuu0KcIW\n"


def test_an_auth_failure_names_the_token_variable(request, tmp_path, capsys, monkeypatch):
    (tmp_path / "web.yml").write_text(_WEB_CONFIG)
    url = _serve(request, tmp_path, tmp_path / "empty-tsdb", f"--web.config.file={tmp_path / 'web.yml'}")
    monkeypatch.setenv("PROM_TOKEN", "not-the-token")
    code, out, err = calibrate(capsys, "--prometheus", url, "--token-env", "PROM_TOKEN", "-o", str(tmp_path / "o.yaml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"--prometheus: {url} refused the request (HTTP 401 Unauthorized): check the token in $PROM_TOKEN" in err
    monkeypatch.delenv("PROM_TOKEN")
    code, out, err = calibrate(capsys, "--prometheus", url, "--token-env", "PROM_TOKEN")
    assert code == 2 and out == "" and "it needs a bearer token: put it in $PROM_TOKEN" in err
    assert not (tmp_path / "o.yaml").exists()


def test_math_of_the_fixture():
    """The hand derivations above, spelled out once: nearest-rank p95 over 2 days x 24 hours x 12 steps x 2 pods."""
    samples = DAYS * 24 * 12 * PODS
    rank = math.ceil(0.95 * samples)
    above_second = DAYS * 12 * PODS  # the busiest hour's samples sit above the second busiest's
    assert samples - 2 * above_second < rank <= samples - above_second  # inside the second busiest hour
