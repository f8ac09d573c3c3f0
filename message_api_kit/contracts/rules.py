"""The contract's verdict on one exchange: the declared operation, the request, the answer, and what is known.

A rule judges an exchange whoever produced it: a generated run (``context.py``), the
categories of ``contracts diff`` (``diff.py``) and live traffic the fake's ``--watch`` sees
(``mockserver/watch.py``). The operation comes from its declaration (``Exchange.operation``:
what a success is, the schema its answers follow); the request is a ``Probe`` (its readings
follow from its bytes); what is known of the server's state is a ``Known``, which each
producer fills with what it has seen: a run, the conversations it was given and the messages
it made; a proxy, the conversations it saw take messages and the messages it saw made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from message_api_kit.contracts import checks, domain
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import Probe, Reading
from message_api_kit.contracts.transport import Exchange

__all__ = ["CREATED", "REFUSED", "Known", "judge", "judge_and_remember"]

#: What the doc decides of a request: the one message it reads, or a refusal (any 4xx).
CREATED = "created"
REFUSED = "refused"


@dataclass
class Known:
    """What is known of the server's state: conversations that exist, and the messages seen made in each."""

    #: Conversations known to exist (given to a run, or seen taking a message).
    conversations: set[int] = field(default_factory=set)
    #: The conversation of each message id seen made.
    messages: dict[int, int] = field(default_factory=dict)
    #: How many messages are remembered, the oldest forgotten first (None: all). A forgotten parent is one
    #: the server may refuse or take, as one never seen: fewer verdicts, never a false one.
    remembered: int | None = None
    #: Ids seen given to two messages: a reply naming one names an ambiguous parent (``causes.explained``).
    repeated: set[int] = field(default_factory=set)

    def decided(self, probe: Probe) -> str | None:
        """What the doc decides of a request inside the domain, as far as is known: ``CREATED``, ``REFUSED``,
        or ``None``, the server's choice.

        A parent that cannot exist (an id outside 1 to 2^63-1) is refused whatever is known. The
        server chooses for a body whose size the doc leaves open, in a conversation not known to
        exist, and for a reply to a message not known (it may exist: only the server knows). A
        reply to a message known in another conversation is refused (B5); anything else, created.
        """
        reading = checks.expected(probe)
        if reading is None:
            return REFUSED
        if domain.size_is_open(probe.content) or reading.conversation not in self.conversations:
            return None
        if reading.parent is None:
            return CREATED
        home = self.messages.get(reading.parent)
        if home is None:
            return None
        return CREATED if home == reading.conversation else REFUSED

    def made(self, exchange: Exchange, reading: Reading, message: dict[str, Any]) -> None:
        """Remember a message seen made; R3 and B5 first: ids never repeat, replies stay in their conversation."""
        home = self.messages.get(reading.parent) if reading.parent is not None else None
        if home is not None and home != reading.conversation:
            raise CheckFailure(
                "a reply to another conversation's message accepted",
                f"replied in {reading.conversation} to {reading.parent}, made in {home}",
                exchange,
                rule="B5",
            )
        made = message.get("id")
        if isinstance(made, int) and not isinstance(made, bool):
            if made in self.messages:
                self.repeated.add(made)
                raise CheckFailure("id repeated", f"id {made} was given to two messages", exchange, rule="R3")
            self.remember(made, reading.conversation)
        self.conversations.add(reading.conversation)

    def remember(self, message_id: int, conversation: int) -> None:
        """Know that ``message_id`` was made in ``conversation`` (no rule judged: ``made`` judges first)."""
        self.messages[message_id] = conversation
        if self.remembered is not None and len(self.messages) > self.remembered:
            del self.messages[next(iter(self.messages))]  # dicts keep their order: the oldest


def judge(probe: Probe, exchange: Exchange, known: Known, date_tolerance: float) -> dict[str, Any] | None:
    """The contract's verdict on a request and its answer: the message created, ``None`` for a refusal.

    Inside the documented domain: created exactly as sent, or refused only where the doc (and
    what is known) leaves it to the server. Outside: any 4xx, or a whole creation. Any creation
    is dated now. A rule broken raises ``CheckFailure``; what the server chose where the doc is
    silent is the caller's to note.
    """
    if probe.outside:
        message = checks.judged_outside(exchange, probe)
    else:
        message = checks.judged_inside(exchange, probe, refusable=known.decided(probe) != CREATED)
    if message is not None:
        checks.dated_now(exchange, message, date_tolerance)
    return message


def judge_and_remember(probe: Probe, exchange: Exchange, known: Known, date_tolerance: float) -> dict[str, Any] | None:
    """``judge``, then a message made inside the domain remembered in ``known`` (which judges R3 and B5).

    For whoever judges exchanges one after another with nothing else keeping state: a replay, a diff.
    """
    message = judge(probe, exchange, known, date_tolerance)
    if message is not None and not probe.outside:
        reading = checks.expected(probe)
        assert reading is not None  # judged created: the doc reads one message from the request
        known.made(exchange, reading, message)
    return message
