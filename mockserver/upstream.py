"""``--upstream URL``: requests for routes the kit does not declare go on to the real API, and its answers come back.

The fake serves its declared operations itself, statefully; everything else an app asks (users,
conversations, files) passes through, so that the app runs against the fake alone. One
upstream only: the target is always the upstream's base URL plus the request's path and
query, a path that would climb out of the base (``..``) is refused, and an absolute-form
request target is refused where the server tells it (it never chooses the host anyway), so
the fake never becomes an open proxy. Bodies stream both ways; redirects are passed back,
never followed; hop-by-hop headers are dropped and ``Host`` is the upstream's.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from message_api_kit.mockserver.errors import BadParameter, MockError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["BadGateway", "GatewayTimeout", "Upstream"]

#: Headers of one connection, not of the request or answer (RFC 9110, 7.6.1), and the fake's own.
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
#: Request headers that carry credentials: passed on untouched, shown redacted unless ``--show-secrets``.
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-auth-token", "proxy-authorization"})
#: How much of a body is read from the client or the upstream at a time.
CHUNK = 64 * 1024
#: How much of an answer the journal keeps; and of an answer a verdict judges (a creation's is small).
SHOWN_ANSWER = 4096
KEPT_ANSWER = 1024 * 1024


class BadGateway(MockError):
    """The upstream could not be reached, or broke off its answer before it began."""

    status, slug, title = 502, "bad-gateway", "Bad Gateway"


class GatewayTimeout(MockError):
    """The upstream did not answer within ``--upstream-timeout``."""

    status, slug, title = 504, "gateway-timeout", "Gateway Timeout"


#: An answer: status line, headers, and the body's chunks (a list when read whole, else streamed).
Streamed = tuple[str, list[tuple[str, str]], Iterable[bytes]]


class Upstream:
    """The real API behind the fake: where undeclared routes go.

    Each server thread keeps one connection to it open (kept alive; answers read with
    ``http.client``), so a passed-on request costs one exchange on a warm connection and no
    pool's lock.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        self.base = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._netloc = parts.netloc.rpartition("@")[2]
        self._prefix = parts.path
        self.timeout = timeout
        self._local = threading.local()
        # Every connection open, whichever thread keeps it: closed when the fake is, not left to the collector.
        self._open: set[socket.socket] = set()
        self._closed = weakref.finalize(self, _close_all, self._open)

    def close(self) -> None:
        """Close every connection to the upstream."""
        self._closed()

    def target(self, environ: WSGIEnvironment) -> str | MockError:
        """The upstream path (with its query) for this request, or why it is refused."""
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
        if raw and not raw.startswith("/"):
            return BadParameter(f"the fake passes on origin-form requests only, not {raw[:100]!r}: it is no open proxy")
        path: str = environ.get("PATH_INFO", "") or "/"
        if ".." in path.split("/"):
            return BadParameter(f"the path {path[:100]!r} climbs out of the upstream's base: refused")
        query = environ.get("QUERY_STRING", "")
        return self._prefix + _quote(path) + (f"?{query}" if query else "")

    def forward(
        self, environ: WSGIEnvironment, target: str, on_body: Callable[[bytes], None], keep_answer: bool = False
    ) -> Streamed:
        """Send the request on, its body streamed; the answer streams back (``on_body`` sees each chunk sent).

        ``keep_answer``: keep the whole answer (up to ``KEPT_ANSWER``) for a verdict, not only its start.
        """
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and _passed(key[5:].replace("_", "-").lower())
        }
        headers["Host"] = self._netloc
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        body: Iterable[bytes] | None = None
        if length.isdigit():
            headers["Content-Length"] = length
            body = _body(environ["wsgi.input"], int(length), False, on_body)
        elif chunked:
            body = _body(environ["wsgi.input"], None, True, on_body)
        try:
            sock = self._socket()
            answer = _exchange(sock, environ["REQUEST_METHOD"], target, headers, body, chunked and not length)
        except TimeoutError:
            self._drop()
            raise GatewayTimeout(f"{self.base} did not answer within {self.timeout:g} s (--upstream-timeout)") from None
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise BadGateway(f"{self.base} could not be reached: {type(exc).__name__}: {exc}") from None
        status = f"{answer.status} {answer.reason or 'Unknown'}"
        passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        if answer.length is not None and not answer.chunked:
            passed.append(("Content-Length", str(answer.length)))
        if answer.length is not None and answer.length <= CHUNK and not answer.chunked:
            # A small answer of known length is read whole: a list is the WSGI server's fastest path.
            try:
                whole = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise BadGateway(f"{self.base} broke off its answer: {type(exc).__name__}: {exc}") from None
            if answer.will_close:
                self._drop()
            return status, passed, [whole]
        return status, passed, _Streaming(answer, sock.close, KEPT_ANSWER if keep_answer else SHOWN_ANSWER)

    def _socket(self) -> socket.socket:
        """This thread's connection to the upstream: a new one if it has none, or the upstream closed it."""
        sock: socket.socket | None = getattr(self._local, "sock", None)
        # Closed (a streamed answer left unread), or readable while idle: the upstream closed it or broke the protocol.
        if sock is not None and (sock.fileno() == -1 or select.select([sock], [], [], 0)[0]):
            self._drop()
            sock = None
        if sock is None:
            sock = socket.create_connection((self._host, self._port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._https:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._host)
            self._local.sock = sock
            self._open.add(sock)
        return sock

    def _drop(self) -> None:
        """Close this thread's connection: the upstream will close it, or an answer was left unread on it."""
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is not None:
            sock.close()
            self._open.discard(sock)
            self._local.sock = None


def _close_all(sockets: set[socket.socket]) -> None:
    for sock in list(sockets):
        sock.close()
    sockets.clear()


def _exchange(
    sock: socket.socket,
    method: str,
    target: str,
    headers: dict[str, str],
    body: Iterable[bytes] | None,
    chunked: bool,
) -> http.client.HTTPResponse:
    """Send one request on ``sock`` (its body as it is read: chunked if its length is unknown); its answer.

    The head is written whole, with the body's first chunk (one send for a small request): http.client's
    header by header building cost a tenth of a millisecond a request. The values come from the server's
    parsed request (no CR or LF can be in them), as latin-1, as WSGI gives them.
    """
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    pending = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    for chunk in body or ():
        pending += b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
        sock.sendall(pending)
        pending = b""
    sock.sendall(pending + (b"0\r\n\r\n" if chunked else b""))
    answer = http.client.HTTPResponse(sock, method=method)
    answer.begin()
    return answer


def redacted(line: str) -> str:
    """A ``Name: value`` header line with the value of a credential hidden."""
    name, _, value = line.partition(": ")
    return f"{name}: [redacted]" if name.lower() in SECRET_HEADERS and value else line


def _passed(name: str) -> bool:
    return name not in HOP_BY_HOP and not name.startswith("x-mock-")


def _quote(path: str) -> str:
    # PATH_INFO is decoded (WSGI gives it as latin-1 text of the raw bytes): encode it back, keeping '/'.
    return quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def _body(stream: object, length: int | None, chunked: bool, on_body: Callable[[bytes], None]) -> Iterator[bytes]:
    """The request's body, read from the client a chunk at a time as the upstream takes it."""
    read = getattr(stream, "read")  # noqa: B009  # a WSGI input stream
    left = length
    while (left is None and chunked) or left:
        chunk: bytes = read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            return
        on_body(chunk)
        if left is not None:
            left -= len(chunk)
        yield chunk


class _Streaming:
    """The upstream's answer body as a WSGI iterable: its bytes as sent (any Content-Encoding kept).

    ``seen`` keeps its first ``keep`` bytes, decoded when the upstream compressed them (for the journal and a
    verdict), while the client gets the bytes as sent. A connection whose answer was not read to its end
    is closed, not kept for the next request.
    """

    def __init__(self, answer: http.client.HTTPResponse, close_connection: Callable[[], None], keep: int) -> None:
        self._answer = answer
        self._close_connection = close_connection
        self._keep = keep
        self._raw = bytearray()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._answer.read1(CHUNK) if self._answer.chunked else self._answer.read(CHUNK):
            if len(self._raw) < self._keep:
                self._raw += chunk[: self._keep - len(self._raw)]
            yield chunk

    @property
    def seen(self) -> bytes:
        """The start of the answer's body, decompressed where the upstream compressed it (bounded)."""
        encoding = (self._answer.getheader("content-encoding") or "").lower()
        if encoding not in ("gzip", "deflate"):
            return bytes(self._raw)
        try:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding == "gzip" else zlib.MAX_WBITS)
            return inflater.decompress(bytes(self._raw), self._keep)
        except zlib.error:
            return bytes(self._raw)

    def close(self) -> None:
        if not self._answer.isclosed() or self._answer.will_close:
            self._answer.close()
            self._close_connection()
