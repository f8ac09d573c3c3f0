"""The documented domain: the requests the vendor's doc defines, decided from a request's own bytes.

The doc binds the *client*: ``conversation`` an integer, ``Content-Type: application/json``,
a JSON object whose ``message`` is a string and whose ``parent_id``, when present, is an
integer or null. Whatever a server does with a request outside that set harms no client
that keeps the doc, so the contract judges such requests only by what every HTTP server
owes (schemas/DERIVATION.md, "The documented domain"). This module is the one place that
decides which side of the line a request is on; it knows nothing of any server or stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from message_api_kit import schemas

__all__ = [
    "DOCUMENTED_KEYS",
    "LONG_MESSAGE",
    "SMALL_BODY",
    "Float",
    "Reason",
    "decode",
    "is_integer",
    "outside",
    "size_is_open",
]

#: The keys the doc names for the request body.
DOCUMENTED_KEYS = ("message", "parent_id")
#: An integer as JSON and the path spell one: a sign, then digits with no leading zero.
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
#: Sizes the doc leaves open: a server may refuse (any 4xx) a message longer than this many
#: characters, or a body of more than ``SMALL_BODY`` bytes. Below both, every mainstream
#: stack's default limit is far away (Express's body limit, the smallest, is 100 KB).
LONG_MESSAGE = 1000
SMALL_BODY = 16 * 1024


class Reason(str):
    """Why a request is outside the domain, and the answer's fields that echo what the doc leaves undefined.

    What a server stores from a value the doc does not define is its own choice (a word in the
    path read as conversation 0, ``null`` stored as ``""``): those fields are not judged.
    """

    fields: tuple[str, ...]

    def __new__(cls, text: str, fields: tuple[str, ...]) -> Reason:
        """The reason ``text``, whose undefined value the answer's ``fields`` echo."""
        reason = super().__new__(cls, text)
        reason.fields = fields
        return reason


#: The answer's fields that a request's body decides.
_BODY_FIELDS = ("message", "is_reply", "parent")


class Float(float):
    """A JSON number written with a fraction or an exponent: not an integer token, whatever its value."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate keys")
    return dict(pairs)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=Float, parse_constant=_constant, object_pairs_hook=_pairs)


def decode(content: bytes) -> Any:
    """The body as strict RFC 8259 JSON in UTF-8 (no BOM, no duplicate keys); ``ValueError`` otherwise."""
    if content.startswith(b"\xef\xbb\xbf"):
        raise ValueError("a byte-order mark")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("invalid UTF-8") from None
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("nested too deep") from None


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, escaped as \\ud800: valid JSON, no Unicode text
        return False
    return True


def is_integer(segment: str) -> bool:
    """True for a path segment that spells an integer the doc's way (as JSON does: no leading zero, no plus)."""
    return _INTEGER.fullmatch(segment) is not None


def outside(segment: str, content_type: str | None, content: bytes) -> tuple[Reason, ...]:
    """Why a creation request is outside the documented domain, each reason a kind; empty when the doc defines it.

    ``segment`` is the path's conversation as sent, ``content_type`` the header (``None``: absent).
    """
    reasons = []
    if not is_integer(segment):
        reasons.append(Reason("the path's conversation is not an integer", ("conversationId",)))
    media, _, parameters = (content_type or "").partition(";")
    if media.strip().lower() != schemas.JSON or parameters.strip().lower() not in ("", "charset=utf-8"):
        reasons.append(Reason("the content type is not application/json", _BODY_FIELDS))
    try:
        body = decode(content)
    except ValueError as exc:
        return (*reasons, Reason(f"the body is not strict JSON ({exc})", _BODY_FIELDS))
    if not isinstance(body, dict):
        return (*reasons, Reason("the body is not a JSON object", _BODY_FIELDS))
    if any(key not in DOCUMENTED_KEYS for key in body):
        reasons.append(Reason("the body has fields the doc does not name", ()))
    message = body.get("message")
    if not isinstance(message, str) or not _unicode(message):
        reasons.append(Reason("message is not a string" if "message" in body else "message is missing", ("message",)))
    parent = body.get("parent_id")
    if parent is not None and (isinstance(parent, (bool, Float)) or not isinstance(parent, int)):
        reasons.append(Reason("parent_id is not an integer or null", ("is_reply", "parent")))
    return tuple(reasons)


def size_is_open(content: bytes) -> bool:
    """True for a body whose size the doc leaves to the server: one it may refuse with any 4xx."""
    if len(content) > SMALL_BODY:
        return True
    try:
        body = decode(content)
    except ValueError:
        return False
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and len(message) > LONG_MESSAGE
