"""Correct servers that are not the fake: lenient where the doc is silent, or different where it allows.

Each models what a mainstream stack does by default, as the real fake with the request
read that stack's way (or the answer written its way). The contract suite must pass
every one at every seed with default settings; under ``--strict`` it must fail the
lenient ones (the project's own rules refuse what they accept) and still pass the
different ones (they keep the project's rules too)
(``tests/contracts/test_lenient_servers.py``, ``bench/catch_rate.py``).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from message_api_kit.mockserver import create_app

Environ = dict[str, Any]
WsgiApp = Callable[..., Iterable[bytes]]
BodyRewrite = Callable[[Environ, bytes], bytes]
MAX_ID = 2**63 - 1


def _reading(*rewrites: BodyRewrite) -> WsgiApp:
    """The fake, with each request's environ and body rewritten, in order, before the fake reads them."""
    app = create_app()

    def wsgi(environ: Environ, start_response: Any) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        for rewrite in rewrites:
            raw = rewrite(environ, raw)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
        return app(environ, start_response)

    return wsgi


def _json_only(rewrite: Callable[[Any], Any]) -> BodyRewrite:
    """A rewrite of the decoded body (bodies that are not JSON pass untouched)."""

    def body(environ: Environ, raw: bytes) -> bytes:
        try:
            doc = json.loads(raw)
        except ValueError:
            return raw
        return json.dumps(rewrite(doc)).encode()

    return body


# -- how stacks read requests -------------------------------------------------------------------------------------


def replace_decoding(environ: Environ, raw: bytes) -> bytes:
    """Express (and Node's TextDecoder): invalid UTF-8 becomes U+FFFD, one per maximal bad subsequence."""
    return raw.decode("utf-8", "replace").encode()


def per_byte_replace_decoding(environ: Environ, raw: bytes) -> bytes:
    """Go's encoding/json: invalid UTF-8 inside a string becomes U+FFFD, one per bad byte."""
    out, i = bytearray(), 0
    while i < len(raw):
        for size in (1, 2, 3, 4):
            try:
                out += raw[i : i + size].decode("utf-8").encode()
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out += "\ufffd".encode()
            i += 1
    return bytes(out)


def any_content_type(environ: Environ, raw: bytes) -> bytes:
    """Go and Sinatra handlers that decode the body whatever its Content-Type says."""
    environ["CONTENT_TYPE"] = "application/json"
    return raw


def first_value(environ: Environ, raw: bytes) -> bytes:
    """Go's json.Decoder.Decode: the first JSON value; what follows it is never read."""
    try:
        text = raw.decode("utf-8").lstrip()
        doc, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return raw
    return json.dumps(doc).encode()


def first_duplicate(environ: Environ, raw: bytes) -> bytes:
    """A decoder that keeps the first of duplicate keys."""

    def first(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in pairs:
            body.setdefault(key, value)
        return body

    try:
        return json.dumps(json.loads(raw, object_pairs_hook=first)).encode()
    except ValueError:
        return raw


def _fold_keys(doc: Any) -> Any:
    """Go's encoding/json: a key matches a field in any case; an exact match is preferred, the last one wins."""
    if not isinstance(doc, dict):
        return doc
    folded: dict[str, Any] = {}
    for key, value in doc.items():
        name = key.casefold() if key.casefold() in ("message", "parent_id") else key
        folded[name] = value
    for name in ("message", "parent_id"):
        if name in doc:
            folded[name] = doc[name]
    return folded


def _coerce_parent(doc: Any) -> Any:
    """Pydantic's default (lax) mode: ``parent_id: "1"`` and ``true`` are read as 1."""
    if isinstance(doc, dict):
        parent = doc.get("parent_id")
        if isinstance(parent, bool) or (isinstance(parent, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", parent)):
            doc["parent_id"] = int(parent)
    return doc


def _coerce_message(doc: Any) -> Any:
    """A JSON Schema validator that coerces types (Ajv's ``coerceTypes``): ``null`` or no message is "",
    a number or boolean its spelling."""
    if isinstance(doc, dict):
        message = doc.get("message")
        if message is None:
            doc["message"] = ""
        elif isinstance(message, bool):
            doc["message"] = "true" if message else "false"
        elif isinstance(message, (int, float)):
            doc["message"] = str(int(message)) if float(message).is_integer() else repr(message)
    return doc


def _coerce_parent_loosely(doc: Any) -> Any:
    """Loose number binding: ``""`` is no parent, a numeric string its number, a fraction cut, a boolean 0 or 1."""
    if isinstance(doc, dict) and "parent_id" in doc:
        parent = doc["parent_id"]
        if parent == "":
            doc["parent_id"] = None
        else:
            finite = isinstance(parent, bool) or (isinstance(parent, float) and math.isfinite(parent))
            numeric = isinstance(parent, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", parent)
            if finite or numeric:
                doc["parent_id"] = int(parent)
    return doc


def _drop_odd_parent(doc: Any) -> Any:
    """A server that ignores a ``parent_id`` it cannot read as an integer: the message is a root."""
    if isinstance(doc, dict) and isinstance(doc.get("parent_id"), (str, bool, float, list, dict)):
        doc.pop("parent_id")
    return doc


def question_mark_decoding(environ: Environ, raw: bytes) -> bytes:
    """A decoder that puts ``?`` for each bad byte of invalid UTF-8 (as Java's and .NET's legacy encoders do)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace").replace("\ufffd", "?").encode()
    return raw


def text_body_as_message(environ: Environ, raw: bytes) -> bytes:
    """A handler that stores a ``text/plain`` body itself as the message, whatever JSON it holds."""
    if environ.get("CONTENT_TYPE", "").startswith("text/plain"):
        environ["CONTENT_TYPE"] = "application/json"
        return json.dumps({"message": raw.decode("utf-8", "replace")}).encode()
    return raw


def _refuse_unknown_fields(app: WsgiApp) -> WsgiApp:
    """A binder that refuses properties it does not know (Jackson's and .NET's strict modes) with 400."""

    def wsgi(environ: Environ, start_response: Any) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and set(doc) - {"message", "parent_id"}:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [b'{"error": "Unrecognized field"}']
        return app(environ, start_response)

    return wsgi


def nan_accepting(environ: Environ, raw: bytes) -> bytes:
    """Python's json module (FastAPI, Flask): NaN and Infinity are numbers; as a message they are not strings."""

    def constant(name: str) -> Any:
        return {"not finite": name}  # still no string and no integer where the schema wants one

    try:
        doc = json.loads(raw, parse_constant=constant)
    except ValueError:
        return raw
    return json.dumps(doc).encode()


def bom_skipping(environ: Environ, raw: bytes) -> bytes:
    """A decoder that ignores a UTF-8 byte-order mark (RFC 8259 section 8.1 allows it)."""
    return raw.removeprefix(b"\xef\xbb\xbf")


def js_number_path(environ: Environ, raw: bytes) -> bytes:
    """Express with ``Number(req.params.conversation)``: ``0x10``, ``1e3``, ``+5``, `` 5`` are numbers."""
    environ["PATH_INFO"] = re.sub(r"^/conversations/([^/]*)/", _js_number, environ["PATH_INFO"])
    return raw


def _js_number(match: re.Match[str]) -> str:
    text = unquote(match.group(1)).strip(" \t\n\r")
    value: float
    if text == "":
        value = 0
    elif re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        value = int(text, 16)
    elif re.fullmatch(r"0[oO][0-7]+", text):
        value = int(text, 8)
    elif re.fullmatch(r"0[bB][01]+", text):
        value = int(text, 2)
    elif re.fullmatch(r"[+-]?(Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)", text):
        value = float(text)
    else:
        return match.group(0)
    if not math.isfinite(value) or value != int(value) or not 1 <= int(value) <= MAX_ID:
        return match.group(0)
    return f"/conversations/{int(value)}/"


def go_parse_int_path(environ: Environ, raw: bytes) -> bytes:
    """Go's strconv.ParseInt(s, 10, 64): a sign is allowed, nothing else."""
    environ["PATH_INFO"] = re.sub(r"^/conversations/\+([0-9]+)/", r"/conversations/\1/", environ["PATH_INFO"])
    return raw


# -- how stacks write answers -------------------------------------------------------------------------------------


def _answering(app: WsgiApp, rewrite: Callable[[int, dict[str, Any] | None], tuple[int, str, bytes] | None]) -> WsgiApp:
    """``app``, with each answer replaced by ``rewrite(status, json_body)`` where it returns one."""

    def wsgi(environ: Environ, start_response: Any) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        status = int(seen["status"][:3])
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        replaced = rewrite(status, doc if isinstance(doc, dict) else None)
        if replaced is None:
            start_response(seen["status"], seen["headers"])
            return [body]
        code, content_type, content = replaced
        start_response(f"{code} X", [("Content-Type", content_type), ("Content-Length", str(len(content)))])
        return [content]

    return wsgi


def _created_with_200(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
    return (200, "application/json; charset=utf-8", json.dumps(doc).encode()) if status == 201 else None


def _parent_as_id(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
    if status != 201 or doc is None or not isinstance(doc.get("parent"), dict):
        return None
    return 201, "application/json", json.dumps({**doc, "parent": doc["parent"]["id"]}).encode()


def _type_message(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
    if status != 201 or doc is None:
        return None
    return 201, "application/json", json.dumps({**doc, "type": "message"}).encode()


def _error_body(shape: str) -> Callable[[int, dict[str, Any] | None], tuple[int, str, bytes] | None]:
    """Errors as other stacks write them: Express's ``{"error"}``, FastAPI's ``{"detail"}``, plain text, all 400."""

    def rewrite(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
        if not 400 <= status < 500:
            return None
        detail = (doc or {}).get("detail", "bad request")
        if shape == "text":
            return 400, "text/plain; charset=utf-8", str(detail).encode()
        key = "error" if shape == "error" else "detail"
        return (422 if key == "detail" else 400), "application/json", json.dumps({key: detail}).encode()

    return rewrite


def _errors_by_class(app: WsgiApp) -> WsgiApp:
    """A stack whose router answers a conversation segment that is no number with its own HTML 404 before any
    handler runs, and whose handler answers each refusal its own way (Rails-like: error codes in objects)."""
    codes = {400: (400, "bad_json"), 422: (400, "invalid"), 404: (404, "no_parent"), 409: (422, "parent_elsewhere")}

    def rewrite(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
        if status == 415:
            return 415, "text/plain", b"Unsupported Media Type"
        if status not in codes:
            return None
        code, name = codes[status]
        detail = (doc or {}).get("detail", "")
        return code, "application/json", json.dumps({"error": {"code": name, "message": detail}}).encode()

    answering = _answering(app, rewrite)

    def wsgi(environ: Environ, start_response: Any) -> Iterable[bytes]:
        parts = environ["PATH_INFO"].split("/")
        if len(parts) > 2 and parts[1] == "conversations" and not parts[2].isdigit():
            page = b"<!DOCTYPE html><title>Not Found</title><h1>Not Found</h1>"
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
            return [page]
        return answering(environ, start_response)

    return wsgi


def _both(*rewrites: Callable[[int, dict[str, Any] | None], tuple[int, str, bytes] | None]) -> Any:
    def rewrite(status: int, doc: dict[str, Any] | None) -> tuple[int, str, bytes] | None:
        for each in rewrites:
            replaced = each(status, doc)
            if replaced is not None:
                return replaced
        return None

    return rewrite


#: Lenient where the doc is silent: pass by default, fail under --strict.
LENIENT_FAKES: dict[str, Callable[[], WsgiApp]] = {
    "replace-decoding": lambda: _reading(replace_decoding),
    "per-byte-replace-decoding": lambda: _reading(per_byte_replace_decoding),
    "no-content-type-check": lambda: _reading(any_content_type),
    "numeric-path": lambda: _reading(js_number_path),
    "first-value-decoding": lambda: _reading(first_value),
    "first-duplicate-key": lambda: _reading(first_duplicate),
    "case-insensitive-keys": lambda: _reading(_json_only(_fold_keys)),
    "coercing-parent-id": lambda: _reading(_json_only(_coerce_parent)),
    "nan-accepting": lambda: _reading(nan_accepting),
    "bom-skipping": lambda: _reading(bom_skipping),
    # Readings built from the rule (message_api_kit/schemas/DERIVATION.md, "The documented domain"), one per kind.
    "message-scalars-coerced": lambda: _reading(_json_only(_coerce_message)),
    "parent-id-coerced-loosely": lambda: _reading(_json_only(_coerce_parent_loosely)),
    "odd-parent-id-ignored": lambda: _reading(_json_only(_drop_odd_parent)),
    "question-mark-decoding": lambda: _reading(question_mark_decoding),
    "text-body-as-message": lambda: _reading(text_body_as_message),
    "unknown-fields-refused": lambda: _refuse_unknown_fields(create_app()),
    # Each stack's defaults together, with its way of answering.
    "express-like": lambda: _answering(
        _reading(replace_decoding, js_number_path), _both(_created_with_200, _error_body("error"))
    ),
    "go-like": lambda: _answering(
        _reading(per_byte_replace_decoding, any_content_type, first_value, _json_only(_fold_keys), go_parse_int_path),
        _error_body("text"),
    ),
    "fastapi-like": lambda: _answering(
        _reading(nan_accepting, _json_only(_coerce_parent)), _both(_created_with_200, _error_body("detail"))
    ),
    "sinatra-like": lambda: _answering(_reading(any_content_type), _both(_parent_as_id, _error_body("text"))),
}

#: Different where the doc allows it, and as strict as the fake: pass by default and under --strict.
DIFFERENT_FAKES: dict[str, Callable[[], WsgiApp]] = {
    "created-with-200": lambda: _answering(create_app(), _created_with_200),
    "parent-as-id": lambda: _answering(create_app(), _parent_as_id),
    "errors-as-plain-text-400": lambda: _answering(create_app(), _error_body("text")),
    "errors-as-error-objects": lambda: _answering(create_app(), _error_body("error")),
    "errors-as-detail-objects": lambda: _answering(create_app(), _error_body("detail")),
    "errors-by-class": lambda: _errors_by_class(create_app()),
    "type-message": lambda: _answering(create_app(), _type_message),
}
