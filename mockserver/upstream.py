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

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import httpx

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


#: A streamed answer: status line, headers, and the body's chunks.
Streamed = tuple[str, list[tuple[str, str]], Iterable[bytes]]


class Upstream:
    """The real API behind the fake: where undeclared routes go."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base = httpx.URL(base_url.rstrip("/"))
        self.timeout = timeout
        # One pool of connections for every request; no redirect is ever followed.
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def target(self, environ: WSGIEnvironment) -> httpx.URL | MockError:
        """The upstream URL for this request, or why it is refused."""
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
        if raw and not raw.startswith("/"):
            return BadParameter(f"the fake passes on origin-form requests only, not {raw[:100]!r}: it is no open proxy")
        path: str = environ.get("PATH_INFO", "") or "/"
        if ".." in path.split("/"):
            return BadParameter(f"the path {path[:100]!r} climbs out of the upstream's base: refused")
        base_path = self.base.raw_path.decode("ascii").split("?", 1)[0].rstrip("/")
        query = environ.get("QUERY_STRING", "")
        return self.base.copy_with(raw_path=(base_path + _quote(path) + (f"?{query}" if query else "")).encode("ascii"))

    def forward(
        self, environ: WSGIEnvironment, url: httpx.URL, on_body: Callable[[bytes], None], keep_answer: bool = False
    ) -> Streamed:
        """Send the request on, its body streamed; the answer streams back (``on_body`` sees each chunk sent).

        ``keep_answer``: keep the whole answer (up to ``KEPT_ANSWER``) for a verdict, not only its start.
        """
        headers = [
            (key[5:].replace("_", "-").title(), value)
            for key, value in environ.items()
            if key.startswith("HTTP_") and _passed(key[5:].replace("_", "-").lower())
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            headers.append(("Content-Length", length))
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        body = _body(environ["wsgi.input"], int(length) if length.isdigit() else None, chunked, on_body)
        request = self._client.build_request(environ["REQUEST_METHOD"], url, headers=headers, content=body)
        try:
            answer = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise GatewayTimeout(f"{self.base} did not answer within {self.timeout:g} s (--upstream-timeout)") from None
        except httpx.HTTPError as exc:
            raise BadGateway(f"{self.base} could not be reached: {type(exc).__name__}: {exc}") from None
        status = f"{answer.status_code} {answer.reason_phrase or 'Unknown'}"
        passed = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        if "content-length" in answer.headers and "transfer-encoding" not in answer.headers:
            passed.append(("Content-Length", answer.headers["content-length"]))
        return status, passed, _Streaming(answer, KEPT_ANSWER if keep_answer else SHOWN_ANSWER)


def redacted(line: str) -> str:
    """A ``Name: value`` header line with the value of a credential hidden."""
    name, _, value = line.partition(": ")
    return f"{name}: [redacted]" if name.lower() in SECRET_HEADERS and value else line


def _passed(name: str) -> bool:
    return name not in HOP_BY_HOP and not name.startswith("x-mock-")


def _quote(path: str) -> str:
    # PATH_INFO is decoded (WSGI gives it as latin-1 text of the raw bytes): encode it back, keeping '/'.
    from urllib.parse import quote

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
    """The upstream's answer body as a WSGI iterable: raw bytes (any Content-Encoding kept), closed at the end.

    ``seen`` keeps its first ``keep`` bytes, decoded when the upstream compressed them (for the journal and a
    verdict), while the client gets the bytes as sent.
    """

    def __init__(self, answer: httpx.Response, keep: int) -> None:
        self._answer = answer
        self._keep = keep
        self._raw = bytearray()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._answer.iter_raw(CHUNK):
            if len(self._raw) < self._keep:
                self._raw += chunk[: self._keep - len(self._raw)]
            yield chunk

    @property
    def seen(self) -> bytes:
        """The start of the answer's body, decompressed where the upstream compressed it (bounded)."""
        encoding = self._answer.headers.get("content-encoding", "").lower()
        if encoding not in ("gzip", "deflate"):
            return bytes(self._raw)
        import zlib

        try:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding == "gzip" else zlib.MAX_WBITS)
            return inflater.decompress(bytes(self._raw), self._keep)
        except zlib.error:
            return bytes(self._raw)

    def close(self) -> None:
        self._answer.close()
