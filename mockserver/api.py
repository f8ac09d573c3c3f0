"""The documented endpoint and the OpenAPI document."""

from __future__ import annotations

import json

from flask import Flask, Request, Response, request

import schemas
from mockserver.errors import BadParameter, NotFound
from mockserver.render import json_text_response, message_text
from mockserver.store import Store, store_of
from mockserver.validation import parse_id, read_json

#: The header naming the acting user (a seeded user's id); absent: the default user.
USER_HEADER = "X-Mock-User"
USER_ENVIRON = "HTTP_X_MOCK_USER"


def register_public_api(app: Flask) -> None:
    """Add the documented endpoint and ``/openapi.json`` to ``app``."""
    store = store_of(app)
    max_body = store.config.max_body_bytes
    openapi_bytes = json.dumps(schemas.openapi_document()).encode()

    @app.post("/conversations/<conversation>/messages", endpoint="create-message")
    def create_message(conversation: str) -> Response:
        current = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup, not five
        conversation_id = parse_id(conversation, "conversation")
        store.require_conversation(conversation_id)
        author_id = _acting_user(store, current)
        body = read_json(current, max_body, "create-message-request")
        parent_id = body.get("parent_id")
        created = store.create_message(
            conversation_id, body["message"], None if parent_id is None else int(parent_id), author_id
        )
        return json_text_response(message_text(store, created), 201)

    @app.get("/openapi.json", endpoint="openapi")
    def openapi() -> Response:
        return Response(openapi_bytes, mimetype="application/json")


def _acting_user(store: Store, current: Request) -> int | None:
    raw = current.environ.get(USER_ENVIRON)
    if raw is None:
        return None
    try:
        return int(store.user(parse_id(raw.strip(), "user"))["id"])
    except NotFound:
        raise BadParameter(f"{USER_HEADER} must be the id of a seeded user, not {raw!r}") from None
