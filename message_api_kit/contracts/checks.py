"""Pure checks: each takes exchanges and expectations, and raises ``CheckFailure`` if a rule is broken.

Every check names the row of ``schemas/DERIVATION.md`` it enforces. A title names the rule,
never the values of one request (those go in the detail): the runner reports one example
per distinct title and status.
"""

from __future__ import annotations

import json
from typing import Any

from message_api_kit import schemas
from message_api_kit.contracts import domain
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import Probe, Reading, parent_named
from message_api_kit.contracts.transport import Exchange
from message_api_kit.schemas import MAX_ID, Operation


def _declared(exchange: Exchange) -> Operation:
    """The operation the exchange's request is one of: its declaration says what a success is and looks like."""
    if exchange.operation is None:
        raise TypeError(f"{exchange.method} {exchange.url}: only an exchange of a declared operation is judged")
    return exchange.operation


def _success_statuses(exchange: Exchange) -> str:
    return " or ".join(str(status) for status in sorted(_declared(exchange).successes))


def _body(exchange: Exchange) -> Any:
    try:
        return exchange.json()
    except ValueError:
        raise CheckFailure("answer is not JSON", f"status {exchange.status}, body is not parseable", exchange) from None


def accepted(exchange: Exchange) -> dict[str, Any]:
    """R1: a valid request answers a declared success (200 or 201) with a JSON object; return it (fields unchecked).

    A 5xx is a server error, whatever was asked (never "creation refused").
    """
    no_server_error(exchange)
    if exchange.status not in _declared(exchange).successes:
        raise CheckFailure(
            "creation refused",
            f"a valid request got {exchange.status}, not {_success_statuses(exchange)}",
            exchange,
            rule="R1",
        )
    if exchange.content_type != schemas.JSON and not exchange.content_type.endswith("+json"):
        raise CheckFailure(
            "success is not JSON", f"Content-Type is {exchange.content_type or 'missing'!r}", exchange, rule="R1"
        )
    body = _body(exchange)
    if not isinstance(body, dict):
        raise CheckFailure("answer is not an object", f"got {type(body).__name__}", exchange, rule="R1")
    return body


def field(exchange: Exchange, message: dict[str, Any], name: str) -> Any:
    """The value of a documented field, or a failure naming the missing field (R2)."""
    if name not in message:
        raise CheckFailure(f"answer lacks {name}", f"the documented field {name!r} is missing", exchange, rule="R2")
    return message[name]


def created(exchange: Exchange) -> dict[str, Any]:
    """R1, R2, N1-N5: ``accepted``, and the body is valid against the schema its operation declares for
    the status (``message.json``), nested objects included."""
    return conforms(exchange, accepted(exchange))


def conforms(exchange: Exchange, body: dict[str, Any]) -> dict[str, Any]:
    """R2: ``body`` is valid against the schema the exchange's operation declares for its status; return it."""
    schema = _declared(exchange).answer_schema(exchange.status)
    if schema is None:
        raise CheckFailure(
            "answer has no declared schema", f"status {exchange.status} declares no body", exchange, rule="R2"
        )
    if schemas.is_valid(schema, body):
        # The fast yes/no (jsonschema-rs, held to jsonschema's answers by tests/schemas/test_fast_validation.py):
        # the errors' walk cost most of a verdict, which --watch gives on every creation that passes.
        return body
    errors = sorted(schemas.validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/" + "/".join(str(p) for p in errors[0].absolute_path)
        raise CheckFailure(
            f"answer breaks {schema}.json", f"at {where}: {errors[0].message[:300]}", exchange, rule="R2"
        )
    message: dict[str, Any] = body
    return message


def rejected(exchange: Exchange, what: str, detail: str = "") -> None:
    """E1: a request the contract forbids gets a 4xx: never a 2xx, never a 5xx (a server error, never "accepted")."""
    no_server_error(exchange)
    if not 400 <= exchange.status < 500:
        seen = f"expected a 4xx, got {exchange.status}"
        raise CheckFailure(f"{what} accepted", f"{detail}: {seen}" if detail else seen, exchange)


def expected(probe: Probe) -> Reading | None:
    """The one message a request inside the documented domain creates; ``None``: it must be refused.

    Only a reply to a parent that cannot exist (an id outside 1 to 2^63-1) has none.
    """
    body = domain.decode(probe.content)
    parent = body.get("parent_id")
    if parent is not None and not 1 <= parent <= MAX_ID:
        return None
    return Reading(body["message"], int(probe.conversation), parent)


def judged_inside(exchange: Exchange, probe: Probe, refusable: bool) -> dict[str, Any] | None:
    """A request the doc defines: created as sent, or refused only where the doc leaves that open.

    ``refusable``: the doc leaves a refusal to the server (a conversation other than the run's,
    a size). Returns the created message, or ``None`` for a refusal.
    """
    no_server_error(exchange)
    reading = expected(probe)
    if reading is None:
        rejected(exchange, probe.what)
        return None
    if 400 <= exchange.status < 500 and refusable:
        return None
    message = created(exchange)
    text_echoed(exchange, message, reading.message)
    conversation_matches(exchange, message, reading.conversation)
    reply_flag(exchange, message, reading.parent)
    if reading.parent is not None:
        names_parent(exchange, message, reading.parent)
    fresh(exchange, message)
    return message


def judged_outside(exchange: Exchange, probe: Probe) -> dict[str, Any] | None:
    """A request outside the documented domain: any 4xx, or a creation that is whole; return what it created.

    Whole: the answer keeps message.json and the message is new, except in the fields that echo
    what the doc leaves undefined (``domain.Reason.fields``): what the server stored there is its
    choice, which the caller notes. A path that names a conversation the doc's way is kept.
    """
    no_server_error(exchange)
    if 400 <= exchange.status < 500:
        return None
    if exchange.status not in _declared(exchange).successes:
        raise CheckFailure(
            f"{probe.what} neither refused nor created",
            f"expected a 4xx or {_success_statuses(exchange)}, got {exchange.status}",
            exchange,
        )
    answer = accepted(exchange)
    exempt = {name for reason in probe.outside for name in reason.fields}
    conforms(exchange, {**answer, **{name: _PLACEHOLDERS[name] for name in exempt if name in answer}})
    if "conversationId" not in exempt:
        conversation_matches(exchange, answer, int(probe.conversation))
    fresh(exchange, answer)
    return answer


#: Values message.json takes, put in place of a field the server filled from an undefined value.
_PLACEHOLDERS: dict[str, Any] = {"message": "", "conversationId": 1, "is_reply": False, "parent": None}


def no_server_error(exchange: Exchange) -> None:
    """E1: whatever the request, the server does not answer 5xx; every check titles a 5xx so, and only so."""
    if exchange.status >= 500:
        raise CheckFailure("server error", f"answered {exchange.status}", exchange, rule="E1")


def conversation_matches(exchange: Exchange, message: dict[str, Any], conversation: int) -> None:
    """R5: ``conversationId`` is the path's conversation."""
    got = field(exchange, message, "conversationId")
    if not same_integer(got, conversation):
        raise CheckFailure(
            "wrong conversationId", f"posted to {conversation}, answer says {got!r}", exchange, rule="R5"
        )


def same_integer(got: Any, sent: int) -> bool:
    """``got`` is the integer ``sent``; past 2^53, the nearest double of it too (JavaScript's numbers)."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    return (isinstance(got, int) and got == sent) or (abs(sent) > 2**53 and float(got) == float(sent))


def text_echoed(exchange: Exchange, message: dict[str, Any], sent: str) -> None:
    """B2, R9: ``message`` comes back exactly as sent."""
    got = field(exchange, message, "message")
    if got != sent:
        raise CheckFailure(
            "message changed", f"sent {json.dumps(sent)[:200]}, got back {json.dumps(got)[:200]}", exchange, rule="R9"
        )


def reply_flag(exchange: Exchange, message: dict[str, Any], parent_id: int | None) -> None:
    """R6: ``is_reply`` is true exactly when ``parent_id`` was non-null (absent and null are roots)."""
    got = field(exchange, message, "is_reply")
    if got is not (parent_id is not None):
        raise CheckFailure(
            "wrong is_reply", f"parent_id was {parent_id!r} but is_reply is {got!r}", exchange, rule="R6"
        )


def names_parent(exchange: Exchange, message: dict[str, Any], parent_id: int) -> None:
    """R7: a reply's ``parent`` identifies its parent (the id itself, or an object with that ``id``)."""
    parent = field(exchange, message, "parent")
    named = parent_named(parent)
    if named != parent_id or isinstance(named, bool):
        raise CheckFailure(
            "reply does not name its parent", f"replied to {parent_id}, parent is {parent!r}"[:300], exchange, rule="R7"
        )


def fresh(exchange: Exchange, message: dict[str, Any]) -> None:
    """R8, R11, R12, R14: a new message is not deleted, not edited, has no reactions and no files."""
    for name, expected, rule in (
        ("deleted", False, "R8"),
        ("edited_at", None, "R11"),
        ("reactions", [], "R12"),
        ("files", [], "R14"),
    ):
        got = field(exchange, message, name)
        if got != expected or type(got) is not type(expected):
            raise CheckFailure(
                f"new message has {name}", f"{name} is {got!r}, expected {expected!r}", exchange, rule=rule
            )


def dated_now(exchange: Exchange, message: dict[str, Any], tolerance: float) -> None:
    """R10: ``date`` is Unix seconds within ``tolerance`` of the client's clock."""
    date = field(exchange, message, "date")
    if isinstance(date, bool) or not isinstance(date, int):
        raise CheckFailure("date is not Unix seconds", f"date is {date!r}", exchange, rule="R10")
    if not exchange.sent_at - tolerance <= date <= exchange.received_at + tolerance:
        hint = " (milliseconds?)" if date > exchange.received_at * 100 else ""
        raise CheckFailure(
            "date is not now",
            f"date {date}{hint} is more than {tolerance:g}s from the client's clock ({int(exchange.sent_at)})",
            exchange,
            rule="R10",
        )


def unique_id(exchange: Exchange, message: dict[str, Any], seen: dict[str, Exchange]) -> None:
    """R3: ids are unique across the whole run; records this one in ``seen``."""
    key = json.dumps(field(exchange, message, "id"))  # a broken server may send an unhashable id
    earlier = seen.get(key)
    if earlier is not None and earlier is not exchange:
        raise CheckFailure("id repeated", f"id {key} was given to two messages", earlier, exchange, rule="R3")
    seen[key] = exchange


def same_answer(first: Exchange, second: Exchange) -> None:
    """Robustness: the same valid request sent again is answered with the same status."""
    if first.status != second.status:
        raise CheckFailure(
            "same request, different answer", f"first {first.status}, then {second.status}", first, second
        )
