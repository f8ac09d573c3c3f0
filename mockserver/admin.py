"""The handlers of the fake's control API under ``/__mock__/`` (reset, seed, inspect, faults, clock), by operation id.

Every body is read by ``read_json`` against the schema its operation declares: one way to
validate input, one 422 with JSON pointers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

import schemas
from mockserver.config import MockConfig
from mockserver.render import json_response, message_json
from mockserver.seed import Seed
from mockserver.store import Store
from mockserver.validation import parse_id, query_int, read_json


def admin_handlers(store: Store, config: MockConfig) -> dict[str, Callable[..., Response]]:
    """The handler of each of the fake's admin operations, by operation id."""

    def body(op_id: str) -> Any:
        return read_json(request, config.max_body_bytes, schemas.operation(op_id).body)

    def query(op_id: str, name: str, default: int) -> int:
        """An integer query parameter, within the bounds its declaration states."""
        bounds = schemas.operation(op_id).parameter(name).schema
        assert isinstance(bounds, dict)
        return query_int(request, name, default, bounds["minimum"], bounds["maximum"])

    def reset_fake() -> Response:
        store.reset()
        return Response(status=204)

    def seed_fake() -> Response:
        return json_response(store.seed(Seed.from_json(body("seedFake"))).to_json())

    def list_stored_messages(conversation: str) -> Response:
        conversation_id = parse_id(conversation, "conversation")
        offset = query("listStoredMessages", "offset", 0)
        limit = query("listStoredMessages", "limit", 50)
        items, total = store.page(conversation_id, offset, limit)
        page = [message_json(store, message) for message in items]
        return json_response({"items": page, "total": total, "offset": offset, "limit": limit})

    def get_stored_message(id: str) -> Response:  # the path parameter's declared name
        return json_response(message_json(store, store.message(parse_id(id, "message"))))

    def get_journal() -> Response:
        limit = query("getJournal", "limit", 100_000)
        return json_response({"entries": [entry.to_json() for entry in store.journal.entries(limit)]})

    def get_faults() -> Response:
        return json_response(store.faults.to_json())

    def set_faults() -> Response:
        store.faults.set_json(body("setFaults"))
        return json_response(store.faults.to_json())

    def clear_faults() -> Response:
        store.faults.clear()
        return Response(status=204)

    def get_clock() -> Response:
        return json_response(store.clock.state())

    def set_clock() -> Response:
        command = body("setClock")
        if "freeze" in command:
            store.clock.freeze(command["freeze"])
        elif "advance" in command:
            store.clock.advance(command["advance"])
        else:
            store.clock.reset()
        return json_response(store.clock.state())

    return {
        "resetFake": reset_fake,
        "seedFake": seed_fake,
        "listStoredMessages": list_stored_messages,
        "getStoredMessage": get_stored_message,
        "getJournal": get_journal,
        "getFaults": get_faults,
        "setFaults": set_faults,
        "clearFaults": clear_faults,
        "getClock": get_clock,
        "setClock": set_clock,
    }
