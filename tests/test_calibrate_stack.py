"""A calibrated assumptions file works as the stack's `chat-infra:assumptions` config too: its values are deployed and
its sources reach the `sizing` output."""

from __future__ import annotations

from stack_mocks import run_program


def test_the_stack_takes_a_calibrated_file_as_its_assumptions_config():
    source = "Prometheus sum by (pod) (rate(container_cpu_usage_seconds_total[5m])): p95 per pod 0.19 cores"
    values = {
        "concurrentUsers": 1000,
        "assumptions": {"backend": {"cpu_request_m": 190}, "assumptions_source": {"backend.cpu_request_m": source}},
    }
    plan = run_program(values).outputs["sizing"]
    assert plan["backend"]["cpu_request_m"] == 190
    assert plan["assumptions_source"] == {"backend.cpu_request_m": source}
