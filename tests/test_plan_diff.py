"""`sizing diff`: the PlanDiff of hand-written plans, checked against deltas worked out by hand, the command on real
plans at two loads, and every kind of bad DEPLOYED.json as one line and exit 2."""

from __future__ import annotations

import copy
import json
import signal

import pytest

from sizing import Workload, calculate
from sizing.cli.command import main
from sizing.engine.plan_diff import diff_plans, read_plan
from sizing.errors import SizingError


@pytest.fixture(autouse=True)
def _keep_sigint():
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def group(name, types, low, high, spot=False):
    types = [types] if isinstance(types, str) else types
    return {
        "name": name,
        "instance_type": types[0],
        "min_nodes": low,
        "max_nodes": high,
        "capacity_type": "SPOT" if spot else "ON_DEMAND",
        "instance_types": types,
    }


def pods(low, high, cpu=(250, 1000), memory=(512, 1024)):
    return {
        "min_replicas": low,
        "max_replicas": high,
        "cpu_request_m": cpu[0],
        "cpu_limit_m": cpu[1],
        "memory_request_mib": memory[0],
        "memory_limit_mib": memory[1],
    }


def line(key, expected, low=None, high=None):
    return {
        "key": key,
        "item": key.replace("_", " "),
        "monthly_usd": {"min": expected if low is None else low, "max": expected if high is None else high},
        "expected_monthly_usd": expected,
    }


def plan_json(users=1000):
    """A plan's JSON written by hand: the 1,000-user shape, round numbers."""
    return {
        "tier": "medium",
        "workload": {
            "concurrent_users": users,
            "total_users": users * 10,
            "active_ratio": 0.1,
            "region": "us-east-1",
            "arch": "x86_64",
        },
        "backend": pods(13, 39),
        "frontend": pods(3, 6),
        "nodes": {
            "instance_type": "t3a.small",
            "vcpu": 2,
            "min_nodes": 10,
            "max_nodes": 26,
            "groups": [group("workers-1", "t3a.small", 10, 26)],
        },
        "database": {
            "billing_mode": "PROVISIONED",
            "read_capacity_units": 358,
            "write_capacity_units": 143,
            "read_autoscaling": {"min": 63, "max": 358},
            "write_autoscaling": {"min": 25, "max": 143},
        },
        "cache": {
            "enabled": True,
            "engine": "valkey",
            "node_type": "cache.t4g.small",
            "num_nodes": 2,
            "shards": 1,
            "replicas_per_shard": 1,
            "usable_memory_gib_per_node": 0.822,
        },
        "cost": {
            "expected_monthly_usd": 1000.0,
            "monthly_usd": {"min": 900.0, "max": 2000.0},
            "breakdown": [line("ec2_nodes", 137.24), line("elasticache", 37.38), line("llm_api", 825.38)],
        },
        "llm": {
            "provider": "aws",
            "model": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
            "peak": {"tokens_per_minute": 1_366_000, "requests_per_minute": 1_000},
            "quota": {"tokens_per_minute": None, "requests_per_minute": None, "name": "Global TPM"},
        },
        "assumptions": {},
    }


def diff(before, after, **kw):
    return diff_plans(read_plan(before, "before"), read_plan(after, "after"), **kw)


def test_raising_the_load_on_the_same_type_changes_bounds_in_place():
    before, after = plan_json(1000), plan_json(2000)
    after["nodes"]["groups"] = [group("workers-1", "t3a.small", 18, 51)]
    after["backend"] = pods(26, 78)
    after["frontend"] = pods(5, 10)
    result = diff(before, after)
    assert result.concurrent_users.delta == 1000 and result.total_users.delta == 10_000
    (workers,) = result.node_groups
    # 10 -> 18 and 26 -> 51: +8 and +25, the same group, its bounds changed in place.
    assert (workers.applies, workers.min_nodes.delta, workers.max_nodes.delta) == ("in place", 8, 25)
    assert workers.before == "t3a.small x 10-26 ON_DEMAND" and workers.after == "t3a.small x 18-51 ON_DEMAND"
    backend, frontend = result.deployments
    assert (backend.applies, backend.min_replicas.delta, backend.max_replicas.delta) == ("in place", 13, 39)
    assert (frontend.min_replicas.delta, frontend.max_replicas.delta) == (2, 4)
    assert result.warnings == []


def test_a_new_instance_type_replaces_the_group_and_warns():
    before, after = plan_json(1000), plan_json(8000)
    after["nodes"]["groups"] = [group("workers-1", "c6a.2xlarge", 10, 27)]
    result = diff(before, after)
    (workers,) = result.node_groups
    assert (workers.applies, workers.min_nodes.delta, workers.max_nodes.delta) == ("replacement", 0, 1)
    assert result.warnings == [
        "node group workers-1 is replaced (t3a.small x 10-26 ON_DEMAND -> c6a.2xlarge x 10-27 ON_DEMAND): pods move "
        "once the new nodes are Ready"
    ]


def test_a_spot_group_appears_and_a_group_goes():
    before = plan_json()
    before["nodes"]["groups"].append(group("workers-2", "t3a.small", 0, 5))
    after = plan_json()
    after["nodes"]["groups"] = [
        group("workers-1", "t3a.small", 10, 26),
        group("spot-1", ["c6i.large", "c5a.large", "c5.large"], 0, 10, spot=True),
    ]
    result = diff(before, after)
    by_name = {change.name: change for change in result.node_groups}
    assert by_name["workers-1"].applies == "unchanged"
    spot = by_name["spot-1"]
    assert (spot.applies, spot.before, spot.max_nodes.delta) == ("added", None, 10)
    assert spot.after == "c6i.large/c5a.large/c5.large x 0-10 SPOT"
    gone = by_name["workers-2"]
    assert (gone.applies, gone.after, gone.max_nodes.delta) == ("removed", None, -5)
    assert "node group workers-2 is removed (t3a.small x 0-5 ON_DEMAND)" in result.warnings


def test_same_types_on_spot_instead_of_on_demand_is_a_replacement():
    before, after = plan_json(), plan_json()
    after["nodes"]["groups"] = [group("workers-1", "t3a.small", 10, 26, spot=True)]
    assert diff(before, after).node_groups[0].applies == "replacement"


def test_new_requests_roll_the_pods():
    before, after = plan_json(), plan_json()
    after["backend"] = pods(13, 39, cpu=(300, 1000))
    backend, frontend = diff(before, after).deployments
    assert backend.applies == "rolling" and frontend.applies == "unchanged"
    assert backend.resources_before.startswith("250m/1000m") and backend.resources_after.startswith("300m/1000m")


def test_table_mode_and_capacity():
    before, after = plan_json(), plan_json()
    after["database"] = {**after["database"], "billing_mode": "PAY_PER_REQUEST", "read_capacity_units": 715}
    table = diff(before, after).table
    assert (table.applies, table.mode_before, table.mode_after) == ("in place", "PROVISIONED", "PAY_PER_REQUEST")
    assert table.read_before == "63-358 units (auto scaling)"
    assert table.read_after == "715 units/s at peak (on demand)"
    assert diff(before, plan_json()).table.applies == "unchanged"


def test_cache_resharding_in_place_and_its_usable_memory():
    before, after = plan_json(), plan_json()
    after["cache"] = {**after["cache"], "shards": 2, "num_nodes": 4}
    cache = diff(before, after).cache
    # 1 x 0.822 -> 2 x 0.822 GiB.
    assert (cache.usable_gib.before, cache.usable_gib.after, cache.usable_gib.delta) == (0.822, 1.644, 0.822)
    assert cache.applies == "in place" and "online resharding 1 -> 2 shards, a scale-out" in cache.note
    back = diff(after, before).cache
    assert back.usable_gib.delta == -0.822 and "scale-in" in back.note


def test_cache_node_type_applies_now_or_in_the_maintenance_window():
    before, after = plan_json(), plan_json()
    after["cache"] = {**after["cache"], "node_type": "cache.m7g.large", "usable_memory_gib_per_node": 4.5}
    assert diff(before, after).cache.applies == "in place"
    assert diff(before, after, apply_immediately=False).cache.applies == "maintenance window"
    # Shards alone never wait for the window.
    shards = plan_json()
    shards["cache"] = {**shards["cache"], "shards": 3}
    assert diff(before, shards, apply_immediately=False).cache.applies == "in place"


def test_cache_engine_downgrade_replaces_and_disabling_removes():
    before, after = plan_json(), plan_json()
    after["cache"] = {**after["cache"], "engine": "redis"}
    result = diff(before, after)
    assert result.cache.applies == "replacement"
    assert result.warnings[-1].startswith("the cache is replaced: valkey to redis")
    redis = copy.deepcopy(after)
    assert diff(redis, before).cache.applies == "in place"  # Redis OSS -> Valkey: an in-place upgrade
    off = plan_json()
    off["cache"] = {**off["cache"], "enabled": False}
    removed = diff(before, off)
    assert (removed.cache.applies, removed.cache.after, removed.cache.usable_gib.delta) == ("removed", "none", -0.822)


def test_llm_quota_need():
    before, after = plan_json(1000), plan_json(2000)
    after["llm"] = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "peak": {"tokens_per_minute": 2_732_000, "requests_per_minute": 2_000},
        "quota": {"tokens_per_minute": 2_000_000, "requests_per_minute": 5_000, "name": "Tier 5"},
    }
    llm = diff(before, after).llm
    assert (llm.tokens_per_minute.delta, llm.requests_per_minute.delta) == (1_366_000, 1_000)
    assert llm.applies == "rolling" and llm.model_after == "openai:gpt-4o-mini"
    assert llm.quota_tokens_per_minute == 2_000_000
    assert "the peak needs 2,732,000 tokens/min, above the quota of 2,000,000" in llm.note
    none = plan_json()
    none["llm"] = None
    assert diff(before, none).llm.model_after == "none"


def test_bill_delta_expected_min_max_and_lines():
    before, after = plan_json(), plan_json()
    after["cost"] = {
        "expected_monthly_usd": 1_250.5,
        "monthly_usd": {"min": 1_000.0, "max": 2_600.25},
        "breakdown": [line("ec2_nodes", 247.03), line("elasticache", 37.38), line("llm_api", 966.09)],
    }
    bill = diff(before, after).bill
    assert (bill.expected.delta, bill.min.delta, bill.max.delta) == (250.5, 100.0, 600.25)
    # 966.09 - 825.38 = 140.71 and 247.03 - 137.24 = 109.79; the cache's line did not move.
    assert [(item.key, item.expected.delta) for item in bill.lines] == [("llm_api", 140.71), ("ec2_nodes", 109.79)]


def test_pulumi_stack_output_json_holding_the_plan_is_read():
    assert read_plan({"sizing": plan_json()}, "x").workload.concurrent_users == 1000


@pytest.mark.parametrize(
    "data, said",
    [
        ([1, 2], "a JSON list, not an object"),
        ("plan", "a JSON str, not an object"),
        ({"name": "chat-infra"}, "tier: field required"),
        ({**plan_json(), "nodes": {**plan_json()["nodes"], "min_nodes": -1}}, "nodes.min_nodes"),
        ({**plan_json(), "cache": "big"}, "cache:"),
    ],
)
def test_foreign_json_is_one_line(data, said):
    with pytest.raises(SizingError) as raised:
        read_plan(data, "DEPLOYED.json x")
    assert said in str(raised.value) and "\n" not in str(raised.value)


# ---- the command ------------------------------------------------------------------------------------------------


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def deployed_1000(tmp_path_factory):
    path = tmp_path_factory.mktemp("deployed") / "deployed.json"
    path.write_text(json.dumps(calculate(Workload(concurrent_users=1000)).model_dump(mode="json")))
    return path


def test_the_command_at_two_loads(capsys, deployed_1000):
    code, out, err = run(capsys, "diff", str(deployed_1000), "-c", "2000", "-f", "json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    old, new = calculate(Workload(concurrent_users=1000)), calculate(Workload(concurrent_users=2000))
    (workers,) = result["node_groups"]
    # The example: t3a.small, min 11 -> 20, in place. A t3a.small offers 1,730m, 1,195 MiB and 5 pod slots
    # after the DaemonSets: 2 backends (512 MiB each) a node, 4 frontends on an empty one. The add-ons' 7 pods take 2
    # nodes (the 600 MiB autoscaler, the CoreDNS and metrics-server pods fill the first's 5 slots; the load balancer
    # controllers leave the second 1,530m, 939 MiB, 3 slots: a backend, and a frontend beside it). 1,000 users: 13
    # backends = 1 + 6 x 2, 3 frontends = 1 + ceil(2 / 4): 2 + 6 + 1 = 9 nodes x 1.2 -> 11. 2,000 users: 26 = 1 + 12
    # x 2 + 1 (2 frontends beside the lone one), 5 frontends = 1 + 2 + ceil(2 / 4): 2 + 13 + 1 = 16 x 1.2 -> 20.
    assert (workers["applies"], workers["min_nodes"]["before"], workers["min_nodes"]["after"]) == ("in place", 11, 20)
    assert workers["max_nodes"]["delta"] == new.nodes.groups[0].max_nodes - old.nodes.groups[0].max_nodes
    backend = result["deployments"][0]
    assert backend["max_replicas"]["delta"] == new.backend.max_replicas - old.backend.max_replicas
    assert result["cache"]["usable_gib"]["after"] == pytest.approx(
        new.cache.shards * new.cache.usable_memory_gib_per_node
    )
    assert result["bill"]["expected"]["delta"] == pytest.approx(
        new.cost.expected_monthly_usd - old.cost.expected_monthly_usd, abs=0.01
    )
    assert result["llm"]["tokens_per_minute"]["delta"] == pytest.approx(
        new.llm.peak.tokens_per_minute - old.llm.peak.tokens_per_minute
    )


def test_the_same_load_changes_nothing(capsys, deployed_1000):
    code, out, _ = run(capsys, "diff", str(deployed_1000), "-f", "json")
    result = json.loads(out)
    assert code == 0 and result["bill"]["expected"]["delta"] == 0 and result["bill"]["lines"] == []
    assert {c["applies"] for c in result["node_groups"]} == {"unchanged"}
    assert result["cache"]["applies"] == result["table"]["applies"] == "unchanged"


def test_the_deployed_region_and_assumptions_carry_over(capsys, tmp_path):
    deployed = tmp_path / "oregon.json"
    workload = Workload(concurrent_users=500, region="us-west-2", assumptions={"backend": {"users_per_pod": 40}})
    deployed.write_text(json.dumps(calculate(workload).model_dump(mode="json")))
    code, out, err = run(capsys, "diff", str(deployed), "-f", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["bill"]["expected"]["delta"] == 0


def test_markdown_and_table(capsys, deployed_1000):
    code, out, _ = run(capsys, "diff", str(deployed_1000), "-c", "8000", "-f", "markdown")
    assert code == 0 and out.startswith("# Plan diff: deployed -> new")
    assert "| Node group workers-1 | t3a.small x 11-28 ON_DEMAND | c6a.2xlarge x 10-" in out
    assert "## Warnings" in out and "is replaced" in out
    code, out, _ = run(capsys, "diff", str(deployed_1000), "-c", "2000")
    assert code == 0 and "Plan diff: deployed -> new" in out and "Monthly bill" in out and "t3a.small x 20-52" in out


def test_defaults_against_an_assumptions_file(capsys, tmp_path):
    overrides = tmp_path / "calibrated.yaml"
    overrides.write_text("backend:\n  users_per_pod: 40\n")
    code, out, err = run(capsys, "diff", "--defaults", "-c", "1000", "--assumptions", str(overrides), "-f", "json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    default = calculate(Workload(concurrent_users=1000))
    calibrated = calculate(Workload(concurrent_users=1000, assumptions={"backend": {"users_per_pod": 40}}))
    assert result["before_label"] == "defaults"
    backend = result["deployments"][0]
    assert (backend["min_replicas"]["before"], backend["min_replicas"]["after"]) == (
        default.backend.min_replicas,
        calibrated.backend.min_replicas,
    )
    assert backend["min_replicas"]["delta"] != 0


@pytest.mark.parametrize(
    "content, said",
    [
        (b"not json at all {", "DEPLOYED.json"),
        (b"[1, 2, 3]", "must hold a sizing plan"),
        (b'{"name": "chat-infra", "outputs": {}}', "not a sizing plan (tier: field required)"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"", "is not valid JSON"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "nested deeper"),
        (b"[" + b"1," * 600_000 + b"1]", "larger than 1,024 KiB"),
    ],
)
def test_bad_deployed_json_is_one_line_and_nothing_written(capsys, tmp_path, content, said):
    deployed = tmp_path / "deployed.json"
    deployed.write_bytes(content)
    out_file = tmp_path / "diff.md"
    code, out, err = run(capsys, "diff", str(deployed), "-c", "2000", "-o", str(out_file))
    assert code == 2 and out == "" and err.count("\n") == 1 and said in err, err
    assert not out_file.exists()


@pytest.mark.parametrize(
    "args, said",
    [
        (["diff"], "exactly one of the two"),
        (["diff", "{deployed}", "--defaults", "-c", "10"], "exactly one of the two"),
        (["diff", "--defaults", "-c", "1000"], "give it"),
        (["diff", "{missing}"], "cannot read"),
        (["diff", "{dir}"], "is a directory"),
        (["diff", ""], "the file name is empty"),
        (["diff", "{deployed}", "-c", "-5"], "--concurrent-users"),
        (["diff", "{deployed}", "-f", "yaml"], "--format"),
    ],
)
def test_bad_arguments_are_one_line(capsys, tmp_path, deployed_1000, args, said):
    names = {"deployed": str(deployed_1000), "missing": str(tmp_path / "nope.json"), "dir": str(tmp_path)}
    code, out, err = run(capsys, *(arg.format(**names) for arg in args))
    assert code == 2 and out == "" and err.count("\n") == 1 and said in err, err
