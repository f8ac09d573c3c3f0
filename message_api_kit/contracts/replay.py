"""``contracts replay``: an app's own requests, as the fake journaled them, sent to a real server and judged.

The contract checks send what the doc allows, and ``contracts diff`` the kit's programs;
neither sends what an app sends. The fake's journal holds exactly that. Each journaled
request of an operation under contract is sent to the real server in order, in the run's
conversations (the journal's first conversation becomes ``--conversation``, its second
``--other-conversation``), a reply naming the real server's copy of its parent (the id the
real server gave for the message the fake gave the journaled id to).

Each exchange gets the verdict a contract run gives (its operation's ``judge`` in the
registry, with what the replay has seen made as the known state), and is compared with what
the fake answered: a request the fake accepted and the real server refused, or the other way
round, fails the replay, since the app relied on the fake's answer. What the doc leaves to
the server (which 4xx, a request outside the documented domain accepted) is a note. Requests
of routes the kit does not declare or has no contract for (``--operations``), of the fake's
own API, the fake's refusals of requests outside the documented domain (the app's error
paths, which no real server need share) and answers the fake's fault controls made are
skipped, each with its reason.

A journal is ``GET /__mock__/journal``'s document, or a file of the pytest plugin's
``--mock-journal`` (one line a test, each a journal of its own: ids and conversations are
mapped within a test, since the fake is reset between tests).
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from message_api_kit import schemas
from message_api_kit.contracts.failures import CheckFailure, Unreachable
from message_api_kit.contracts.programs import made_id
from message_api_kit.contracts.registry import Judged, OperationContract, Registry, default_registry, sent_parameters
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange, Transport, cut, printable

__all__ = ["Journaled", "Outcome", "ReplayReport", "read_journal", "replay"]

#: Request headers a replay does not send again: the connection's, the fake's own, and secrets the
#: journal redacted (the run's ``--header`` gives the real server's credentials).
NOT_SENT = frozenset({"host", "connection", "content-length", "transfer-encoding", "keep-alive", "te", "upgrade"})


@dataclass(frozen=True)
class Journaled:
    """One journaled request and the fake's answer, as the journal holds them."""

    #: Which journal of the file (a test's, with ``--mock-journal``), and the place in it.
    journal: str
    index: int
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    answer: bytes
    proxied: bool

    @property
    def content_type(self) -> str | None:
        """The request's ``Content-Type``, as sent."""
        return next((value for name, value in self.headers if name.lower() == "content-type"), None)

    def describe(self) -> str:
        """The request as the app sent it to the fake, and the fake's answer."""
        where = f" ({self.journal})" if self.journal else ""
        body = self.body.decode("utf-8", "replace")
        return (
            f"  journaled #{self.index}{where}: {self.method} {self.path}{'?' + self.query if self.query else ''}\n"
            f"    {cut(body)}\n"
            f"  the fake:  {self.status}\n    {cut(self.answer.decode('utf-8', 'replace'))}"
        )


@dataclass
class Outcome:
    """What became of one journaled request."""

    entry: Journaled
    #: "passed", "failed" or "skipped".
    status: str
    #: A failure's title, or why it was skipped.
    reason: str = ""
    detail: str = ""
    exchange: Exchange | None = None
    notes: list[str] = field(default_factory=list)
    #: The rule of DERIVATION.md a verdict's failure names.
    rule: str = ""

    @property
    def name(self) -> str:
        """The case's name in reports: where it stands in the journal, and the request."""
        where = f"{self.entry.journal} " if self.entry.journal else ""
        return f"{where}#{self.entry.index} {self.entry.method} {self.entry.path}"


@dataclass
class ReplayReport:
    """Every journaled request's outcome, and why the replay stopped early, if it did."""

    outcomes: list[Outcome]
    base_url: str
    unreachable: str | None = None
    show_secrets: bool = False
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0: the real server answered as the fake did; 1: it did not; 2: it could not be reached."""
        if self.unreachable is not None:
            return 2
        return 1 if any(o.status == "failed" for o in self.outcomes) else 0

    def failure_text(self, outcome: Outcome) -> str:
        """A failure as a person reads it: what broke, the real exchange with curl, and what the fake answered."""
        assert outcome.exchange is not None
        rule = f" [{outcome.rule}]" if outcome.rule else ""
        return printable(
            f"FAILED {outcome.name}: {outcome.reason}{rule}\n  {outcome.detail}\n"
            f"{outcome.exchange.describe(self.show_secrets)}\n{outcome.entry.describe()}"
        )

    def summary(self) -> str:
        """Counts, why requests were skipped, and the notes."""
        counts = Counter(o.status for o in self.outcomes)
        lines = [
            f"contracts replay: {len(self.outcomes)} journaled requests against {self.base_url}:"
            f" {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
            f" ({self.seconds:.2f}s)"
        ]
        skipped = [o for o in self.outcomes if o.status == "skipped"]
        lines += [f"  skipped {o.name}: {o.reason}" for o in skipped]
        lines += [f"  noted   {o.name}: {note}" for o in self.outcomes for note in o.notes]
        return printable("\n".join(lines))

    def write_junit(self, path: Path) -> None:
        """One test case a journaled request: failed, skipped with its reason, or passed (notes as output)."""
        counts = Counter(o.status for o in self.outcomes)
        suite = ET.Element(
            "testsuite",
            name="contracts replay",
            tests=str(max(len(self.outcomes), 1 if self.unreachable else 0)),
            failures=str(counts["failed"]),
            errors="1" if self.unreachable else "0",
            skipped=str(counts["skipped"]),
            time=f"{self.seconds:.3f}",
        )
        if self.unreachable is not None:
            case = ET.SubElement(suite, "testcase", classname="contracts.replay", name="reach the server")
            ET.SubElement(case, "error", message=self.unreachable).text = self.unreachable
        for outcome in self.outcomes:
            case = ET.SubElement(suite, "testcase", classname="contracts.replay", name=outcome.name)
            if outcome.status == "failed":
                ET.SubElement(case, "failure", message=outcome.reason).text = self.failure_text(outcome)
            elif outcome.status == "skipped":
                ET.SubElement(case, "skipped", message=outcome.reason)
            if outcome.notes:
                ET.SubElement(case, "system-out").text = "\n".join(outcome.notes)
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def read_journal(text: str) -> list[Journaled]:
    """The journaled requests of a file: ``GET /__mock__/journal``'s document (or its list of entries), or
    JSON Lines of such documents, one a test (``{"test": ..., "entries": [...]}``). ``ValueError`` if neither."""
    try:
        docs: list[Any] = [json.loads(text)]
    except json.JSONDecodeError:
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    found = []
    for number, doc in enumerate(docs, 1):
        entries = doc.get("entries") if isinstance(doc, dict) else doc
        if not isinstance(entries, list):
            raise ValueError(f"document {number} is no journal: it has no list of entries")
        name = str(doc.get("test", "")) if isinstance(doc, dict) else ""
        found += [_entry(name or (f"journal {number}" if len(docs) > 1 else ""), i, e) for i, e in enumerate(entries)]
    return found


def _entry(journal: str, index: int, entry: Any) -> Journaled:
    try:
        return Journaled(
            journal,
            index,
            str(entry["method"]),
            str(entry["path"]),
            str(entry.get("query", "")),
            tuple((str(name), str(value)) for name, value in entry.get("request_headers", [])),
            str(entry.get("request_body", "")).encode(),
            int(entry["status"]),
            str(entry.get("response_body", "")).encode(),
            bool(entry.get("proxied", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"entry {index} of {journal or 'the journal'} is no journal entry: {exc}") from None


class _Journal:
    """What one journal's replay has mapped: its conversations onto the run's, the fake's ids onto the real server's."""

    def __init__(self, conversations: list[int]) -> None:
        self.free = list(conversations)
        self.conversations: dict[str, int] = {}
        self.ids: dict[int, int] = {}

    def conversation(self, segment: str) -> int | None:
        if segment not in self.conversations:
            if not self.free:
                return None
            self.conversations[segment] = self.free.pop(0)
        return self.conversations[segment]


def replay(
    entries: Iterable[Journaled],
    transport: Transport,
    conversation: int,
    other_conversation: int | None = None,
    date_tolerance: float = 300.0,
    show_secrets: bool = False,
    *,
    registry: Registry | None = None,
    operations: Sequence[str] = (),
) -> ReplayReport:
    """Send each journaled request of an operation under contract (``registry``: the kit's by default;
    ``operations``: those of these only) to ``transport``'s server, judge it by its operation's verdict and
    compare it with the fake's answer."""
    contracts = default_registry() if registry is None else registry
    chosen = contracts.select(operations)
    started = time.monotonic()
    given = [conversation, *([other_conversation] if other_conversation else [])]
    report = ReplayReport([], transport.base_url, show_secrets=show_secrets)
    known = Known(conversations=set(given))
    journals: dict[str, _Journal] = {}
    try:
        for entry in entries:
            mapped = journals.setdefault(entry.journal, _Journal(given))
            report.outcomes.append(_replayed(entry, contracts, chosen, mapped, transport, known, date_tolerance))
    except Unreachable as exc:
        report.unreachable = str(exc)
    report.seconds = time.monotonic() - started
    return report


def _unit(entry: Journaled, registry: Registry, chosen: Registry) -> tuple[OperationContract, dict[str, str]] | str:
    """The operation under contract a journaled request is one of, with its parameters as sent; or why it is
    not replayed."""
    if entry.path.startswith(schemas.ADMIN_PREFIX):
        return "the fake's own API"
    if entry.proxied:
        return "passed on to the upstream (--upstream): a route the kit does not declare"
    if entry.status == 0 or entry.status >= 500:
        status = "no answer (a dropped connection)" if entry.status == 0 else f"a {entry.status}"
        return f"the fake answered {status}: its fault controls, not the contract"
    target = entry.path + (f"?{entry.query}" if entry.query else "")
    for unit in registry:
        found = sent_parameters(unit.operation, entry.method, target)
        if found is not None:
            return (unit, found) if chosen.get(unit.id) is not None else f"{unit.id}: not chosen (--operations)"
    return "not an operation the kit declares"


def _replayed(
    entry: Journaled,
    registry: Registry,
    chosen: Registry,
    journal: _Journal,
    transport: Transport,
    known: Known,
    tolerance: float,
) -> Outcome:
    declared = _unit(entry, registry, chosen)
    if isinstance(declared, str):
        return Outcome(entry, "skipped", declared)
    unit, parameters = declared
    operation = unit.operation
    if 400 <= entry.status < 500 and unit.outside(parameters, entry.content_type, entry.body):
        return Outcome(entry, "skipped", f"the fake refused it ({entry.status}): outside the documented domain")
    sent = dict(parameters)
    if "conversation" in operation.path_names:
        conversation = journal.conversation(parameters["conversation"])
        if conversation is None:
            return Outcome(entry, "skipped", "a third conversation: the run has two at most (--other-conversation)")
        sent["conversation"] = str(conversation)
    body = _mapped_body(entry.body, journal.ids)
    if body is None:
        return Outcome(entry, "skipped", "a reply to a message not made in this journal: nothing to map it to")
    headers = {
        name: value
        for name, value in entry.headers
        if name.lower() not in NOT_SENT and not name.lower().startswith("x-mock-") and value != schemas.REDACTED
    }
    # The path's parameters mapped, the query as the app sent it (names the operation does not declare included).
    path = operation.url(**{name: sent[name] for name in operation.path_names})
    path += f"?{entry.query}" if entry.query else ""
    exchange = transport.send(operation.method, path, body, headers, operation=operation)
    outcome = Outcome(entry, "passed", exchange=exchange)
    try:
        judged = unit.judge(exchange, sent, known, tolerance, what="a journaled request")
    except CheckFailure as failure:
        outcome.status, outcome.reason, outcome.detail, outcome.rule = (
            "failed",
            failure.title,
            failure.detail,
            failure.rule,
        )
        return outcome
    _compare(outcome, judged, journal)
    return outcome


def _compare(outcome: Outcome, judged: Judged, journal: _Journal) -> None:
    """The real answer against the fake's: acceptance must agree; the rest the doc leaves open is noted."""
    entry, exchange = outcome.entry, outcome.exchange
    assert exchange is not None
    fake_took, real_took = 200 <= entry.status < 300, 200 <= exchange.status < 300
    if fake_took and not real_took:
        outcome.status, outcome.reason = "failed", "the fake accepted it, the real server refused it"
        outcome.detail = f"the fake answered {entry.status}, the real server {exchange.status}: the app relies on a yes"
    elif real_took and not fake_took:
        outcome.status, outcome.reason = "failed", "the fake refused it, the real server accepted it"
        outcome.detail = (
            f"the fake answered {entry.status}, the real server {exchange.status}: the app expects a refusal"
        )
    elif not fake_took and entry.status != exchange.status:
        outcome.notes.append(f"refused by both: {entry.status} by the fake, {exchange.status} by the real server")
    if judged.outside and real_took:
        outcome.notes.append(f"outside the documented domain ({judged.outside}), accepted by both")
    if fake_took and real_took:
        fake_id, real_id = made_id(entry.answer), made_id(exchange.body)
        if fake_id is not None and real_id is not None:
            journal.ids[fake_id] = real_id


def _mapped_body(body: bytes, ids: dict[int, int]) -> bytes | None:
    """The body to send: as journaled, its ``parent_id`` made the real server's; None: a parent not made here.

    Only a body that names a parent is written again (``parent_id`` replaced, nothing else): any other is
    sent byte for byte, as the app sent it.
    """
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return body
    parent = doc.get("parent_id") if isinstance(doc, dict) else None
    if not isinstance(parent, int) or isinstance(parent, bool):
        return body
    if parent not in ids:
        return None
    return json.dumps({**doc, "parent_id": ids[parent]}).encode()
