"""What a check raises when a server breaks the contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from message_api_kit.contracts.transport import Exchange, Transport


class CheckFailure(AssertionError):
    """A broken rule: a short ``title``, a ``detail`` saying what was seen, and the exchanges that show it.

    ``rule`` is the DERIVATION.md row the failure breaks, where one row owns it: the report
    shows a cause once, under the check that enforces its row (``causes.Causes``).
    """

    def __init__(self, title: str, detail: str, *exchanges: Exchange, rule: str = "") -> None:
        super().__init__(f"{title}: {detail}")
        self.title = title
        self.detail = detail
        self.exchanges = exchanges
        self.rule = rule


class Unreachable(Exception):
    """The server could not be reached at all; the run cannot say anything about the contract."""


class BudgetExhausted(BaseException):
    """The check's request budget is spent: the check stops where it is.

    A ``BaseException``, so that Hypothesis takes it for neither a failure nor a rejected
    example (either would change what its replays see) and stops at once. ``transport``
    may lift the budget, for Hypothesis' replay of a failure it already found.
    """

    def __init__(self, message: str, transport: Transport | None = None) -> None:
        super().__init__(message)
        self.transport = transport
