"""One cause, one failure: each defect shown once, under the check that owns it, decided as each check ends.

A defect shows in several checks: ids that repeat fail ``unique-ids``, and make the parent a
reply names ambiguous, so ``replies`` and ``cross-conversation-parent`` fail too. The report
shows each cause once. Two steps, both taken the moment a check ends (``Causes.settle``), so
that what the live line printed then is what the summary, the JUnit file and the pytest
plugin say at the end:

- a failure that a cause explains is that cause: one whose exchanges name an id the server
  gave to two messages is "id repeated" (R3), whatever it looked like from where it was seen;
- a cause (a failure's title) is shown by the first check that saw it, unless a check still
  to run enforces the DERIVATION.md row it breaks (dates in milliseconds are the ``date``
  check's, whichever check created the message): that check shows it, whether or not it sees
  it again. The others pass, if nothing else failed, and say where it is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import parent_named

if TYPE_CHECKING:
    from message_api_kit.contracts.registry import ContractCheck
    from message_api_kit.contracts.report import CheckResult
    from message_api_kit.contracts.transport import Exchange

__all__ = ["REPEATED", "Causes", "repeated_ids", "rows"]

#: The title of the cause that explains failures on ambiguous ids (R3).
REPEATED = "id repeated"


def rows(reference: str) -> set[str]:
    """The DERIVATION.md rows a check's reference names: ``"R1, R2, N1-N5"`` is R1, R2 and N1 to N5."""
    found: set[str] = set()
    for part in reference.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if last and first[:1] == last[:1] and first[1:].isdigit() and last[1:].isdigit():
            found.update(f"{first[0]}{n}" for n in range(int(first[1:]), int(last[1:]) + 1))
        else:
            found.add(part)
    return found


def repeated_ids(created: Iterable[Any], known_repeated: Iterable[int] = ()) -> set[int]:
    """The ids a server gave to two messages: those created twice in the run, and those ``Known`` saw repeat."""
    counts = Counter(i for i in created if isinstance(i, int) and not isinstance(i, bool))
    return {i for i, n in counts.items() if n > 1} | set(known_repeated)


def _ids_named(exchange: Exchange) -> set[int]:
    """The message ids an exchange names: the request's parent, the answer's id and its parent's."""
    found: set[Any] = set()
    try:
        sent = json.loads(exchange.request_body)
    except (ValueError, UnicodeDecodeError):
        sent = None
    if isinstance(sent, dict):
        found.add(sent.get("parent_id"))
    try:
        answer = exchange.json() if exchange.status else None
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        found |= {answer.get("id"), parent_named(answer.get("parent"))}
    return {i for i in found if isinstance(i, int) and not isinstance(i, bool)}


def explained(failure: CheckFailure, repeated: set[int]) -> CheckFailure:
    """``failure``, or the cause that explains it: an exchange naming an id given twice is "id repeated"."""
    if failure.title == REPEATED or not repeated:
        return failure
    ambiguous = sorted(set().union(*(_ids_named(e) for e in failure.exchanges)) & repeated)
    if not ambiguous:
        return failure
    detail = (
        f"{failure.title}, where the request or answer names id {ambiguous[0]}, which the server gave to two"
        f" messages ({failure.detail})"
    )
    return CheckFailure(REPEATED, detail, *failure.exchanges, rule="R3")


@dataclass
class Causes:
    """The causes shown so far in a run, and those a check still to run will show."""

    #: The checks still to run, in order.
    to_come: list[ContractCheck]
    #: Each cause shown, and the check showing it.
    shown: dict[str, CheckResult] = field(default_factory=dict)
    #: Causes seen before the check that owns them ran: by that check's name, with who saw them.
    waiting: dict[str, list[tuple[CheckFailure, str]]] = field(default_factory=dict)

    def settle(self, result: CheckResult, repeated: set[int]) -> None:
        """Decide, as ``result``'s check ends, which of its failures it shows; the rest say where they are."""
        self.to_come = [c for c in self.to_come if c.name != result.check.name]
        own: dict[str, CheckFailure] = {}
        for failure in [explained(f, repeated) for f in result.failures]:
            own.setdefault(failure.title, failure)
        for failure, seer in self.waiting.pop(result.check.name, []):
            own.setdefault(failure.title, failure)
            result.also_seen.setdefault(failure.title, []).append(seer)
        shown = []
        for title, failure in own.items():
            owner = self.shown.get(title)
            later = self._owner_to_come(failure, result.check)
            if owner is not None:
                owner.also_seen.setdefault(title, []).append(result.check.name)
                result.reported_under.append((title, owner.check.name))
            elif later is not None:
                self.waiting.setdefault(later.name, []).append((failure, result.check.name))
                result.reported_under.append((title, later.name))
            else:
                self.shown[title] = result
                shown.append(failure)
        result.failures = shown
        if shown and result.status == "passed":
            result.status = "failed"
        elif not shown and result.status == "failed":
            result.status = "passed"
        if result.reported_under:
            also = "; ".join(f"{title} (reported under {owner})" for title, owner in result.reported_under)
            result.reason = f"{result.reason}; also saw: {also}" if result.reason else f"also saw: {also}"

    def _owner_to_come(self, failure: CheckFailure, seer: ContractCheck) -> ContractCheck | None:
        """The check still to run that enforces the row ``failure`` breaks, unless the one that saw it does."""
        if not failure.rule or failure.rule in rows(seer.reference):
            return None
        return next((c for c in self.to_come if failure.rule in rows(c.reference)), None)

    def unsettled(self) -> Sequence[tuple[CheckFailure, str]]:
        """Causes left waiting for a check that never ran (the run stopped first)."""
        return [entry for waiting in self.waiting.values() for entry in waiting]
