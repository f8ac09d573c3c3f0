"""``--watch``: the real API's answers to the kit's operation, judged as they pass by the contract checks' own rules.

A rule of ``contracts/checks.py`` judges an exchange, whoever produced it: here, an app's own
request to the real API and the real answer. Inside the documented domain: the answer's schema,
the echo of ``message``, ``conversationId``, ``is_reply``, ``parent``, a new message's fields,
a date in seconds, ids never repeated, and a reply to a message this proxy saw made in another
conversation refused. A refusal (4xx) is the server's to make where the proxy cannot know better
(a conversation it never saw take a message, a parent it never saw made; the app's credentials
or a rate limit); a valid creation in a conversation seen taking messages must succeed. Outside
the domain, a request is noted, not judged, but for E1: never a 5xx.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from message_api_kit.contracts import checks, domain
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import Probe, Reading
from message_api_kit.contracts.transport import Exchange
from message_api_kit.mockserver.record import Recorder

__all__ = ["Verdict", "Violation", "Watch"]

#: Seconds a creation's ``date`` may be from the proxy's clock (the contract checks' default).
DATE_TOLERANCE = 300.0
#: Refusals about access or rate, which the doc does not cover: a real API has them, the contract says nothing.
ACCESS = frozenset({401, 403, 407, 429})
#: Violations kept for ``GET /__mock__/violations``, newest last.
KEPT = 1000


@dataclass(frozen=True)
class Violation:
    """A rule the real API broke on one exchange."""

    time: float
    method: str
    path: str
    status: int
    rule: str
    title: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """As in ``violations.json``."""
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "rule": self.rule,
            "title": self.title,
            "detail": self.detail,
        }


#: What a judged exchange is written as in the journal: "kept", "violation: ...", or "not judged: ...".
Verdict = str


class Watch:
    """The verdicts of one proxy: the messages it saw made (for ids and parents), and the violations."""

    def __init__(self, recorder: Recorder | None = None) -> None:
        self.recorder = recorder
        self._lock = threading.Lock()
        #: Each message id seen created, and its conversation.
        self._seen: dict[int, int] = {}
        #: Conversations seen taking a message: they exist.
        self._conversations: set[int] = set()
        self._violations: deque[Violation] = deque(maxlen=KEPT)

    def judge(self, exchange: Exchange, conversation: str, path: str) -> Verdict:
        """Judge a creation seen passing (``conversation``: the path's segment as sent; ``path``: the fake's)."""
        probe = Probe(
            "a creation seen through the proxy",
            conversation,
            exchange.request_body,
            exchange.request_headers.get("Content-Type"),
        )
        if exchange.status in ACCESS:
            return f"not judged: refused with {exchange.status} (access or rate, which the doc does not cover)"
        try:
            if probe.outside:
                checks.no_server_error(exchange)  # E1 holds on any request: never a 5xx
                return f"not judged: outside the documented domain ({probe.outside[0]})"
            reading = checks.expected(probe)
            message = checks.judged_inside(exchange, probe, refusable=self._refusable(probe, reading))
            if message is None:
                return "kept (refused, the server's to choose)"
            assert reading is not None  # a creation judged inside the domain has one
            if self.recorder is not None:  # whole (judged_inside checked its schema), whatever comes next
                self.recorder.created(reading.conversation, message, reading.parent)
            checks.dated_now(exchange, message, DATE_TOLERANCE)
            self._keeps_state(exchange, reading, message)
        except CheckFailure as failure:
            found = Violation(
                time.time(), exchange.method, path, exchange.status, failure.rule, failure.title, failure.detail
            )
            with self._lock:
                self._violations.append(found)
            return f"violation: {failure.rule + ' ' if failure.rule else ''}{failure.title}: {failure.detail}"
        return "kept"

    def _refusable(self, probe: Probe, reading: Reading | None) -> bool:
        """Whether the doc leaves a refusal to the server, as far as this proxy knows.

        It does for a conversation the proxy never saw take a message (it may not exist), for a
        reply to a message it never saw made (it may not exist either), and for a body whose size
        the doc leaves open. A valid root in a conversation seen taking messages, or a reply to
        a message seen made in the same conversation, must be created.
        """
        if reading is None or domain.size_is_open(probe.content):
            return True
        with self._lock:
            if reading.conversation not in self._conversations:
                return True
            return reading.parent is not None and self._seen.get(reading.parent) != reading.conversation

    def _keeps_state(self, exchange: Exchange, reading: Reading, message: dict[str, Any]) -> None:
        """Ids never repeat; a reply to a message seen made in another conversation is refused (B5)."""
        with self._lock:
            home = self._seen.get(reading.parent) if reading.parent is not None else None
            if home is not None and home != reading.conversation:
                raise CheckFailure(
                    "a reply to another conversation's message accepted",
                    f"replied in {reading.conversation} to {reading.parent}, made in {home}",
                    exchange,
                    rule="B5",
                )
            made = message.get("id")
            if isinstance(made, int) and not isinstance(made, bool):
                if made in self._seen:
                    raise CheckFailure("id repeated", f"id {made} was given to another message before", exchange)
                self._seen[made] = reading.conversation
            self._conversations.add(reading.conversation)

    def violations(self) -> list[Violation]:
        """Every violation kept, oldest first."""
        with self._lock:
            return list(self._violations)
