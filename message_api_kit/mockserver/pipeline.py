"""What happens around every request, as WSGI middleware: CORS, injected faults, dropped connections, the journal.

It works on the WSGI environ directly, outside Flask, because it runs on every request
and Flask hooks with their ``request`` lookups measured several times slower; a creation
skips Flask altogether (``_created``, the fast path). bench/throughput.py holds the fake to
at least 0.9 of a bare Flask app on the same server.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from message_api_kit import schemas
from message_api_kit.mockserver.api import USER_ENVIRON, created_text
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.cors import CorsPolicy, HostPolicy
from message_api_kit.mockserver.errors import (
    BadParameter,
    Busy,
    Forbidden,
    InjectedFailure,
    MockError,
    crashed,
    from_store,
    heard,
    refusal,
)
from message_api_kit.mockserver.journal_rows import JournalRows
from message_api_kit.mockserver.passing_on import PassingOn
from message_api_kit.mockserver.requests import environ_key
from message_api_kit.mockserver.sessions import BadSessionName, SessionNotMade, Sessions
from message_api_kit.mockserver.shape import FAKE_SHAPE
from message_api_kit.mockserver.store import Store, StoreError
from message_api_kit.mockserver.upstream import Upstream
from message_api_kit.mockserver.waiting import Turns, work_gate
from message_api_kit.mockserver.wsgi_answers import Answer, Closing, nothing, problem
from message_api_kit.schemas import ADMIN_PREFIX

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


#: The CORS headers of an answer to a request without an ``Origin`` (never mutated).
NO_HEADERS: list[tuple[str, str]] = []
#: Where WSGI puts the ``X-Mock-Session`` header.
SESSION_ENVIRON = environ_key(schemas.SESSION_HEADER)
#: Not journaled: tools and the dashboard fetch it, and the journal is for what an app sends.
VENDOR_DOCUMENT = schemas.operation("getVendorDocument").path
#: The creation, which the fast path answers.
CREATE = schemas.CREATE_MESSAGE
#: Faults apply to these operations only.
VENDOR_OPERATIONS = schemas.vendor_operations()


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
    headers = [("Content-Type", schemas.JSON), ("Content-Length", str(len(data))), *cors_headers]
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
        # Secrets in what the journal shows: redacted on every route unless --show-secrets (schemas.is_secret).
        self.rows = JournalRows(config.show_secrets)
        # For every session: each body being read holds a server thread; each request worked on, a turn (waiting.py).
        self.uploads = Turns(config.max_uploads)
        self.working = work_gate(config.max_working)
        # The fast path of a creation (``_created``): in the fake's own shape, which a profile changes.
        self.fast = config.profile is None
        self._handlers = dict(app.error_handler_spec[None][None])
        self._create_view = app.view_functions.get(CREATE.id)
        self.passing_on = (
            None
            if config.upstream is None
            else PassingOn(
                Upstream(config.upstream, config.upstream_timeout, config.max_passing),
                sessions,
                cors,
                self.rows,
                self.uploads,
                config.max_passing,
                config.max_body_bytes,
                self._session,
                self._uploads_busy,
            )
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request; a bug of the fake's anywhere on the way is a problem document, and recorded."""
        try:
            return self._serve(environ, start_response)
        except ConnectionDropped:
            raise
        except Exception as error:
            # Nothing was started yet: _serve starts the answer last of all.
            status, headers, chunks = problem(heard(error, self.sessions.crashes.record), [])
            start_response(status, headers)
            return chunks

    def _serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Pass the request on to the upstream, or read its body and answer it here."""
        started = time.perf_counter()
        public = not environ.get("PATH_INFO", "").startswith(ADMIN_PREFIX)
        origin = environ.get("HTTP_ORIGIN")
        cors_headers = NO_HEADERS if origin is None else self.cors.headers(origin, not public)
        refused = self._refused(environ)
        if refused is None and public and self.passing_on is not None:
            route = self.passing_on.destination(environ)
            if route is not None:
                judged = None if route[0] is None else route
                return self.passing_on(environ, origin, cors_headers, started, start_response, judged)
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
            answer = problem(refused, cors_headers)
        elif isinstance(read, MockError):
            answer = problem(read, cors_headers)
        elif origin and method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            answer = "204 No Content", self.cors.preflight(origin, requested, not public), [b""]
        elif isinstance(session := self._session(environ, origin), MockError):
            answer = problem(session, cors_headers)
        elif public and (store := session).faults.active and (failure := self._fault(environ, store)) is not None:
            if isinstance(failure, ConnectionDropped):
                return self._drop(environ, store, started, body, start_response, failure)
            answer = problem(failure, cors_headers)
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
            self.rows.record(environ, store, int(status[:3]), started, body, b"".join(chunks))
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
                return status, headers, Closing(body, nothing)
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
        self.rows.record(environ, store, 0, started, body, b"")
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


def _unwritable(data: bytes) -> object:
    raise RuntimeError("the fake's answers are returned, never written")
