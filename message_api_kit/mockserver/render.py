"""Building JSON answers from stored records (done when asked, never stored)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any

from flask import Response

from message_api_kit import schemas
from message_api_kit.mockserver.shape import AUTHOR_REQUIRED, FAKE_SHAPE, MESSAGE_TYPE, PARENT_REQUIRED, Shape
from message_api_kit.mockserver.store import Store, StoredMessage

if TYPE_CHECKING:
    from message_api_kit.mockserver.config import MockConfig

#: How much of its parent's text a reply's ``parent`` carries: an answer stays proportionate to
#: its request, whatever the parent's length (DERIVATION.md, R7).
PARENT_TEXT = 280


def shape_of(config: MockConfig) -> Shape:
    """The shape every answer of a fake built from ``config`` renders messages in."""
    return FAKE_SHAPE if config.profile is None else config.profile.shape


def message_json(store: Store, message: StoredMessage, shape: Shape = FAKE_SHAPE) -> dict[str, Any]:
    """The ``message.json`` document for ``message``, in ``shape``."""
    parent: Any = None
    if message.parent_id is not None:
        parent = message.parent_id if shape.parent_form == "id" else parent_json(store, message.parent_id, shape)
    return {
        "id": message.id,
        "type": shape.type,
        "conversationId": message.conversation_id,
        "is_reply": message.parent_id is not None,
        "parent": parent,
        "deleted": False,
        "message": message.text,
        "date": message.date,
        "edited_at": None,
        "reactions": [],
        "author": _author(store.user(message.author_id), shape),
        "files": [],
        "voice": None,
    }


def message_text(store: Store, message: StoredMessage, shape: Shape = FAKE_SHAPE) -> str:
    """``message_json`` as JSON text; in the fake's own shape, made from a template: the hot path of every creation.

    ``json.dumps`` of the whole document was the largest cost of a creation; only the
    id, conversation, parent, text and date vary, and the author's JSON is made once per
    user. ``tests/mockserver/test_render.py`` holds it equal to ``message_json``.
    """
    if shape is not FAKE_SHAPE:
        return json.dumps(message_json(store, message, shape))
    parent = "null" if message.parent_id is None else json.dumps(parent_json(store, message.parent_id))
    return (
        f'{{"id": {message.id}, "type": "{MESSAGE_TYPE}", "conversationId": {message.conversation_id},'
        f' "is_reply": {"false" if message.parent_id is None else "true"}, "parent": {parent}, "deleted": false,'
        f' "message": {encode_basestring_ascii(message.text)}, "date": {message.date}, "edited_at": null,'
        f' "reactions": [], "author": {store.user_json(message.author_id)}, "files": [], "voice": null}}'
    )


def parent_json(store: Store, parent_id: int, shape: Shape = FAKE_SHAPE) -> dict[str, Any]:
    """The ``parent-summary.json`` document: who and what a reply answers (the text's first ``PARENT_TEXT``)."""
    parent = store.message(parent_id)
    doc = {
        "id": parent.id,
        "message": parent.text[:PARENT_TEXT],
        "truncated": len(parent.text) > PARENT_TEXT,
        "author": _author(store.user(parent.author_id), shape),
    }
    kept = shape.parent_fields
    return doc if kept is None else {k: v for k, v in doc.items() if k in kept or k in PARENT_REQUIRED}


def _author(user: Mapping[str, Any], shape: Shape) -> Mapping[str, Any]:
    kept = shape.author_fields
    return user if kept is None else {k: v for k, v in user.items() if k in kept or k in AUTHOR_REQUIRED}


def json_response(doc: Any, status: int = 200) -> Response:
    """``doc`` as an ``application/json`` answer; ASCII-escaped so lone surrogates survive the trip."""
    return Response(json.dumps(doc), status=status, mimetype=schemas.JSON)


def json_text_response(text: str, status: int = 200) -> Response:
    """JSON text already made, as an ``application/json`` answer."""
    return Response(text, status=status, mimetype=schemas.JSON)
