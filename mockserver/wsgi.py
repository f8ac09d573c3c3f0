"""WSGI-level behaviour Flask cannot express: dropping a connection without an answer."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Set in the WSGI environ by a view that wants its connection dropped.
DROP_KEY = "mockserver.drop"


class ConnectionDropped(ConnectionAbortedError):
    """Raised to the WSGI server so that it closes the connection and sends nothing."""


class DropConnections:
    """Wrap a WSGI app so that a request marked with ``DROP_KEY`` gets no answer at all.

    Werkzeug's server exposes the socket, which is shut at once; waitress (run with
    ``log_socket_errors=False``) closes a connection whose app raised a
    ``ConnectionError`` before writing a byte. Either way the client sees the peer
    disconnect without a response.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve ``environ``, or drop its connection if the app marked it."""

        def start_unless_dropped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ.get(DROP_KEY):
                return lambda data: None
            return start_response(status, headers, exc_info)

        body = self.app(environ, start_unless_dropped)
        if not environ.get(DROP_KEY):
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionDropped("connection dropped by the fake's fault controls")
