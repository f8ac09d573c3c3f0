"""What every check shares during one run: the transport, the conversations, the ids seen, notes, settings."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import reject, seed
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument

from message_api_kit.contracts import checks, domain, rules
from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure
from message_api_kit.contracts.probes import CREATE_MESSAGE, Probe, parent_named
from message_api_kit.contracts.registry import Judged, Registry, default_registry
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange, Transport
from message_api_kit.schemas import Operation


@dataclass(frozen=True)
class Note:
    """A choice the doc leaves open that the server made leniently: the check, what it does, one exchange."""

    check: str
    what: str
    exchange: Exchange
    #: What this exchange shows of it: what was stored, why the request is outside the domain.
    detail: str = ""


@dataclass
class Context:
    """The run's shared state. Checks call ``call`` and ``judge`` (any operation's), or ``post``, ``create`` and
    ``probe`` (creations); the runner owns everything else.

    Every request a check sends names its declared operation, and the rules read its statuses
    and schemas from there; ``judge`` gives the verdict of the exchange's own operation, from the
    run's registry.
    """

    transport: Transport
    conversation: int
    other_conversation: int | None
    date_tolerance: float
    settings: Any  # hypothesis.settings
    seed: int
    #: The project's own rules (DERIVATION.md) are failures, not notes.
    strict: bool = False
    #: The check running now, for notes.
    check: str = ""
    #: Every id a creation answered with during the run, in order (checked by ``unique-ids``).
    created_ids: list[tuple[Any, Exchange]] = field(default_factory=list)
    #: Lenient choices seen, one per check and kind, in the order first seen.
    notes: dict[tuple[str, str], Note] = field(default_factory=dict)
    #: The last failure of each cause in the running check: what the report shows when the
    #: request budget stops the check before Hypothesis could shrink and replay it.
    last_failures: dict[tuple[str, int], CheckFailure] = field(default_factory=dict)
    _anchors: dict[int, int] = field(default_factory=dict)
    _cause_classes: dict[tuple[str, int], type[CheckFailure]] = field(default_factory=dict)

    #: What the run knows of the server's state: its conversations, and the anchors it made in them.
    known: Known = field(default_factory=Known)
    #: The operations under contract: ``judge`` dispatches on an exchange's operation to its verdict.
    registry: Registry = field(default_factory=default_registry)

    def __post_init__(self) -> None:
        self.known.conversations.update(self.conversations)

    def call(self, operation: Operation, parameters: dict[str, object], body: Any = None) -> Exchange:
        """Send a request to ``operation`` as its declaration says (``Transport.call``), within the check's budget."""
        return _within_budget(lambda: self.transport.call(operation, parameters, body))

    def judge(self, exchange: Exchange, parameters: dict[str, object], what: str = "a request") -> Judged:
        """The verdict of the exchange's operation (its contract in ``registry``) on it, what it made remembered.

        ``parameters`` are those the request was sent with (``call``'s), spelled as the request spelled them.
        """
        sent = {name: str(value) for name, value in parameters.items() if value is not None}
        return self.registry.judge(exchange, sent, self.known, self.date_tolerance, what=what)

    def post(self, conversation: int | str, body: Any) -> Exchange:
        """Create a message from a JSON body in a conversation (past the budget, ``BudgetExhausted`` ends the check)."""
        return _within_budget(lambda: self.transport.call(CREATE_MESSAGE, {"conversation": conversation}, body))

    def post_at_once(self, requests: list[tuple[int, Any]]) -> list[Exchange]:
        """Create messages from ``(conversation, body)`` pairs at the same time, over the run's connections."""
        send = [functools.partial(self.transport.call, CREATE_MESSAGE, {"conversation": c}, b) for c, b in requests]
        return _within_budget(lambda: self.transport.send_at_once(send))

    def send_probe(self, probe: Probe) -> Exchange:
        """Send a probe's bytes with its content type (``None``: no Content-Type header) to its operation.

        A probe with no reading is a request a correct server refuses, so a reset may be retried once.
        """
        headers = {} if probe.content_type is None else {"Content-Type": probe.content_type}
        op = probe.operation
        send = self.transport.send
        return _within_budget(
            lambda: send(op.method, probe.path, probe.content, headers, retry_resets=not probe.readings, operation=op)
        )

    def create(self, conversation: int, body: dict[str, Any]) -> tuple[Exchange, dict[str, Any]]:
        """POST a valid body and return the answer, which must be an accepted JSON object; ids are recorded.

        The doc sets no size limit: a refusal (any 4xx) of a long message or a large body is the
        server's own limit, noted, and the example is dropped (the project's limit is 1 MiB, B2).
        """
        exchange = self.post(conversation, body)
        return exchange, self.created(exchange)

    def created(self, exchange: Exchange) -> dict[str, Any]:
        """The message a valid creation's answer holds (``create``, for a request already sent); ids are recorded."""
        if 400 <= exchange.status < 500 and domain.size_is_open(exchange.request_body):
            self._size_refused(exchange)
            reject()
        message = checks.accepted(exchange)
        self.record_id(message, exchange)
        return message

    def _size_refused(self, exchange: Exchange) -> None:
        self.lenient(
            "a long message: refused with a 4xx (the doc sets no size limit)",
            exchange,
            f"{len(exchange.request_body)} bytes refused with {exchange.status}",
        )

    def record_id(self, message: dict[str, Any], exchange: Exchange) -> None:
        """Remember the id of a created message, for ``unique-ids``."""
        if "id" in message:
            self.created_ids.append((message["id"], exchange))

    @property
    def conversations(self) -> tuple[int, ...]:
        """The conversations the run was given: the server must take valid requests to them."""
        return tuple(c for c in (self.conversation, self.other_conversation) if c is not None)

    def probe(self, probe: Probe) -> None:
        """Send a probe and have the contract judge it (``rules.judge``), noting what the server chose.

        Inside the domain: created exactly as sent, or refused only where the doc leaves it to the
        server. Outside: any 4xx, or a whole creation (schemas/DERIVATION.md, "The documented
        domain"); where the server does otherwise than the project's rules, it is noted (under
        ``strict``, a failure).
        """
        exchange = self.send_probe(probe)
        message = rules.judge(probe, exchange, self.known, self.date_tolerance)
        if not probe.outside:
            if message is None and domain.size_is_open(probe.content) and checks.expected(probe) is not None:
                self._size_refused(exchange)
        elif message is None and probe.plain is not None:
            self.lenient(f"{probe.what}: refused, where the project's rules create it", exchange, probe.outside[0])
        elif message is not None:
            self._note_reading(probe, message, exchange)
        if message is not None:
            self.record_id(message, exchange)

    def _note_reading(self, probe: Probe, message: dict[str, Any], exchange: Exchange) -> None:
        """Note what a server created from a request outside the domain, unless it is the project's own reading."""
        reading = probe.reading_of(message)
        if reading is not None and reading.lenient is None:
            return
        kind = reading.lenient if reading is not None else f"creates a message ({probe.outside[0]})"
        stored = json.dumps(message.get("message"))
        stored = stored if len(stored) <= 80 else stored[:77] + "..."
        invented = "" if probe.holds(message.get("message")) else " (a value the request does not hold)"
        named = parent_named(message.get("parent"))
        reply = f", a reply to {named}" if message.get("is_reply") else ", a root"
        if not domain.is_integer(probe.conversation):
            reply += f", in conversation {json.dumps(message.get('conversationId'))}"
        self.lenient(f"{probe.what}: {kind}", exchange, f"stored message {stored}{invented}{reply}")

    def lenient(self, what: str, exchange: Exchange, detail: str = "") -> None:
        """Note a choice the doc leaves open where the server does otherwise than the project's rules."""
        if self.strict:
            raise CheckFailure(
                f"lenient (--strict): {what.partition(':')[0]}",
                f"{what}; {detail + '; ' if detail else ''}the project's rules (schemas/DERIVATION.md) differ",
                exchange,
            )
        self.notes.setdefault((self.check, what), Note(self.check, what, exchange, detail))

    def adopt_anchor(self, conversation: int, exchange: Exchange, message: dict[str, Any]) -> None:
        """Use a message created outside the checks as the anchor of its conversation."""
        self.record_id(message, exchange)
        self._anchors[conversation] = message["id"]
        if isinstance(message["id"], int):
            self.known.remember(message["id"], conversation)

    def anchor(self, conversation: int | None = None) -> int:
        """A root message of ``conversation`` created once per run, for replies to name as parent."""
        where = self.conversation if conversation is None else conversation
        if where not in self._anchors:
            exchange = self.transport.call(CREATE_MESSAGE, {"conversation": where}, {"message": "contract anchor"})
            self.adopt_anchor(where, exchange, checks.created(exchange))
        return self._anchors[where]

    def run(self, test: Callable[..., None]) -> None:
        """Run a ``@given`` test under the run's settings and seed, one reported example per cause."""

        inner = test.hypothesis.inner_test  # type: ignore[attr-defined]  # Hypothesis' documented hook

        @functools.wraps(inner)
        def distinct(*args: Any, **kwargs: Any) -> None:
            with self.causes():
                inner(*args, **kwargs)

        test.hypothesis.inner_test = distinct  # type: ignore[attr-defined]
        self.settings(seed(self.seed)(test))()

    @contextmanager
    def causes(self) -> Iterator[None]:
        """Raise each ``CheckFailure`` again as a class of its own cause (its title and status).

        Hypothesis reports one example per distinct failure, telling them apart by exception
        type and place; one class per cause makes a second defect show beside the first.
        """
        try:
            yield
        except CheckFailure as failure:
            status = failure.exchanges[-1].status if failure.exchanges else 0
            key = (failure.title, status)
            self.last_failures[key] = failure
            if key not in self._cause_classes:  # the same cause is the same class all run long
                self._cause_classes[key] = type("CheckFailure", (CheckFailure,), {"cause": key})
            raise self._cause_classes[key](
                failure.title, failure.detail, *failure.exchanges, rule=failure.rule
            ) from None


_T = TypeVar("_T")


def _within_budget(send: Callable[[], _T]) -> _T:
    try:
        return send()
    except BudgetExhausted as spent:
        if spent.transport is None or not _replaying_a_failure():
            raise
        # Hypothesis replays each failure it found once more, to report it: let that through,
        # or a failure found within the budget would be reported as one that did not recur.
        with spent.transport.unlimited():
            return send()


def _replaying_a_failure() -> bool:
    try:
        return current_build_context().is_final
    except InvalidArgument:  # outside any Hypothesis test (an anchor)
        return False
