"""The handlers of the vendor's operation and of the documents, by operation id."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from flask import Response, request

from message_api_kit import schemas
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.errors import (
    BadParameter,
    MalformedJson,
    MockError,
    NotFound,
    SchemaViolation,
    UnsupportedMediaType,
    as_mock_error,
)
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.render import json_text_response, message_text, shape_of
from message_api_kit.mockserver.requests import SessionRequest, environ_key
from message_api_kit.mockserver.shape import Shape
from message_api_kit.mockserver.store import Misplaced, NotStored, Store, StoreError
from message_api_kit.mockserver.validation import MAX_DIGITS, parse_id, parse_json, read_body, require_json

#: Where WSGI puts the ``X-Mock-User`` header.
USER_ENVIRON = environ_key(schemas.USER_HEADER)
CREATE_MESSAGE = schemas.CREATE_MESSAGE


def public_handlers(config: MockConfig) -> dict[str, Callable[..., Response]]:
    """The handler of each vendor operation, and of the two documents, by operation id."""
    max_body = config.max_body_bytes
    shape = shape_of(config)
    vendor_bytes = json.dumps(schemas.vendor_document()).encode()
    fake_bytes = json.dumps(schemas.fake_document()).encode()

    def create_message(conversation: str) -> Response:
        current: SessionRequest = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not five
        environ = current.environ
        text = created_text(
            current.store,  # the session's, chosen by the pipeline
            conversation,
            environ.get(USER_ENVIRON),
            environ.get("CONTENT_TYPE", ""),
            functools.partial(read_body, current, max_body),
            shape,
        )
        return json_text_response(text, 201)

    def vendor_document() -> Response:
        return Response(vendor_bytes, mimetype=schemas.JSON)

    def fake_document() -> Response:
        return Response(fake_bytes, mimetype=schemas.JSON)

    if config.profile is not None:
        create_message = _as_profiled(create_message, config.profile)
    return {
        CREATE_MESSAGE.id: create_message,
        "getVendorDocument": vendor_document,
        "getFakeDocument": fake_document,
    }


def created_text(
    store: Store, conversation: str, user: str | None, content_type: str, body: Callable[[], bytes], shape: Shape
) -> str:
    """A creation, HTTP aside: the new message's JSON text, or the ``MockError`` or ``StoreError`` refusing it.

    ``conversation``: the path segment as sent; ``user``: the ``X-Mock-User`` header, if sent; ``body``
    reads the body (past the fake's limit, a 413), after the checks that need none. Both ways a creation
    is served call it: the handler above, through Flask, and the pipeline's fast path (``pipeline.py``).
    """
    conversation_id = parse_id(conversation, "conversation")
    store.require_conversation(conversation_id)
    author_id = _acting_user(store, user)
    require_json(content_type)
    doc = parse_json(body(), CREATE_MESSAGE.body)
    parent_id = doc.get("parent_id")
    created = store.create_message(
        conversation_id, doc["message"], None if parent_id is None else int(parent_id), author_id
    )
    return message_text(store, created, shape)


def _as_profiled(create: Callable[..., Response], profile: Profile) -> Callable[..., Response]:
    """``create``, answering as the profile says: its success status, the real server's answer to a request
    it was seen refusing, and its answer to each class of refusal. (The message's shape is the renderer's.)"""

    @functools.wraps(create)
    def create_as_profiled(conversation: str) -> Response:
        body = request.get_data(cache=True)  # kept for the handler, which reads it again
        # The creation declares no query parameter: its key's query is always empty (profile.answer_to).
        seen = profile.answer_to(CREATE_MESSAGE.id, conversation, "", request.headers.get("Content-Type"), body)
        if seen is not None:
            return _answer(seen)
        try:
            made = create(conversation)
        except (MockError, StoreError) as error:
            refused = profile.refused(refusal_class(conversation, error), as_mock_error(error).detail)
            if refused is None:
                raise
            return _answer(refused)
        made.status_code = profile.success_status
        return made

    return create_as_profiled


#: A refusal's class by the fake's error: what was wrong with the body (the path is read first).
_BODY_CLASSES: tuple[tuple[type[Exception], str], ...] = (
    (MalformedJson, "malformed-json"),
    (SchemaViolation, "invalid-body"),
    (UnsupportedMediaType, "not-json"),
)


def refusal_class(conversation: str, error: Exception) -> str | None:
    """The refusal class (``profile.CLASSES``) of a creation refused with ``error``: what is wrong with the
    request, as ``contracts diff`` names its requests, never which answer the fake chose (its 404 answers a
    conversation segment that is no id and a parent that does not exist alike). None: no class of the diff's
    (a conversation that does not exist, an unknown user, a body too large): the fake answers it its own way."""
    try:
        parse_id(conversation, "conversation")
    except NotFound:
        return "bad-conversation-id"
    for kind, name in _BODY_CLASSES:
        if isinstance(error, kind):
            return name
    if isinstance(error, StoreError) and error.field == "parent_id":
        return "parent-elsewhere" if isinstance(error, Misplaced) else "unknown-parent"
    return None


def _answer(answer: tuple[int, str, bytes]) -> Response:
    status, content_type, content = answer
    return Response(content, status=status, content_type=content_type)


def _acting_user(store: Store, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS):
        raise BadParameter(f"{schemas.USER_HEADER} must be the id of a seeded user, not {raw!r}")
    try:
        return int(store.user(int(raw))["id"])
    except NotStored:
        # The header is well formed but names no one: state refuses it, like a missing parent.
        raise NotFound(f"{schemas.USER_HEADER} names no seeded user: {raw!r}") from None
