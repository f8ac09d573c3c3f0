"""Reading request input: the JSON body against a schema, path ids, query integers."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any, NoReturn

from flask import Request
from jsonschema.exceptions import ValidationError
from werkzeug.wsgi import get_content_length

from message_api_kit import schemas
from message_api_kit.mockserver.errors import (
    BadParameter,
    FieldError,
    MalformedJson,
    NotFound,
    PayloadTooLarge,
    SchemaViolation,
    UnsupportedMediaType,
)
from message_api_kit.mockserver.profile import Profile
from message_api_kit.schemas import MAX_ID

MAX_DIGITS = len(str(MAX_ID))
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def parse_id(raw: str, what: str) -> int:
    """Return the positive 64-bit id spelled by ``raw``; anything else names nothing, so 404."""
    # isascii/isdigit rather than a regular expression: this runs on every request.
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS and 1 <= (value := int(raw)) <= MAX_ID:
        return value
    raise NotFound(f"no {what} {raw!r}: an id is an integer from 1 to {MAX_ID}")


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Return the query parameter ``name`` as an integer in [low, high], or ``default`` when absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw, re.ASCII) or not low <= int(raw) <= high:
        raise BadParameter(f"query parameter {name!r} must be an integer from {low} to {high}, not {raw!r}")
    return int(raw)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _integral(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


#: Built once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
#: For the fake's own inputs: an integral number (``503.0``, ``2e0``) is read as the int it is, as
#: JSON Schema reads it, so that no float reaches a status line, a count, an id or a date.
_INTEGRAL_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_integral)


def read_json(
    request: Request, limit: int, schema: str | None = None, max_depth: int | None = None, integral: bool = False
) -> Any:
    """Return the request's JSON body, checked against the schema file ``schema``.

    415 unless the body is ``application/json``; 413 past ``limit`` bytes; 400 for
    anything that is not JSON; 422 for a schema break, or nesting deeper than ``max_depth``.
    ``integral``: integral numbers are read as ints (the fake's own inputs).
    """
    # The media type read straight from the environ: Request.mimetype parses all parameters.
    require_json(request.environ.get("CONTENT_TYPE", ""))
    return parse_json(read_body(request, limit), schema, max_depth, integral)


def require_json(content_type: str) -> None:
    """415 unless ``content_type`` (the header's value as sent) names ``application/json``."""
    media = content_type.partition(";")[0].strip().lower()
    if media != schemas.JSON:
        shown = media or "no Content-Type"
        raise UnsupportedMediaType(f"the body must be application/json, not {shown}")


def parse_json(data: bytes, schema: str | None = None, max_depth: int | None = None, integral: bool = False) -> Any:
    """A body's JSON (400 for anything that is not JSON), checked against the schema file ``schema`` (422)."""
    try:
        # Strict UTF-8 (RFC 8259): json.loads(bytes) would let encoded surrogates through.
        doc = (_INTEGRAL_DECODER if integral else _DECODER).decode(data.decode("utf-8"))
    except RecursionError:
        raise MalformedJson("the body nests too deeply to parse") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise MalformedJson(f"the body is not valid JSON: {exc}") from None
    if max_depth is not None and (deep := _too_deep(doc, max_depth)) is not None:
        detail = f"nests deeper than {max_depth} levels"
        raise SchemaViolation(f"{deep}: {detail}", [FieldError(deep, detail)])
    if schema is not None:
        validate(schema, doc)
    return doc


def _too_deep(doc: Any, limit: int) -> str | None:
    """The pointer of a value nested more than ``limit`` levels deep in ``doc``, or ``None``."""
    todo: list[tuple[Any, list[str]]] = [(doc, [])]
    while todo:
        node, path = todo.pop()
        if len(path) > limit:
            return _pointer(path)
        if isinstance(node, dict):
            todo += [(value, [*path, key]) for key, value in node.items()]
        elif isinstance(node, list):
            todo += [(value, [*path, str(i)]) for i, value in enumerate(node)]
    return None


def read_body(request: Request, limit: int) -> bytes:
    """Return the request's body, or raise ``PayloadTooLarge`` past ``limit`` bytes.

    Not Flask's MAX_CONTENT_LENGTH: with it, Werkzeug wraps every body in a LimitedStream
    whose read() cost about 32K instructions a request on waitress, more than half of
    what the fake then cost beyond the bare-Flask floor (counted by callgrind). Without
    it, Werkzeug hands over the server's own stream when the server ends the body itself
    (``wsgi.input_terminated``), as granian and Werkzeug's own server do.
    """
    declared = get_content_length(request.environ)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"the body has {declared} bytes; the fake accepts at most {limit}")
    if declared is None and getattr(request, "_cached_data", None) is None:
        # A body of unknown length (chunked), on a server that ends the stream itself:
        # read one byte past the limit and no further, however long the upload.
        data = request.stream.read(limit + 1)
    else:
        # Through the Request, so that a body a hook already read (and cached) is still found.
        data = request.get_data(cache=False)
    if len(data) > limit:
        raise PayloadTooLarge(f"the body is longer than the {limit} bytes the fake accepts")
    return data


def validate(schema: str, doc: Any) -> None:
    """Raise ``SchemaViolation`` listing each offending field of ``doc`` as a JSON pointer.

    The fast check answers the common case; jsonschema, the reference, lists the errors,
    and its word is final should the two ever disagree.
    """
    if schemas.is_valid(schema, doc):
        errors = []
    else:
        errors = [field for error in schemas.validator(schema).iter_errors(doc) for field in _field_errors(error)]
    if not errors:
        return
    raise SchemaViolation("; ".join(f"{e.pointer or '(body)'}: {e.detail}" for e in errors), errors)


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _json_type(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list, str)):
        return _JSON_TYPES[type(value)]
    return "integer" if isinstance(value, int) else "number"


def _field_errors(error: ValidationError) -> list[FieldError]:
    where = _pointer(error.absolute_path)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [name for name in required if name not in present]
        return [FieldError(f"{where}/{name}", "is required") for name in missing]
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return [FieldError(where, f"must be {wanted}, not {_json_type(error.instance)}")]
    options = error.validator_value if isinstance(error.validator_value, list) else []
    if error.validator == "anyOf" and options and all(set(option) == {"required"} for option in options):
        names = [name for option in options for name in option["required"]]
        return [FieldError(where, f"needs one of: {', '.join(names)}")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        unknown = [key for key in error.instance if key not in known]
        return [FieldError(_pointer([*error.absolute_path, key]), _unknown(key, known)) for key in unknown]
    # Other keywords: jsonschema's message, cut so a huge instance never makes a huge answer.
    return [FieldError(where, error.message[:200])]


def _unknown(key: str, known: list[str]) -> str:
    """What an unknown property is told: the known one it is closest to, or the known ones."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"is not a property here: did you mean {close[0]!r}?"
    return f"is not a property here (known: {', '.join(known)})" if known else "is not a property here"


def load_profile(path: Path) -> Profile:
    """Read a profile file and validate it (``SchemaViolation`` lists what is wrong, by pointer)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    validate("profile", doc)
    return Profile.from_json(doc)
