"""What a run found, as people and CI read it: each check's result, the summary text, the JUnit file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from message_api_kit.contracts.config import RunConfig
from message_api_kit.contracts.context import Note
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.registry import ContractCheck
from message_api_kit.contracts.transport import REDACTED, Exchange, header_variable, printable

__all__ = ["CheckResult", "Report"]

#: Header values at least this long are also blanked out of answer bodies that echo them.
ECHOED_SECRET = 6


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
