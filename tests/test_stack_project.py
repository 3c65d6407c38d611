"""The project files, and the program run the way the Pulumi language host runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
import yaml
from stack_mocks import REPO_ROOT, STACKS_DIR, config_values, run_program, use_stack_modules

use_stack_modules()
import config as stack_config

DRIVER = REPO_ROOT / "tests" / "stack_driver.py"


def project() -> dict:
    return yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())


def cli_config(stack_file: str = "Pulumi.dev.yaml") -> dict[str, str]:
    """What the CLI hands the program: the stack's values over Pulumi.yaml's defaults, all as strings."""
    values = {f"chat-infra:{key}": spec["default"] for key, spec in project()["config"].items() if "default" in spec}
    values.update(yaml.safe_load((REPO_ROOT / stack_file).read_text())["config"])
    return config_values(values)


def test_the_project_runs_stacks_with_pip_in_the_readmes_virtualenv():
    proj = project()
    assert proj["name"] == "chat-infra"
    assert proj["main"] == "stacks/"
    # Resolved against the folder of Pulumi.yaml: the repo-root .venv of the README's set-up.
    assert proj["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_pulumi_yaml_declares_exactly_the_keys_the_program_reads():
    declared = project()["config"]
    assert list(declared) == list(stack_config.KEYS)
    for key, spec in stack_config.KEYS.items():
        assert declared[key]["type"] == spec.type, key
        assert declared[key]["description"] == spec.description, key
        if spec.default is None:
            assert "default" not in declared[key], f"{key} is required: no default"
        else:
            assert declared[key]["default"] == spec.default, key
        # The CLI requires the items' type of an array (and accepts it nowhere else).
        if spec.type == "array":
            assert declared[key]["items"] == {"type": spec.items}, key
            assert all(isinstance(item, str) for item in spec.default), key
        else:
            assert "items" not in declared[key] and spec.items is None, key
    # The types the Pulumi CLI accepts in a project config block.
    assert {spec["type"] for spec in declared.values()} <= {"string", "integer", "boolean", "array", "object"}


def test_the_dev_stack_is_a_working_sample():
    stack = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert stack == {
        "aws:region": "us-east-1",
        "chat-infra:concurrentUsers": 1000,
        "chat-infra:totalUsers": 10000,
        "chat-infra:allowPlainHttp": True,
    }
    run = run_program(cli_config(), region=None)
    assert run.outputs["tier"] == "medium"
    assert run.outputs["sizing"]["workload"] == {
        "concurrent_users": 1000,
        "total_users": 10000,
        "active_ratio": 0.1,
        "region": "us-east-1",
        "arch": "x86_64",
    }


def test_requirements_install_this_project_with_the_stacks_extras_ranges():
    lines = [
        line.strip()
        for line in (STACKS_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "-e ..[stacks]"  # pip runs in stacks/: `..` is the repo root
    extra = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["stacks"]
    assert sorted(lines[1:]) == sorted(extra)


def run_like_the_language_host(config: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTHON") and k not in ("AWS_REGION", "AWS_DEFAULT_REGION")
    }
    env["PULUMI_CONFIG"] = json.dumps(config)
    return subprocess.run(
        [sys.executable, "-I", str(DRIVER)], cwd=STACKS_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_program_runs_with_only_stacks_importable_and_sizing_from_the_installed_project():
    result = run_like_the_language_host(cli_config())
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["cwd"] == str(STACKS_DIR)
    on_path = {os.path.realpath(p or ".") for p in report["sys_path"]}
    assert str(REPO_ROOT) not in on_path and str(REPO_ROOT / "tests") not in on_path
    assert report["distribution"] == "chat-infra"
    if report["editable"]:
        # Nothing on sys.path holds `sizing`: only the installed (editable) distribution's finder resolves it.
        assert report["sizing_findable_on_sys_path"] is False
        assert report["sizing_file"] == str(REPO_ROOT / "sizing" / "__init__.py")
    assert (report["tier"], report["node_groups"]) == ("medium", 1)
    assert report["resources"] > 40


@pytest.mark.parametrize(
    ("users", "start", "end"),
    [
        ("-5", "chat-infra:concurrentUsers: ", " greater than 0 (got -5)\n"),
        # A plan whose max fleet the default /16 cannot address: refused before anything is declared.
        ("1000000", "chat-infra:vpcCidr: the plan's max fleet needs about ", " or split the load across stacks\n"),
    ],
    ids=["negative-users", "fleet-beyond-the-vpc"],
)
def test_a_config_error_under_the_language_host_is_one_line_without_a_traceback(users, start, end):
    config = {**cli_config(), "chat-infra:concurrentUsers": users, "chat-infra:totalUsers": "0"}
    result = run_like_the_language_host(config)
    assert result.returncode == 1
    assert result.stderr.startswith(start)
    assert result.stderr.endswith(end)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_pip_resolves_the_requirements_from_stacks_to_this_project():
    """What `pulumi install` runs (pip -r requirements.txt, cwd stacks/), as a dry run."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--disable-pip-version-check", "-r", "requirements.txt"],
        cwd=STACKS_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 and any(
        sign in result.stderr for sign in ("Could not find a version", "NewConnectionError", "No matching distribution")
    ):
        pytest.skip(f"no package index to build the project's metadata: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    assert "chat-infra-0.1.0" in result.stdout or "chat-infra" in result.stdout
