"""The ``sizing`` command: the only place that touches the terminal, files and exit codes.

Every input problem, whichever layer finds it (click, the parsers, pydantic, the engine), leaves as one line on
stderr and exit status 2, and no output file is written unless the whole report rendered.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from sizing.errors import SizingError, describe
from sizing.inputs import load_assumptions, parse_ratio, parse_users

EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130
FORMATS = ("table", "json", "yaml", "markdown", "helm-values", "html")
COMPARE_FORMATS = ("table", "json", "yaml", "markdown", "html")
DIFF_FORMATS = ("table", "json", "markdown")
FLAG_NAMES = {
    "concurrent_users": "--concurrent-users",
    "total_users": "--total-users",
    "active_ratio": "--active-ratio",
    "region": "--region",
    "arch": "--arch",
    "instance_type": "--instance-type",
    "llm": "--llm",
    "capacity": "--capacity",
    "savings_plan": "--savings-plan",
    "assumptions": "--assumptions",
}
PRICES_ENV = "SIZING_PRICES"
# Interactive answers are named as the prompts name them, not as flags the user never typed.
PROMPT_NAMES = {**FLAG_NAMES, "concurrent_users": "concurrent users", "total_users": "total users"}
# What the rich report draws on a terminal: if stdout's encoding cannot take these, the report falls back to ASCII.
_UNICODE_PROBE = "╭─╮│🟢🟡⚠️✅"
T = TypeVar("T")


class Cancelled(Exception):
    """The user closed the prompt (Ctrl-D) or interrupted it (Ctrl-C)."""


def _workload(**fields: Any):
    from sizing.workload import Workload

    return Workload(**{k: v for k, v in fields.items() if v is not None})


def _plan(prices=None, compare_arch: bool = False, **fields: Any):
    from sizing.engine.calculator import calculate

    return calculate(_workload(**fields), prices=prices, compare_arch=compare_arch)


def _prices(path: Path | None):
    """The user's price file (``--prices`` or ``SIZING_PRICES``), or None for the shipped prices."""
    if path is None:
        return None
    from click.core import ParameterSource

    from sizing.data.pricing import load_price_file

    context = click.get_current_context()
    source = context.get_parameter_source("prices_file")
    return load_price_file(path, PRICES_ENV if source == ParameterSource.ENVIRONMENT else "--prices")


class OutputFailed(Exception):
    """Standard output could not take the report (a full disk, a closed descriptor)."""


def _can_encode(text: str, encoding: str | None) -> bool:
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _encodable(text: str, encoding: str | None) -> str:
    """What stdout's encoding cannot take (an ASCII or Latin-1 locale), spelled in what it can: "…" as "...",
    the rest as "?"; never a UnicodeEncodeError halfway through the report."""
    if _can_encode(text, encoding):
        return text

    def one(char: str) -> str:
        if _can_encode(char, encoding):
            return char
        folded = unicodedata.normalize("NFKD", char)
        return folded if _can_encode(folded, encoding) else "?"

    return "".join(one(char) for char in text)


def _to_stdout(text: str) -> None:
    if sys.stdout is None:  # started with stdout closed (`sizing ... >&-`)
        raise OutputFailed("cannot write to standard output: it is closed")
    text = _encodable(text, getattr(sys.stdout, "encoding", None))
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sizing ... | head`): nothing left to say to anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputFailed("") from None
    except OSError as error:
        raise OutputFailed(f"cannot write to standard output: {error.strerror or error}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(text: str, output: str | Path | None) -> None:
    """Write the whole report or nothing: a regular file is replaced atomically, never left half-written.

    Symlinks are written through, and a device or FIFO (``/dev/stdout``, a pipe) is written in place, never replaced.
    """
    if output is None or str(output) == "-":
        _to_stdout(text)
        return
    if not str(output).strip():
        raise SizingError("--output: the file name is empty")
    if str(output).endswith("/") or os.path.basename(str(output)) in (".", ".."):
        # Without this check `-o newdir/` would write a file named `newdir`.
        raise SizingError(f"--output: {output} names a directory; give a file name")
    try:
        try:
            found = os.stat(output)  # follows symlinks, as opening would; a loop raises here
        except FileNotFoundError:
            found = None
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise SizingError(f"--output: {output} is a directory")
        if found is not None and not stat.S_ISREG(found.st_mode):
            # /dev/stdout, a FIFO, a process substitution: open the name as given (resolving it would yield a
            # pipe:[N] path that cannot be opened) and write in place.
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        target = Path(os.path.realpath(output))
        mode = stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise SizingError(f"--output: cannot write {output}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise SizingError(f"--output: cannot write {output}: {error.strerror or error}") from None


def _fancy(output: str | Path | None) -> bool:
    return (output is None or str(output) == "-") and sys.stdout is not None and sys.stdout.isatty()


def _style(fancy: bool):
    """Boxes and emoji only where they can be printed: a terminal whose encoding (locale) takes them."""
    from sizing.cli.report import Style

    return Style(fancy and _can_encode(_UNICODE_PROBE, getattr(sys.stdout, "encoding", None)))


def _say(text: str) -> None:
    if sys.stderr is not None:  # started with stderr closed (`2>&-`): the exit status still tells
        sys.stderr.write(text)
        sys.stderr.flush()


def _ask(question: str, parse: Callable[[str], T]) -> T:
    """Ask until the answer parses; the prompt goes to stderr so stdout stays clean for ``--format json``."""
    while True:
        _say(question)
        if sys.stdin is None:  # started with stdin closed: nothing will ever answer
            raise Cancelled
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            raise Cancelled from None
        except UnicodeDecodeError:
            _say("  the answer is not text in the terminal's encoding; please try again\n")
            continue
        if line == "":
            raise Cancelled
        try:
            return parse(line)
        except (SizingError, ValidationError) as error:
            _say(f"  {describe(error, PROMPT_NAMES)}; please try again\n")


def _interactive_users(**fields: Any) -> tuple[int, int | None]:
    """Ask for the user counts; each answer is checked against a whole plan with the other flags, so a load the
    pinned type or the ratio cannot take is asked again rather than refused after the last prompt."""
    ratio = fields.pop("active_ratio")

    def concurrent(text: str) -> int:
        users = parse_users(text, "concurrent users")
        _plan(concurrent_users=users, active_ratio=ratio, **fields)
        return users

    users = _ask("Expected concurrent users (peak): ", concurrent)
    derived = _workload(concurrent_users=users, active_ratio=ratio).effective_total_users

    def total(text: str) -> int | None:
        if not text.strip():
            return None
        value = parse_users(text, "total users")
        if ratio is not None:
            raise SizingError(
                f"total users: --active-ratio {ratio:g} sets them to {derived:,}; leave the answer "
                "blank, or run again without --active-ratio"
            )
        _plan(concurrent_users=users, total_users=value, **fields)
        return value

    source = f"--active-ratio {ratio:g}" if ratio is not None else "the default active ratio 0.1"
    return users, _ask(f"Total registered users (blank: {derived:,}, from {source}): ", total)


def _common_options(command: Callable) -> Callable:
    for option in reversed(
        [
            click.option("--region", default="us-east-1", show_default=True, help="AWS region to price."),
            click.option(
                "--arch",
                type=click.Choice(["x86_64", "arm64"]),
                default=None,
                help="Node CPU architecture (arm64 = Graviton); default: the pinned type's, else x86_64.",
            ),
            click.option(
                "--capacity",
                type=click.Choice(["on-demand", "spot-burst"]),
                default="on-demand",
                show_default=True,
                help="spot-burst: the min fleet on-demand, the nodes above it on Spot (3+ types of its shape).",
            ),
            click.option(
                "--savings-plan",
                "savings_plan",
                type=click.Choice(["none", "1y", "3y"]),
                default="none",
                show_default=True,
                help="Price the min fleet at a Compute Savings Plan rate (needs a price file with the rates).",
            ),
            click.option(
                "--assumptions",
                "assumptions_file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="YAML or JSON file overriding any assumption (see docs/methodology.md).",
            ),
            click.option(
                "--prices",
                "prices_file",
                type=click.Path(path_type=Path, dir_okay=False),
                envvar=PRICES_ENV,
                help=f"Price file from `sizing prices refresh` instead of the shipped prices (env {PRICES_ENV}).",
            ),
            # A str, not a Path: Path("newdir/") drops the slash that says the user meant a directory.
            click.option(
                "--output",
                "-o",
                type=click.Path(allow_dash=True),
                help="Write to FILE instead of stdout (replaced atomically); - is stdout.",
            ),
        ]
    ):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Size the AWS infrastructure of an LLM chat application from its expected user load."""


@cli.command()
@click.option("--concurrent-users", "-c", metavar="N", help="Peak simultaneous users.")
@click.option("--total-users", "-t", metavar="N", help="Registered users (default: concurrent / active ratio).")
@click.option("--active-ratio", metavar="R", help="Concurrent / total users at peak, in (0, 1]; default 0.10.")
@click.option("--interactive", "-i", is_flag=True, help="Ask for the user counts.")
@click.option("--instance-type", metavar="TYPE", help="Pin the node instance type instead of choosing the cheapest.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--app",
    type=click.Choice(["backend", "frontend"]),
    help="With --format helm-values: that app's values at the top level, for a plain `helm create` chart.",
)
@click.option(
    "--llm",
    metavar="PROVIDER:MODEL",
    help="The chat model to size and price, e.g. openai:gpt-4o-mini; `none` leaves the LLM out. "
    "Default: Bedrock's Claude Haiku 4.5 (global profile).",
)
@_common_options
def report(
    concurrent_users,
    total_users,
    active_ratio,
    interactive,
    instance_type,
    fmt,
    app,
    llm,
    region,
    arch,
    capacity,
    savings_plan,
    assumptions_file,
    prices_file,
    output,
) -> None:
    """Print the sizing plan for one load."""
    if app is not None and fmt != "helm-values":
        raise SizingError("--app goes with --format helm-values")
    overrides = load_assumptions(assumptions_file) if assumptions_file else None
    prices = _prices(prices_file)
    ratio = parse_ratio(active_ratio, "--active-ratio") if active_ratio is not None else None
    if interactive:
        if concurrent_users is not None or total_users is not None:
            raise SizingError("--interactive asks for the user counts: drop --concurrent-users/--total-users")
        others = {
            "active_ratio": ratio,
            "region": region,
            "arch": arch,
            "instance_type": instance_type,
            "llm": llm,
            "capacity": capacity,
            "savings_plan": savings_plan,
            "assumptions": overrides,
            "prices": prices,
        }
        # Every other flag is checked before the first question: a typo in --region must not cost two answers.
        # One user is the smallest load; what fails for it (a region, a contradiction, a tiny ratio) fails for all.
        _plan(concurrent_users=1, **others)
        users, total = _interactive_users(**others)
    elif concurrent_users is None:
        raise SizingError("--concurrent-users is required (or use --interactive)")
    else:
        users = parse_users(concurrent_users, "--concurrent-users")
        total = parse_users(total_users, "--total-users") if total_users is not None else None
    fields = {
        "region": region,
        "arch": arch,
        "instance_type": instance_type,
        "capacity": capacity,
        "savings_plan": savings_plan,
        "assumptions": overrides,
    }
    plan = _plan(prices, True, concurrent_users=users, total_users=total, active_ratio=ratio, llm=llm, **fields)
    if fmt == "html":
        from sizing.cli.html_page import report_html

        ratio_held = {"active_ratio": plan.workload.active_ratio}
        _write(report_html(plan, _plan_at(prices, **fields, **ratio_held)), output)
        return
    _write(_render(plan, fmt, _fancy(output), app), output)


def _plan_at(prices: Any, **fields: Any) -> Callable[[int, str | None], Any]:
    """The same settings at another load and model, for the HTML page's charts; None where that cannot be planned
    (a pinned type too small, a limit passed): the chart leaves that load out."""

    def plan_at(users: int, llm: str | None):
        try:
            return _plan(prices, concurrent_users=users, llm=llm, **fields)
        except (SizingError, ValidationError):
            return None

    return plan_at


def _render(plan, fmt: str, fancy: bool, app: str | None) -> str:
    from sizing.cli import formats

    if fmt == "table":
        from sizing.cli.report import render_text, report_panels

        return render_text(report_panels(plan, _style(fancy)), fancy)
    if fmt == "helm-values":
        return formats.to_helm_values(plan, app)
    return {"json": formats.to_json, "yaml": formats.to_yaml, "markdown": formats.to_markdown}[fmt](plan)


@cli.command()
@click.argument("users", nargs=-1, required=True, metavar="USERS...")
@click.option("--active-ratio", metavar="R", help="Concurrent / total users at peak for every scenario; default 0.10.")
@click.option("--format", "-f", "fmt", type=click.Choice(COMPARE_FORMATS), default="table", show_default=True)
@click.option(
    "--llm",
    "llms",
    metavar="PROVIDER:MODEL",
    multiple=True,
    help="A chat model to price; repeat it to compare models on the same loads (`none`: no LLM).",
)
@_common_options
def compare(
    users: Sequence[str],
    active_ratio,
    fmt,
    llms,
    region,
    arch,
    capacity,
    savings_plan,
    assumptions_file,
    prices_file,
    output,
) -> None:
    """Show several loads (and models) side by side, e.g. `sizing compare 300 1500 --llm openai:gpt-4o-mini`."""
    from sizing.cli import formats

    overrides = load_assumptions(assumptions_file) if assumptions_file else None
    prices = _prices(prices_file)
    ratio = parse_ratio(active_ratio, "--active-ratio") if active_ratio is not None else None
    plans = [
        _scenario(
            text,
            prices,
            active_ratio=ratio,
            region=region,
            arch=arch,
            llm=llm,
            capacity=capacity,
            savings_plan=savings_plan,
            assumptions=overrides,
        )
        for text in users
        for llm in (llms or (None,))
    ]
    if fmt == "table":
        from sizing.cli.compare_table import compare_width, comparison_tables
        from sizing.cli.report import render_text

        fancy, width = _fancy(output), compare_width()
        text = render_text(comparison_tables(plans, _style(fancy), width), fancy, width)
    elif fmt == "html":
        from sizing.cli.html_page import compare_html

        common = {"region": region, "arch": arch, "capacity": capacity, "savings_plan": savings_plan}
        at = _plan_at(prices, active_ratio=ratio, assumptions=overrides, **common)
        text = compare_html(plans, list(llms or (None,)), at)
    else:
        text = {"json": formats.many_to_json, "yaml": formats.many_to_yaml, "markdown": formats.many_to_markdown}[fmt](
            plans
        )
    _write(text, output)


def _scenario(text: str, prices: Any, **fields: Any):
    """One compared load; its problems name the USERS argument it came from (compare has no --concurrent-users)."""
    users = parse_users(text, f"USERS ({text!r})")
    try:
        return _plan(prices, concurrent_users=users, **fields)
    except (SizingError, ValidationError) as error:
        raise SizingError(describe(error, {**FLAG_NAMES, "concurrent_users": "USERS"})) from None


@cli.command()
@click.argument("deployed", required=False, metavar="[DEPLOYED.json]")
@click.option("--defaults", is_flag=True, help="Compare with the same load under default assumptions instead.")
@click.option("--concurrent-users", "-c", metavar="N", help="Peak simultaneous users (default: the deployed plan's).")
@click.option("--total-users", "-t", metavar="N", help="Registered users (default: concurrent / active ratio).")
@click.option("--active-ratio", metavar="R", help="Concurrent / total users at peak, in (0, 1]; default 0.10.")
@click.option("--instance-type", metavar="TYPE", help="Pin the node instance type instead of choosing the cheapest.")
@click.option("--llm", metavar="PROVIDER:MODEL", help="The chat model (default: the deployed plan's).")
@click.option("--format", "-f", "fmt", type=click.Choice(DIFF_FORMATS), default="table", show_default=True)
@_common_options
def diff(**options: Any) -> None:
    """What a new load or assumptions change against a deployed plan (`pulumi stack output sizing --json`, or any
    plan JSON; - reads stdin), or, with --defaults, against default assumptions."""
    from sizing.cli.diff_command import run_diff

    run_diff(**options)


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--output", "-o", type=click.Path(allow_dash=True), help="Write to FILE.")
def assumptions(fmt, output) -> None:
    """Print every assumption with its default: a starting point for --assumptions FILE."""
    from sizing.assumptions import Assumptions
    from sizing.cli import formats

    data = Assumptions().model_dump(mode="json")
    _write(formats.to_yaml_text(data) if fmt == "yaml" else json.dumps(data, indent=2) + "\n", output)


@cli.command()
@click.option("--output", "-o", type=click.Path(allow_dash=True), help="Write to FILE.")
def schema(output) -> None:
    """Print the JSON Schema of the plan that `report --format json` prints, generated from the models."""
    from sizing.plan import SizingPlan

    _write(json.dumps(SizingPlan.model_json_schema(mode="serialization"), indent=2) + "\n", output)


@cli.group(invoke_without_command=True)
@click.pass_context
def prices(context: click.Context) -> None:
    """Price data: refresh a region's prices from the AWS Price List API."""
    if context.invoked_subcommand is None:
        raise SizingError("missing command: use `sizing prices refresh --region REGION` (see `sizing prices --help`)")


@prices.command()
@click.option("--region", required=True, metavar="REGION", help="AWS region to read prices for, e.g. eu-central-1.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Price file to write (replaced atomically; its other regions are kept); default: stdout.",
)
def refresh(region: str, output: Path | None) -> None:
    """Read current on-demand prices for REGION into a dated price file (needs boto3 and AWS credentials).

    Use the file with `sizing report --prices FILE` (or SIZING_PRICES=FILE).
    """
    from sizing.data.pricing import REGION_NAME, load_price_file

    if not REGION_NAME.fullmatch(region):
        raise SizingError(f"--region: {region!r} is not an AWS region name like eu-central-1")
    existing = None
    if output is not None and os.path.isdir(output):
        raise SizingError(f"--output: {output} is a directory")  # said now, not after a minute of fetching
    if output is not None and str(output) != "-" and os.path.isfile(output):
        # Refreshing into an existing price file adds or replaces this region and keeps the others; a file that is
        # not a price file is refused before anything is fetched, and stays as it was.
        existing = load_price_file(output, "--output")
    from sizing.data.price_refresh import refreshed_file

    text, summary = refreshed_file(region, existing)
    _write(text, output)
    sys.stderr.write(f"sizing: {summary}\n")


from sizing.cli.calibrate import calibrate  # noqa: E402  (its module imports this one's helpers lazily)

cli.add_command(calibrate)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    # One line whatever the input echoed in it held (a file name or a value with a newline in it).
    one_line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    _say(f"sizing: error: {one_line}\n")
    return code


def _cancelled() -> int:
    """Leave quietly: a second Ctrl-C while saying so is ignored, not turned into a traceback (the program is
    exiting anyway, so SIGINT stays ignored)."""
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        _say("\nsizing: cancelled\n")
    except KeyboardInterrupt:
        pass
    return EXIT_CANCELLED


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    if not args:
        return _fail(
            "missing command: use `sizing report`, `sizing compare`, `sizing diff`, `sizing assumptions`, `sizing schema` "
            "or `sizing prices refresh` (see --help)"
        )
    try:
        result = cli.main(args=args, prog_name="sizing", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as error:
        return _fail(error.format_message())
    except (SizingError, ValidationError) as error:
        return _fail(describe(error, FLAG_NAMES))
    except UnicodeError:
        # An argument that is not text (a lone surrogate from undecodable argv bytes), met by click or a path.
        return _fail("an argument is not valid text in this locale: check its encoding")
    except OutputFailed as error:
        if str(error):
            _say(f"sizing: error: {error}\n")
        return 1
    except (Cancelled, click.Abort, KeyboardInterrupt):
        return _cancelled()
    return result if isinstance(result, int) else 0
