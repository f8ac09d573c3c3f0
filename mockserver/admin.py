"""The fake's control API under ``/__mock__/``: reset, seed, inspect, faults, clock."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from mockserver.faults import Faults
from mockserver.render import json_response, message_json
from mockserver.seed import Seed
from mockserver.store import Store, store_of
from mockserver.validation import parse_id, query_int, read_json

#: Largest page of stored messages one request may ask for.
MAX_PAGE = 1000


def _store() -> Store:
    return store_of(current_app)


def _read_json(schema: str | None = None) -> Any:
    return read_json(request, _store().config.max_body_bytes, schema)


def admin_blueprint() -> Blueprint:
    """Build the admin blueprint (a fresh one per app, so that apps share nothing)."""
    bp = Blueprint("admin", __name__)

    @bp.post("/reset")
    def reset() -> Response:
        _store().reset()
        return Response(status=204)

    @bp.post("/seed")
    def seed() -> Response:
        result = _store().seed(Seed.from_json(_read_json()))
        return json_response(result.to_json())

    @bp.get("/conversations/<conversation>/messages")
    def list_messages(conversation: str) -> Response:
        store = _store()
        conversation_id = parse_id(conversation, "conversation")
        offset = query_int(request, "offset", 0, 0, 2**31)
        limit = query_int(request, "limit", 50, 1, MAX_PAGE)
        items, total = store.page(conversation_id, offset, limit)
        page = [message_json(store, message) for message in items]
        return json_response({"items": page, "total": total, "offset": offset, "limit": limit})

    @bp.get("/messages/<message_id>")
    def get_message(message_id: str) -> Response:
        store = _store()
        return json_response(message_json(store, store.message(parse_id(message_id, "message"))))

    @bp.get("/journal")
    def journal() -> Response:
        limit = query_int(request, "limit", 100_000, 1, 100_000)
        return json_response({"entries": [entry.to_json() for entry in _store().journal.entries(limit)]})

    @bp.route("/faults", methods=["GET", "PUT", "DELETE"])
    def faults() -> Response:
        controls: Faults = _store().faults
        if request.method == "PUT":
            controls.set_json(_read_json())
        elif request.method == "DELETE":
            controls.clear()
            return Response(status=204)
        return json_response(controls.to_json())

    @bp.route("/clock", methods=["GET", "POST"])
    def clock() -> Response:
        controls = _store().clock
        if request.method == "POST":
            command = _read_json("clock")
            if "freeze" in command:
                controls.freeze(command["freeze"])
            elif "advance" in command:
                controls.advance(command["advance"])
            else:
                controls.reset()
        return json_response(controls.state())

    return bp
