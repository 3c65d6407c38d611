"""The command's LLM choice: --llm on report and compare, the LLM panel, and bad choices as one line, exit 2."""

from __future__ import annotations

import json

import pytest
import yaml

from sizing.cli.command import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_prices_the_chosen_model(capsys):
    code, out, err = run(capsys, "report", "-c", "1000", "--llm", "openai:gpt-4o-mini", "-f", "json")
    plan = json.loads(out)
    assert (code, err) == (0, "")
    assert (plan["llm"]["provider"], plan["llm"]["model"]) == ("openai", "gpt-4o-mini")
    # $0.15 / $0.60 per million; the shipped two-turn conversation sends 1,015 then 1,296 tokens (a mean of
    # 1,155.5), under gpt-4o-mini's 1,024-token caching minimum for the re-sent part (1,015): (1,155.5 x 0.15 + 211 x
    # 0.60) / 1e6 a turn, 43,800,000 turns a month at peak.
    assert plan["cost"]["llm_monthly_usd"]["max"] == pytest.approx(
        43_800_000 * (1_155.5 * 0.15 + 211 * 0.60) / 1e6, abs=0.01
    )
    assert {i["key"] for i in plan["cost"]["breakdown"]} >= {"llm_api", "ec2_nodes", "eks_control_plane"}


def test_llm_none_leaves_it_out(capsys):
    code, out, _ = run(capsys, "report", "-c", "1000", "--llm", "none", "-f", "yaml")
    plan = yaml.safe_load(out)
    assert code == 0 and plan["llm"] is None and plan["cost"]["llm_monthly_usd"] == {"min": 0.0, "max": 0.0}


def test_the_table_has_an_llm_panel_and_subtotals(capsys):
    code, out, _ = run(capsys, "report", "-c", "1000")
    assert code == 0
    for text in (
        "LLM",
        "Peak Tokens/Minute",
        "1.4M of unknown quota",
        "Open Streams",
        "64 at peak",
        "Infrastructure",
        "LLM API",
        # 43,800,000 turns x (1,155.5 x $1 + 211 x $5) / 1e6 = $96,819.90 at peak, half at the mean load.
        "$48,410 - $96,820",
    ):
        assert text in out, text


def test_markdown_has_the_llm_section(capsys):
    code, out, _ = run(capsys, "report", "-c", "1000", "-f", "markdown", "--llm", "openai:gpt-4o-mini")
    assert code == 0 and "## LLM" in out and "| Peak Turns/Second | 16.7 (1,000 requests/min) |" in out
    assert "LLM subtotal" in out and "Infrastructure subtotal" in out


def test_compare_prices_several_models_on_the_same_loads(capsys):
    code, out, _ = run(
        capsys,
        "compare",
        "1000",
        "5000",
        "--llm",
        "openai:gpt-4o-mini",
        "--llm",
        "anthropic:claude-sonnet-4-5",
        "--llm",
        "none",
        "-f",
        "json",
    )
    plans = json.loads(out)
    assert code == 0
    assert [(p["workload"]["concurrent_users"], p["llm"] and p["llm"]["model"]) for p in plans] == [
        (1000, "gpt-4o-mini"),
        (1000, "claude-sonnet-4-5"),
        (1000, None),
        (5000, "gpt-4o-mini"),
        (5000, "claude-sonnet-4-5"),
        (5000, None),
    ]
    code, out, _ = run(capsys, "compare", "1000", "--llm", "openai:gpt-4o-mini", "--llm", "none")
    assert code == 0 and "LLM API" in out and "gpt-4o-mini" in out and "LLM peak TPM" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "-c", "100", "--llm", "gpt-4o"), "--llm: expected PROVIDER:MODEL"),
        (
            ("report", "-c", "100", "--llm", "openai:gpt-4o-minii"),
            "--llm: unknown OpenAI model 'gpt-4o-minii'; did you mean",
        ),
        (("report", "-c", "100", "--llm", "nope:model"), "--llm: unknown LLM provider 'nope'"),
        (("compare", "100", "--llm", "openai:gpt-4o-mini", "--llm", "x"), "--llm: expected PROVIDER:MODEL"),
    ],
)
def test_bad_llm_choices_are_one_line_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(f"sizing: error: {message}") and err.count("\n") == 1


def test_bad_llm_assumptions_are_one_line_and_exit_2(capsys, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("llm:\n  cached_input_share: 2\n")
    code, out, err = run(capsys, "report", "-c", "100", "--assumptions", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("sizing: error: --assumptions: llm.cached_input_share: must be less than or equal to 1")


def test_an_argument_that_is_not_text_is_one_line(capsys):
    code, out, err = run(capsys, "report", "-c", "100", "--assumptions=\ud800")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("sizing: error:")
