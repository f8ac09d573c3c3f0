"""``contracts diff``: the same requests and programs against a real server and the fake, and where they differ.

The contract checks say whether a server keeps the doc; this says whether two servers make the
same choices where the doc is silent. Each program below runs on both servers (ids are each
server's own: a reply names the parent that server made); every answer is reduced to what a
client can tell apart (status, media type, the fields and their JSON types, the values the
doc leaves open, the form of ``parent``, the shape of an error body), ids and dates left out;
then the two are compared request by request.

Whether a difference is the contract's is not decided here: the contract's verdict on each
side's exchange (``rules.judge``, the one a contract run, ``--watch`` and ``contracts replay``
call) decides it. A difference is ``CONTRACT`` only where that verdict fails a side, so the
diff and the run never disagree on what the contract is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import parent_named
from message_api_kit.contracts.programs import Ids, Step, made_id
from message_api_kit.contracts.registry import OperationContract, Registry, default_registry, sent_parameters
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange, Transport


class _Absent:
    """A field or value one answer does not have: shown as ``absent``, never as ``None`` (which is JSON's null)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()
#: A side breaks the contract on this request: the contract run would fail it (``rules.judge``).
CONTRACT = "contract"
#: Both keep the contract and choose differently where the doc is silent, in a way a profile
#: copies (``--write-profile``, then ``mockserver serve --profile``): a status, a media type, the
#: shape of a message or of an error.
CHOICE = "choice"
#: Both keep the contract; the real server takes a request whose outcome the doc leaves open and
#: the fake refuses it (or the other way round): its reading, which a profile records, never copies.
LENIENT = "lenient"
#: The contract's verdict on a side that keeps it, beside the other's failure.
KEPT = "kept"
#: What each ``--fail-on`` counts.
COUNTED = {"contract": {CONTRACT}, "choice": {CONTRACT, CHOICE}, "any": {CONTRACT, CHOICE, LENIENT}}
#: Fields whose values differ by nature between two servers (each server's own ids and clock).
UNCOMPARED = frozenset({"id", "date", "parent.id", "author.id"})

# -- answers reduced to what a client can tell apart -------------------------------------------------


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null"
    )


def _fields(doc: dict[str, Any], prefix: str = "", depth: int = 2) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        found[name] = _json_type(value)
        if isinstance(value, dict) and depth > 1:
            found.update(_fields(value, f"{name}.", depth - 1))
    return found


@dataclass(frozen=True)
class Seen:
    """An answer as the diff compares it."""

    status: int
    content_type: str
    body_kind: str  # json-object, json-other, text, empty, none
    fields: dict[str, str]
    values: dict[str, Any]

    @property
    def accepted(self) -> bool:
        """Whether the server took the request (a 2xx)."""
        return 200 <= self.status < 300


def seen(exchange: Exchange, ids: Ids, names: dict[int, str]) -> Seen:
    """Reduce an answer; ``names`` turns this server's ids into the program's names (for the parent's identity)."""
    if not exchange.status:
        return Seen(0, "", "none", {}, {})
    try:
        doc = exchange.json()
    except ValueError:
        kind = "text" if exchange.body else "empty"
        return Seen(exchange.status, exchange.content_type, kind, {}, {})
    if not isinstance(doc, dict):
        return Seen(exchange.status, exchange.content_type, "json-other", {}, {})
    values: dict[str, Any] = {}
    if 200 <= exchange.status < 300:
        for key in ("type", "is_reply", "deleted", "message", "edited_at", "reactions", "files", "voice"):
            if key in doc:
                values[key] = doc[key]
        parent = doc.get("parent")
        parent_id = parent_named(parent)
        values["parent form"] = {"object": "object", "integer": "id", "null": "null"}.get(_json_type(parent), "other")
        values["parent is"] = names.get(parent_id, "unknown") if isinstance(parent_id, int) else None
        if isinstance(doc.get("conversationId"), int):
            values["conversation"] = "the run's" if doc["conversationId"] == ids.conversation else "other"
    fields = {name: kind for name, kind in _fields(doc).items() if name not in UNCOMPARED}
    return Seen(exchange.status, exchange.content_type, "json-object", fields, values)


@dataclass(frozen=True)
class Difference:
    """One way two answers to the same request differ, and its category: ``CONTRACT``, ``CHOICE`` or ``LENIENT``."""

    kind: str
    what: str
    real: Any
    fake: Any
    category: str = CHOICE

    @property
    def breaks_contract(self) -> bool:
        """Whether a side breaks the contract on this request (the contract run would fail it)."""
        return self.category == CONTRACT


def category(broken: dict[str, CheckFailure], real: Seen, fake: Seen) -> str:
    """The category of every difference on one request: ``broken`` holds each side the contract's verdict failed."""
    if broken:
        return CONTRACT
    if real.accepted != fake.accepted:
        return LENIENT  # both kept the contract: the doc let each take or refuse it
    return CHOICE


def compare(real: Seen, fake: Seen, broken: dict[str, CheckFailure] | None = None) -> list[Difference]:
    """The differences between two answers to one request; ``broken``: the sides the contract's verdict failed."""
    broken = broken or {}
    kind = category(broken, real, fake)
    found = [Difference(d.kind, d.what, d.real, d.fake, kind) for d in _differences(real, fake)]
    if broken:  # said even where the reduced answers agree (an id, a date): the run fails it all the same
        verdicts = {side: broken[side].title if side in broken else KEPT for side in ("real", "fake")}
        found.insert(0, Difference("contract broken", "verdict", verdicts["real"], verdicts["fake"], CONTRACT))
    return found


def _differences(real: Seen, fake: Seen) -> list[Difference]:
    found: list[Difference] = []
    if real.accepted != fake.accepted:
        found.append(Difference("accepted by one, refused by the other", "status", real.status, fake.status))
        return found
    if real.status != fake.status:
        found.append(Difference("status", "status", real.status, fake.status))
    if real.content_type != fake.content_type:
        found.append(Difference("content type", "content-type", real.content_type, fake.content_type))
    if not real.accepted:
        if real.body_kind != fake.body_kind or set(real.fields) != set(fake.fields):
            found.append(Difference("error body", "body", _shape(real), _shape(fake)))
        return found
    fields = set(real.fields) | set(fake.fields)
    if real.values.get("parent form") != fake.values.get("parent form"):
        fields = {name for name in fields if name != "parent" and not name.startswith("parent.")}  # said once, below
    for name in sorted(fields):
        if name not in fake.fields:
            found.append(Difference("field missing", name, real.fields[name], ABSENT))
        elif name not in real.fields:
            found.append(Difference("field extra", name, ABSENT, fake.fields[name]))
        elif real.fields[name] != fake.fields[name]:
            found.append(Difference("type", name, real.fields[name], fake.fields[name]))
    for name in sorted(set(real.values) | set(fake.values)):
        real_value, fake_value = real.values.get(name, ABSENT), fake.values.get(name, ABSENT)
        if real_value != fake_value:
            kind = "parent form" if name == "parent form" else "value"
            found.append(Difference(kind, name, real_value, fake_value))
    return found


def _shape(answer: Seen) -> str:
    if answer.body_kind != "json-object":
        return answer.body_kind
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(answer.fields.items()) if "." not in k) + "}"


# -- a run -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One request sent to both servers, their answers, and how they differ."""

    request_class: str
    real: Exchange
    fake: Exchange
    differences: tuple[Difference, ...]
    #: The contract's verdict on each side that breaks it, by side ("real", "fake").
    broken: dict[str, CheckFailure] = field(default_factory=dict)


@dataclass
class DiffReport:
    """Everything a diff found."""

    real_url: str
    fake_url: str
    seed: int
    pairs: list[Pair] = field(default_factory=list)
    seconds: float = 0.0
    fail_on: str = "choice"

    def differing(self) -> list[Pair]:
        """The pairs whose answers differ in a way ``fail_on`` counts."""
        return [p for p in self.pairs if any(self.counts(d) for d in p.differences)]

    def counts(self, difference: Difference) -> bool:
        """Whether ``difference`` fails the run (``--fail-on``)."""
        return difference.category in COUNTED[self.fail_on]

    @property
    def exit_code(self) -> int:
        """0 when the servers agree on everything counted, 1 when they differ."""
        return 1 if self.differing() else 0

    def groups(self) -> dict[tuple[str, str], list[tuple[Pair, Difference]]]:
        """Every difference, by request class and kind (each distinct one once, with every pair showing it)."""
        grouped: dict[tuple[str, str], list[tuple[Pair, Difference]]] = {}
        for pair in self.pairs:
            for difference in pair.differences:
                grouped.setdefault((pair.request_class, difference.kind), []).append((pair, difference))
        return grouped


def run_diff(
    real: Transport,
    fake: Transport,
    conversation: int,
    other_conversation: int | None,
    seed: int,
    examples: int = 10,
    fail_on: str = "choice",
    date_tolerance: float = 300.0,
    *,
    registry: Registry | None = None,
    operations: Sequence[str] = (),
) -> DiffReport:
    """Run every program of every operation (those of ``operations``, all by default) on both servers, step by
    step, and compare each pair of answers; each side judged by the operation's own verdict."""
    started = time.monotonic()
    report = DiffReport(real.base_url, fake.base_url, seed, fail_on=fail_on)
    # Each side keeps its own ids for the whole run; names are per program.
    real_ids, fake_ids = Ids(conversation, other_conversation), Ids(conversation, other_conversation)
    # What is known of each server, for the contract's verdict: its conversations, and the messages the diff made.
    given = {conversation} if other_conversation is None else {conversation, other_conversation}
    known = {"real": Known(set(given)), "fake": Known(set(given))}
    for unit in (registry or default_registry()).select(operations):
        for program in unit.programs(seed, examples):
            real_ids.named.clear()
            fake_ids.named.clear()
            sides: dict[str, tuple[Transport, Ids, dict[int, str]]] = {
                "real": (real, real_ids, {}),
                "fake": (fake, fake_ids, {}),
            }
            for step in program:
                if step.needs_other and other_conversation is None:
                    break
                pair = _step(unit, step, sides, known, date_tolerance)
                if pair is None:
                    break  # an earlier step made nothing on one side (a difference already reported)
                report.pairs.append(pair)
    report.seconds = time.monotonic() - started
    return report


def _step(
    unit: OperationContract,
    step: Step,
    sides: dict[str, tuple[Transport, Ids, dict[int, str]]],
    known: dict[str, Known],
    date_tolerance: float,
) -> Pair | None:
    """One step sent to both servers, each answer judged by the operation's verdict; ``None``: it cannot be built."""
    try:
        requests = {side: step.build(ids) for side, (_, ids, _) in sides.items()}
    except KeyError:
        return None
    answers: dict[str, tuple[Exchange, Seen]] = {}
    broken: dict[str, CheckFailure] = {}
    for side, (transport, ids, names) in sides.items():
        method, target, content, content_type = requests[side]
        headers = {} if content_type is None else {"Content-Type": content_type}
        try:
            exchange = transport.send(method, target, content, headers, operation=unit.operation)
        except CheckFailure as no_answer:  # dropped or timed out: an answer of its own kind
            exchange = no_answer.exchanges[0]
        answers[side] = (exchange, seen(exchange, ids, names))
        created = made_id(exchange.body) if 200 <= exchange.status < 300 else None
        if created is not None:
            ids.highest = max(ids.highest, created)
            if step.remember:
                ids.named[step.remember] = created
                names[created] = step.remember
        parameters = sent_parameters(unit.operation, method, target)
        assert parameters is not None, f"{method} {target} is no request of {unit.id}"
        try:
            unit.judge(exchange, parameters, known[side], date_tolerance, what=step.request_class)
        except CheckFailure as failure:
            broken[side] = failure
    differences = compare(answers["real"][1], answers["fake"][1], broken)
    return Pair(step.request_class, answers["real"][0], answers["fake"][0], tuple(differences), broken)
