"""Broken fakes: the real fake with one fault each, of kinds a real server might have.

The contract suite must fail on every one and pass on the correct fake
(``tests/contracts/test_catches_broken_fakes.py``); ``bench/catch_rate.py`` also runs
Schemathesis against them. Each factory returns a fresh WSGI app.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

from message_api_kit.mockserver import create_app, store_of
from message_api_kit.mockserver.store import Misplaced, NotStored

Mutation = Callable[[dict[str, Any], Any], None]


def _answers(mutate: Mutation) -> Flask:
    """The fake, with each 201 answer to a creation changed by ``mutate(answer, request_body)``."""
    app = create_app()

    @app.after_request
    def change(response: Response) -> Response:
        if request.endpoint == "createMessage" and response.status_code == 201:
            body = json.loads(response.get_data())
            mutate(body, json.loads(request.environ["broken.body"]))
            response.set_data(json.dumps(body))
        return response

    @app.before_request
    def keep_body() -> None:
        request.environ["broken.body"] = request.get_data(cache=True)

    return app


def _requests(rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., Iterable[bytes]]:
    """The fake, with each JSON request body rewritten before the fake sees it."""
    app = create_app()

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            body = json.loads(raw)
            if isinstance(body, dict):
                raw = json.dumps(rewrite(body)).encode()
        except ValueError:
            pass
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
        return app(environ, start_response)

    return wsgi


def _environ(rewrite: Callable[[dict[str, Any]], None]) -> Callable[..., Iterable[bytes]]:
    """The fake, with each WSGI environ changed before the fake sees it."""
    app = create_app()

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        rewrite(environ)
        return app(environ, start_response)

    return wsgi


def _set(key: str, value: Callable[[dict[str, Any], Any], Any]) -> Flask:
    def mutate(body: dict[str, Any], sent: Any) -> None:
        body[key] = value(body, sent)

    return _answers(mutate)


def _per_conversation_ids() -> Flask:
    counters: dict[int, int] = {}

    def mutate(body: dict[str, Any], sent: Any) -> None:
        counters[body["conversationId"]] = counters.get(body["conversationId"], 0) + 1
        body["id"] = counters[body["conversationId"]]

    return _answers(mutate)


def _deduplicated() -> Flask:
    first_id: dict[str, int] = {}

    def mutate(body: dict[str, Any], sent: Any) -> None:
        body["id"] = first_id.setdefault(body["message"], body["id"])

    return _answers(mutate)


def _parents_lost() -> Flask:
    app = create_app()

    @app.before_request
    def refuse_replies() -> Response | None:
        body = request.get_json(silent=True)
        if request.endpoint == "createMessage" and isinstance(body, dict) and body.get("parent_id") is not None:
            return Response('{"error": "parent not found"}', 404, mimetype="application/json")
        return None

    return app


def _parents_among_roots_only() -> Flask:
    """A server that looks a parent up among top-level messages only: a reply to a reply is a 404."""
    app = create_app()
    store = store_of(app)

    @app.before_request
    def roots_only() -> Response | None:
        body = request.get_json(silent=True)
        parent = body.get("parent_id") if request.endpoint == "createMessage" and isinstance(body, dict) else None
        if isinstance(parent, int) and not isinstance(parent, bool):
            with contextlib.suppress(NotStored):
                if store.message(parent).parent_id is not None:
                    return Response('{"error": "parent not found"}', 404, mimetype="application/json")
        return None

    return app


def _parents_across_conversations() -> Flask:
    app = create_app()
    store = store_of(app)
    original = store.create_message

    def lenient(conversation: int, text: str, parent_id: int | None = None, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(conversation, text, parent_id, *args, **kwargs)
        except Misplaced:
            return original(conversation, text, None, *args, **kwargs)

    store.create_message = lenient  # type: ignore[method-assign, assignment]
    return app


def _crash_when(predicate: Callable[[str], bool]) -> Flask:
    app = create_app()

    @app.before_request
    def crash() -> Response | None:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("message"), str) and predicate(body["message"]):
            return Response("Internal Server Error", 500, mimetype="text/html")
        return None

    return app


def _flaky() -> Flask:
    app = create_app()
    rng = random.Random(0)

    @app.before_request
    def sometimes() -> Response | None:
        return Response("Service Unavailable", 503) if rng.random() < 0.15 else None

    return app


def _malformed_json_crashes() -> Flask:
    app = create_app()

    @app.before_request
    def crash() -> Response | None:
        if request.endpoint == "createMessage" and request.get_json(silent=True) is None:
            return Response("Internal Server Error", 500, mimetype="text/html")
        return None

    return app


def _status(code: int) -> Flask:
    app = create_app()

    @app.after_request
    def restatus(response: Response) -> Response:
        if response.status_code == 201:
            response.status_code = code
        return response

    return app


def _html_success() -> Flask:
    app = create_app()

    @app.after_request
    def retype(response: Response) -> Response:
        if response.status_code == 201:
            response.mimetype = "text/html"
        return response

    return app


def _read_as_json(body: dict[str, Any], sent: Any) -> None:
    """A server that parses a message that looks like JSON (``"1"``, ``"true"``, ``"null"``) into that value."""
    try:
        value = json.loads(body["message"])
    except ValueError:
        return
    if not isinstance(value, (dict, list, str)):
        body["message"] = value


def _refuse_empty() -> Flask:
    """A server whose validation wants a non-empty message: "" is a string, and the doc takes it."""
    app = create_app()

    @app.before_request
    def refuse() -> Response | None:
        body = request.get_json(silent=True)
        if request.endpoint == "createMessage" and isinstance(body, dict) and body.get("message") == "":
            return Response('{"error": "message must not be empty"}', 422, mimetype="application/json")
        return None

    return app


def _any_conversation(environ: dict[str, Any]) -> None:
    environ["PATH_INFO"] = re.sub(r"^/conversations/([^/]*)/", _clamp, environ["PATH_INFO"])


def _clamp(match: re.Match[str]) -> str:
    raw = match.group(1)
    return f"/conversations/{raw}/" if raw.isdigit() and 0 < int(raw) < 2**63 else "/conversations/1/"


BROKEN_FAKES: dict[str, Callable[[], Callable[..., Iterable[bytes]]]] = {
    "id-is-a-string": lambda: _set("id", lambda b, s: str(b["id"])),
    "author-missing": lambda: _answers(lambda b, s: b.pop("author")),
    "author-id-missing": lambda: _answers(lambda b, s: b["author"].pop("id")),
    "conversation-id-off-by-one": lambda: _set("conversationId", lambda b, s: b["conversationId"] + 1),
    "is-reply-on-explicit-null": lambda: _set("is_reply", lambda b, s: "parent_id" in s),
    "message-trimmed": lambda: _set("message", lambda b, s: b["message"].strip()),
    "message-html-escaped": lambda: _set("message", lambda b, s: html.escape(b["message"])),
    "message-nfc-normalised": lambda: _set("message", lambda b, s: unicodedata.normalize("NFC", b["message"])),
    "message-nul-dropped": lambda: _set("message", lambda b, s: b["message"].replace("\x00", "")),
    "ids-per-conversation": _per_conversation_ids,
    "ids-deduplicated-by-text": _deduplicated,
    "replies-cannot-find-parent": _parents_lost,
    "replies-to-roots-only": _parents_among_roots_only,
    "reply-parent-null": lambda: _answers(lambda b, s: b.update(parent=None)),
    "parent-in-other-conversation-accepted": _parents_across_conversations,
    "crash-on-astral-plane": lambda: _crash_when(lambda text: any(ord(c) > 0xFFFF for c in text)),
    "crash-on-long-message": lambda: _crash_when(lambda text: len(text) > 4000),
    "flaky-503": _flaky,
    "malformed-json-crashes": _malformed_json_crashes,
    "status-202": lambda: _status(202),
    "success-as-html": _html_success,
    "date-in-milliseconds": lambda: _set("date", lambda b, s: b["date"] * 1000),
    "edited-at-set": lambda: _set("edited_at", lambda b, s: b["date"]),
    "impossible-conversation-accepted": lambda: _environ(_any_conversation),
    "message-read-as-json": lambda: _answers(_read_as_json),
    "empty-message-refused": _refuse_empty,
}
