"""The pass-through (``--upstream``): a request no declared operation takes, or one of an operation ``--watch``
judges, goes to the real API and back, journaled in its session; the intermediary's rules are ``upstream.py``'s."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from message_api_kit import schemas
from message_api_kit.mockserver.cors import PROXIED_METHODS, CorsPolicy
from message_api_kit.mockserver.errors import BadParameter, Busy, MockError, RequestTimeout
from message_api_kit.mockserver.journal import BODY_LIMIT
from message_api_kit.mockserver.journal_rows import JournalRows
from message_api_kit.mockserver.received import BrokenOff, Received, TooSlow, receive
from message_api_kit.mockserver.sessions import Sessions
from message_api_kit.mockserver.store import Store
from message_api_kit.mockserver.upstream import KEPT_ANSWER, Upstream
from message_api_kit.mockserver.waiting import Turns
from message_api_kit.mockserver.wsgi_answers import Closing, problem
from message_api_kit.schemas import Operation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["PassingOn"]

#: The operations outside /__mock__/: the routes the fake answers itself in front of an upstream, matched with
#: their declared patterns (``Operation.match``: Werkzeug's router costs more on every request).
PUBLIC_OPERATIONS = tuple(op for op in schemas.OPERATIONS if not op.path.startswith(schemas.ADMIN_PREFIX))
#: Where a request passed on goes and how: the operation ``--watch`` judges it as, and its path parameters as
#: sent; ``UNJUDGED``, passed on and not judged.
Route = tuple[Operation | None, dict[str, str]]
UNJUDGED: Route = (None, {})


class PassingOn:
    """Passes requests on to the upstream and their answers back (``pipeline.Pipeline`` decides which)."""

    def __init__(
        self,
        upstream: Upstream,
        sessions: Sessions,
        cors: CorsPolicy,
        rows: JournalRows,
        uploads: Turns,
        max_passing: int,
        max_body_bytes: int,
        session_of: Callable[[WSGIEnvironment, str | None], Store | MockError],
        uploads_busy: Callable[[], Busy],
    ) -> None:
        self.upstream = upstream
        # Its default store journals what names no usable session; its watch (--watch) judges creations.
        self.sessions = sessions
        self.cors = cors
        self.rows = rows
        # Bodies being received share the fake's own upload turns; waiting on the upstream has its own.
        self.uploads = uploads
        self.passing = Turns(max_passing)
        self.max_body_bytes = max_body_bytes
        self.session_of = session_of
        self.uploads_busy = uploads_busy
        # The operations --watch judges (those under contract, in its registry) pass on; the fake's other public
        # operations it answers itself. Each is matched once, by method.
        judged = () if sessions.watch is None else tuple(unit.operation for unit in sessions.watch.registry)
        self._by_method: dict[str, tuple[tuple[Operation, bool], ...]] = {}
        for operation, judge in (*((op, True) for op in judged), *((op, False) for op in PUBLIC_OPERATIONS)):
            known = self._by_method.get(operation.method, ())
            if all(operation.id != seen.id for seen, _ in known):
                self._by_method[operation.method] = (*known, (operation, judge))

    def destination(self, environ: WSGIEnvironment) -> Route | None:
        """Where a request goes: ``None``, the fake answers it (a declared operation's); else the upstream, with
        the operation ``--watch`` judges it as and its path parameters, or ``UNJUDGED``.

        One match of the request's method and path against the declared operations (``Operation.pattern``):
        it runs on every request of a fake in front of an upstream, its own creations included.
        """
        path = environ.get("PATH_INFO", "")
        for operation, judge in self._by_method.get(environ["REQUEST_METHOD"], ()):
            found = operation.pattern.fullmatch(path)
            if found is not None:
                return (operation, found.groupdict()) if judge else None
        return UNJUDGED

    def __call__(
        self,
        environ: WSGIEnvironment,
        origin: str | None,
        cors_headers: list[tuple[str, str]],
        started: float,
        start_response: StartResponse,
        judged: Route | None = None,
    ) -> Iterable[bytes]:
        """Answer from the upstream (``upstream.py``): a preflight here, the rest there and back, journaled in the
        session the request names.

        ``judged``: the operation the contract judges the request as (``--watch``), once its answer has passed.
        """
        if origin and environ["REQUEST_METHOD"] == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            start_response("204 No Content", self.cors.preflight(origin, requested, methods=PROXIED_METHODS))
            return [b""]
        if environ["REQUEST_METHOD"] == "OPTIONS" and "*" in (environ.get("PATH_INFO"), environ.get("REQUEST_URI")):
            # The server's own capabilities (RFC 9110, 9.3.7): answered here, as no path of the upstream's is asked.
            start_response("204 No Content", [("Allow", ", ".join(PROXIED_METHODS))])
            return [b""]
        session = self.session_of(environ, origin)
        store = session if isinstance(session, Store) else self.sessions.default
        # A judged request is kept whole (up to the fake's own body limit): the echo is checked against it.
        keep = BODY_LIMIT if judged is None else self.max_body_bytes + 1
        url = self.upstream.target(environ)
        sent_at = time.time()
        received: Received | None = None
        turn = False
        try:
            if isinstance(session, MockError):
                raise session
            if isinstance(url, MockError):
                raise url
            received = self._receive(environ, keep)
            # Waiting on the upstream holds a thread, not a working turn; past --max-upstream at once, a 503.
            turn = self.passing.enter()
            if not turn:
                raise Busy(
                    f"{self.passing.limit} requests are waiting on the upstream, each holding a thread;"
                    " try again in a moment (mockserver serve --max-upstream raises the limit)"
                )
            passed = self.upstream.forward(environ, url, received, keep_answer=judged is not None)
        except MockError as error:
            if turn:
                self.passing.leave()
            return self._not_passed(environ, store, error, cors_headers, started, received, judged, start_response)
        finally:
            if received is not None:
                received.close()
        sent, sent_length = received.start, received.length

        def recorded(raw: bytes, length: int) -> None:
            self.passing.leave()
            answer = _decoded(raw, passed.encoding, len(raw) if judged is None else KEPT_ANSWER)
            verdict = (
                ""
                if judged is None
                else self._verdict(environ, url, passed.status, passed.headers, sent, answer, sent_at, judged)
            )
            status = int(passed.status[:3])
            self.rows.record(environ, store, status, started, sent, answer, True, verdict, (sent_length, length))

        start_response(passed.status, passed.headers + cors_headers)
        if isinstance(passed.body, list):  # read whole: recorded now, and sent as it is
            whole = b"".join(passed.body)
            recorded(whole, len(whole))
            return passed.body
        streaming = passed.body
        return Closing(streaming, lambda: recorded(streaming.seen, streaming.length))

    def _not_passed(
        self,
        environ: WSGIEnvironment,
        store: Store,
        error: MockError,
        cors_headers: list[tuple[str, str]],
        started: float,
        received: Received | None,
        judged: Route | None,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """The fake's own answer to a request it did not pass on, or that got no answer; journaled as passed on."""
        status, headers, chunks = problem(error, cors_headers)
        verdict = ""
        if judged is not None and self.sessions.watch is not None:
            verdict = self.sessions.watch.not_judged(f"{error.status} {error.title}: the upstream gave no answer")
        sent, length = (b"", 0) if received is None else (received.start, received.length)
        answer = b"".join(chunks)
        self.rows.record(environ, store, error.status, started, sent, answer, True, verdict, (length, len(answer)))
        start_response(status, headers)
        return chunks

    def _receive(self, environ: WSGIEnvironment, keep: int) -> Received:
        """A passed-on request's body, received whole before it takes an upstream slot (``received.py``)."""
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared and not declared.isdigit():
            raise BadParameter(f"Content-Length {declared[:40]!r} is no length")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = int(declared) if declared else None if chunked else 0
        if length == 0:
            return Received(None, 0, b"")
        if not self.uploads.enter():
            raise self.uploads_busy()
        timeout = self.upstream.timeout
        try:
            return receive(environ["wsgi.input"], length, time.monotonic() + timeout, keep)
        except TooSlow as exc:
            raise RequestTimeout(f"the body did not arrive within {timeout:g} s (--upstream-timeout): {exc}") from None
        except BrokenOff as exc:
            raise BadParameter(str(exc)) from None
        finally:
            self.uploads.leave()

    def _verdict(
        self,
        environ: WSGIEnvironment,
        url: object,
        status: str,
        headers: list[tuple[str, str]],
        sent: bytes,
        answer: bytes,
        sent_at: float,
        judged: Route,
    ) -> str:
        """The contract's verdict on a request of an operation under contract the real API answered (``watch.py``)."""
        from message_api_kit.contracts.transport import Exchange

        assert self.sessions.watch is not None
        operation, parameters = judged
        assert operation is not None
        if len(sent) > self.max_body_bytes:
            return self.sessions.watch.not_judged("a body larger than --max-body-bytes")
        request_headers = {"Content-Type": environ["CONTENT_TYPE"]} if environ.get("CONTENT_TYPE") else {}
        exchange = Exchange(
            environ["REQUEST_METHOD"],
            str(url),
            request_headers,
            sent,
            int(status[:3]),
            {k.lower(): v for k, v in headers},
            answer,
            sent_at,
            time.time(),
            operation=operation,
        )
        query = {p.name for p in operation.parameters if p.location == "query"}
        if query and environ.get("QUERY_STRING"):
            given = parse_qsl(environ["QUERY_STRING"], keep_blank_values=True)
            parameters = {**parameters, **{name: value for name, value in given if name in query}}
        return self.sessions.watch.judge(exchange, parameters, environ.get("PATH_INFO", ""))


def _decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    """A passed-on answer's start as a contract run reads it: its Content-Encoding undone (bounded)."""
    if not encoding:
        return raw[:limit]
    from message_api_kit.contracts.transport import decoded

    return decoded(raw, encoding, limit)
