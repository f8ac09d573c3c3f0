"""``--upstream URL``: requests for routes the kit does not declare go on to the real API, and its answers come back.

The fake serves its declared operations itself, statefully; everything else an app asks (users,
conversations, files) passes through, so that the app runs against the fake alone.

What an intermediary owes both sides (RFC 9110, 7.6; RFC 9112) is done here, once:

- The target is always the upstream's base URL plus the request's path and query. A path that
  would climb out of the base (``..``), ``CONNECT``, an asterisk-form target other than
  ``OPTIONS *`` and an absolute-form target naming another host are refused, never passed on:
  the fake is no open proxy.
- Hop-by-hop fields go no further, in either direction: ``Connection`` and every field it
  names, ``Keep-Alive``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade``, the
  ``Proxy-*`` fields; ``Host`` is the upstream's; ``X-Mock-*`` are the fake's own.
- HTTP/1.1 itself is h11's (``http11.py``): any number of ``1xx`` before the answer, framing by
  length, chunks or the connection's close, HEAD, 204 and 304 as the upstream framed them, a
  header that is not HTTP refused with a 502. Answers stream back as they arrive, bytes and
  ``Content-Encoding`` unchanged; redirects are passed back, never followed.
- One deadline for the exchange (``--upstream-timeout``), from sending to the answer's last byte.
- ``user:password@`` in ``--upstream`` is sent as Basic credentials (when the request carries no
  ``Authorization`` of its own) and never shown.
"""

from __future__ import annotations

import base64
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from message_api_kit import schemas
from message_api_kit.mockserver.errors import BadParameter, MockError
from message_api_kit.mockserver.http11 import Connection, ProtocolError
from message_api_kit.mockserver.received import Received

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["BadGateway", "GatewayTimeout", "Upstream"]

#: Fields of one connection, not of the message (RFC 9110, 7.6.1), the fake's framing and Host.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Answer fields a proxy keeps although they describe framing: the client needs them to read the body.
FRAMING = frozenset({"content-length"})
#: How much of an answer the journal keeps; and of an answer a verdict judges (a creation's is small).
SHOWN_ANSWER = 4096
KEPT_ANSWER = 1024 * 1024
#: An answer of known length up to this size is read whole: a list is the WSGI server's fastest path.
WHOLE = 64 * 1024


class BadGateway(MockError):
    """The upstream could not be reached, or did not answer in HTTP/1.1."""

    status, slug, title = 502, "bad-gateway", "Bad Gateway"


class GatewayTimeout(MockError):
    """The upstream did not answer within ``--upstream-timeout``."""

    status, slug, title = 504, "gateway-timeout", "Gateway Timeout"


@dataclass(frozen=True)
class Passed:
    """The upstream's answer as the client gets it: status line, headers, and the body (a list when read whole)."""

    status: str
    headers: list[tuple[str, str]]
    body: list[bytes] | Streaming
    #: The answer's ``Content-Encoding``, for reading its start decoded.
    encoding: str


class Upstream:
    """The real API behind the fake: where undeclared routes go.

    Connections are kept alive and taken by one exchange at a time from a stack of idle ones
    (``list.pop`` and ``append`` are atomic: no lock on the way), so a passed-on request costs one
    exchange on a warm connection, whichever thread sends it and whichever streams its answer.
    """

    def __init__(self, base_url: str, timeout: float, max_idle: int = 64) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        https = parts.scheme == "https"
        #: The base URL to show: never its userinfo.
        self.shown = schemas.without_userinfo(base_url.rstrip("/"))
        self.timeout = timeout
        self._address = (parts.hostname or "", parts.port or (443 if https else 80), https)
        self._netloc = parts.netloc.rpartition("@")[2].encode("latin-1")
        self._prefix = parts.path
        self._credentials: bytes | None = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._credentials = b"Basic " + base64.b64encode(pair)
        self._max_idle = max_idle
        self._idle: list[Connection] = []
        # Every connection idle is closed when the fake is, not left to the collector.
        self._closed = weakref.finalize(self, _close_all, self._idle)

    def close(self) -> None:
        """Close every idle connection to the upstream."""
        self._closed()

    def target(self, environ: WSGIEnvironment) -> str | MockError:
        """The upstream path (with its query) for this request, or why it is refused."""
        if environ["REQUEST_METHOD"] == "CONNECT":
            return BadParameter("the fake does not tunnel (CONNECT): it passes requests on to its upstream only")
        path: str = environ.get("PATH_INFO", "") or "/"
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or path
        if not raw.startswith("/"):
            if raw == "*" or path == "*":
                return BadParameter("an asterisk-form target is for OPTIONS only")
            authority = urlsplit(raw).netloc
            if not authority or authority.lower() != environ.get("HTTP_HOST", "").lower():
                return BadParameter(
                    f"the fake passes on requests for itself only, not {raw[:100]!r}: it is no open proxy"
                )
        if ".." in path.split("/"):
            return BadParameter(f"the path {path[:100]!r} climbs out of the upstream's base: refused")
        query = environ.get("QUERY_STRING", "")
        return self._prefix + _quote(path) + (f"?{query}" if query else "")

    def forward(self, environ: WSGIEnvironment, target: str, body: Received, keep_answer: bool = False) -> Passed:
        """Send the request on with its body (received whole already); the answer streams back.

        ``keep_answer``: keep the whole answer's start (up to ``KEPT_ANSWER``) for a verdict, not only the journal's.
        """
        headers = self._headers(environ, body.length)
        deadline = time.monotonic() + self.timeout
        connection = self._take()
        try:
            head = connection.exchange(environ["REQUEST_METHOD"].encode(), target.encode(), headers, body, deadline)
        except TimeoutError:
            raise GatewayTimeout(
                f"{self.shown} did not answer within {self.timeout:g} s (--upstream-timeout)"
            ) from None
        except ProtocolError as exc:
            raise BadGateway(f"{self.shown} did not answer in HTTP/1.1: {exc}") from None
        except OSError as exc:
            raise BadGateway(f"{self.shown} could not be reached: {type(exc).__name__}: {exc}") from None
        named = _connection_named(head.headers)
        passed = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in head.headers
            if (low := name.lower().decode("latin-1")) in FRAMING or (low not in HOP_BY_HOP and low not in named)
        ]
        reason = head.reason.decode("latin-1") or _phrase(head.status)
        encoding = next((v for k, v in passed if k.lower() == "content-encoding"), "")
        status = f"{head.status} {reason}"
        if head.length is not None and head.length <= WHOLE and not _chunked(head.headers):
            try:
                whole = b"".join(connection.body())
            except TimeoutError:
                raise GatewayTimeout(
                    f"{self.shown} did not end its answer within {self.timeout:g} s (--upstream-timeout)"
                ) from None
            except (ProtocolError, OSError) as exc:
                raise BadGateway(f"{self.shown} broke off its answer: {type(exc).__name__}: {exc}") from None
            self._give_back(connection)
            return Passed(status, passed, [whole], encoding)
        streaming = Streaming(connection, self._give_back, KEPT_ANSWER if keep_answer else SHOWN_ANSWER)
        return Passed(status, passed, streaming, encoding)

    def _headers(self, environ: WSGIEnvironment, length: int) -> list[tuple[bytes, bytes]]:
        """The request's fields for the upstream: end to end ones only, its own Host, the body's length."""
        named = {token.strip().lower() for token in environ.get("HTTP_CONNECTION", "").split(",")}
        headers = [(b"Host", self._netloc)]
        for key, value in environ.items():
            if not key.startswith("HTTP_"):
                continue
            name = key[5:].replace("_", "-").lower()
            if name in HOP_BY_HOP or name in named or name.startswith("x-mock-"):
                continue
            if name == "authorization" and self._credentials is not None:
                continue  # the request's own credentials, sent instead of the URL's below
            headers.append((name.title().encode("latin-1"), value.encode("latin-1")))
        if environ.get("CONTENT_TYPE"):
            headers.append((b"Content-Type", environ["CONTENT_TYPE"].encode("latin-1")))
        if self._credentials is not None:
            own = environ.get("HTTP_AUTHORIZATION")
            headers.append((b"Authorization", own.encode("latin-1") if own else self._credentials))
        if length or environ.get("CONTENT_LENGTH") or "HTTP_TRANSFER_ENCODING" in environ:
            headers.append((b"Content-Length", str(length).encode()))
        return headers

    def _take(self) -> Connection:
        try:
            return self._idle.pop()
        except IndexError:
            host, port, https = self._address
            return Connection(host, port, https, host)

    def _give_back(self, connection: Connection) -> None:
        """Keep a connection for the next exchange, if it is still open and the stack has room."""
        if connection.open and len(self._idle) < self._max_idle:
            self._idle.append(connection)
        else:
            connection.close()


def _close_all(connections: list[Connection]) -> None:
    while connections:
        connections.pop().close()


def _connection_named(headers: list[tuple[bytes, bytes]]) -> frozenset[str]:
    """The fields the ``Connection`` header names: of this hop only."""
    return frozenset(
        token.strip().lower().decode("latin-1")
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    )


def _chunked(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"transfer-encoding" for name, _ in headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _quote(path: str) -> str:
    # PATH_INFO is decoded (WSGI gives it as latin-1 text of the raw bytes): encode it back, keeping '/'.
    return quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


class Streaming:
    """The upstream's answer body as a WSGI iterable: its bytes as they arrive, as sent.

    ``seen`` keeps the first ``keep`` bytes (for the journal and a verdict). Read to its end, the
    connection goes back for the next exchange; left unread or broken off, it is closed.
    """

    def __init__(self, connection: Connection, give_back: Callable[[Connection], None], keep: int) -> None:
        self._connection = connection
        self._give_back = give_back
        self._keep = keep
        self._raw = bytearray()
        self._done = False
        #: How many bytes of the body have passed so far.
        self.length = 0

    def __iter__(self) -> Iterator[bytes]:
        # Past the deadline, or broken off by the upstream: a ConnectionError tells the WSGI server to
        # close the client's connection and write nothing more, so the client sees an answer cut short,
        # never a whole one (Werkzeug's server would append an error page to any other exception).
        try:
            for chunk in self._connection.body():
                if len(self._raw) < self._keep:
                    self._raw += chunk[: self._keep - len(self._raw)]
                self.length += len(chunk)
                yield chunk
        except (TimeoutError, ProtocolError, OSError) as exc:
            raise ConnectionAbortedError(f"the upstream's answer broke off: {type(exc).__name__}: {exc}") from None
        self._done = True

    @property
    def seen(self) -> bytes:
        """The start of the answer's body, as sent (bounded)."""
        return bytes(self._raw)

    def close(self) -> None:
        if self._done:
            self._give_back(self._connection)
        else:
            self._connection.close()
