"""`sizing calibrate --llm-usage` and `--load-test` on files in the providers' and tools' real formats, the rules'
arithmetic by hand, and the calibrated file read back by `sizing report`."""

from __future__ import annotations

import csv
import gzip
import json
import socket

import pytest
import yaml

from sizing import Assumptions
from sizing.calibrate.measurements import AppUsage, ClusterUsage, LoadTest, Series, Window
from sizing.calibrate.rules import calibrate as rules
from sizing.calibrate.rules import percentile
from sizing.cli.command import main
from sizing.inputs import load_assumptions

# Ten calls in three conversations of two users. Input tokens include the cached ones.
CALLS = [
    # (input, cached, output, conversation, user)
    (1000, 0, 100, "c1", "u1"),
    (1200, 512, 200, "c1", "u1"),
    (800, 0, 150, "c1", "u1"),
    (1000, 256, 300, "c1", "u1"),
    (1500, 1024, 250, "c2", "u1"),
    (900, 0, 120, "c2", "u1"),
    (1100, 512, 180, "c2", "u1"),
    (1000, 0, 400, "c3", "u2"),
    (1300, 768, 220, "c3", "u2"),
    (1200, 0, 80, "c3", "u2"),
]


def _openai(call, batch=False):
    """A chat completion as the API returns it (or as a Batch API output line)."""
    prompt, cached, output, conversation, user = call
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "..."}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
        "metadata": {"conversation_id": conversation, "user_id": user},
    }
    if batch:
        return {"id": "batch_req_1", "custom_id": "r1", "response": {"status_code": 200, "body": body}, "error": None}
    return body


def _bedrock(call):
    """A model invocation log record: Anthropic's counts, cache reads and writes outside inputTokenCount."""
    total, cached, output, conversation, user = call
    written = 100 if cached == 0 and total >= 1000 else 0
    return {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": "2026-12-01T10:00:00Z",
        "accountId": "123456789012",
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/backend/pod"},
        "region": "us-east-1",
        "requestId": "915a6a04-3f83-4c70-a277-7fbf7ea546b3",
        "operation": "Converse",
        "modelId": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "input": {
            "inputContentType": "application/json",
            "inputTokenCount": total - cached - written,
            "cacheReadInputTokenCount": cached,
            "cacheWriteInputTokenCount": written,
        },
        "output": {"outputContentType": "application/json", "outputTokenCount": output},
        "requestMetadata": {"conversation_id": conversation, "user_id": user},
    }


def _usage_files(tmp_path):
    """Calls 1-5 as OpenAI records (one as a Batch line, plus a failed call), 6-10 in a gzipped Bedrock log."""
    openai = tmp_path / "openai.jsonl"
    lines = [json.dumps(_openai(c, batch=i == 2)) for i, c in enumerate(CALLS[:5])]
    lines.insert(3, json.dumps({"error": {"message": "Rate limit reached", "type": "requests"}}))
    openai.write_text("\n".join(lines) + "\n\n")
    bedrock = tmp_path / "bedrock.json.gz"
    failed = {**_bedrock(CALLS[5]), "errorCode": "ThrottlingException"}
    failed.pop("output")
    records = [_bedrock(c) for c in CALLS[5:]] + [failed]
    bedrock.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    return openai, bedrock


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_tokens_per_turn_from_openai_and_bedrock_records(tmp_path, capsys):
    openai, bedrock = _usage_files(tmp_path)
    target = tmp_path / "calibrated.yaml"
    code, out, err = run(
        capsys, "calibrate", "--llm-usage", str(openai), "--llm-usage", str(bedrock), "-o", str(target)
    )
    assert code == 0 and out == "", err
    llm = load_assumptions(target)["llm"]
    # Input: (1000+1200+800+1000+1500+900+1100+1000+1300+1200) / 10 = 11000 / 10 = 1100.
    assert llm["input_tokens_per_turn"] == 1100
    # Output: 2000 / 10 = 200; p90 by nearest rank = the 9th of 10 sorted (80 ... 300, 400) = 300.
    assert llm["output_tokens_per_turn"] == 200
    assert llm["output_tokens_per_turn_p90"] == 300
    # Cached: (512+256+1024+512+768) / 11000 = 3072 / 11000 = 0.27927... -> 0.2793.
    assert llm["cached_input_share"] == 0.2793
    text = target.read_text()
    assert "(OpenAI usage + Bedrock invocation log, 10 calls)" in text
    # Turns per conversation 4, 3, 3 (mean 3.33, p90 4); per user 7 and 3 (mean 5); conversations per user 2 and 1.
    assert "turns per conversation: mean 3.33, p90 4 (3 conversations)" in text
    assert "turns per user: mean 5.00 (2 users)" in text
    assert "conversations per user: mean 1.50" in text
    assert "10 calls (2 failed skipped)" in text


def test_the_calibrated_file_marks_the_report(tmp_path, capsys):
    openai, bedrock = _usage_files(tmp_path)
    target = tmp_path / "calibrated.yaml"
    assert run(capsys, "calibrate", "--llm-usage", str(openai), "--llm-usage", str(bedrock), "-o", str(target))[0] == 0
    code, out, err = run(capsys, "report", "-c", "1000", "--assumptions", str(target), "-f", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["assumptions"]["llm"]["input_tokens_per_turn"] == 1100
    assert set(plan["assumptions_source"]) == {
        "llm.input_tokens_per_turn",
        "llm.output_tokens_per_turn",
        "llm.output_tokens_per_turn_p90",
        "llm.cached_input_share",
    }
    assert plan["assumptions_source"]["llm.output_tokens_per_turn_p90"].endswith("p90 output tokens per call 300")
    code, out, _ = run(capsys, "report", "-c", "1000", "--assumptions", str(target))
    assert code == 0 and "Calibrated Assumptions" in out and "llm.cached_input_share" in out
    code, out, _ = run(capsys, "report", "-c", "1000", "--assumptions", str(target), "-f", "markdown")
    assert code == 0 and "## Calibrated assumptions" in out and "| llm.output_tokens_per_turn | 200 |" in out
    # Without calibrated values, no such section, and the JSON field is empty.
    code, out, _ = run(capsys, "report", "-c", "1000", "-f", "json")
    assert json.loads(out)["assumptions_source"] == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "line 1 is not JSON"),
        ('{"usage": {"prompt_tokens": -5, "completion_tokens": 3}}\n', "usage.prompt_tokens must be a whole number"),
        ('{"usage": {"prompt_tokens": 10, "completion_tokens": 3.5}}\n', "usage.completion_tokens must be a whole"),
        ('{"model": "x"}\n', "neither an OpenAI-style usage record"),
        (
            '{"schemaType": "ModelInvocationLog", "input": {}, "output": {"outputTokenCount": 5}}\n',
            "input.inputTokenCount",
        ),
        (
            '{"usage": {"prompt_tokens": 10, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 20}}}\n',
            "20 cached tokens is more than the 10 input tokens",
        ),
        ("[1, 2]\n", "not a JSON object"),
        ("\n\n", "holds no usage records"),
        ('{"error": {"message": "x"}}\n', "holds no usage records"),
    ],
)
def test_a_malformed_usage_record_is_one_line(tmp_path, capsys, content, message):
    good, _ = _usage_files(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    target = tmp_path / "out.yaml"
    code, out, err = run(capsys, "calibrate", "--llm-usage", str(good), "--llm-usage", str(bad), "-o", str(target))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"sizing: error: --llm-usage: {bad}") and message in err, err
    assert not target.exists()


def test_an_unreadable_or_corrupt_usage_file(tmp_path, capsys):
    corrupt = tmp_path / "x.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    for path in (tmp_path / "missing.jsonl", corrupt):
        code, out, err = run(capsys, "calibrate", "--llm-usage", str(path))
        assert code == 2 and out == "" and f"--llm-usage: cannot read {path}" in err and err.count("\n") == 1


def _k6_summary_export(rate, p95, failed):
    """`k6 run --summary-export` (the legacy summary): figures at the top level of each metric."""
    return {
        "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": [], "checks": []},
        "options": {"summaryTrendStats": ["avg", "min", "med", "max", "p(90)", "p(95)"], "summaryTimeUnit": ""},
        "state": {"isStdOutTTY": False, "isStdErrTTY": False, "testRunDurationMs": 60000.5},
        "metrics": {
            "http_reqs": {"count": round(rate * 60), "rate": rate},
            "http_req_duration": {
                "avg": p95 / 2,
                "min": 3.1,
                "med": p95 / 2,
                "max": p95 * 2,
                "p(90)": p95 * 0.9,
                "p(95)": p95,
            },
            "http_req_failed": {"passes": round(failed * rate * 60), "fails": 0, "value": failed},
            "vus": {"value": 50, "min": 50, "max": 50},
        },
    }


def _k6_handle_summary(rate, p95, failed):
    """What a handleSummary writing `JSON.stringify(data)` produces: figures under `values`."""
    return {
        "state": {"testRunDurationMs": 60000.5},
        "metrics": {
            "http_reqs": {
                "type": "counter",
                "contains": "default",
                "values": {"count": round(rate * 60), "rate": rate},
            },
            "http_req_duration": {"type": "trend", "contains": "time", "values": {"avg": 1.0, "p(95)": p95}},
            "http_req_failed": {
                "type": "rate",
                "contains": "default",
                "values": {"rate": failed, "passes": 1, "fails": 9},
            },
        },
    }


LOCUST_HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
    "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
]  # fmt: skip


def _locust(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LOCUST_HEADER)
        for name, count, failures, rps, p95 in rows:
            writer.writerow(
                [
                    *("POST" if name != "Aggregated" else "", name, count, failures, 90, 110, 12, 900, 512, rps, 0.1),
                    *(90, 100, 120, 130, 200, p95, 700, 800, 900, 900, 900),
                ]
            )


def test_k6_summary_sets_the_backend_capacity(tmp_path, capsys):
    summary = tmp_path / "k6.json"
    # 400 req/s over 2 pods with p95 420 ms and 0.1% failed: 200 req/s a pod x 60 / 3 requests per user per minute
    # (the default) = 4,000 users per pod.
    summary.write_text(json.dumps(_k6_summary_export(400.0, 420.0, 0.001)))
    code, out, err = run(capsys, "calibrate", "--load-test", str(summary), "--load-test-pods", "2")
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["backend"] == {"users_per_pod": 4000.0}
    assert "400 requests/s over 2 backend pod(s) with p95 420 ms <= 500 ms target" in out
    # The handleSummary shape, with a stricter target and requests per user from an assumptions file:
    # 150 req/s x 60 / 2.5 = 3,600.
    summary.write_text(json.dumps(_k6_handle_summary(150.0, 180.0, 0.0)))
    base = tmp_path / "base.yaml"
    base.write_text("requests_per_user_per_minute: 2.5\n")
    code, out, err = run(
        capsys, "calibrate", "--load-test", str(summary), "--latency-target-ms", "200", "--assumptions", str(base)
    )
    assert code == 0, err
    assert yaml.safe_load(out)["backend"]["users_per_pod"] == 3600


def test_locust_stats_set_the_backend_capacity(tmp_path, capsys):
    stats = tmp_path / "run_stats.csv"
    # The Aggregated row: 120.5 req/s, p95 480 ms, 9 of 7,230 failed (0.12%): 120.5 x 60 / 3 = 2,410 users.
    _locust(
        stats,
        [("/api/chat", 3000, 5, 50.0, 520), ("/api/history", 4230, 4, 70.5, 300), ("Aggregated", 7230, 9, 120.5, 480)],
    )
    code, out, err = run(capsys, "calibrate", "--load-test", str(stats), "-o", str(tmp_path / "out.yaml"))
    assert code == 0 and out == "", err
    assert load_assumptions(tmp_path / "out.yaml")["backend"]["users_per_pod"] == 2410


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("k6.json", _k6_summary_export(400.0, 620.0, 0.0), "p95 latency 620 ms is above the 500 ms target"),
        ("k6.json", _k6_summary_export(400.0, 100.0, 0.05), "5.0% of requests failed (more than 1%)"),
        ("k6.json", {"metrics": {"http_reqs": {"count": 1, "rate": 1.0}, "http_req_duration": {"avg": 1}}}, "no p(95)"),
        ("k6.json", {"metrics": {"vus": {"value": 1}}}, "has no http_reqs metric"),
        ("k6.json", {"metrics": {"http_reqs": {"rate": "fast"}, "http_req_duration": {"p(95)": 1}}}, "no rate figure"),
        ("k6.json", "{oops", "is not valid JSON"),
        ("k6.json", [], "has no metrics"),
        ("stats.csv", "a,b\n1,2\n", "lacks Locust's stats columns"),
        ("stats.csv", [("/x", 10, 0, 1.0, 100)], "has no Aggregated row"),
        ("stats.csv", [("Aggregated", 0, 0, 0.0, 100)], "the test made no requests"),
    ],
)
def test_a_malformed_or_overloaded_load_test_is_one_line(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if name.endswith(".csv") and isinstance(content, list):
        _locust(path, content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    target = tmp_path / "out.yaml"
    code, out, err = run(capsys, "calibrate", "--load-test", str(path), "-o", str(target))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"--load-test: {path}" in err and message in err, err
    assert not target.exists()


def test_nothing_to_measure(capsys):
    code, out, err = run(capsys, "calibrate")
    assert code == 2 and out == "" and "nothing to measure" in err


def test_percentile_is_nearest_rank():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([5], 95) == 5
    assert percentile(list(range(1, 21)), 95) == 19  # ceil(0.95 x 20) = 19th


def _cluster(backend_cpu_per_pod: float, users: float) -> ClusterUsage:
    window = Window(start=0, end=3600, step_s=300, since="1h")
    steps = [300.0 * k for k in range(1, 13)]
    app = AppUsage(
        "backend",
        "cpu",
        tuple([backend_cpu_per_pod] * 24),
        Series("cpu", dict.fromkeys(steps, 2 * backend_cpu_per_pod)),
        "mem",
        256 * 1024 * 1024,
    )
    return ClusterUsage(
        window,
        "UTC",
        (app,),
        Series("users", dict.fromkeys(steps, users)),
        Series("rps", dict.fromkeys(steps, users / 20)),
    )


def test_the_smaller_capacity_of_prometheus_and_the_load_test_stands():
    # Two pods at 0.5 cores each for 100 users: 0.01 cores a user; 500m x 70% / 0.01 = 35 users per pod.
    # Requests: 100/20 = 5 req/s for 100 users = 3 per user per minute.
    cluster = _cluster(0.5, 100)
    test = LoadTest("k6.json", "k6", requests_per_second=10.0, latency_p95_ms=100, failure_share=0, pods=1)
    # The load test: 10 req/s x 60 / 3 = 200 users per pod; Prometheus's 35 is smaller and stands.
    result = {v.path: v for v in rules(cluster, None, test, Assumptions(), 500).values}
    assert result["requests_per_user_per_minute"].value == 3.0
    assert result["backend.users_per_pod"].value == 35
    assert "the smaller of it and the load test's 200" in result["backend.users_per_pod"].source
    slow = LoadTest("k6.json", "k6", requests_per_second=1.0, latency_p95_ms=100, failure_share=0, pods=1)
    # 1 req/s x 60 / 3 = 20 < 35: the load test's figure stands.
    result = {v.path: v for v in rules(cluster, None, slow, Assumptions(), 500).values}
    assert result["backend.users_per_pod"].value == 20
    assert "the smaller of it and Prometheus's 35" in result["backend.users_per_pod"].source
    # The window is an hour: no hourly profile, and the note says why.
    calibration = rules(cluster, None, None, Assumptions(), 500)
    assert "traffic.hourly_profile" not in {v.path for v in calibration.values}
    assert any("shorter than a day" in n for n in calibration.notes)


def test_a_source_must_describe_a_value_the_file_sets(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text("backend:\n  cpu_request_m: 300\nassumptions_source:\n  backend.cpu_limit_m: measured\n")
    code, out, err = run(capsys, "report", "-c", "100", "--assumptions", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "assumptions_source: backend.cpu_limit_m is not set in the file" in err
    path.write_text("backend:\n  cpu_request_m: 300\nassumptions_source:\n  backend.cpu_requests: measured\n")
    code, out, err = run(capsys, "report", "-c", "100", "--assumptions", str(path))
    assert code == 2 and "'backend.cpu_requests' is not an assumption" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "7 days"], "--since: expected a duration such as 7d"),
        (["--step", "0m"], "--step: expected a duration"),
        (["--end", "yesterday"], "--end: expected a time like 2026-12-07T00:00:00Z"),
        (["--timezone", "Mars/Olympus"], "--timezone: 'Mars/Olympus' is not a time zone name"),
        (["--users-metric", "users{job='x'}"], "--users-metric: \"users{job='x'}\" is not a Prometheus metric name"),
    ],
)
def test_bad_prometheus_flags_are_refused_before_any_query(capsys, args, message):
    # Nothing listens on port 9: a flag checked after a query would say "cannot reach" instead.
    code, out, err = run(capsys, "calibrate", "--prometheus", "http://127.0.0.1:9", *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_a_prometheus_address_must_be_http(capsys):
    code, _, err = run(capsys, "calibrate", "--prometheus", "ftp://example.com")
    assert code == 2 and "--prometheus: expected the server's http:// or https:// address" in err


def test_an_unreachable_server(capsys, tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = tmp_path / "out.yaml"
    code, out, err = run(capsys, "calibrate", "--prometheus", f"http://127.0.0.1:{port}", "-o", str(target))
    assert code == 2 and out == "" and err.startswith("sizing: error: --prometheus: cannot reach http://127.0.0.1:")
    assert "Connection refused" in err and err.count("\n") == 1
    assert not target.exists()
