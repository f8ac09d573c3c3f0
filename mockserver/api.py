"""The documented endpoint, the OpenAPI document, and the hooks that serve faults and the journal."""

from __future__ import annotations

import contextlib
import json
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

import schemas
from mockserver.errors import BadParameter, InjectedFailure, NotFound
from mockserver.journal import BODY_LIMIT, JournalEntry
from mockserver.render import json_response, message_json
from mockserver.store import Store, store_of
from mockserver.validation import parse_id, read_json
from mockserver.wsgi import DROP_KEY

ADMIN_PREFIX = "/__mock__"
#: The header naming the acting user (a seeded user's id); absent: the default user.
USER_HEADER = "X-Mock-User"


def register_public_api(app: Flask) -> None:
    """Add the documented endpoint, ``/openapi.json``, and the fault and journal hooks to ``app``."""
    store = store_of(app)
    request_validator = schemas.validator("create-message-request")
    openapi_bytes = json.dumps(schemas.openapi_document()).encode()

    @app.post("/conversations/<conversation>/messages", endpoint="create-message")
    def create_message(conversation: str) -> Response:
        conversation_id = parse_id(conversation, "conversation")
        store.require_conversation(conversation_id)
        author_id = _acting_user(store)
        body = read_json(request, request_validator)
        parent_id = body.get("parent_id")
        created = store.create_message(
            conversation_id, body["message"], None if parent_id is None else int(parent_id), author_id
        )
        return json_response(message_json(store, created), 201)

    @app.get("/openapi.json", endpoint="openapi")
    def openapi() -> Response:
        return Response(openapi_bytes, mimetype="application/json")

    @app.before_request
    def inject_faults() -> Response | None:
        g.started = time.perf_counter()
        if request.path.startswith(ADMIN_PREFIX) or request.method == "OPTIONS" or request.endpoint is None:
            return None
        delay = store.faults.delay(request.endpoint)
        if delay:
            time.sleep(delay)
        failure = store.faults.failure(request.endpoint)
        if failure is None:
            return None
        if failure.drop:
            # Read the body first: unread bytes would turn the close into a reset on some stacks.
            with contextlib.suppress(HTTPException):
                request.get_data(cache=True)
            request.environ[DROP_KEY] = True
            return Response(status=500)  # never sent: the WSGI layer drops the connection
        raise InjectedFailure(failure.status, failure.detail)

    @app.after_request
    def record(response: Response) -> Response:
        if not request.path.startswith(ADMIN_PREFIX):
            store.journal.record(
                JournalEntry(
                    time=time.time(),
                    method=request.method,
                    path=request.path,
                    query=request.query_string.decode("latin-1"),
                    status=0 if request.environ.get(DROP_KEY) else response.status_code,
                    duration_ms=(time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
                    request_body=g.get("raw_body", b"")[:BODY_LIMIT],
                    response_body=b"" if response.is_streamed else response.get_data()[:BODY_LIMIT],
                )
            )
        return response


def _acting_user(store: Store) -> int | None:
    raw = request.headers.get(USER_HEADER)
    if raw is None:
        return None
    try:
        return int(store.user(parse_id(raw.strip(), "user"))["id"])
    except NotFound:
        raise BadParameter(f"{USER_HEADER} must be the id of a seeded user, not {raw!r}") from None
