"""What a hostile or unlucky user can throw at the `sizing` command: one line and exit 2, or a plan; never a traceback.

Each case of issue 10 is a test here; the property tests at the end feed arbitrary text to every flag and arbitrary
JSON/YAML-shaped data to the assumptions loader.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from sizing.assumptions import Assumptions
from sizing.cli.command import main
from sizing.inputs import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, load_assumptions
from sizing.plan import SizingPlan

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def _keep_sigint():
    """Cancelling ignores SIGINT for the rest of the process (it is exiting); give pytest its Ctrl-C back."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin) if stdin is not None else old_stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def refused(code: int, out: str, err: str) -> str:
    """The promise: exit 2, nothing on stdout, exactly one line on stderr. Returns the line for further checks."""
    assert (code, out) == (2, ""), (code, out, err)
    assert err.startswith("sizing: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err


class Terminal(io.TextIOWrapper):
    """A terminal in a given encoding (a locale's charset), in memory."""

    def isatty(self) -> bool:
        return True

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode(self.encoding)


def on_a_terminal(monkeypatch, *args: str, encoding: str = "utf-8", **env: str) -> tuple[int, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    terminal = Terminal(io.BytesIO(), encoding=encoding)
    monkeypatch.setattr(sys, "stdout", terminal)
    code = main(list(args))
    return code, terminal.text()


# --- the pinned type's architecture -------------------------------------------------------------------------------


def test_pinning_a_graviton_type_takes_its_architecture():
    code, out, err = run("report", "-c", "1000", "--instance-type", "t4g.medium", "-f", "json")
    assert (code, err) == (0, "")
    nodes = json.loads(out)["nodes"]
    assert (nodes["instance_type"], nodes["arch"], nodes["pinned"]) == ("t4g.medium", "arm64", True)
    # A stated architecture must still agree with the pin.
    line = refused(*run("report", "-c", "1000", "--instance-type", "t4g.medium", "--arch", "x86_64"))
    assert "--arch: x86_64 contradicts the pinned instance type t4g.medium, which is arm64" in line


def test_without_a_pin_the_architecture_is_still_x86_64_unless_asked():
    assert json.loads(run("report", "-c", "1000", "-f", "json")[1])["nodes"]["arch"] == "x86_64"
    assert json.loads(run("compare", "1000", "--arch", "arm64", "-f", "json")[1])[0]["nodes"]["arch"] == "arm64"


# --- numbers beyond a float ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ratio", "shown"), [("1e-309", "1.00e+312"), ("5e-324", "2.00e+326")])
def test_a_subnormal_active_ratio_is_one_line(ratio, shown):
    # 1,000 / 1e-309 = 1e312 registered users and 1,000 / 4.94e-324 = 2.02e326: both beyond a float's 1.8e308.
    line = refused(*run("report", "-c", "1000", "--active-ratio", ratio))
    assert f"means {shown} registered users, more than 1,000,000,000" in line


# --- assumption files: size, depth, numbers, duplicates, YAML 1.1 -------------------------------------------------


def test_dev_zero_is_refused_by_size_not_read_forever():
    line = refused(*run("report", "-c", "100", "--assumptions", "/dev/zero"))
    assert line == (
        "sizing: error: --assumptions: /dev/zero is larger than 256 KiB; an assumptions file holds a few dozen lines\n"
    )


def test_the_size_cap_is_exactly_256_kib(tmp_path):
    assert MAX_FILE_BYTES == 256 * 1024
    body = "min_nodes: 4\n"
    at_cap = tmp_path / "at-cap.yaml"
    at_cap.write_text(body + "#" * (MAX_FILE_BYTES - len(body)))
    assert at_cap.stat().st_size == MAX_FILE_BYTES
    assert load_assumptions(at_cap) == {"min_nodes": 4}
    over = tmp_path / "over.yaml"
    over.write_text(body + "#" * (MAX_FILE_BYTES - len(body) + 1))
    line = refused(*run("report", "-c", "100", "--assumptions", str(over)))
    assert "over.yaml is larger than 256 KiB" in line


def test_a_30_mb_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(30 * 1024 * 1024)  # sparse: 30 MB of NULs
    assert "big.yaml is larger than 256 KiB" in refused(*run("report", "-c", "100", "--assumptions", str(big)))


def nested_json(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def nested_yaml_block(levels: int) -> str:
    return "".join(f"{'  ' * i}a:\n" for i in range(levels - 1)) + f"{'  ' * (levels - 1)}a: 1\n"


@pytest.mark.parametrize("name", ["a.json", "a.yaml"])
def test_nesting_is_capped_at_the_documented_depth(tmp_path, name):
    source = tmp_path / name
    write = nested_json if name.endswith(".json") else nested_yaml_block
    source.write_text(write(MAX_DEPTH))
    data = load_assumptions(source)
    for _ in range(MAX_DEPTH - 1):
        data = data["a"]
    assert data == {"a": 1}
    source.write_text(write(MAX_DEPTH + 1))
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    where = "" if name.endswith(".json") else f" line {MAX_DEPTH + 1}"
    assert f"{name}{where}: nested deeper than 20 levels" in line


@pytest.mark.parametrize("name", ["a.json", "a.yaml"])
def test_values_are_capped_at_the_documented_count(tmp_path, name):
    # A MiB of `[1,1,...]` took the YAML parser ~40 s and ~800 MB before. The root mapping and its list are 2 values.
    assert MAX_VALUES == 1000
    source = tmp_path / name
    source.write_text(json.dumps({"burstable_tiers": ["small"] * (MAX_VALUES - 2)}))  # JSON is YAML too
    assert len(load_assumptions(source)["burstable_tiers"]) == 998
    source.write_text(json.dumps({"burstable_tiers": ["small"] * (MAX_VALUES - 1)}))
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    assert f"{name}{'' if name.endswith('.json') else ' line 1'}: more than 1,000 values" in line
    # Keys are not values: 999 settings (mostly unknown) pass the cap and fail validation instead.
    source.write_text(json.dumps({f"k{i}": 1 for i in range(MAX_VALUES - 1)}))
    assert len(load_assumptions(source)) == 999


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("flow.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"),  # a RecursionError in the YAML composer before
        ("map.yaml", "a: " + "{a: " * 400 + "1" + "}" * 400 + "\n"),
        ("deep.json", nested_json(5000)),  # a RecursionError in the JSON decoder before
        ("list.json", "[" * 300 + "]" * 300),
    ],
)
def test_hostile_nesting_is_one_line(tmp_path, name, content):
    source = tmp_path / name
    source.write_text(content)
    assert "nested deeper than 20 levels" in refused(*run("report", "-c", "100", "--assumptions", str(source)))


@pytest.mark.parametrize("name", ["a.yaml", "a.json"])
def test_integers_of_thousands_of_digits_are_one_line(tmp_path, name):
    source = tmp_path / name
    number = "9" * 5000  # beyond Python's 4,300-digit int/str limit: a ValueError traceback before
    source.write_text(
        json.dumps({"min_nodes": 0}).replace("0", number) if name.endswith(".json") else f"min_nodes: {number}\n"
    )
    assert "a 5000-digit number is out of range" in refused(*run("report", "-c", "100", "--assumptions", str(source)))
    # 20 digits still reach validation, which names the setting.
    source.write_text(json.dumps({"min_nodes": 10**19}) if name.endswith(".json") else f"min_nodes: {10**19}\n")
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    assert "--assumptions: min_nodes: must be less than or equal to 450 (got 10000000000000000000)" in line
    source.write_text(json.dumps({"min_nodes": 10**20}) if name.endswith(".json") else f"min_nodes: {10**20}\n")
    assert "a 21-digit number is out of range" in refused(*run("report", "-c", "100", "--assumptions", str(source)))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "top.yaml",
            "min_nodes: 3\nnode_buffer: 1.5\nmin_nodes: 4\n",
            "top.yaml line 3: duplicate key 'min_nodes': give each setting once",
        ),
        (
            "nested.yaml",
            "backend:\n  users_per_pod: 50\n  buffer: 1.2\n  users_per_pod: 60\n",
            "nested.yaml line 4: duplicate key 'users_per_pod'",
        ),
        ("flow.yaml", "backend: {buffer: 1.2, buffer: 1.3}\n", "flow.yaml line 1: duplicate key 'buffer'"),
        ("top.json", '{"min_nodes": 3, "min_nodes": 4}', "top.json: duplicate key 'min_nodes'"),
        ("nested.json", '{"backend": {"buffer": 1.2, "buffer": 1.3}}', "nested.json: duplicate key 'buffer'"),
    ],
)
def test_duplicate_keys_are_refused_not_last_one_wins(tmp_path, name, content, message):
    source = tmp_path / name
    source.write_text(content)
    assert message in refused(*run("report", "-c", "100", "--assumptions", str(source)))


def test_yaml_1_1_sexagesimal_is_a_string_that_validation_names(tmp_path):
    source = tmp_path / "a.yaml"
    source.write_text("backend:\n  users_per_pod: 1:30\n")  # YAML 1.1: 90
    assert load_assumptions(source) == {"backend": {"users_per_pod": "1:30"}}
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    assert line == "sizing: error: --assumptions: backend.users_per_pod: must be a valid number (got '1:30')\n"
    source.write_text("node_buffer: 1:30.5\n")  # a base-60 float in YAML 1.1
    assert load_assumptions(source) == {"node_buffer": "1:30.5"}


@pytest.mark.parametrize("text", ["010", "-010", "0_10", "00"])
def test_yaml_1_1_octal_is_refused_with_its_line(tmp_path, text):
    source = tmp_path / "a.yaml"
    source.write_text(f"# how many\nmin_nodes: {text}\n")  # YAML 1.1: 010 is 8; YAML 1.2: 10
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    assert f"a.yaml line 2: {text} has a leading zero, which YAML 1.1 reads as an octal number" in line


def test_yaml_numbers_that_mean_one_thing_still_read(tmp_path):
    source = tmp_path / "a.yaml"
    source.write_text(
        "min_nodes: 0\nmin_replicas: +3\nnode_buffer: 1.5\navailability_zones: 0x3\n"
        "requests_per_user_per_minute: 2e0\ncache: {min_node_type: '010'}\n"
    )
    assert load_assumptions(source) == {
        "min_nodes": 0,
        "min_replicas": 3,
        "node_buffer": 1.5,
        "availability_zones": 3,
        "requests_per_user_per_minute": 2.0,
        "cache": {"min_node_type": "010"},
    }


def test_yaml_anchors_and_aliases_count_the_values_they_repeat(tmp_path):
    # Read (the shipped prices.yaml uses them), but each alias counts as the values it repeats: four levels of ten
    # aliases stand for 10 + 100 + 1,000 values by the third line, over the 1,000 an assumptions file may hold.
    source = tmp_path / "a.yaml"
    source.write_text(
        "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    )
    line = refused(*run("report", "-c", "100", "--assumptions", str(source)))
    assert "a.yaml line 3: more than 1,000 values" in line
    # An alias to an anchor still open (itself) is refused, never followed.
    source.write_text("backend: &pods [*pods]\n")
    assert "alias *pods refers to itself or to no finished anchor" in refused(
        *run("report", "-c", "100", "--assumptions", str(source))
    )
    # A repeated block is read as written.
    source.write_text("backend: &pods {buffer: 1.5}\nfrontend: *pods\n")
    code, out, _ = run("report", "-c", "100", "--assumptions", str(source), "-f", "json")
    plan = json.loads(out)
    assert code == 0 and plan["assumptions"]["backend"]["buffer"] == plan["assumptions"]["frontend"]["buffer"] == 1.5


def test_a_copy_of_the_shipped_price_file_is_accepted(tmp_path):
    # prices.yaml shares its service prices between regions with anchors: a user starts from a copy of it.
    from importlib.resources import files

    copy = tmp_path / "prices.yaml"
    copy.write_text(files("sizing.data").joinpath("prices.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert "&services" in copy.read_text() and "*services" in copy.read_text()
    code, out, err = run("report", "-c", "1000", "--prices", str(copy), "-f", "json")
    assert (code, err) == (0, "")
    assert (
        json.loads(out)["cost"]["monthly_usd"]
        == json.loads(run("report", "-c", "1000", "-f", "json")[1])["cost"]["monthly_usd"]
    )


def test_non_utf8_assumptions_are_one_line(tmp_path):
    source = tmp_path / "a.yaml"
    source.write_bytes(b"min_nodes: 3 # caf\xe9\n")
    # "min_nodes: 3 # caf" is 18 bytes: the Latin-1 "é" is byte 19.
    assert "a.yaml: not UTF-8 text (byte 19)" in refused(*run("report", "-c", "100", "--assumptions", str(source)))


# --- the terminal -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_cannot_take_unicode_gets_the_ascii_report(monkeypatch, encoding):
    code, text = on_a_terminal(monkeypatch, "report", "-c", "1000", encoding=encoding)
    assert code == 0 and text.isascii()
    assert "+- User Load" in text and "MEDIUM TIER" in text and "\x1b[" in text  # ASCII boxes, colour kept
    code, text = on_a_terminal(monkeypatch, "compare", "300", "1000", encoding=encoding)
    assert code == 0 and text.isascii() and "Scenario comparison" in text


def test_what_rich_adds_itself_is_spelled_in_ascii_too(monkeypatch):
    # Eight scenarios in 60 columns: the table is dealt into several that fit (issue 18), so rich cuts nothing with
    # "…" any more; what it draws must still be ASCII on an ASCII terminal.
    loads = ["300", "1000", "5000", "20000", "100000", "200000", "500000", "1000000"]
    code, text = on_a_terminal(monkeypatch, "compare", *loads, encoding="ascii", COLUMNS="60", NO_COLOR="1")
    assert code == 0 and text.isascii() and "..." not in text
    code, text = on_a_terminal(monkeypatch, "compare", *loads, COLUMNS="60", NO_COLOR="1")
    assert code == 0 and "…" not in text


def test_a_utf8_terminal_keeps_the_rich_report(monkeypatch):
    code, text = on_a_terminal(monkeypatch, "report", "-c", "1000")
    assert code == 0 and "🟡 MEDIUM TIER" in text and "╭" in text and "\x1b[" in text


def test_no_color_turns_the_escapes_off_and_keeps_the_boxes(monkeypatch):
    code, text = on_a_terminal(monkeypatch, "report", "-c", "1000", NO_COLOR="1")
    assert code == 0 and "\x1b[" not in text and "╭" in text and "🟡 MEDIUM TIER" in text
    # no-color.org: set *and not empty*.
    code, text = on_a_terminal(monkeypatch, "report", "-c", "1000", NO_COLOR="")
    assert code == 0 and "\x1b[" in text


@pytest.mark.parametrize(("columns", "width"), [("0", 100), ("10", 60), ("100000", 500), ("abc", 100), ("150", 150)])
def test_terminal_width_has_a_floor_and_a_ceiling(monkeypatch, columns, width):
    # COLUMNS=0 printed nothing at all before. 0 and junk fall back to asking the terminal (none here: 100 columns).
    code, text = on_a_terminal(monkeypatch, "report", "-c", "1000", COLUMNS=columns, NO_COLOR="1")
    assert code == 0 and "Cost Estimate" in text and "Expected (Monthly)" in text
    # Eight scenarios side by side are about 200 columns wide: compare deals them into tables that fit its width,
    # whose floor is 40 columns (issue 18: no number is ever cut, tests/test_compare_width.py).
    loads = ["300", "1000", "5000", "20000", "100000", "200000", "500000", "1000000"]
    code, text = on_a_terminal(monkeypatch, "compare", *loads, COLUMNS=columns, NO_COLOR="1")
    widest = max(len(line) for line in text.splitlines())
    assert code == 0 and "Scenario comparison" in text and "Tier" in text
    limit = 40 if columns == "10" else width
    assert limit - 30 < widest <= limit if limit < 190 else 190 < widest < limit


def on_a_pty(*args: str, **env: str) -> tuple[int, str, str]:
    """A real process on a real pseudo-terminal, with the environment a user's shell would give it."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sizing", *args], stdout=slave, stderr=subprocess.PIPE, env={**os.environ, **env}
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = process.stderr.read().decode()
    process.stderr.close()
    return process.wait(), b"".join(chunks).decode("latin-1").replace("\r\n", "\n"), err


def test_a_latin1_locale_terminal_in_a_real_process():
    code, out, err = on_a_pty("report", "-c", "1000", PYTHONIOENCODING="latin-1")
    assert (code, err) == (0, "")
    assert out.isascii() and "+- User Load" in out and "MEDIUM TIER" in out


def test_columns_zero_in_a_real_process():
    code, out, err = on_a_pty("report", "-c", "1000", COLUMNS="0", NO_COLOR="1")
    assert (code, err) == (0, "") and "Cost Estimate" in out and max(map(len, out.splitlines())) >= 60


# --- output files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["newdir/", "newdir/.", "existing/", "existing/.."])
def test_a_trailing_slash_means_a_directory(tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    line = refused(*run("report", "-c", "100", "-o", target))
    assert line == f"sizing: error: --output: {target} names a directory; give a file name\n"
    assert [p.name for p in tmp_path.iterdir()] == ["existing"] and not any((tmp_path / "existing").iterdir())


def test_an_existing_directory_without_the_slash_is_still_refused(tmp_path):
    assert "is a directory" in refused(*run("report", "-c", "100", "-o", str(tmp_path)))


# --- interactive mode ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--region", "mars-1"], "--region: must be an AWS region name like eu-central-1 (got 'mars-1')"),
        (["--instance-type", "x1.huge"], "--instance-type: unknown instance type 'x1.huge'"),
        (["--instance-type", "m7g.large", "--arch", "x86_64"], "--arch: x86_64 contradicts the pinned instance type"),
        (["--active-ratio", "2"], "--active-ratio: must be less than or equal to 1"),
        (["--active-ratio", "1e-10"], "an active ratio of 1e-10 means"),
        (["--assumptions", "BAD"], "--assumptions: backend.users_per_pod: must be greater than or equal to 1"),
        (["--assumptions", "/does/not/exist.yaml"], "--assumptions: cannot read"),
    ],
)
def test_interactive_checks_the_other_flags_before_asking(tmp_path, flags, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: {users_per_pod: 0}\n")
    flags = [str(bad) if flag == "BAD" else flag for flag in flags]
    stdin = io.StringIO("1000\n10000\n")
    old = sys.stdin
    sys.stdin = stdin
    try:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["report", "-i", *flags])
    finally:
        sys.stdin = old
    line = refused(code, out.getvalue(), err.getvalue())
    assert message in line and "Expected concurrent users" not in line
    assert stdin.read() == "1000\n10000\n"  # no answer was asked for


def test_interactive_prompt_states_and_uses_the_given_ratio():
    code, out, err = run("report", "-i", "-f", "json", "--active-ratio", "0.2", stdin="1000\n\n")
    # 1,000 concurrent users at a 0.2 ratio: 1,000 / 0.2 = 5,000 registered users.
    assert "Total registered users (blank: 5,000, from --active-ratio 0.2): " in err
    workload = json.loads(out)["workload"]
    assert code == 0 and (workload["total_users"], workload["active_ratio"]) == (5000, 0.2)


def test_interactive_prompt_states_the_default_ratio():
    code, out, err = run("report", "-i", "-f", "json", stdin="300\n\n")
    assert "Total registered users (blank: 3,000, from the default active ratio 0.1): " in err
    assert code == 0 and json.loads(out)["workload"]["total_users"] == 3000


def test_a_typed_total_with_a_ratio_is_asked_again():
    code, out, err = run("report", "-i", "-f", "json", "--active-ratio", "0.25", stdin="1000\n9000\n\n")
    assert (
        "  total users: --active-ratio 0.25 sets them to 4,000; leave the answer blank, or run again without "
        "--active-ratio; please try again\n"
    ) in err
    assert code == 0 and json.loads(out)["workload"]["total_users"] == 4000


def test_interactive_asks_again_for_a_load_the_pinned_type_cannot_take():
    code, out, err = run("report", "-i", "-f", "json", "--instance-type", "t3.medium", stdin="10000000\n1000\n\n")
    assert (
        "  --instance-type: the plan would need 156,002 nodes" in err
    )  # tests/test_cli.py derives it and err.count("Expected concurrent") == 2
    assert code == 0 and json.loads(out)["workload"]["concurrent_users"] == 1000


def test_interactive_answer_that_is_not_text_is_asked_again(monkeypatch):
    class Stdin(io.StringIO):
        """A UTF-8 terminal where the first answer was typed in Latin-1."""

        def readline(self, *args):
            if not getattr(self, "failed", False):
                self.failed = True
                raise UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte")
            return super().readline(*args)

    monkeypatch.setattr(sys, "stdin", Stdin("1000\n\n"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", "-i", "-f", "json"])
    assert "  the answer is not text in the terminal's encoding; please try again\n" in err.getvalue()
    assert code == 0 and json.loads(out.getvalue())["workload"]["concurrent_users"] == 1000


def test_a_second_ctrl_c_while_cancelling_is_ignored_in_process(monkeypatch):
    class Interrupting(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    class InterruptedWhileCancelling(io.StringIO):
        def write(self, text):
            if "cancelled" in text:
                raise KeyboardInterrupt  # the second Ctrl-C lands while the first is being reported
            return super().write(text)

    monkeypatch.setattr(sys, "stdin", Interrupting())
    monkeypatch.setattr(sys, "stderr", InterruptedWhileCancelling())
    assert main(["report", "-i"]) == 130
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_a_second_real_sigint_while_cancelling_leaves_no_traceback():
    child = textwrap.dedent("""
        import io, os, signal, sys, time
        from sizing.cli.command import main

        class Stdin(io.StringIO):
            def readline(self, *args):
                os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C, at the prompt
                time.sleep(5)
                return ""

        class Stderr:
            def write(self, text):
                if "cancelled" in text:
                    os.kill(os.getpid(), signal.SIGINT)  # the second, while the first is being reported
                    time.sleep(0.1)
                return sys.__stderr__.write(text)

            def flush(self):
                sys.__stderr__.flush()

        sys.stdin, sys.stderr = Stdin(), Stderr()
        sys.exit(main(["report", "-i"]))
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr and done.stderr.endswith("sizing: cancelled\n")


# --- compare ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "message"),
    [("0", "USERS: must be greater than 0 (got 0)"), ("20000000", "USERS: must be less than or equal to 10000000")],
)
def test_compare_blames_its_argument_not_a_flag_it_does_not_have(users, message):
    line = refused(*run("compare", "100", users))
    assert message in line and "--concurrent-users" not in line


# --- sizing schema ------------------------------------------------------------------------------------------------


def test_schema_is_generated_from_the_models_and_validates_real_plans(tmp_path):
    code, out, err = run("schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == SizingPlan.model_json_schema(mode="serialization")
    assert set(schema["required"]) == set(SizingPlan.model_fields)
    validator = jsonschema.Draft202012Validator(schema)
    overrides = tmp_path / "a.yaml"
    overrides.write_text("cache: {mib_per_session: 1}\n")  # enterprise, a sharded cache
    for args in (
        ["-c", "300"],
        ["-c", "8000", "--arch", "arm64"],
        ["-c", "200000", "--assumptions", str(overrides)],
        ["-c", "50000", "--instance-type", "c6i.large"],
    ):
        plan = json.loads(run("report", *args, "-f", "json")[1])
        validator.validate(plan)
    # And it is a real contract: what is not a plan fails it.
    broken = {key: value for key, value in plan.items() if key != "tier"}
    assert not validator.is_valid(broken)
    assert not validator.is_valid({**plan, "tier": "huge"})
    assert not validator.is_valid({**plan, "nodes": {**plan["nodes"], "min_nodes": "3"}})


def test_schema_to_a_file(tmp_path):
    target = tmp_path / "plan.schema.json"
    assert run("schema", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["title"] == "SizingPlan"


# --- properties: anything typed is a plan or one line -------------------------------------------------------------

# What argv can carry: any text but NUL, including the lone surrogates Python makes of bytes that are not UTF-8.
ARGV_TEXT = st.text(st.characters(exclude_characters="\x00") | st.sampled_from("\udcff\udc80"), max_size=30)
# Text that sometimes is valid, so that the good path is exercised too.
REPORT_FLAGS = {
    "--concurrent-users": st.sampled_from(["1000", "1,000", "0", "-3", "1e3", "10000001"]) | ARGV_TEXT,
    "--total-users": st.sampled_from(["20000", "5", "9" * 30]) | ARGV_TEXT,
    "--active-ratio": st.sampled_from(["0.2", "1e-309", "inf", "0", "1"]) | ARGV_TEXT,
    "--region": st.sampled_from(["us-east-1", "us-west-2"]) | ARGV_TEXT,
    "--arch": st.sampled_from(["x86_64", "arm64"]) | ARGV_TEXT,
    "--instance-type": st.sampled_from(["t4g.medium", "m6i.xlarge", "c6i.large"]) | ARGV_TEXT,
    "--format": st.sampled_from(["table", "json", "yaml", "markdown", "helm-values"]) | ARGV_TEXT,
    "--app": st.sampled_from(["backend", "frontend"]) | ARGV_TEXT,
    "--assumptions": st.sampled_from(["a.yaml", "missing.json", "."]) | ARGV_TEXT,
    "--output": st.sampled_from(["plan.out", "sub/", "-"]) | ARGV_TEXT,
}


def assert_plan_or_one_line(code: int, out: str, err: str, cwd: Path, before: set[str]) -> None:
    event(f"exit {code}")
    assert "Traceback" not in err
    if code == 2:
        refused(code, out, err)
        assert {p.name for p in cwd.iterdir()} == before, "a refused run wrote a file"
    else:
        assert code == 0, (code, err)


# Values that are each fine on their own, so that plans come out too (and the combinations that are not, refused).
PLAUSIBLE_FLAGS = {
    "--concurrent-users": st.sampled_from(["1000", "1,000", "250000", "7"]),
    "--total-users": st.sampled_from(["20000", "5"]),
    "--active-ratio": st.sampled_from(["0.2", "0.05", "1"]),
    "--region": st.sampled_from(["us-east-1", "us-west-2"]),
    "--arch": st.sampled_from(["x86_64", "arm64"]),
    "--instance-type": st.sampled_from(["t4g.medium", "m6i.xlarge", "c6i.large"]),
    "--format": st.sampled_from(["table", "json", "yaml", "markdown", "helm-values"]),
    "--app": st.sampled_from(["backend", "frontend"]),
    "--assumptions": st.just("a.yaml"),
    "--output": st.sampled_from(["plan.out", "-"]),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flags=st.sampled_from([REPORT_FLAGS, PLAUSIBLE_FLAGS]).flatmap(
        lambda table: st.fixed_dictionaries({}, optional=table)
    ),
    interactive=st.booleans(),
    answers=ARGV_TEXT,
)
def test_any_text_in_any_report_flag(tmp_path, monkeypatch, flags, interactive, answers):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("backend: {users_per_pod: 80}\n")
    output = flags.get("--output")
    # Stay inside the scratch directory: no absolute paths, no climbing out.
    assume(output is None or not (output.startswith(("/", "~")) or ".." in output))
    for leftover in tmp_path.iterdir():
        if leftover.name != "a.yaml" and leftover.is_file():
            leftover.unlink()
    before = {p.name for p in tmp_path.iterdir()}
    args = ["report", *(f"{flag}={value}" for flag, value in flags.items()), *(["-i"] if interactive else [])]
    code, out, err = run(*args, stdin=answers + "\n" if interactive else None)
    if interactive and code == 130:
        return  # the answers ran out: cancelled, as Ctrl-D would
    assert_plan_or_one_line(code, out, err, tmp_path, before)
    if code == 0:
        text = out if output in (None, "-") else (tmp_path / output).read_text()
        fmt = flags.get("--format", "table")
        if fmt in ("json", "yaml"):
            SizingPlan.model_validate(json.loads(text) if fmt == "json" else yaml.safe_load(text))
        else:
            assert text.strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    users=st.lists(ARGV_TEXT | st.sampled_from(["300", "0", "1_000"]), min_size=1, max_size=3),
    flags=st.fixed_dictionaries({}, optional={k: REPORT_FLAGS[k] for k in ("--active-ratio", "--region", "--arch")}),
)
def test_any_text_in_compare(tmp_path, monkeypatch, users, flags):
    monkeypatch.chdir(tmp_path)
    args = ["compare", *(f"{flag}={value}" for flag, value in flags.items()), "-f", "json", "--", *users]
    code, out, err = run(*args)
    assert_plan_or_one_line(code, out, err, tmp_path, set())
    if code == 0:
        assert len([SizingPlan.model_validate(p) for p in json.loads(out)]) == len(users)


FIELDS = sorted(
    {
        *Assumptions.model_fields,
        "backend",
        "users_per_pod",
        "buffer",
        "enabled",
        "billing_mode",
        "min_node_type",
        "duty_cycle",
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**25), 10**25)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["auto", "PROVISIONED", "small", "cache.t3.small", "1:30", "010"])
)
JSON_SHAPED = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=JSON_SHAPED, as_json=st.booleans())
def test_any_json_or_yaml_shaped_assumptions(tmp_path, data, as_json):
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    source = tmp_path / ("a.json" if as_json else "a.yaml")
    source.write_text(json.dumps(data) if as_json else yaml.safe_dump(data))
    code, out, err = run("report", "-c", "1000", "--assumptions", str(source), "-f", "json")
    assert_plan_or_one_line(code, out, err, tmp_path, {source.name})
    if code == 0:
        SizingPlan.model_validate(json.loads(out))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=200)
    | st.builds(
        lambda s: "\n".join(s),
        st.lists(
            st.sampled_from(
                [
                    "backend:",
                    "  users_per_pod: 80",
                    "- x",
                    "a: &x 1",
                    "b: *x",
                    "{",
                    "[",
                    "min_nodes: 010",
                    "? [a]",
                    ": b",
                    "'",
                    '"',
                    "!!python/object:os.system",
                    "!!binary aGk=",
                    "%YAML 1.1",
                    "---",
                    "...",
                ]
            ),
            max_size=8,
        ),
    )
)
def test_any_text_as_an_assumptions_file(tmp_path, text):
    for name in ("a.yaml", "a.json"):
        source = tmp_path / name
        source.write_text(text)
        code, out, err = run("report", "-c", "1000", "--assumptions", str(source), "-f", "json")
        assert_plan_or_one_line(code, out, err, tmp_path, {p.name for p in tmp_path.iterdir()})


def test_closed_stderr_still_exits_2():
    # Nothing can be said with stderr closed (`2>&-`), but the status still tells, and nothing crashes on the way.
    done = subprocess.run(
        ["bash", "-c", '"$0" -m sizing report -c abc 2>&-', sys.executable], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
