"""The one exception hierarchy of the fake, and the one handler that renders it as RFC 9457 problems."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from message_api_kit import schemas
from message_api_kit.mockserver.sessions import SessionEvicted
from message_api_kit.mockserver.store import Clash, Misplaced, NotStored, OverBudget, SeedRefused, StoreError, Unwritten

PROBLEM_JSON = schemas.PROBLEM

log = logging.getLogger("mockserver")


@dataclass(frozen=True)
class FieldError:
    """One offending field of a request body, located by a JSON pointer (RFC 6901)."""

    pointer: str
    detail: str


class MockError(Exception):
    """A request the fake refuses; rendered as a problem document with ``status``."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    #: Headers the answer carries besides the problem's media type.
    headers: tuple[tuple[str, str], ...] = ()

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)

    def problem(self) -> dict[str, Any]:
        """Return the RFC 9457 problem document for this error."""
        doc: dict[str, Any] = {
            "type": f"urn:mockserver:problem:{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            doc["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in self.errors]
        return doc


class Crash(MockError):
    """An unexpected exception while serving: a bug of the fake's, answered as a problem, never an HTML page."""

    status, slug, title = 500, "crash", "Internal Server Error"

    @classmethod
    def of(cls, error: BaseException) -> Crash:
        """The problem for ``error``, which it names."""
        return cls(repr(error)[:500])


class MalformedJson(MockError):
    """The body is not parseable JSON."""

    slug, title = "malformed-json", "Malformed JSON"


class BadParameter(MockError):
    """A header or query parameter has a value the fake cannot use."""

    slug, title = "bad-parameter", "Bad parameter"


class NotFound(MockError):
    """A conversation, message or user that does not exist."""

    status, slug, title = 404, "not-found", "Not found"


class PayloadTooLarge(MockError):
    """The body is larger than the fake accepts (``MockConfig.max_body_bytes``)."""

    status, slug, title = 413, "payload-too-large", "Content too large"


class UnsupportedMediaType(MockError):
    """The body is not ``application/json``."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class SchemaViolation(MockError):
    """The body is JSON but breaks the schema; ``errors`` says where."""

    status, slug, title = 422, "schema-violation", "Request body breaks the schema"


class Forbidden(MockError):
    """A request the fake will not serve: an unknown Host, or a change to its state a web form could make."""

    status, slug, title = 403, "forbidden", "Forbidden"


class OutOfRange(MockError):
    """A number valid for its schema that the fake's state cannot take (the clock past 2^53-1): a conflict."""

    status, slug, title = 409, "out-of-range", "Out of range"


class InsufficientStorage(MockError):
    """The state file could not be written (a full disk), or the memory budget is used up: nothing changed."""

    status, slug, title = 507, "insufficient-storage", "Insufficient Storage"


class Busy(MockError):
    """As many requests wait on their bodies, or on the upstream, as the fake lets wait at once
    (``MockConfig.max_uploads``, ``MockConfig.max_passing``)."""

    status, slug, title = 503, "busy", "Service Unavailable"
    headers = (("Retry-After", "1"),)


class RequestTimeout(MockError):
    """A body passed on to the upstream did not arrive within ``--upstream-timeout``."""

    status, slug, title = 408, "request-timeout", "Request Timeout"


class SessionGone(NotFound):
    """The session the request names was evicted: its state is gone, and the client is told so.

    A 404 of its own type rather than a 410: tools that check an API by its document (Schemathesis'
    ST202) take a schema-valid request refused with 410 for a bug.
    """

    slug, title = "session-evicted", "Session evicted"


class Conflict(MockError):
    """The request is valid but clashes with the fake's state (a seed id already used, a parent elsewhere)."""

    status, slug, title = 409, "conflict", "Conflict with stored state"


class InjectedFailure(MockError):
    """A failure asked for through the fault controls."""

    slug, title = "injected-failure", "Injected failure"

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = HTTP_STATUS_CODES.get(status, self.title)


#: How each of the store's errors is answered: the one place the domain meets HTTP.
_STORE_ERRORS: dict[type[StoreError], type[MockError]] = {
    NotStored: NotFound,
    SessionEvicted: SessionGone,
    Unwritten: InsufficientStorage,
    OverBudget: InsufficientStorage,
    Clash: Conflict,
    # A schema-valid request that the state refuses: 404 or 409, as Schemathesis' checks expect (B5).
    Misplaced: Conflict,
}


def from_store(error: StoreError) -> MockError:
    """The problem a store error is answered with."""
    if isinstance(error, SeedRefused):  # the refusal's own status, naming the seed's field
        refused = from_store(error.cause)
        return type(refused)(f"{error.pointer}: {error}", [FieldError(error.pointer, str(error))])
    for kind in type(error).__mro__:
        if kind in _STORE_ERRORS:
            return _STORE_ERRORS[kind](str(error))
    raise TypeError(f"no answer declared for {type(error).__name__}") from error


def problem_response(doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """Return ``doc`` as an ``application/problem+json`` response."""
    return Response(json.dumps(doc), status=doc["status"], headers=headers, mimetype=PROBLEM_JSON)


def as_mock_error(error: MockError | StoreError) -> MockError:
    """A refusal as the fake answers it: a store error mapped (``from_store``), a ``MockError`` as it is."""
    return error if isinstance(error, MockError) else from_store(error)


def refusal(error: MockError | StoreError) -> Response:
    """The answer to a refused request: Flask's error handler, and the pipeline's fast path of a creation."""
    refused = as_mock_error(error)
    return problem_response(refused.problem(), dict(refused.headers))


def _handle_http(error: HTTPException) -> Response | HTTPException:
    if error.code is None or error.code < 400:
        return error  # routing redirects answer as themselves
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    doc = {"type": "about:blank", "title": error.name, "status": error.code, "detail": error.description or error.name}
    return problem_response(doc, headers)


def heard(error: Exception, on_crash: Callable[[Exception], None]) -> Crash:
    """A bug of the fake's, logged and heard by ``on_crash`` (the pytest plugin fails the test on it)."""
    log.exception("unhandled error in the fake", exc_info=error)
    on_crash(error)
    return Crash.of(error)


def crashed(error: Exception, on_crash: Callable[[Exception], None]) -> Response:
    """The answer to a bug of the fake's, heard (``heard``), as Flask's handler and the fast path give it."""
    return problem_response(heard(error, on_crash).problem())


def register_error_handlers(app: Flask, on_crash: Callable[[Exception], None]) -> None:
    """Make every error of ``app`` a problem document: no HTML error page anywhere.

    ``on_crash`` hears of every unexpected exception, so that a test can fail on it
    rather than see only a 500.
    """

    app.register_error_handler(MockError, refusal)
    app.register_error_handler(StoreError, refusal)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, functools.partial(crashed, on_crash=on_crash))
