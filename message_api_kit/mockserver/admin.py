"""The handlers of the fake's control API under ``/__mock__/`` (reset, seed, inspect, faults, clock), by operation id.

Every body is read by ``read_json`` against the schema its operation declares: one way to
validate input, one 422 with JSON pointers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, request

from message_api_kit import schemas
from message_api_kit.mockserver.clock import ClockOutOfRange
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.errors import FieldError, OutOfRange
from message_api_kit.mockserver.journal import JournalEntry
from message_api_kit.mockserver.render import (
    json_response,
    json_text_response,
    message_json,
    message_text,
    shape_of,
)
from message_api_kit.mockserver.requests import session_store
from message_api_kit.mockserver.seed import Seed
from message_api_kit.mockserver.sessions import Sessions
from message_api_kit.mockserver.shape import Shape
from message_api_kit.mockserver.store import Snapshot, Store, StoredMessage
from message_api_kit.mockserver.validation import parse_id, query_int, read_json

#: A page of stored messages holds at most ``limit`` messages and about this many bytes of them.
MAX_PAGE_BYTES = 1024 * 1024
#: A listing shows at most this many characters of one message's text, so that a page costs what
#: it sends (a 300 MiB message from a seed file would be rendered whole on every dashboard poll);
#: ``GET /__mock__/messages/{id}`` gives the whole text.
LISTED_TEXT = 64 * 1024
#: How deeply an admin body may nest: what is accepted is stored and answered later, and must render.
MAX_DEPTH = 32


def admin_handlers(sessions: Sessions, config: MockConfig) -> dict[str, Callable[..., Response]]:
    """The handler of each of the fake's admin operations, by operation id."""

    def body(op_id: str) -> Any:
        op = schemas.operation(op_id)
        return read_json(request, config.max_body_bytes, op.body, max_depth=MAX_DEPTH, integral=True)

    def query(op_id: str, name: str, default: int) -> int:
        """An integer query parameter, within the bounds its declaration states."""
        bounds = schemas.operation(op_id).parameter(name).schema
        assert isinstance(bounds, dict)
        return query_int(request, name, default, bounds["minimum"], bounds["maximum"])

    def reset_fake() -> Response:
        session_store().reset()
        return Response(status=204)

    def seed_fake() -> Response:
        return json_response(session_store().seed(Seed.from_json(body("seedFake"))).to_json())

    def list_conversations() -> Response:
        found = session_store().conversations(query("listConversations", "limit", 100))
        items = [{"id": c, "messages": n, "last_message_id": last} for c, n, last in found]
        return json_response({"conversations": items})

    def list_stored_messages(conversation: str) -> Response:
        store = session_store()
        conversation_id = parse_id(conversation, "conversation")
        offset = query("listStoredMessages", "offset", 0)
        limit = query("listStoredMessages", "limit", 50)
        items, total = store.page(conversation_id, offset, limit)
        page: list[str] = []
        size = 0
        for message in items:  # bounded in bytes too: at least one message, then up to MAX_PAGE_BYTES
            text = _listed(store, message, shape_of(config))
            size += len(text)
            if page and size > MAX_PAGE_BYTES:
                break
            page.append(text)
        head = json.dumps({"total": total, "offset": offset, "limit": limit})[1:-1]
        return json_text_response(f'{{"items": [{", ".join(page)}], {head}}}')

    def get_stored_message(id: str) -> Response:  # the path parameter's declared name
        store = session_store()
        return json_response(message_json(store, store.message(parse_id(id, "message")), shape_of(config)))

    def get_journal() -> Response:
        limit = query("getJournal", "limit", 100_000)
        return Response(_journal_document(session_store().journal.entries(limit)), mimetype=schemas.JSON)

    def get_faults() -> Response:
        return json_response(session_store().faults.to_json())

    def set_faults() -> Response:
        session_store().faults.set_json(body("setFaults"))
        return json_response(session_store().faults.to_json())

    def clear_faults() -> Response:
        session_store().faults.clear()
        return Response(status=204)

    def get_clock() -> Response:
        return json_response(session_store().clock.state())

    def set_clock() -> Response:
        clock = session_store().clock
        command = body("setClock")
        try:
            if "freeze" in command:
                clock.freeze(command["freeze"])
            elif "advance" in command:
                clock.advance(command["advance"])
            else:
                clock.reset()
        except ClockOutOfRange as exc:
            (field,) = command
            raise OutOfRange(str(exc), [FieldError(f"/{field}", str(exc))]) from None
        return json_response(clock.state())

    return {
        "resetFake": reset_fake,
        "seedFake": seed_fake,
        "listConversations": list_conversations,
        "listStoredMessages": list_stored_messages,
        "getStoredMessage": get_stored_message,
        "getJournal": get_journal,
        "getFaults": get_faults,
        "setFaults": set_faults,
        "clearFaults": clear_faults,
        "getClock": get_clock,
        "setClock": set_clock,
        **_session_handlers(sessions, body),
    }


def _session_handlers(sessions: Sessions, body: Callable[[str], Any]) -> dict[str, Callable[..., Response]]:
    """The handlers of sessions and snapshots, by operation id."""

    def list_sessions() -> Response:
        alive = [
            {"name": name, "messages": len(store), "idle_seconds": round(idle, 3)}
            for name, store, idle in sessions.named()
        ]
        evicted = [{"name": e.name, "at": e.at, "reason": e.reason} for e in sessions.evictions()]
        return json_response({"sessions": alive, "max_sessions": sessions.max_sessions, "evicted": evicted})

    def delete_session(session: str) -> Response:  # the path parameter's declared name
        sessions.delete(session)
        return Response(status=204)

    def snapshot_json(name: str, snapshot: Snapshot) -> dict[str, Any]:
        return {"name": name, "messages": len(snapshot.messages), "taken": snapshot.taken}

    def create_snapshot() -> Response:
        name = body("createSnapshot")["name"]
        taken = session_store().take_snapshot(name)
        return json_response({"snapshots": [snapshot_json(name, taken)]}, 201)

    def list_snapshots() -> Response:
        return json_response({"snapshots": [snapshot_json(name, s) for name, s in session_store().snapshots()]})

    def restore_snapshot(name: str) -> Response:
        session_store().restore_snapshot(name)
        return Response(status=204)

    def delete_snapshot(name: str) -> Response:
        session_store().delete_snapshot(name)
        return Response(status=204)

    def list_violations() -> Response:
        watch = sessions.watch
        found = [] if watch is None else [v.to_json() for v in watch.violations()]
        judged, not_judged = (0, {}) if watch is None else watch.counts()
        return json_response(
            {"watching": watch is not None, "judged": judged, "not_judged": not_judged, "violations": found}
        )

    return {
        "listViolations": list_violations,
        "listSessions": list_sessions,
        "deleteSession": delete_session,
        "createSnapshot": create_snapshot,
        "listSnapshots": list_snapshots,
        "restoreSnapshot": restore_snapshot,
        "deleteSnapshot": delete_snapshot,
    }


def _listed(store: Store, message: StoredMessage, shape: Shape) -> str:
    """``message`` as a listing shows it: its text cut past ``LISTED_TEXT``, saying so."""
    if len(message.text) <= LISTED_TEXT:
        return message_text(store, message, shape)
    doc = message_json(store, message, shape)
    doc.update(message=message.text[:LISTED_TEXT], truncated=True, length=len(message.text))
    return json.dumps(doc)


def _journal_document(entries: list[JournalEntry]) -> Iterator[str]:
    """The journal as ``journal.json``, an entry at a time: a full journal's document is never built whole."""
    yield '{"entries": ['
    for index, entry in enumerate(entries):
        yield ("," if index else "") + json.dumps(entry.to_json())
    yield "]}"
