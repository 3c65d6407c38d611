"""The `sizing` command: every format parsed back, bad input as one line and exit 2, interactive prompts."""

import errno
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading

import pytest
import yaml

from sizing import Workload, calculate
from sizing.cli.command import main


@pytest.fixture(autouse=True)
def _keep_sigint():
    """Cancelling ignores SIGINT for the rest of the process (it is exiting); give pytest its Ctrl-C back."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def run(capsys, *args, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def expected(**kw):
    # The report asks for the other architecture's fleet (nodes.other_arch); `compare` does not.
    return calculate(Workload(**kw), compare_arch=True).model_dump(mode="json")


def test_json_is_exactly_the_plan(capsys):
    code, out, err = run(capsys, "report", "--concurrent-users", "1000", "--total-users", "10000", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == expected(concurrent_users=1000, total_users=10000)


def test_yaml_round_trips(capsys):
    code, out, _ = run(capsys, "report", "-c", "8000", "--active-ratio", "0.2", "-f", "yaml", "--region", "us-west-2")
    assert code == 0
    assert yaml.safe_load(out) == expected(concurrent_users=8000, active_ratio=0.2, region="us-west-2")


def test_helm_values_are_what_a_helm_create_chart_reads(capsys):
    code, out, _ = run(capsys, "report", "-c", "1000", "-f", "helm-values")
    values = yaml.safe_load(out)
    plan = calculate(Workload(concurrent_users=1000))
    assert code == 0 and set(values) == {"backend", "frontend"}
    backend = values["backend"]
    assert backend["replicaCount"] == plan.backend.min_replicas == 13
    assert backend["autoscaling"] == {
        "enabled": True,
        "minReplicas": 13,
        "maxReplicas": 39,
        "targetCPUUtilizationPercentage": 70,
    }
    assert backend["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1024Mi"},
    }
    assert values["frontend"]["autoscaling"]["maxReplicas"] == plan.frontend.max_replicas


def test_helm_values_for_one_plain_chart(capsys, tmp_path):
    overrides = tmp_path / "a.yaml"
    overrides.write_text("hpa_target_cpu_percent: 60\n")
    code, out, _ = run(
        capsys, "report", "-c", "1000", "-f", "helm-values", "--app", "frontend", "--assumptions", str(overrides)
    )
    values = yaml.safe_load(out)
    assert code == 0 and values["replicaCount"] == 3
    assert values["autoscaling"] == {
        "enabled": True,
        "minReplicas": 3,
        "maxReplicas": 6,
        "targetCPUUtilizationPercentage": 60,
    }
    assert values["resources"]["limits"] == {"cpu": "400m", "memory": "512Mi"}
    code, _, err = run(capsys, "report", "-c", "1000", "--app", "frontend")
    assert code == 2 and "--app goes with --format helm-values" in err


def test_markdown_carries_the_plan(capsys):
    code, out, _ = run(capsys, "report", "-c", "8000", "-f", "markdown")
    plan = calculate(Workload(concurrent_users=8000))
    assert code == 0 and out.startswith("# Infrastructure sizing: large tier")
    assert f"**{plan.nodes.instance_type}**" in out
    assert "| backend | 104 - 312 |" in out
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert all(line.endswith("|") for line in rows)
    assert "| DynamoDB mode | PROVISIONED |" in out
    # The network and the public edge, as the terminal report shows them: 8,000 users is the large tier (a NAT
    # gateway per zone), and the WAF limit derived from 3 requests a user a minute x 10 headroom x 5 minutes.
    section = out[out.index("## Network and public edge") : out.index("## Monthly cost")]
    assert "| Zones / NAT | 3 availability zones, 3 NAT gateways |" in section
    assert "| LLM Traffic | Bedrock interface endpoint, " in section
    assert "| WAF Rate Limit | 150 requests per client IP per 5 min: " in section
    assert f"billed on {plan.edge.load_balancer.billed_dimension}" in section


def test_table_is_plain_text_off_a_terminal_in_the_seeds_order(capsys):
    code, out, _ = run(capsys, "report", "-c", "1000", "-t", "10000")
    assert code == 0
    assert "\x1b[" not in out and "🟡" not in out and out.isascii()
    order = [
        "MEDIUM TIER",
        "User Load",
        "Backend Configuration",
        "Frontend Configuration",
        "Node Configuration",
        "Database Configuration",
        "Cost Estimate",
    ]
    positions = [out.index(title) for title in order]
    assert positions == sorted(positions)
    assert "13 - 39" in out and "3 - 6" in out and "t3a.medium" in out


def test_table_on_a_terminal_uses_rich_panels():
    from sizing.cli.report import Style, render_text, report_panels

    text = render_text(report_panels(calculate(Workload(concurrent_users=1000)), Style(fancy=True)), True, width=100)
    assert "🟡" in text and "╭" in text and "\x1b[" in text


def test_compare_shows_scenarios_side_by_side(capsys):
    code, out, _ = run(capsys, "compare", "300", "1500", "5000")
    assert code == 0
    header = next(line for line in out.splitlines() if "300 users" in line)
    assert header.index("300 users") < header.index("1,500 users") < header.index("5,000 users")
    for label in (
        "Tier",
        "Backend pods",
        "Instance type",
        "Nodes",
        "DynamoDB mode",
        "Expected monthly",
        "Monthly range",
    ):
        assert label in out
    code, out, _ = run(capsys, "compare", "300", "1500", "-f", "json")
    assert json.loads(out) == [
        calculate(Workload(concurrent_users=users)).model_dump(mode="json") for users in (300, 1500)
    ]


def test_output_file_and_assumptions_file(capsys, tmp_path):
    overrides = tmp_path / "assumptions.yaml"
    overrides.write_text("backend:\n  users_per_pod: 50\ndatabase:\n  billing_mode: PROVISIONED\n")
    target = tmp_path / "plan.json"
    code, out, _ = run(
        capsys, "report", "-c", "1000", "--assumptions", str(overrides), "-f", "json", "--output", str(target)
    )
    assert (code, out) == (0, "")
    plan = json.loads(target.read_text())
    assert plan["backend"]["min_replicas"] == 26 and plan["database"]["billing_mode"] == "PROVISIONED"
    as_json = tmp_path / "assumptions.json"
    as_json.write_text(json.dumps({"frontend": {"users_per_pod": 250}}))
    code, _, _ = run(capsys, "report", "-c", "1000", "--assumptions", str(as_json), "-f", "json", "-o", str(target))
    assert json.loads(target.read_text())["frontend"]["min_replicas"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assumptions.json", "assumptions.yaml", "plan.json"]


BAD = [
    (["report"], "--concurrent-users is required"),
    (["report", "-c", "0"], "--concurrent-users: must be greater than 0"),
    (["report", "-c", "-5"], "--concurrent-users: must be greater than 0"),
    (["report", "-c", "abc"], "--concurrent-users: expected a whole number"),
    (["report", "-c", "nan"], "--concurrent-users: expected a whole number"),
    (["report", "-c", "2.5"], "--concurrent-users: expected a whole number"),
    (["report", "-c", "²"], "--concurrent-users: expected a whole number of users, got '²'"),
    (["report", "-c", "1,5"], "--concurrent-users: expected a whole number of users, got '1,5'"),
    (["report", "-c", "9" * 40], "--concurrent-users: a 40-digit number of users is out of range"),
    (["report", "-c", ""], "--concurrent-users: expected a whole number of users, got ''"),
    (["report", "-c", "100", "--active-ratio", "1e-300"], "an active ratio of 1e-300 means 1e+302 registered users"),
    (
        ["report", "-c", "100", "--arch", "x86_64", "--instance-type", "m7g.large"],
        "--arch: x86_64 contradicts the pinned instance type m7g.large, which is arm64",
    ),
    ([], "missing command: use `sizing report`"),
    (["report", "-c", "10000001"], "--concurrent-users: must be less than or equal to 10000000"),
    (["report", "-c", "100", "-t", "50"], "total users (50) cannot be fewer than concurrent users (100)"),
    (["report", "-c", "100", "-t", "x"], "--total-users: expected a whole number"),
    (["report", "-c", "100", "-t", "500", "--active-ratio", "0.2"], "give total users or an active ratio, not both"),
    (["report", "-c", "100", "--active-ratio", "0"], "--active-ratio: must be greater than 0"),
    (["report", "-c", "100", "--active-ratio", "1.01"], "--active-ratio: must be less than or equal to 1"),
    (["report", "-c", "100", "--active-ratio", "nan"], "--active-ratio: expected a number between 0 and 1"),
    (["report", "-c", "100", "--active-ratio", "-inf"], "--active-ratio: expected a number between 0 and 1"),
    (
        ["report", "-c", "100", "--region", "eu-mars-1"],
        "--region: no price data for region 'eu-mars-1' in the shipped prices (which has: us-east-1, us-west-2); fetch it "
        "with `sizing prices refresh --region eu-mars-1 --output prices.yaml` and pass --prices prices.yaml",
    ),
    (["report", "-c", "100", "--instance-type", "x1.huge"], "unknown instance type 'x1.huge'; supported families: c5,"),
    (
        ["report", "-c", "100", "--instance-type", "m5.huge"],
        "unknown instance type 'm5.huge'; m5 offers: large, xlarge",
    ),
    (["report", "-c", "100", "--prices", "/does/not/exist.yaml"], "--prices: cannot read /does/not/exist.yaml"),
    (["report", "-c", "100", "--format", "xml"], "Invalid value for '--format'"),
    (["report", "-c", "100", "--arch", "sparc"], "Invalid value for '--arch'"),
    (["report", "-c", "100", "--nope"], "No such option"),
    (["report", "-c", "100", "--assumptions", "/does/not/exist.yaml"], "--assumptions: cannot read"),
    (["compare"], "Missing argument"),
    (["compare", "100", "many"], "expected a whole number of users, got 'many'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args, message):
    target = tmp_path / "out.txt"
    code, out, err = (
        run(capsys, *args, "--output", str(target))
        if args[:1] == ["report"] and len(args) > 1
        else (run(capsys, *args))
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("sizing: error: ")
    assert message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("backend: [unclosed", "a.yaml", "is not valid YAML at line 1"),
        ("{not json", "a.json", "is not valid JSON"),
        ("- just\n- a list\n", "a.yaml", "must hold a mapping of assumption names to values"),
        ("bakend:\n  users_per_pod: 50\n", "a.yaml", "--assumptions: bakend: unknown setting"),
        (
            "backend:\n  users_per_pod: -1\n",
            "a.yaml",
            "--assumptions: backend.users_per_pod: must be greater than or equal to 1",
        ),
        ("backend:\n  users_per_pod: true\n", "a.yaml", "--assumptions: backend.users_per_pod: must be a valid number"),
        (
            "backend:\n  users_per_pod: '600'\n",
            "a.yaml",
            "--assumptions: backend.users_per_pod: must be a valid number",
        ),
        (
            "backend:\n  max_multiplier: 1.0e+200\n",
            "a.yaml",
            "backend.max_multiplier: must be less than or equal to 100",
        ),
        ("cache:\n  enabled: 1\n", "a.yaml", "--assumptions: cache.enabled: must be auto, true or false"),
        ("backend: null\n", "a.yaml", "--assumptions: backend: must be a mapping of settings"),
        ("node_buffer: .nan\n", "a.yaml", "--assumptions: node_buffer: must be a finite number"),
        ("backend:\n  cpu_request_m: 2000\n", "a.yaml", "cpu_limit_m must be at least cpu_request_m"),
        ("cache:\n  min_node_type: cache.x9.huge\n", "a.yaml", "unknown cache node type 'cache.x9.huge'"),
    ],
)
def test_bad_assumptions_files(capsys, tmp_path, content, name, message):
    source = tmp_path / name
    source.write_text(content)
    target = tmp_path / "plan.json"
    code, out, err = run(capsys, "report", "-c", "1000", "--assumptions", str(source), "-o", str(target))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err
    assert not target.exists()


def test_failed_run_keeps_the_previous_output_file(capsys, tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("previous")
    code, _, _ = run(capsys, "report", "-c", "-1", "-o", str(target))
    assert code == 2 and target.read_text() == "previous"


def test_interactive_reasks_until_valid(capsys, monkeypatch):
    answers = "abc\n0\n1,000\n500\nten\n10000\n"
    code, out, err = run(capsys, "report", "--interactive", "-f", "json", stdin=answers, monkeypatch=monkeypatch)
    assert code == 0
    assert json.loads(out) == expected(concurrent_users=1000, total_users=10000)
    assert err.count("Expected concurrent users") == 3
    assert err.count("Total registered users") == 3
    assert "  concurrent users: expected a whole number of users, got 'abc'; please try again" in err
    assert "  concurrent users: must be greater than 0 (got 0); please try again" in err
    assert "cannot be fewer than concurrent users" in err
    assert "--" not in err  # prompts never blame flags the user did not type


def test_interactive_blank_total_uses_the_active_ratio(capsys, monkeypatch):
    code, out, _ = run(
        capsys, "report", "-i", "-f", "json", "--active-ratio", "0.2", stdin="1000\n\n", monkeypatch=monkeypatch
    )
    assert code == 0 and json.loads(out)["workload"]["total_users"] == 5000


def test_interactive_ctrl_d_exits_cleanly(capsys, monkeypatch):
    code, out, err = run(capsys, "report", "-i", stdin="", monkeypatch=monkeypatch)
    assert (code, out) == (130, "")
    assert "cancelled" in err and "Traceback" not in err


def test_interactive_ctrl_c_exits_cleanly(capsys, monkeypatch):
    class Interrupting(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", Interrupting())
    code = main(["report", "-i"])
    out, err = capsys.readouterr()
    assert (code, out) == (130, "") and "cancelled" in err


def test_the_installed_command_and_python_m(tmp_path):
    """Real processes: the console script and `python -m sizing`, exit codes and no traceback."""
    ok = subprocess.run(
        [sys.executable, "-m", "sizing", "report", "-c", "1000", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["tier"] == "medium"
    bad = subprocess.run(
        [sys.executable, "-m", "sizing", "report", "-c", "abc"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "sizing: error: --concurrent-users: expected a whole number of users, got 'abc'\n"
    helped = subprocess.run(
        [sys.executable, "-m", "sizing", "report", "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "--concurrent-users" in helped.stdout


def test_assumptions_command_prints_a_file_the_report_accepts(capsys, tmp_path):
    code, out, _ = run(capsys, "assumptions")
    assert code == 0 and yaml.safe_load(out)["backend"]["users_per_pod"] == 100
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text(
        out.replace("users_per_pod: 100.0", "users_per_pod: 125.0", 1).replace("enabled: auto", "enabled: on")
    )
    code, out, _ = run(capsys, "report", "-c", "300", "--assumptions", str(defaults), "-f", "json")
    plan = json.loads(out)
    assert code == 0 and plan["backend"]["min_replicas"] == 4  # ceil(300 / 125 x 1.3)
    assert plan["cache"]["enabled"] is True  # YAML's bare `on` is a boolean
    code, out, _ = run(capsys, "assumptions", "-f", "json")
    assert json.loads(out) == yaml.safe_load(run(capsys, "assumptions")[1])


def test_plans_beyond_ten_clusters_are_refused(capsys, tmp_path):
    source = tmp_path / "a.yaml"
    source.write_text("backend: {users_per_pod: 1, buffer: 10, max_multiplier: 100}\n")
    code, out, err = run(capsys, "report", "-c", "10000000", "--assumptions", str(source))
    assert (code, out) == (2, "") and "more than the 1,500,000 (ten clusters' worth)" in err


def test_output_dash_is_stdout(capsys):
    code, out, _ = run(capsys, "report", "-c", "100", "-f", "json", "-o", "-")
    assert code == 0 and json.loads(out)["tier"] == "small"


def test_output_through_a_symlink_keeps_the_link_and_the_umask(capsys, tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    link.symlink_to(real)
    old = os.umask(0o027)
    try:
        code, _, _ = run(capsys, "report", "-c", "100", "-f", "json", "-o", str(link))
    finally:
        os.umask(old)
    assert code == 0 and link.is_symlink()
    assert json.loads(real.read_text())["tier"] == "small"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_output_to_a_fifo_writes_into_it(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    code, _, _ = run(capsys, "report", "-c", "100", "-f", "json", "-o", str(fifo))
    reader.join(timeout=10)
    assert code == 0 and stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["tier"] == "small"


def test_a_full_stdout_is_one_line_and_exit_1(capsys, monkeypatch):
    class Full(io.StringIO):
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    code = main(["report", "-c", "100", "-f", "json"])
    err = capsys.readouterr().err
    assert code == 1 and err == "sizing: error: cannot write to standard output: No space left on device\n"


def test_yaml_scientific_notation_is_a_number(capsys, tmp_path):
    source = tmp_path / "a.yaml"
    source.write_text("backend: {users_per_pod: 1e3}\ntraffic: {duty_cycle: 5e-1}\n")
    code, out, _ = run(capsys, "report", "-c", "10000", "--assumptions", str(source), "-f", "json")
    plan = json.loads(out)
    assert code == 0 and plan["backend"]["min_replicas"] == 13 and plan["assumptions"]["traffic"]["duty_cycle"] == 0.5


def test_a_pinned_type_too_small_for_the_load_is_named(capsys):
    # 390,000 backends at most, 3 a t3.medium (1,730m after the DaemonSets) with a frontend beside, 2 beside the
    # add-ons' 700m: 1 + 129,999 + 1 nodes x 1.2 -> 156,002.
    code, _, err = run(capsys, "report", "-c", "10000000", "--instance-type", "t3.medium")
    assert code == 2 and err.startswith("sizing: error: --instance-type: the plan would need 156,002 nodes")
    assert err.rstrip().endswith("pin a larger instance type")


def test_output_through_a_link_to_a_pipe(tmp_path):
    """`-o /dev/stdout` with stdout a pipe: resolving the link would give an unopenable pipe:[N] path."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    done = subprocess.run(
        [sys.executable, "-m", "sizing", "report", "-c", "100", "-f", "json", "-o", str(link)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and json.loads(done.stdout)["tier"] == "small"
    assert link.is_symlink()


def test_a_symlink_loop_is_one_line(capsys, tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    code, out, err = run(capsys, "report", "-c", "100", "-o", str(loop))
    assert (code, out) == (2, "") and err.count("\n") == 1 and "--output: cannot write" in err
    assert loop.is_symlink()


@pytest.mark.parametrize("command", ["report -c 100", "compare 300", "assumptions"])
def test_closed_stdout_is_one_line_and_exit_1(command):
    done = subprocess.run(
        ["bash", "-c", f'"$0" -m sizing {command} >&-', sys.executable], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr == "sizing: error: cannot write to standard output: it is closed\n"
