"""The fake's request: Flask's, with the store of the session it acts on, chosen by the pipeline before any handler."""

from __future__ import annotations

from flask import Request, request

from message_api_kit.mockserver.store import Store

__all__ = ["SessionRequest", "environ_key", "session_store"]


def environ_key(header: str) -> str:
    """Where WSGI puts a request header: ``X-Mock-User`` is ``HTTP_X_MOCK_USER``."""
    return "HTTP_" + header.upper().replace("-", "_")


class SessionRequest(Request):
    """A request to the fake (``app.request_class``): it carries its session's store to the handler."""

    #: Set by the pipeline (``Pipeline._inner``) when it builds the request, before dispatching it.
    store: Store


def session_store() -> Store:
    """The store of the session the current request names."""
    current: SessionRequest = request._get_current_object()  # type: ignore[attr-defined]
    return current.store
