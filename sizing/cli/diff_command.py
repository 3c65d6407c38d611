"""`sizing diff`: read the deployed plan (or build the defaults' one), build the new one, render their diff.

The new plan takes what the flags do not say from the deployed plan (load and active ratio, region, architecture,
pinned type, model, capacity, Savings Plan and, without --assumptions, its recorded assumptions), so
`sizing diff deployed.json -c 2000` changes the load and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from pydantic import ValidationError

from sizing.errors import SizingError, describe
from sizing.inputs import MAX_DEPTH, Limits, load_assumptions, parse_ratio, parse_users, read_mapping

# A plan is about 20 KiB and 1,500 values (alternatives, breakdown, assumptions); fifty times that is not a plan.
PLAN_FILE = Limits(1024 * 1024, 20_000, MAX_DEPTH, "a plan's JSON is about 20 KiB")
WHAT = "DEPLOYED.json"


def _explicit(name: str) -> bool:
    return click.get_current_context().get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def read_deployed(path_text: str):
    """The deployed plan's view, from a file or (``-``) standard input, or one line saying what is wrong."""
    from sizing.engine.plan_diff import read_plan

    if not path_text.strip():
        raise SizingError(f"{WHAT}: the file name is empty")
    path = Path("/dev/stdin") if path_text == "-" else Path(path_text)
    if path_text != "-" and path.is_dir():
        raise SizingError(f"{WHAT}: {path} is a directory; give the file `pulumi stack output sizing --json` wrote")
    data = read_mapping(path, WHAT, "a sizing plan (a JSON object)", PLAN_FILE)
    return read_plan(data, f"{WHAT} {'(stdin)' if path_text == '-' else path}")


def _deployed_assumptions(raw: dict[str, Any]) -> dict[str, Any]:
    """The deployed plan's assumptions, checked here so a field this release no longer takes is named as the
    deployed plan's, not as a flag the user never gave."""
    from sizing.assumptions import Assumptions

    try:
        Assumptions.model_validate(raw)
    except ValidationError as error:
        raise SizingError(
            f"{WHAT}: its recorded assumptions do not validate in this release ({describe(error, {})}); "
            "give --assumptions FILE"
        ) from None
    return raw


def run_diff(
    deployed: str | None,
    defaults: bool,
    concurrent_users: str | None,
    total_users: str | None,
    active_ratio: str | None,
    instance_type: str | None,
    llm: str | None,
    fmt: str,
    region: str,
    arch: str | None,
    capacity: str,
    savings_plan: str,
    assumptions_file: Path | None,
    prices_file: Path | None,
    output: str | None,
) -> None:
    from sizing.cli.command import _fancy, _plan, _prices, _style, _write
    from sizing.engine.plan_diff import diff_plans

    if defaults == (deployed is not None):
        raise SizingError("give DEPLOYED.json (the deployed plan) or --defaults, exactly one of the two")
    old = read_deployed(deployed) if deployed is not None else None
    overrides = load_assumptions(assumptions_file) if assumptions_file else None
    prices = _prices(prices_file)
    fields: dict[str, Any] = {
        "total_users": parse_users(total_users, "--total-users") if total_users is not None else None,
        "active_ratio": parse_ratio(active_ratio, "--active-ratio") if active_ratio is not None else None,
        "instance_type": instance_type,
        "arch": arch,
        "region": region,
        "llm": llm,
        "capacity": capacity,
        "savings_plan": savings_plan,
    }
    users = parse_users(concurrent_users, "--concurrent-users") if concurrent_users is not None else None
    if old is None:
        if overrides is None:
            raise SizingError("--defaults compares the plan under --assumptions FILE with the defaults: give it")
        if users is None:
            raise SizingError("--concurrent-users is required with --defaults")
        before = _view(_plan(prices, concurrent_users=users, **fields))
        after = _view(_plan(prices, concurrent_users=users, assumptions=overrides, **fields))
        labels = ("defaults", f"--assumptions {assumptions_file}")
    else:
        w, nodes = old.workload, old.nodes
        if fields["total_users"] is None and fields["active_ratio"] is None:
            if users is None:
                fields["total_users"] = w.total_users
            else:
                fields["active_ratio"] = w.active_ratio
        fields.update(
            region=region if _explicit("region") else w.region,
            arch=arch if arch is not None or instance_type is not None else w.arch,
            instance_type=instance_type or (nodes.instance_type if nodes.pinned and arch is None else None),
            llm=llm if llm is not None else (f"{old.llm.provider}:{old.llm.model}" if old.llm else "none"),
            capacity=capacity if _explicit("capacity") else nodes.capacity,
            savings_plan=(
                savings_plan if _explicit("savings_plan") or nodes.savings_plan is None else nodes.savings_plan.term
            ),
        )
        assumptions = overrides if overrides is not None else _deployed_assumptions(old.assumptions)
        before = old
        after = _view(_plan(prices, concurrent_users=users or w.concurrent_users, assumptions=assumptions, **fields))
        labels = ("deployed", "new")
    result = diff_plans(before, after, before_label=labels[0], after_label=labels[1])
    _write(_render(result, fmt, _fancy(output), _style), output)


def _view(plan):
    """A plan as it is exported, read back as the deployed one is: both sides compared through the same lens."""
    from sizing.engine.plan_diff import read_plan

    return read_plan(plan.model_dump(mode="json"), "the new plan")


def _render(result, fmt: str, fancy: bool, style_for) -> str:
    from sizing.cli import diff_formats

    if fmt == "json":
        return diff_formats.to_json(result)
    if fmt == "markdown":
        return diff_formats.to_markdown(result)
    from sizing.cli.report import render_text

    return render_text(diff_formats.diff_renderables(result, style_for(fancy)), fancy)
