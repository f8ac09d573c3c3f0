"""``contracts``: run the contract checks against a server by base URL."""

from __future__ import annotations

import json
import random
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from message_api_kit.contracts import diff_report
from message_api_kit.contracts.diff import run_diff
from message_api_kit.contracts.failures import BudgetExhausted, Unreachable
from message_api_kit.contracts.profile import observe
from message_api_kit.contracts.registry import ContractCheck, Registry, default_registry
from message_api_kit.contracts.replay import read_journal, replay
from message_api_kit.contracts.runner import CheckResult, Report, RunConfig, UsageError, parse_header, run
from message_api_kit.contracts.transport import DEFAULT_CONNECTIONS, MAX_ANSWER_BYTES, Transport


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def _registry() -> Registry:
    """The operations under contract: those ``main`` was given (a test's own), else the kit's."""
    given = click.get_current_context().obj
    return given if isinstance(given, Registry) else default_registry()


def _header(value: str) -> tuple[str, str]:
    try:
        return parse_header(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--header") from None


def _rate(value: str | None) -> float | None:
    if value is None:
        return None
    number = value.removesuffix("/s")
    try:
        rate = float(number)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not N/s", param_hint="--rate-limit") from None
    if rate <= 0:
        raise click.BadParameter("must be above 0", param_hint="--rate-limit")
    return rate


def _exchange_bounds(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--timeout`` and ``--max-answer-bytes``: how long and how large one exchange may be, for both commands."""
    command = click.option(
        "--max-answer-bytes",
        default=MAX_ANSWER_BYTES,
        show_default=True,
        type=click.IntRange(1024),
        help="The largest answer read, before and after decompression; past it, a failure.",
    )(command)
    return click.option(
        "--timeout",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0.1),
        help="Seconds a whole exchange may take.",
    )(command)


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Also: contracts diff --base-url REAL --fake-url FAKE --conversation N: the same requests to a real"
    " server and the fake, every difference reported, and a profile that calibrates the fake"
    " (contracts diff --help). contracts replay JOURNAL --base-url REAL --conversation N: an app's own"
    " requests, from the fake's journal, sent to the real server (contracts replay --help).",
)
@click.option("--base-url", help="The server under test, e.g. https://staging.example.com/api (required).")
@click.option("--conversation", type=click.IntRange(1), help="Conversation the run writes to (required: no default).")
@click.option("--other-conversation", type=click.IntRange(1), help="A second one, for cross-conversation rules.")
@click.option("--header", "headers", multiple=True, help="'Name: value' sent with every request (repeatable).")
@click.option("--max-examples", default=15, show_default=True, type=click.IntRange(1), help="Examples per check.")
@click.option("--seed", type=int, help="Replay a run: the seed a report printed.")
@click.option("--rate-limit", help="At most N requests per second, e.g. 10/s.")
@click.option(
    "--connections",
    default=DEFAULT_CONNECTIONS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Connections kept to the server, taken in turn by consecutive requests (as any pooled client), and used"
    " at once by bursts: state a server keeps per worker process, or ids counted without a lock, is seen.",
)
@_exchange_bounds
@click.option("--date-tolerance", default=300.0, show_default=True, type=click.FloatRange(min=0), help="Clock skew, s.")
@click.option(
    "--operations",
    multiple=True,
    help="Only the checks of these operations, by operation id (comma-separated or repeated; --list-checks names"
    " them). Default: every operation the kit knows.",
)
@click.option("--checks", "checks", multiple=True, help="Only these checks (comma-separated or repeated).")
@click.option("--exclude-checks", multiple=True, help="All checks but these.")
@click.option("--strict", is_flag=True, help="Fail the project's own choices where the doc is silent, too.")
@click.option("--exit-first", "-x", is_flag=True, help="Stop after the first check that fails.")
@click.option("--show-secrets", is_flag=True, help="Show --header values in reports (redacted by default).")
@click.option("--junit-xml", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML here.")
@click.option("--dry-run", is_flag=True, help="Print the checks and the request budget; send nothing.")
@click.option("--list-checks", is_flag=True, help="List every check and exit.")
def cli(
    base_url: str | None,
    conversation: int | None,
    other_conversation: int | None,
    headers: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    rate_limit: str | None,
    connections: int,
    timeout: float,
    max_answer_bytes: int,
    date_tolerance: float,
    operations: tuple[str, ...],
    checks: tuple[str, ...],
    exclude_checks: tuple[str, ...],
    strict: bool,
    exit_first: bool,
    show_secrets: bool,
    junit_xml: Path | None,
    dry_run: bool,
    list_checks: bool,
) -> int:
    """Check that the server at --base-url honours the contract of POST /conversations/{conversation}/messages."""
    registry = _registry()
    if list_checks:
        for unit in registry:
            click.echo(f"{unit.id} ({unit.operation.method} {unit.operation.path}):")
            for check in unit.checks:
                click.echo(f"  {check.name:32} {check.reference:18} {check.description}")
                if check.lenient:
                    click.echo(f"{'':53} noted, a failure under --strict: {check.lenient}")
        return 0
    if base_url is None:
        raise click.UsageError("Missing option '--base-url': the server to check.")
    if conversation is None:
        raise click.UsageError("Missing option '--conversation': name the conversation the run may write to.")
    try:
        config = RunConfig(
            base_url=base_url,
            conversation=conversation,
            other_conversation=other_conversation,
            headers=dict(_header(h) for h in headers),
            max_examples=max_examples,
            seed=seed,
            rate_limit=_rate(rate_limit),
            timeout=timeout,
            max_answer_bytes=max_answer_bytes,
            connections=connections,
            checks=_names(checks),
            exclude_checks=_names(exclude_checks),
            date_tolerance=date_tolerance,
            strict=strict,
            exit_first=exit_first,
            show_secrets=show_secrets,
            operations=_names(operations),
            registry=registry,
        )
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    writes = f"conversation {conversation}" + (f" and {other_conversation}" if other_conversation else "")
    mode = " (strict)" if strict else ""
    click.echo(
        f"contracts: {len(config.selected())} checks{mode} of {', '.join(config.units().ids)} against {base_url},"
        f" writing to {writes}"
    )
    click.echo(
        f"  at most {config.total_budget()} requests" + (f", {config.rate_limit:g}/s" if config.rate_limit else "")
    )
    if dry_run:
        for check in config.selected():
            skip = " (skipped: needs --other-conversation)" if check.needs_other and not other_conversation else ""
            click.echo(f"  {check.name:34} <= {config.budget(check):5} requests  {check.description}{skip}")
        return 0
    progress = _Progress()
    report = run(config, on_start=progress.start, on_request=progress.tick, on_result=progress.done)
    return _reported(report, junit_xml)


def _reported(report: Report, junit_xml: Path | None) -> int:
    """Print the report, write its JUnit file, and return the exit status (the JUnit file also on exit 2)."""
    if report.unreachable is not None:
        click.echo(f"contracts: error: {report.redact(report.unreachable)}", err=True)
        if junit_xml is not None:
            report.write_junit(junit_xml)
        return 2
    for result in report.results:
        if result.status in ("failed", "error"):
            click.echo("\n" + report.failure_text(result))
    if report.notes:
        click.echo("\n" + report.notes_text())
    click.echo("\n" + report.summary())
    if junit_xml is not None:
        report.write_junit(junit_xml)
    return report.exit_code


class _Progress:
    """A live line on a terminal (the check running, its requests so far); plain lines elsewhere."""

    def __init__(self) -> None:
        self.live = sys.stdout.isatty()
        self.current = ""

    def start(self, check: ContractCheck) -> None:
        self.current = check.name

    def tick(self, sent: int) -> None:
        if self.live:
            click.echo(f"\r  running {self.current}: request {sent}\x1b[K", nl=False)

    def done(self, result: CheckResult) -> None:
        prefix = "\r\x1b[K" if self.live else ""
        click.echo(
            f"{prefix}  {result.status:7} {result.check.name} ({result.requests} requests, {result.seconds:.2f}s)"
        )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--base-url", required=True, help="The real server, e.g. https://staging.example.com/api.")
@click.option("--fake-url", required=True, help="The fake, e.g. http://127.0.0.1:8080.")
@click.option("--conversation", type=click.IntRange(1), help="Conversation the run writes to, on both (required).")
@click.option(
    "--other-conversation", type=click.IntRange(1), help="A second one, for a parent in another conversation."
)
@click.option("--header", "headers", multiple=True, help="'Name: value' sent to the real server (repeatable).")
@click.option("--fake-header", "fake_headers", multiple=True, help="'Name: value' sent to the fake (repeatable).")
@click.option(
    "--max-examples",
    default=10,
    show_default=True,
    type=click.IntRange(0),
    help="Seeded conversations of generated requests sent to both servers, after the fixed programs (0: none).",
)
@click.option("--seed", type=int, help="Replay a run: the seed a report printed.")
@click.option("--rate-limit", help="At most N requests per second to each server, e.g. 10/s.")
@click.option("--budget", type=click.IntRange(1), help="At most this many requests to each server.")
@_exchange_bounds
@click.option(
    "--fail-on",
    type=click.Choice(["contract", "choice", "any"]),
    default="choice",
    show_default=True,
    help="What fails the run: a side breaking the contract; that or a choice a profile copies; any difference.",
)
@click.option("--date-tolerance", default=300.0, show_default=True, type=click.FloatRange(min=0), help="Clock skew, s.")
@click.option(
    "--operations", multiple=True, help="Only the programs of these operations, by operation id (default: every one)."
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write a JSON report here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), help="Write an HTML report here.")
@click.option("--junit-xml", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML here.")
@click.option(
    "--write-profile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the real server's choices where the doc is silent, for `mockserver serve --profile`.",
)
def diff_cli(
    base_url: str,
    fake_url: str,
    conversation: int | None,
    other_conversation: int | None,
    headers: tuple[str, ...],
    fake_headers: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    rate_limit: str | None,
    budget: int | None,
    timeout: float,
    max_answer_bytes: int,
    fail_on: str,
    date_tolerance: float,
    operations: tuple[str, ...],
    json_path: Path | None,
    html_path: Path | None,
    junit_xml: Path | None,
    write_profile: Path | None,
) -> int:
    """Send the same requests and programs to a real server and the fake; report where they differ."""
    if conversation is None:
        raise click.UsageError("Missing option '--conversation': name the conversation the run may write to.")
    seed = random.randrange(2**32) if seed is None else seed
    registry = _registry()
    try:
        registry.select(_names(operations))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    transports = [
        Transport(
            url, dict(_header(h) for h in given), timeout, _rate(rate_limit), budget, max_answer_bytes=max_answer_bytes
        )
        for url, given in ((base_url, headers), (fake_url, fake_headers))
    ]
    try:
        report = run_diff(
            transports[0],
            transports[1],
            conversation,
            other_conversation,
            seed,
            max_examples,
            fail_on,
            date_tolerance,
            registry=registry,
            operations=_names(operations),
        )
    except (Unreachable, BudgetExhausted) as exc:
        click.echo(f"contracts: error: {exc}", err=True)
        return 2
    finally:
        for transport in transports:
            transport.close()
    click.echo(diff_report.terminal(report))
    if json_path is not None:
        diff_report.write_json(report, json_path)
    if html_path is not None:
        diff_report.write_html(report, html_path)
    if junit_xml is not None:
        diff_report.write_junit(report, junit_xml)
    if write_profile is not None:
        try:
            profile = observe(report)
        except ValueError as exc:  # nothing to learn: one line, exit 2, as for a server that cannot be reached
            click.echo(f"contracts: error: no profile written to {write_profile}: {exc}", err=True)
            return 2
        write_profile.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        click.echo(
            f"wrote the real server's profile to {write_profile} (use: mockserver serve --profile {write_profile})"
        )
    click.echo(
        f"replay: contracts diff --base-url {base_url} --fake-url {fake_url} --conversation {conversation}"
        + (f" --other-conversation {other_conversation}" if other_conversation else "")
        + (f" --operations {','.join(_names(operations))}" if operations else "")
        + f" --max-examples {max_examples} --seed {seed}"
    )
    return report.exit_code


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("journal", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--base-url", required=True, help="The real server, e.g. https://staging.example.com/api.")
@click.option(
    "--conversation", type=click.IntRange(1), required=True, help="Where the journal's first conversation goes."
)
@click.option("--other-conversation", type=click.IntRange(1), help="Where its second one goes.")
@click.option("--header", "headers", multiple=True, help="'Name: value' sent with every request (repeatable).")
@click.option("--rate-limit", help="At most N requests per second, e.g. 10/s.")
@_exchange_bounds
@click.option("--date-tolerance", default=300.0, show_default=True, type=click.FloatRange(min=0), help="Clock skew, s.")
@click.option("--show-secrets", is_flag=True, help="Show --header values in reports (redacted by default).")
@click.option(
    "--operations", multiple=True, help="Only the requests of these operations, by operation id (default: every one)."
)
@click.option("--junit-xml", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML here.")
def replay_cli(
    journal: Path,
    base_url: str,
    conversation: int,
    other_conversation: int | None,
    headers: tuple[str, ...],
    rate_limit: str | None,
    timeout: float,
    max_answer_bytes: int,
    date_tolerance: float,
    show_secrets: bool,
    operations: tuple[str, ...],
    junit_xml: Path | None,
) -> int:
    """Send an app's own requests, from the fake's journal (JOURNAL: GET /__mock__/journal's document, or
    pytest --mock-journal's file), to the real server; fail where it answers otherwise than the fake did."""
    try:
        entries = read_journal(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read {str(journal)!r}: {exc}", param_hint="JOURNAL") from None
    registry = _registry()
    try:
        registry.select(_names(operations))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    given = dict(_header(h) for h in headers)
    transport = Transport(base_url, given, timeout, _rate(rate_limit), max_answer_bytes=max_answer_bytes)
    try:
        report = replay(
            entries,
            transport,
            conversation,
            other_conversation,
            date_tolerance,
            show_secrets,
            registry=registry,
            operations=_names(operations),
        )
    finally:
        transport.close()
    if report.unreachable is not None:
        click.echo(f"contracts: error: {report.unreachable}", err=True)
    for outcome in report.outcomes:
        if outcome.status == "failed":
            click.echo(report.failure_text(outcome) + "\n")
    click.echo(report.summary())
    if junit_xml is not None:
        report.write_junit(junit_xml)
    return report.exit_code


#: The subcommands beside the contract run itself.
SUBCOMMANDS = {"diff": (diff_cli, "contracts diff"), "replay": (replay_cli, "contracts replay")}


def main(argv: list[str] | None = None, registry: Registry | None = None) -> int:
    """Run the CLI. Exit 0: contract kept; 1: broken; 2: usage error, server unreachable or the wrong place;
    3: a bug in the checks themselves (never 1: a bug of ours says nothing about the server).

    ``registry``: the operations under contract (default: every one the kit knows), for a suite of its own."""
    args = sys.argv[1:] if argv is None else argv
    command, name = SUBCOMMANDS.get(args[0] if args else "", (cli, "contracts"))
    try:
        result = command.main(
            args=args if command is cli else args[1:], prog_name=name, standalone_mode=False, obj=registry
        )
    except (click.exceptions.Abort, KeyboardInterrupt):
        return 130
    except click.ClickException as exc:
        click.echo(f"contracts: error: {exc.format_message()}", err=True)
        return 2
    except Exception:
        click.echo(f"contracts: internal error, please report it:\n{traceback.format_exc()}", err=True)
        return 3
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
