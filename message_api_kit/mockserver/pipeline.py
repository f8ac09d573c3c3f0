"""What happens around every request, as WSGI middleware: CORS, injected faults, dropped connections, the journal.

It works on the WSGI environ directly, outside Flask, because it runs on every request
and Flask hooks with their ``request`` lookups measured several times slower; a creation
skips Flask altogether (``_created``, the fast path). bench/throughput.py holds the fake to
at least 0.9 of a bare Flask app on the same server.
"""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from message_api_kit import schemas
from message_api_kit.mockserver.api import USER_ENVIRON, created_text
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.cors import PROXIED_METHODS, CorsPolicy, HostPolicy
from message_api_kit.mockserver.errors import (
    PROBLEM_JSON,
    BadParameter,
    Busy,
    Crash,
    Forbidden,
    InjectedFailure,
    MockError,
    RequestTimeout,
    crashed,
    from_store,
    log,
    refusal,
)
from message_api_kit.mockserver.journal import BODY_LIMIT, HEADERS_LIMIT
from message_api_kit.mockserver.received import BrokenOff, Received, TooSlow, receive
from message_api_kit.mockserver.requests import environ_key
from message_api_kit.mockserver.sessions import BadSessionName, SessionNotMade, Sessions
from message_api_kit.mockserver.shape import FAKE_SHAPE
from message_api_kit.mockserver.store import Store, StoreError
from message_api_kit.mockserver.upstream import KEPT_ANSWER, Upstream
from message_api_kit.mockserver.waiting import Turns, work_gate
from message_api_kit.schemas import ADMIN_PREFIX

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


#: The CORS headers of an answer to a request without an ``Origin`` (never mutated).
NO_HEADERS: list[tuple[str, str]] = []
#: Where WSGI puts the ``X-Mock-Session`` header.
SESSION_ENVIRON = environ_key(schemas.SESSION_HEADER)
#: Not journaled: tools and the dashboard fetch it, and the journal is for what an app sends.
VENDOR_DOCUMENT = schemas.operation("getVendorDocument").path
#: The operations outside /__mock__/: the routes the fake answers itself in front of an upstream, matched with
#: their declared patterns (``Operation.match``: Werkzeug's router costs more on every request).
PUBLIC_OPERATIONS = tuple(op for op in schemas.OPERATIONS if not op.path.startswith(ADMIN_PREFIX))
#: The vendor's operation, which ``--watch`` judges.
CREATE = schemas.operation("createMessage")
#: Faults apply to these operations only.
VENDOR_OPERATIONS = schemas.vendor_operations()


Answer = tuple[str, list[tuple[str, str]], Iterable[bytes]]


def _problem(error: MockError, cors_headers: list[tuple[str, str]]) -> Answer:
    """``error`` as a problem document from the middleware: status line, headers and body."""
    status = f"{error.status} {error.title}"
    headers = [("Content-Type", PROBLEM_JSON), *error.headers, *cors_headers]
    return status, headers, [json.dumps(error.problem()).encode()]


#: The status line Werkzeug writes for a creation's 201, which the fast path writes too.
CREATED = Response(status=201).status


def _created(
    environ: WSGIEnvironment,
    store: Store,
    conversation: str,
    body: bytes,
    cors_headers: list[tuple[str, str]],
    on_crash: Callable[[Exception], None],
) -> Answer:
    """A creation answered without Flask: the fast path beside ``_inner``, the plain one.

    Flask builds a request context, routes, dispatches and builds a ``Response`` for every request;
    for a creation, the request the fake serves most, that was more than the creation itself cost
    (bench/RESULTS.md, "Where a creation's time goes"). Here the same function makes the message
    (``api.created_text``) and the answer is written as Werkzeug writes it; a refusal is the very
    problem document Flask's error handlers make (``errors.refusal``, ``errors.crashed``).
    ``tests/mockserver/test_fast_path.py`` holds the two paths equal, byte for byte and state for state.
    """
    try:
        text = created_text(
            store, conversation, environ.get(USER_ENVIRON), environ.get("CONTENT_TYPE", ""), lambda: body, FAKE_SHAPE
        )
    except (MockError, StoreError) as error:
        return _written(refusal(error), cors_headers)
    except Exception as error:  # a bug of the fake's, answered and heard as Flask's handler does
        return _written(crashed(error, on_crash), cors_headers)
    data = text.encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *cors_headers]
    return CREATED, headers, [data]


def _written(response: Response, cors_headers: list[tuple[str, str]]) -> Answer:
    headers = response.headers.to_wsgi_list()
    return response.status, headers + cors_headers if cors_headers else headers, [response.get_data()]


class ConnectionDropped(ConnectionAbortedError):
    """Raised to the WSGI server so that it closes the connection and sends nothing."""


class Pipeline:
    """Wraps the Flask app of a fake; ``app.wsgi_app`` is replaced by an instance."""

    def __init__(self, app: Flask, sessions: Sessions, config: MockConfig, cors: CorsPolicy) -> None:
        self.flask = app
        self.sessions = sessions
        self.max_body_bytes = config.max_body_bytes
        self.cors = cors
        self.hosts = HostPolicy(config.allowed_hosts)
        self.upstream = (
            None if config.upstream is None else Upstream(config.upstream, config.upstream_timeout, config.max_passing)
        )
        # Secrets in what the journal shows: redacted on every route unless --show-secrets (schemas.is_secret).
        self.header_names = HeaderNames(config.show_secrets)
        # For every session: each body being read holds a server thread; each request worked on, a turn (waiting.py).
        self.uploads = Turns(config.max_uploads)
        self.passing = Turns(config.max_passing)
        self.working = work_gate(config.max_working)
        # The fast path of a creation (``_created``): in the fake's own shape, which a profile changes.
        self.fast = config.profile is None
        self._handlers = dict(app.error_handler_spec[None][None])
        self._create_view = app.view_functions.get(CREATE.id)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request; a bug of the fake's anywhere on the way is a problem document, and recorded."""
        try:
            return self._serve(environ, start_response)
        except ConnectionDropped:
            raise
        except Exception as error:
            log.exception("unhandled error in the fake", exc_info=error)
            self.sessions.crashes.record(error)
            # Nothing was started yet: _serve starts the answer last of all.
            status, headers, chunks = _problem(Crash.of(error), [])
            start_response(status, headers)
            return chunks

    def _serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Pass the request on to the upstream, or read its body and answer it here."""
        started = time.perf_counter()
        public = not environ.get("PATH_INFO", "").startswith(ADMIN_PREFIX)
        origin = environ.get("HTTP_ORIGIN")
        cors_headers = NO_HEADERS if origin is None else self.cors.headers(origin, not public)
        refused = self._refused(environ)
        if refused is None and public and self.upstream is not None:
            judged = self._watched(environ)
            if judged or self._undeclared(environ):
                return self._pass_on(environ, origin, cors_headers, started, start_response, judged)
        read = self._read_body(environ) if refused is None else b""
        with self.working:  # the body is in: a turn to be worked on (waiting.py)
            return self._answer(environ, start_response, started, origin, cors_headers, refused, read)

    def _answer(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        started: float,
        origin: str | None,
        cors_headers: list[tuple[str, str]],
        refused: MockError | None,
        read: bytes | MockError,
    ) -> Iterable[bytes]:
        """Answer a request whose body is read: a preflight, an injected fault, or Flask's answer; journal it."""
        path: str = environ.get("PATH_INFO", "")
        public = not path.startswith(ADMIN_PREFIX)
        method = environ["REQUEST_METHOD"]
        store = self.sessions.default
        answer: Answer
        body = read if isinstance(read, bytes) else b""
        if refused is not None:
            answer = _problem(refused, cors_headers)
        elif isinstance(read, MockError):
            answer = _problem(read, cors_headers)
        elif origin and method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            answer = "204 No Content", self.cors.preflight(origin, requested, not public), [b""]
        elif isinstance(session := self._session(environ, origin), MockError):
            answer = _problem(session, cors_headers)
        elif public and (store := session).faults.active and (failure := self._fault(environ, store)) is not None:
            if isinstance(failure, ConnectionDropped):
                return self._drop(environ, store, started, body, start_response, failure)
            answer = _problem(failure, cors_headers)
        elif (
            self.fast
            and method == "POST"
            and self._as_built()
            and (found := CREATE.pattern.fullmatch(path)) is not None
            and environ.get("CONTENT_LENGTH") == str(len(body))  # read whole, as the handler would
        ):
            answer = _created(environ, session, found["conversation"], body, cors_headers, self.sessions.crashes.record)
        else:
            answer = self._inner(environ, session, cors_headers)
        status, headers, chunks = answer
        if public and path != VENDOR_DOCUMENT:
            self._record(environ, store, int(status[:3]), started, body, b"".join(chunks))
        # Started last, once everything that could fail has run: a crash can still answer a problem.
        start_response(status, headers)
        return chunks

    def _inner(self, environ: WSGIEnvironment, store: Store, cors_headers: list[tuple[str, str]]) -> Answer:
        """Flask's answer to a request acting on ``store``, held in memory: the journal needs the bytes, and
        nothing is started before the end.

        The request is built and dispatched here as ``Flask.wsgi_app`` does it, so that it carries its
        session's store to the handler (``SessionRequest.store``) rather than a slot of the environ.
        """
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            started[:] = [(status, headers + cors_headers if cors_headers else headers)]
            return _unwritable

        context = self.flask.request_context(environ)
        context.request.store = store  # type: ignore[attr-defined]  # a SessionRequest (app.request_class)
        error: BaseException | None = None
        try:
            try:
                context.push()
                response = self.flask.full_dispatch_request()
            except Exception as exc:
                error = exc
                response = self.flask.handle_exception(exc)
            body = response(environ, start)
            if response.is_streamed:
                # A document built as it is sent (the journal): handed on, never held whole. None of the
                # vendor's operations streams, so the journal never needs its bytes.
                ((status, headers),) = started
                return status, headers, _Closing(body, _nothing)
            try:
                chunks = list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        finally:
            context.pop(error)
        ((status, headers),) = started
        return status, headers, chunks

    def _as_built(self) -> bool:
        """Whether the Flask app is as ``create_app`` built it: no hook, view or error handler of someone else's
        (a test suite may add them to ``mock_app``, and the fast path would pass them by)."""
        flask = self.flask
        return not (
            flask.before_request_funcs
            or flask.after_request_funcs
            or flask.teardown_request_funcs
            or flask.url_value_preprocessors
            or len(flask.error_handler_spec) != 1
            or len(flask.error_handler_spec[None]) != 1
            or flask.error_handler_spec[None][None] != self._handlers
            or flask.view_functions.get(CREATE.id) is not self._create_view
        )

    def _undeclared(self, environ: WSGIEnvironment) -> bool:
        """Whether no declared operation takes this method and path: with ``--upstream``, the real API's to answer."""
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        return all(op.match(method, path) is None for op in PUBLIC_OPERATIONS)

    def _watched(self, environ: WSGIEnvironment) -> str | None:
        """With ``--watch``: the conversation segment of a creation, which goes to the upstream to be judged."""
        if self.sessions.watch is None:
            return None
        found = CREATE.match(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        return None if found is None else found["conversation"]

    def _pass_on(
        self,
        environ: WSGIEnvironment,
        origin: str | None,
        cors_headers: list[tuple[str, str]],
        started: float,
        start_response: StartResponse,
        judged: str | None = None,
    ) -> Iterable[bytes]:
        """Answer from the upstream (``upstream.py``): a preflight here, the rest there and back, journaled in the
        session the request names.

        ``judged``: the conversation of a creation the contract judges (``--watch``), once its answer has passed.
        """
        assert self.upstream is not None
        if origin and environ["REQUEST_METHOD"] == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            start_response("204 No Content", self.cors.preflight(origin, requested, methods=PROXIED_METHODS))
            return [b""]
        if environ["REQUEST_METHOD"] == "OPTIONS" and "*" in (environ.get("PATH_INFO"), environ.get("REQUEST_URI")):
            # The server's own capabilities (RFC 9110, 9.3.7): answered here, as no path of the upstream's is asked.
            start_response("204 No Content", [("Allow", ", ".join(PROXIED_METHODS))])
            return [b""]
        session = self._session(environ, origin)
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
        sent = received.start

        sent_length = received.length

        def recorded(raw: bytes, length: int) -> None:
            self.passing.leave()
            answer = _decoded(raw, passed.encoding, len(raw) if judged is None else KEPT_ANSWER)
            verdict = (
                ""
                if judged is None
                else self._verdict(environ, url, passed.status, passed.headers, sent, answer, sent_at, judged)
            )
            status = int(passed.status[:3])
            self._record(environ, store, status, started, sent, answer, True, verdict, (sent_length, length))

        start_response(passed.status, passed.headers + cors_headers)
        if isinstance(passed.body, list):  # read whole: recorded now, and sent as it is
            whole = b"".join(passed.body)
            recorded(whole, len(whole))
            return passed.body
        streaming = passed.body
        return _Closing(streaming, lambda: recorded(streaming.seen, streaming.length))

    def _not_passed(
        self,
        environ: WSGIEnvironment,
        store: Store,
        error: MockError,
        cors_headers: list[tuple[str, str]],
        started: float,
        received: Received | None,
        judged: str | None,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """The fake's own answer to a request it did not pass on, or that got no answer; journaled as passed on."""
        status, headers, chunks = _problem(error, cors_headers)
        verdict = ""
        if judged is not None and self.sessions.watch is not None:
            verdict = self.sessions.watch.not_judged(f"{error.status} {error.title}: the upstream gave no answer")
        sent, length = (b"", 0) if received is None else (received.start, received.length)
        answer = b"".join(chunks)
        self._record(environ, store, error.status, started, sent, answer, True, verdict, (length, len(answer)))
        start_response(status, headers)
        return chunks

    def _receive(self, environ: WSGIEnvironment, keep: int) -> Received:
        """A passed-on request's body, received whole before it takes an upstream slot (``received.py``)."""
        assert self.upstream is not None
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared and not declared.isdigit():
            raise BadParameter(f"Content-Length {declared[:40]!r} is no length")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = int(declared) if declared else None if chunked else 0
        if length == 0:
            return Received(None, 0, b"")
        if not self.uploads.enter():
            raise self._uploads_busy()
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
        conversation: str,
    ) -> str:
        """The contract's verdict on a creation the real API answered (``watch.py``)."""
        from message_api_kit.contracts.transport import Exchange

        assert self.sessions.watch is not None
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
            operation=CREATE,
        )
        return self.sessions.watch.judge(exchange, conversation, environ.get("PATH_INFO", ""))

    def _read_body(self, environ: WSGIEnvironment) -> bytes | MockError:
        """Read the request's body now, and put it back as bytes in memory; or why it was not read.

        A server thread reading a body waits with no deadline: granian's WSGI gives none, and a
        thread of the fake's own reading it instead stalls granian once the answer goes before the
        body is in (tried). So the body is read before the request takes a turn to be worked on
        (``working``): a slow upload parks its thread, not a working one. At most ``max_uploads``
        bodies are read at once (the threads granian has for them); past it, a 503 (``Busy``).

        Read here, first, so that the journal has the bytes the handler read. A body declared larger
        than the fake accepts is left unread: the handler answers 413 without it.
        """
        length = environ.get("CONTENT_LENGTH") or ""
        if length:
            if not length.isdigit() or not 0 < int(length) <= self.max_body_bytes:
                return b""
            size = int(length)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            size = self.max_body_bytes + 1  # one byte past the limit says "too large", and no more is read
        else:
            return b""
        if not self.uploads.enter():
            return self._uploads_busy()
        try:
            # A server that ends the stream itself (granian, a chunked body) reads it whole fastest with read():
            # granian's read(n) goes through a buffer; Werkzeug's own server must be told the length.
            stream = environ["wsgi.input"]
            body: bytes = stream.read() if environ.get("wsgi.input_terminated") and length else stream.read(size)
        finally:
            self.uploads.leave()
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _uploads_busy(self) -> Busy:
        """The refusal of a body past ``--max-uploads`` arriving at once, on the fake's own routes and passed-on."""
        return Busy(
            f"{self.uploads.limit} requests are sending their bodies, each holding a thread;"
            " try again in a moment (mockserver serve --max-uploads raises the limit)"
        )

    def _session(self, environ: WSGIEnvironment, origin: str | None) -> Store | MockError:
        """The store of the session the request names, or why not.

        Only a client that could use the fake's own API (no Origin, or one named with
        ``--cors-origin``) may make a session: a web page of any other origin may use the
        sessions that exist, and cannot evict the ones a test suite uses by making more.
        """
        try:
            store = self.sessions.get(environ.get(SESSION_ENVIRON), may_create=self.cors.may_drive(origin))
        except BadSessionName as exc:
            return BadParameter(f"{schemas.SESSION_HEADER}: {exc}")
        except SessionNotMade as exc:
            return Forbidden(
                f"{exc}: a page of origin {origin!r} may use the sessions that exist, not make new ones"
                " (only clients without an Origin, or origins named with --cors-origin, may)"
            )
        except StoreError as exc:
            return from_store(exc)
        return store

    def _refused(self, environ: WSGIEnvironment) -> MockError | None:
        """A request the fake will not serve at all: one whose Host is not the fake's."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not self.hosts.allows(host):
            return Forbidden(
                f"the fake answers to loopback names and those given with --allowed-host, not {host!r}"
                " (a check against DNS rebinding)"
            )
        return None

    def _record(
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
        headers = self.header_names.lines(environ)
        store.journal.record(
            (
                time.time(),
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "")[:BODY_LIMIT],
                self.header_names.query(environ.get("QUERY_STRING", ""))[:BODY_LIMIT],
                status,
                (time.perf_counter() - started) * 1000,
                body[:BODY_LIMIT],
                answer[:BODY_LIMIT],
                headers,
                proxied,
                verdict,
                *(lengths or (len(body), len(answer))),
            )
        )

    def _fault(self, environ: WSGIEnvironment, store: Store) -> InjectedFailure | ConnectionDropped | None:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        # Faults are for the vendor's operations, never the documents; no such route: the app answers 404 or 405.
        route = next((op.id for op in VENDOR_OPERATIONS if op.match(method, path) is not None), None)
        if route is None:
            return None
        delay = store.faults.delay(route)
        if delay:
            store.faults.wait(delay)
        failure = store.faults.failure(route)
        if failure is None:
            return None
        if failure.drop:
            return ConnectionDropped(f"connection dropped by the fake's fault controls ({route})")
        return InjectedFailure(failure.status, failure.detail)

    def _drop(
        self,
        environ: WSGIEnvironment,
        store: Store,
        started: float,
        body: bytes,
        start_response: StartResponse,
        dropped: ConnectionDropped,
    ) -> Iterable[bytes]:
        # The body was read already (_read_body): unread bytes would turn the close into a reset on some stacks.
        self._record(environ, store, 0, started, body, b"")
        if environ.get("SERVER_SOFTWARE") == "Granian":
            # Granian closes a connection only when its HTTP core (hyper) cannot write the
            # answer: a Content-Length that is no number, on a body of unknown length, makes
            # hyper discard the head it was encoding and close having written nothing.
            # tests/mockserver/test_serving.py holds this on every granian in the constraints.
            start_response("500 Connection Dropped", [("Content-Length", "dropped")])
            return iter((b"",))
        # Werkzeug's server hands over the socket, shut at once; waitress (run with
        # log_socket_errors=False) closes a connection whose app raised a ConnectionError
        # before writing a byte. Either way the client sees the peer disconnect.
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        raise dropped


class _Closing:
    """A WSGI answer body that calls ``done`` once the server has sent it (or given up), after closing ``body``."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


def _nothing() -> None:
    pass


def _unwritable(data: bytes) -> object:
    raise RuntimeError("the fake's answers are returned, never written")


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


def _decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    """A passed-on answer's start as a contract run reads it: its Content-Encoding undone (bounded)."""
    if not encoding:
        return raw[:limit]
    from message_api_kit.contracts.transport import decoded

    return decoded(raw, encoding, limit)
