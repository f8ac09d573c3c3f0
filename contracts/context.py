"""What every check shares during one run: the transport, the conversations, the ids seen, Hypothesis settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import reject, seed

from contracts import checks
from contracts.failures import BudgetExhausted
from contracts.transport import Exchange, Transport


@dataclass
class Context:
    """The run's shared state. Checks call ``post``; the runner owns everything else."""

    transport: Transport
    conversation: int
    other_conversation: int | None
    date_tolerance: float
    settings: Any  # hypothesis.settings
    seed: int
    #: Every id a creation answered with during the run, in order (checked by ``unique-ids``).
    created_ids: list[tuple[Any, Exchange]] = field(default_factory=list)
    _anchors: dict[int, int] = field(default_factory=dict)

    def post(self, conversation: int | str, body: Any) -> Exchange:
        """POST a JSON body to a conversation; past the budget, the example is dropped (nothing is sent)."""
        return _within_budget(lambda: self.transport.post_json(_messages(conversation), body))

    def send_raw(self, conversation: int | str, content: bytes, content_type: str | None) -> Exchange:
        """POST raw bytes with a given content type (``None``: no Content-Type header)."""
        headers = {} if content_type is None else {"Content-Type": content_type}
        return _within_budget(lambda: self.transport.send("POST", _messages(conversation), content, headers))

    def create(self, conversation: int, body: dict[str, Any]) -> tuple[Exchange, dict[str, Any]]:
        """POST a valid body and return the answer, which must be an accepted JSON object; ids are recorded."""
        exchange = self.post(conversation, body)
        message = checks.accepted(exchange)
        if "id" in message:
            self.created_ids.append((message["id"], exchange))
        return exchange, message

    def anchor(self, conversation: int | None = None) -> int:
        """A root message of ``conversation`` created once per run, for replies to name as parent."""
        where = self.conversation if conversation is None else conversation
        if where not in self._anchors:
            exchange = self.transport.post_json(_messages(where), {"message": "contract anchor"})
            message = checks.created(exchange)
            self.created_ids.append((message["id"], exchange))
            self._anchors[where] = message["id"]
        return self._anchors[where]

    def run(self, test: Callable[..., None]) -> None:
        """Run a ``@given`` test under the run's settings and seed."""
        self.settings(seed(self.seed)(test))()


def _messages(conversation: int | str) -> str:
    return f"/conversations/{conversation}/messages"


def _within_budget(send: Callable[[], Exchange]) -> Exchange:
    try:
        return send()
    except BudgetExhausted:
        reject()  # past the budget the example is dropped, not failed
        raise  # reject() never returns; this satisfies type checkers
