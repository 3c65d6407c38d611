"""Issue 18's smaller frictions: `bedrock:` as `aws:`, family-first model suggestions, a mean answer overridden
without its p90, and YAML written by libyaml byte for byte as PyYAML's safe_dump writes it."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from sizing import Workload, calculate
from sizing.cli.command import main
from sizing.cli.yaml_text import DUMPER, yaml_text
from sizing.llm.choice import LLMChoice, parse_llm

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("spelled", ["bedrock", "Bedrock", "BEDROCK"])
def test_bedrock_is_a_synonym_of_aws(spelled):
    assert parse_llm(f"{spelled}:{HAIKU}") == LLMChoice("aws", HAIKU)


def test_bedrock_prices_the_same_plan_as_aws(capsys):
    _, via_aws, _ = run(capsys, "report", "-c", "500", "--llm", f"aws:{HAIKU}", "-f", "json")
    code, via_bedrock, err = run(capsys, "report", "-c", "500", "--llm", f"bedrock:{HAIKU}", "-f", "json")
    assert (code, err) == (0, "")
    assert json.loads(via_bedrock) == json.loads(via_aws)
    assert json.loads(via_bedrock)["llm"]["provider"] == "aws"


def test_an_unknown_bedrock_id_suggests_its_own_family_first(capsys):
    code, _, err = run(capsys, "report", "-c", "500", "--llm", "aws:anthropic.claude-haiku-4-5", "-f", "json")
    assert code == 2
    suggestions = err.split("did you mean ", 1)[1].rstrip("?\n").split(", ")
    # The id typed without its profile prefix and date: the same model through the global profile comes first.
    assert suggestions[0] == HAIKU
    # Then Haikus only: a closer spelling from another family (an Opus, a Sonnet) does not push them out.
    assert all("haiku" in name for name in suggestions), suggestions


def test_a_near_miss_elsewhere_still_gets_a_close_spelling(capsys):
    code, _, err = run(capsys, "report", "-c", "500", "--llm", "openai:gpt-4o-mni")
    assert code == 2 and "did you mean gpt-4o-mini" in err


def test_a_mean_answer_without_its_p90_keeps_the_default_ratio_and_says_so():
    # Defaults: a 211-token mean and a 424-token p90. A 500-token mean keeps p90 / mean = 424 / 211:
    # round(500 x 424 / 211) = round(1004.74) = 1,005 tokens.
    plan = calculate(
        Workload(concurrent_users=1_000, llm="openai:gpt-4o-mini", assumptions={"llm": {"output_tokens_per_turn": 500}})
    )
    assert plan.assumptions.llm.output_tokens_per_turn_p90 == 1_005
    assert plan.llm is not None
    speed = plan.llm.speed
    assert plan.llm.peak.stream_seconds_p90 == pytest.approx(
        speed.time_to_first_token_s + 1_005 / speed.output_tokens_per_s
    )
    notes = [w for w in plan.warnings if w.startswith("llm.output_tokens_per_turn_p90 not set")]
    assert len(notes) == 1 and "1,005 tokens" in notes[0] and "424 / 211" in notes[0]


def test_a_file_setting_both_is_taken_as_written(tmp_path, capsys):
    overrides = tmp_path / "a.yaml"
    overrides.write_text("llm:\n  output_tokens_per_turn: 500\n  output_tokens_per_turn_p90: 600\n")
    code, out, _ = run(capsys, "report", "-c", "1000", "--assumptions", str(overrides), "-f", "json")
    plan = json.loads(out)
    assert code == 0 and plan["assumptions"]["llm"]["output_tokens_per_turn_p90"] == 600
    assert not any("p90 not set" in w for w in plan["warnings"])


def test_the_defaults_say_nothing_about_the_p90():
    plan = calculate(Workload(concurrent_users=1_000, llm="openai:gpt-4o-mini"))
    assert plan.assumptions.llm.output_tokens_per_turn_p90 == 424
    assert not any("p90" in w for w in plan.warnings)


def test_a_p90_below_the_mean_is_still_refused():
    with pytest.raises(ValueError, match="output_tokens_per_turn_p90 must be at least output_tokens_per_turn"):
        Workload(
            concurrent_users=1, assumptions={"llm": {"output_tokens_per_turn": 500, "output_tokens_per_turn_p90": 400}}
        )


def test_yaml_goes_through_libyaml_when_pyyaml_has_it():
    assert DUMPER is (yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper)


@pytest.mark.parametrize(
    "data",
    [
        # Strings YAML would read as something else must stay quoted, as safe_dump quotes them.
        {"s": ["true", "no", "123", "1.5", "", "null", "~", "- x", "a: b", "#c", "é ü 🟢", "line\nbreak", " pad "]},
        {"n": [0, -1, 10**20, 1.0, 0.1, 1e20, 1e-7, -0.0, math.inf, -math.inf, True, False, None]},
        {"empty": {}, "list": [], "nested": [{"a": [1, {"b": []}]}, []], "tuple": (1, 2)},
        [],
    ],
)
def test_yaml_text_is_what_safe_dump_writes(data):
    assert yaml_text(data) == yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def test_yaml_text_of_real_plans_is_what_safe_dump_writes():
    plans = [
        calculate(
            Workload(concurrent_users=users, capacity=capacity, **({"llm": llm} if llm else {})), compare_arch=True
        ).model_dump(mode="json")
        for users, llm, capacity in (
            (10, "none", "on-demand"),
            (3_000, "openai:gpt-4o-mini", "spot-burst"),
            (90_000, None, "on-demand"),
        )
    ]
    assert yaml_text(plans) == yaml.safe_dump(plans, sort_keys=False, default_flow_style=False)
    assert yaml.safe_load(yaml_text(plans)) == plans


def test_yaml_text_of_other_types_falls_back_to_pyyaml():
    from datetime import date

    assert yaml_text({"d": date(2026, 1, 2)}) == yaml.safe_dump({"d": date(2026, 1, 2)}, sort_keys=False)
