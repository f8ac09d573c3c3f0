"""``--watch``: the real API's answers to the operations under contract, judged as they pass by the contract's rules.

Each operation's verdict (its contract in ``contracts.registry``: for a creation,
``contracts.rules.judge``) is given on an exchange whoever produced it: here, an app's own
request to the real API and the real answer; what is known of the state is what this proxy
saw. For a creation: Inside the documented domain: the answer's schema, the echo of ``message``,
``conversationId``, ``is_reply``, ``parent``, a new message's fields, a date in seconds, ids
never repeated, and a reply to a message this proxy saw made in another conversation refused.
A refusal (4xx) is the server's to make where the proxy cannot know better (a conversation it
never saw take a message, a parent it never saw made; the app's credentials or a rate limit);
a valid creation in a conversation seen taking messages must succeed. Outside the domain, as
in a contract run: any 4xx, or a whole creation (never a 5xx); what the server read is noted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.registry import Registry, default_registry
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange
from message_api_kit.mockserver.memory import MAX_REMEMBERED
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


#: What a judged exchange is written as in the journal: "kept", "violation: ...", "noted: ..." (outside the
#: documented domain) or "not judged: ..." (an access refusal).
Verdict = str


class Watch:
    """The verdicts of one proxy: what it knows of the real API's state (``rules.Known``), and the violations."""

    def __init__(
        self, recorder: Recorder | None = None, remembered: int = MAX_REMEMBERED, registry: Registry | None = None
    ) -> None:
        self.recorder = recorder
        #: The operations judged: each exchange gets its own operation's verdict.
        self.registry = registry if registry is not None else default_registry()
        self._lock = threading.Lock()
        #: Conversations seen taking a message, and each message id seen made with its conversation.
        self._known = Known(remembered=remembered)
        self._violations: deque[Violation] = deque(maxlen=KEPT)
        #: Exchanges judged, and those that could not be, by why: a job can fail on "judged nothing".
        self.judged = 0
        self._not_judged: Counter[str] = Counter()

    def not_judged(self, why: str) -> Verdict:
        """Count an exchange of the vendor's operation that could not be judged; its verdict."""
        with self._lock:
            self._not_judged[why] += 1
        return f"not judged: {why}"

    def counts(self) -> tuple[int, dict[str, int]]:
        """How many exchanges were judged, and how many were not, by why."""
        with self._lock:
            return self.judged, dict(self._not_judged)

    def judge(self, exchange: Exchange, parameters: dict[str, str], path: str) -> Verdict:
        """Judge an exchange of an operation under contract seen passing (``parameters``: its path and query
        parameters as sent; ``path``: the fake's)."""
        if exchange.status in ACCESS:
            return self.not_judged(f"refused with {exchange.status} (access or rate, which the doc does not cover)")
        try:
            with self._lock:  # one exchange at a time: each verdict reads and adds to what is known
                self.judged += 1
                judged = self.registry.judge(
                    exchange, parameters, self._known, DATE_TOLERANCE, what="a request seen through the proxy"
                )
        except CheckFailure as failure:
            found = Violation(
                time.time(), exchange.method, path, exchange.status, failure.rule, failure.title, failure.detail
            )
            with self._lock:
                self._violations.append(found)
            return f"violation: {failure.rule + ' ' if failure.rule else ''}{failure.title}: {failure.detail}"
        if judged.outside is not None:
            return f"noted: outside the documented domain ({judged.outside})"
        if judged.refused:
            return "kept (refused, the server's to choose)"
        if self.recorder is not None and judged.made is not None:
            self.recorder.created(*judged.made)
        return "kept"

    def violations(self) -> list[Violation]:
        """Every violation kept, oldest first."""
        with self._lock:
            return list(self._violations)
