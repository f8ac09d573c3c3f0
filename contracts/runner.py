"""Running checks: selection, budget, Hypothesis settings, results, and the reports (text, JUnit XML)."""

from __future__ import annotations

import contextlib
import random
import shlex
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.errors import Flaky

from message_api_kit.contracts import checks
from message_api_kit.contracts.catalog import CHECKS, ContractCheck
from message_api_kit.contracts.causes import Causes, repeated_ids
from message_api_kit.contracts.context import Context, Note
from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure, Unreachable
from message_api_kit.contracts.probes import CREATE_MESSAGE
from message_api_kit.contracts.transport import (
    DEFAULT_CONNECTIONS,
    MAX_ANSWER_BYTES,
    REDACTED,
    Exchange,
    Transport,
    header_variable,
    printable,
)

#: Shrinking may send up to this many times the requests generation sends: past it the
#: report shows the last failing request found so far (measured in bench/catch_rate.py).
SHRINK_FACTOR = 1
#: Answers to the first creation that mean the checks are aimed at the wrong place.
WRONG_PLACE = {
    401: "the server wants credentials: pass them with --header",
    403: "the server refuses these credentials: check --header",
    404: "the base URL or path prefix is probably wrong, or the conversation does not exist",
    405: "the base URL or path prefix is probably wrong: that path does not take POST",
}
#: Header values at least this long are also blanked out of answer bodies that echo them.
ECHOED_SECRET = 6


class UsageError(ValueError):
    """The run was asked for something it cannot do (unknown check names, bad numbers)."""


def parse_header(value: str) -> tuple[str, str]:
    """``"Name: value"`` as a (name, value) pair; ``UsageError`` if it is not of that form."""
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"{value!r} is not 'Name: value'")
    return name.strip(), content.strip()


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs; built by the CLI or the pytest integration."""

    base_url: str
    conversation: int
    other_conversation: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Per check. 15 keeps the default run within Schemathesis' time (bench/catch_rate.py), and
    #: still catches every broken fake (tests/contracts/test_catches_broken_fakes.py).
    max_examples: int = 15
    seed: int | None = None
    rate_limit: float | None = None
    timeout: float = 10.0
    checks: Sequence[str] = ()
    exclude_checks: Sequence[str] = ()
    date_tolerance: float = 300.0
    #: The project's own rules (DERIVATION.md) are failures, not notes.
    strict: bool = False
    #: Stop at the first check that fails.
    exit_first: bool = False
    #: Show ``headers`` values in reports (otherwise redacted).
    show_secrets: bool = False
    #: The largest answer read, before and after decompression: past it, a failure.
    max_answer_bytes: int = MAX_ANSWER_BYTES
    #: Connections kept to the server, taken in turn by consecutive requests (``Transport.connections``).
    connections: int = DEFAULT_CONNECTIONS

    def __post_init__(self) -> None:
        if self.connections < 1:
            raise UsageError("connections must be at least 1")
        known = {check.name for check in CHECKS}
        unknown = sorted((set(self.checks) | set(self.exclude_checks)) - known)
        if unknown:
            raise UsageError(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if self.max_examples < 1:
            raise UsageError("max_examples must be at least 1")
        if self.conversation == self.other_conversation:
            raise UsageError("the other conversation must differ from the conversation")

    def selected(self) -> list[ContractCheck]:
        """The checks this run runs, in catalog order."""
        return [
            check
            for check in CHECKS
            if (not self.checks or check.name in self.checks) and check.name not in self.exclude_checks
        ]

    def budget(self, check: ContractCheck) -> int:
        """The most requests ``check`` may send: generation, shrinking, and its anchor messages."""
        examples = self.max_examples + check.explicit_examples
        return examples * check.requests_per_example * (1 + SHRINK_FACTOR) + 2

    def total_budget(self) -> int:
        """The most requests the whole run may send (one extra: the first creation, which finds the server)."""
        return 1 + sum(self.budget(check) for check in self.selected())

    def replay(self, seed: int, check: str | None = None) -> str:
        """The command that runs the same requests again: header values come from environment variables."""
        words = ["contracts", "--base-url", shlex.quote(self.base_url), "--conversation", str(self.conversation)]
        if self.other_conversation is not None:
            words += ["--other-conversation", str(self.other_conversation)]
        for name in self.headers:
            words += ["--header", f'"{name}: ${header_variable(name)}"']
        words += ["--max-examples", str(self.max_examples)]
        if self.date_tolerance != RunConfig.date_tolerance:
            words += ["--date-tolerance", f"{self.date_tolerance:g}"]
        if self.strict:
            words.append("--strict")
        words += ["--seed", str(seed)]
        if check is not None:
            words += ["--checks", check]
        elif self.checks or self.exclude_checks:
            words += ["--checks", ",".join(c.name for c in self.selected())]
        return " ".join(words)


@dataclass
class CheckResult:
    """How one check ended: passed, failed (one failure per distinct cause), skipped, or error (a bug of ours)."""

    check: ContractCheck
    status: str  # "passed", "failed", "skipped", "error"
    requests: int = 0
    seconds: float = 0.0
    failures: list[CheckFailure] = field(default_factory=list)
    reason: str = ""
    #: The traceback of a bug in the checks' own code (status "error").
    error: str = ""
    #: For each of this check's failures (by title), the other checks that also saw that cause.
    also_seen: dict[str, list[str]] = field(default_factory=dict)
    #: Causes this check saw that the report shows under another check: (title, that check).
    reported_under: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failure(self) -> CheckFailure | None:
        """The first failure, if any."""
        return self.failures[0] if self.failures else None


@dataclass
class Report:
    """The results of a run, its seed, the lenient choices seen, and why it stopped early if it did."""

    config: RunConfig
    seed: int
    results: list[CheckResult] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    #: Why the run could not start: no answer at all, or answers that say it is aimed at the wrong place.
    unreachable: str | None = None
    #: The server's rate limit, met: answers 429 and the seconds waited out after them (a note, not a failure).
    throttled: int = 0
    waited: float = 0.0

    @property
    def rate_note(self) -> str:
        """What the run says of the server's rate limit, if it met it; empty if not."""
        if not self.throttled:
            return ""
        rate = f" (it ran at --rate-limit {self.config.rate_limit:g}/s)" if self.config.rate_limit else ""
        return (
            f"rate limit met: {self.throttled} answers were 429 Too Many Requests, {self.waited:.1f} s waited out"
            f" as Retry-After said, each request sent again{rate}; a lower --rate-limit keeps within it"
        )

    @property
    def exit_code(self) -> int:
        """0 kept (lenient choices noted), 1 broken, 2 not reached or the wrong place, 3 a bug in the checks."""
        if self.unreachable is not None:
            return 2
        if any(result.status == "error" for result in self.results):
            return 3
        return 1 if any(result.status == "failed" for result in self.results) else 0

    def redact(self, text: str) -> str:
        """``text`` as a report shows it: the values of the run's headers blanked out (unless the run shows
        secrets), and what a terminal would act on escaped (``transport.printable``)."""
        if not self.config.show_secrets:
            for value in self.config.headers.values():
                if len(value) >= ECHOED_SECRET:
                    text = text.replace(value, REDACTED)
        return printable(text)

    def _describe(self, exchange: Exchange) -> str:
        return exchange.describe(self.config.show_secrets)

    def failure_text(self, result: CheckResult) -> str:
        """A check's failures as a person reads them: the rule, the request, the answer, curl, the replay line."""
        check = result.check
        if result.status == "error":
            return self.redact(f"ERROR {check.name}: a bug in the contract checks themselves\n{result.error}")
        lines = []
        for failure in result.failures:
            lines += [f"FAILED {check.name} ({check.reference}): {failure.title}", f"  {failure.detail}"]
            lines += [self._describe(exchange) for exchange in failure.exchanges]
            others = result.also_seen.get(failure.title, [])
            if others:
                lines.append(f"  also seen in {len(others)} check{'s' * (len(others) > 1)}: {', '.join(others)}")
        if result.reason:
            lines.append(f"  note: {result.reason}")
        if any(failure.exchanges and failure.exchanges[0].secret_headers for failure in result.failures):
            names = ", ".join(header_variable(name) for name in self.config.headers)
            lines.append(f"  header values are redacted: curl and replay read them from {names}")
        lines.append(f"  replay: {self.config.replay(self.seed, check.name)}")
        return self.redact("\n".join(lines))

    def notes_text(self) -> str:
        """The lenient choices, under their own heading: what the server does where the doc is silent."""
        if not self.notes:
            return ""
        lines = ["The server is lenient here (the doc leaves these open; --strict fails them):"]
        for note in self.notes:
            exchange = note.exchange
            sent = exchange.request_body.decode("utf-8", "replace")
            sent = sent if len(sent) <= 80 else sent[:80] + "..."
            lines.append(f"  {note.check}: {note.what}")
            lines.append(f"    {exchange.method} {exchange.url} {sent!r} -> {exchange.status}")
            if note.detail:
                lines.append(f"    {note.detail}")
        return self.redact("\n".join(lines))

    def summary(self) -> str:
        """One line per check, then the totals."""
        lines = []
        for r in self.results:
            extra = f"  ({r.reason})" if r.reason else ""
            if len(r.failures) > 1:
                extra += f"  ({len(r.failures)} distinct failures)"
            lines.append(f"  {r.status.upper():7} {r.check.name:34} {r.requests:5} requests {r.seconds:6.2f}s{extra}")
        counts = {s: sum(r.status == s for r in self.results) for s in ("passed", "failed", "skipped", "error")}
        total = sum(r.requests for r in self.results)
        seconds = sum(r.seconds for r in self.results)
        errors = f", {counts['error']} errors" if counts["error"] else ""
        lenient = f"; {len(self.notes)} lenient choices noted" if self.notes else ""
        strict = "; strict" if self.config.strict else ""
        lines.append(
            f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped{errors}{lenient};"
            f" {total} requests in {seconds:.1f}s; seed {self.seed}{strict}"
        )
        if self.rate_note:
            lines.append(f"note: {self.rate_note}")
        return "\n".join(lines)

    def write_junit(self, path: Path) -> None:
        """Write the results as JUnit XML, one test case per check; lenient notes as the case's output."""
        suite = ET.Element(
            "testsuite",
            name="contracts",
            tests=str(len(self.results)),
            failures=str(sum(r.status == "failed" for r in self.results)),
            errors=str(sum(r.status == "error" for r in self.results)),
            skipped=str(sum(r.status == "skipped" for r in self.results)),
            time=f"{sum(r.seconds for r in self.results):.3f}",
        )
        if self.unreachable is not None:  # the run stopped before any check: say why, for the CI page
            suite.set("errors", "1")
            suite.set("tests", "1")
            case = ET.SubElement(suite, "testcase", classname="contracts", name="reach the server")
            ET.SubElement(case, "error", message=self.redact(self.unreachable)).text = self.redact(self.unreachable)
        for r in self.results:
            case = ET.SubElement(suite, "testcase", classname="contracts", name=r.check.name, time=f"{r.seconds:.3f}")
            if r.status in ("failed", "error"):
                title = r.failure.title if r.failure is not None else "a bug in the contract checks"
                tag = "failure" if r.status == "failed" else "error"
                ET.SubElement(case, tag, message=self.redact(title)).text = self.failure_text(r)
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.reason)
            out = [f"lenient: {note.what}" for note in self.notes if note.check == r.check.name]
            out += [f"also saw: {title} (reported under {owner})" for title, owner in r.reported_under]
            if out:
                ET.SubElement(case, "system-out").text = self.redact("\n".join(out))
        if self.rate_note:  # the suite's own output: CI pages show it beside the cases
            ET.SubElement(suite, "system-out").text = self.redact(self.rate_note)
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def hypothesis_settings(config: RunConfig) -> settings:
    """Settings for every check: no deadline (networks vary), no example database, quiet (we report)."""
    return settings(
        max_examples=config.max_examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=True,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


def run(
    config: RunConfig,
    *,
    client: httpx.Client | None = None,
    on_start: Callable[[ContractCheck], None] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_request: Callable[[int], None] | None = None,
) -> Report:
    """Run the selected checks against ``config.base_url`` and return the report.

    ``client`` may carry an in-process transport for tests; ``on_*`` report progress.
    """
    run_seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**32)
    report = Report(config, run_seed)
    transport = Transport(
        config.base_url,
        config.headers,
        config.timeout,
        config.rate_limit,
        client=client,
        on_request=on_request,
        max_answer_bytes=config.max_answer_bytes,
        connections=config.connections,
    )
    ctx = Context(
        transport,
        config.conversation,
        config.other_conversation,
        config.date_tolerance,
        hypothesis_settings(config),
        run_seed,
        strict=config.strict,
    )
    selected = config.selected()
    # Causes are settled as each check ends, so the live line says what the summary will. Under --exit-first
    # nothing waits for a check still to run: the run may stop before it.
    will_run = [c for c in selected if not (c.needs_other and config.other_conversation is None)]
    causes = Causes([] if config.exit_first else will_run)
    try:
        report.unreachable = _first_creation(ctx)
        if report.unreachable is None:
            for check in selected:
                if on_start is not None:
                    on_start(check)
                result = _run_check(ctx, config, check)
                causes.settle(result, repeated_ids((i for i, _ in ctx.created_ids), ctx.known.repeated))
                report.results.append(result)
                if on_result is not None:
                    on_result(result)
                if config.exit_first and result.status in ("failed", "error"):
                    break
    except Unreachable as exc:
        report.unreachable = str(exc)
    finally:
        report.notes = list(ctx.notes.values())
        report.throttled, report.waited = transport.throttled, transport.waited
        _put_back(causes, report.results)
        if client is None:
            transport.close()
    return report


def _put_back(causes: Causes, results: list[CheckResult]) -> None:
    """Causes left waiting for a check the run never reached go back to the check that saw them."""
    by_name = {r.check.name: r for r in results}
    for failure, seer in causes.unsettled():
        result = by_name[seer]
        result.failures.append(failure)
        result.status = "failed" if result.status == "passed" else result.status


def _first_creation(ctx: Context) -> str | None:
    """Create the run's first message (the anchor replies name); say why not if the server is not there.

    No answer at all, or an answer that means the checks are aimed at the wrong place, stops
    the run before any check, rather than failing every one of them.
    """
    try:
        anchor = {"message": "contract anchor"}
        exchange = ctx.transport.call(CREATE_MESSAGE, {"conversation": ctx.conversation}, anchor)
    except CheckFailure as failure:
        if ctx.transport.stopped is not None:
            return None  # an answer came, too large or too slow: the checks report it, once
        return f"no answer from {ctx.transport.base_url}: {failure.detail}"
    hint = WRONG_PLACE.get(exchange.status)
    if 300 <= exchange.status < 400:
        hint = "a redirect answered: the base URL or path prefix is probably wrong, or a login page is in the way"
    elif exchange.status == 200 and exchange.content_type == "text/html":
        hint = "a web page answered: the base URL or path prefix is probably wrong"
    if hint is not None:
        return f"POST {exchange.url} answered {exchange.status} {exchange.content_type}: {hint}"
    with contextlib.suppress(CheckFailure):  # else the checks say what is wrong, with an anchor of their own
        ctx.adopt_anchor(ctx.conversation, exchange, checks.created(exchange))
    return None


def _run_check(ctx: Context, config: RunConfig, check: ContractCheck) -> CheckResult:
    if check.needs_other and config.other_conversation is None:
        return CheckResult(check, "skipped", reason="needs --other-conversation")
    transport = ctx.transport
    before, started = transport.sent, time.perf_counter()
    transport.budget = before + config.budget(check)
    ctx.check, ctx.last_failures = check.name, {}
    result = CheckResult(check, "passed")
    try:
        _outcome(ctx, check, result)
    finally:
        transport.budget = None

    result.requests, result.seconds = transport.sent - before, time.perf_counter() - started
    return result


def _outcome(ctx: Context, check: ContractCheck, result: CheckResult) -> None:
    """Run ``check`` and set how it ended on ``result``: each distinct failure, or our own bug's traceback."""
    try:
        check.run(ctx)
    except BudgetExhausted:
        if ctx.last_failures:
            result.status, result.failures = "failed", list(ctx.last_failures.values())
            result.reason = "shrinking stopped at the request budget: the last failing request is shown"
    except CheckFailure as exc:
        result.status, result.failures = "failed", [exc]
    except Unreachable:
        raise
    except (BaseExceptionGroup, Flaky) as group:  # one failure per distinct cause, or a flaky one
        if isinstance(group, BaseExceptionGroup):
            _unreachable(group)
        failures = _failures(group, ctx)
        if failures is None:
            result.status, result.error = "error", "".join(traceback.format_exception(group))
        else:
            result.status, result.failures = "failed", failures
    except Exception:
        result.status, result.error = "error", traceback.format_exc()


def _failures(group: BaseExceptionGroup | Flaky, ctx: Context) -> list[CheckFailure] | None:
    """The failures in Hypothesis' report, flaky ones marked as such; ``None`` if any is a bug of ours."""
    failures: list[CheckFailure] = []
    for exception in [group] if isinstance(group, Flaky) else group.exceptions:
        if isinstance(exception, Flaky):
            # A failure that did not recur, or a server whose answers changed what the state
            # machine generated next: either way, the failure it had seen is what to show.
            found = (
                [leaf for leaf in _leaves(exception) if isinstance(leaf, CheckFailure)]
                if isinstance(exception, BaseExceptionGroup)
                else []
            )
            seen = found or list(ctx.last_failures.values())
            if not seen:
                return None
            failures.append(_replayed(seen[0], ctx))
        elif isinstance(exception, CheckFailure):
            failures.append(exception)
        elif isinstance(exception, BaseExceptionGroup):
            inner = _failures(exception, ctx)
            if inner is None:
                return None
            failures += inner
        else:
            return None
    return failures


def _replayed(first: CheckFailure, ctx: Context) -> CheckFailure:
    """A failure Hypothesis' replay did not meet again, judged by sending its own request once more.

    Hypothesis replays a test, not a request: against a server with state, its replay makes new
    messages (new ids, other parents), so a defect that always happens (ids that always repeat) can
    go unmet by it. The failing request itself, sent again, says which it was: the same answer, a
    defect, titled as it is; another answer, flaky.
    """
    flaky = f"{first.title} (flaky: it did not fail again)"
    if not first.exchanges or not first.exchanges[-1].status:
        return CheckFailure(flaky, first.detail, *first.exchanges, rule=first.rule)
    shown = first.exchanges[-1]
    path = shown.url.removeprefix(ctx.transport.base_url)
    try:
        with ctx.transport.unlimited():
            again = ctx.transport.send(
                shown.method, path, shown.request_body, shown.request_headers, operation=shown.operation
            )
    except CheckFailure:  # no answer this time either: nothing passed
        return first
    if again.status == shown.status:
        detail = f"{first.detail} (its request, sent again, got the same {again.status})"
        return CheckFailure(first.title, detail, *first.exchanges, rule=first.rule)
    detail = f"{first.detail} (sent again, it got {again.status})"
    return CheckFailure(flaky, detail, *first.exchanges, again, rule=first.rule)


def _unreachable(group: BaseExceptionGroup) -> None:
    """Raise the first ``Unreachable`` in ``group``, if there is one."""
    unreachable, _ = group.split(Unreachable)
    if unreachable is not None:
        raise _leaves(unreachable)[0]


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for e in group.exceptions for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]
