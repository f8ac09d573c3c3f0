"""A request as the journal keeps it: one row, every part cut to its limit, secrets redacted unless shown."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from message_api_kit import schemas
from message_api_kit.mockserver.journal import BODY_LIMIT, HEADERS_LIMIT
from message_api_kit.mockserver.store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["JournalRows"]

#: Headers of the connection, not of the request: a replay sets its own.
_CONNECTION_HEADERS = frozenset({"HTTP_HOST", "HTTP_CONNECTION", "HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"})
#: Header names a journal remembers the shape of (its name as shown, whether it is a secret's): bounded, since
#: a client chooses the names.
_NAMES_REMEMBERED = 4096


class HeaderNames:
    """How each header of the journal is shown: its name from the WSGI key, and whether its value is a secret's.

    Both are worked out once for each name seen (``schemas.is_secret``, the kit's one rule), not on
    every request.
    """

    def __init__(self, show_secrets: bool) -> None:
        self.show_secrets = show_secrets
        self._known: dict[str, tuple[str, bool]] = {}

    def lines(self, environ: WSGIEnvironment) -> str:
        """The request's headers as the client sent them, ``Name: value`` a line, secrets redacted unless shown."""
        known = self._known
        lines = []
        content_type = environ.get("CONTENT_TYPE")
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        for key, value in environ.items():
            if not key.startswith("HTTP_") or key in _CONNECTION_HEADERS:
                continue
            shape = known.get(key)
            if shape is None:
                name = key[5:].replace("_", "-").title()
                shape = (name, not self.show_secrets and schemas.is_secret(name))
                if len(known) < _NAMES_REMEMBERED:
                    known[key] = shape
            lines.append(f"{shape[0]}: {schemas.REDACTED if shape[1] else value}")
        text = "\r\n".join(lines)
        if len(text) <= HEADERS_LIMIT:
            return text
        return f"{text[:HEADERS_LIMIT]}\r\n(cut): {len(text)} characters of headers in all, {HEADERS_LIMIT} kept"

    def query(self, query: str) -> str:
        """The query string, the values of secret parameters redacted unless shown."""
        return query if self.show_secrets or not query else schemas.redact_query(query)


class JournalRows:
    """Makes a request's journal row and records it in its session's journal (``pipeline.py`` calls it)."""

    def __init__(self, show_secrets: bool) -> None:
        self.header_names = HeaderNames(show_secrets)

    def record(
        self,
        environ: WSGIEnvironment,
        store: Store,
        status: int,
        started: float,
        body: bytes,
        answer: bytes,
        proxied: bool = False,
        verdict: str = "",
        lengths: tuple[int, int] | None = None,
    ) -> None:
        """Journal one public request in its session; status 0 means no answer was sent.

        Every part is cut (``journal.py``: bodies, path and query to ``BODY_LIMIT``, headers to
        ``HEADERS_LIMIT``), so an entry's memory is bounded whatever a client sends; ``lengths``: the
        bodies' whole lengths where ``body`` and ``answer`` are already only their starts.
        """
        names = self.header_names
        store.journal.record(
            (
                time.time(),
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "")[:BODY_LIMIT],
                names.query(environ.get("QUERY_STRING", ""))[:BODY_LIMIT],
                status,
                (time.perf_counter() - started) * 1000,
                body[:BODY_LIMIT],
                answer[:BODY_LIMIT],
                names.lines(environ),
                proxied,
                verdict,
                *(lengths or (len(body), len(answer))),
            )
        )
