"""Running a fake: in a background thread for tests, or in the foreground on granian for people.

``mockserver serve`` runs on granian, a Rust HTTP core for WSGI apps, chosen by measurement
(bench/RESULTS.md, "Serving"): about twice the requests per second of waitress, thousands
of idle connections held by an async core instead of one thread or slot each, a deadline
for request heads, and a body that is read only when the app reads it. Tests use
:class:`LiveServer` (Werkzeug, in a thread of the test process), which needs no process.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOOPBACK = "127.0.0.1"
#: prctl(2): ask for a signal when the parent process dies.
PR_SET_PDEATHSIG = 1

#: Builds the app in the serving process; a module-level function (or a partial of one),
#: because on macOS granian starts its worker with "spawn", which pickles it.
AppLoader = Callable[[], "WSGIApplication"]


@dataclass(frozen=True)
class ServerOptions:
    """How ``mockserver serve`` listens; read from flags by the CLI."""

    host: str = LOOPBACK
    port: int = 0
    #: Python threads working on requests (and holding injected delays).
    threads: int = 8
    #: Threads more for request bodies still arriving (``waiting.py``): a slow upload parks one of
    #: these, not a working thread. Granian starts threads as they are needed, and ends idle ones.
    upload_threads: int = 256
    #: Threads more for requests passed on to the upstream, each waiting on its answer (0: no upstream).
    upstream_threads: int = 0
    #: A connection must send a whole request head within this many seconds of opening,
    #: and of its last answer when kept alive; otherwise it is closed. Slow-header clients
    #: and idle keep-alive connections are both bounded by it (granian allows 1 ms to 60 s).
    header_timeout: float = 30.0
    #: HTTP/1.1 keep-alive; off closes every connection after its answer.
    keep_alive: bool = True
    #: Connections served at once, idle ones included; more wait to be accepted. Granian
    #: holds a slot per connection (its "backpressure"), 1,024 by default: as few idle
    #: connections as that would lock everyone out.
    max_connections: int = 10_000
    #: Connections waiting to be accepted.
    backlog: int = 2048

    def __post_init__(self) -> None:
        if not 0.001 <= self.header_timeout <= 60:
            raise ValueError("header_timeout must be between 0.001 and 60 seconds")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")
        if self.upload_threads < 0 or self.upstream_threads < 0:
            raise ValueError("upload_threads and upstream_threads must not be negative")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")


class ProductionServer:
    """The fake (or any WSGI app) on granian: one worker process, so the in-memory state is one.

    The port is checked (and, for port 0, chosen) before granian starts, so that a port in
    use is an error here and ``url`` is known at once; ``run`` serves until SIGINT or SIGTERM
    and calls ``on_ready`` once the port accepts connections.
    """

    def __init__(self, load_app: AppLoader, options: ServerOptions) -> None:
        self.options = options
        self.port = _free_port(options.host, options.port)
        self._load_app = load_app

    @property
    def url(self) -> str:
        """The base URL, with an IPv6 host in brackets."""
        host = self.options.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def run(self, on_ready: Callable[[], None] = lambda: None) -> None:
        """Serve in the foreground until interrupted."""
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
        from granian.server import Server

        options = self.options
        _raise_open_file_limit(options.max_connections + 256)
        server = Server(
            "mockserver",  # a name only: the app comes from the loader
            address=options.host,
            port=self.port,
            interface=Interfaces.WSGI,
            workers=1,
            blocking_threads=options.threads + options.upload_threads + options.upstream_threads,
            http=HTTPModes.http1,
            websockets=False,
            backlog=options.backlog,
            backpressure=options.max_connections,
            http1_settings=HTTP1Settings(
                header_read_timeout=max(1, round(options.header_timeout * 1000)), keep_alive=options.keep_alive
            ),
            log_level=LogLevels.warning,
        )
        # Granian's own warning about many threads per core does not apply: most of ours
        # wait (injected delays), and --threads is the user's choice.
        logging.getLogger("_granian").setLevel(logging.ERROR)
        server.serve(target_loader=_Loaded(self._load_app, options.host, self.port, on_ready), wrap_loader=False)


class _Loaded:
    """Granian's target loader: builds the app in the worker and readies the process to serve it."""

    def __init__(self, load_app: AppLoader, host: str, port: int, on_ready: Callable[[], None]) -> None:
        self.load_app = load_app
        self.address = (host, port)
        self.on_ready = on_ready

    def __call__(self) -> WSGIApplication:
        _die_with_parent()
        # The watcher starts here, in the worker: a thread started before granian forks
        # could hold the import lock at the fork, and the worker would wait for it forever.
        watcher = threading.Thread(target=_announce_when_listening, args=(*self.address, self.on_ready), daemon=True)
        watcher.start()
        app = self.load_app()
        # Everything made at start-up (Flask, the schemas, the validators) lives as long as
        # the process: keep the cyclic GC from scanning it again on every full collection
        # (measured with bench/throughput.py: about +0.05 to +0.1 on the ratio to the floor).
        gc.collect()
        gc.freeze()
        return _GranianEnviron(app, os.environ)


#: Keys of a WSGI environ that describe the request: a process's variables of these names are not its.
_REQUEST_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")


class _GranianEnviron:
    """The environ granian gives, made the request's alone.

    Granian builds each environ on a copy of the process's environment variables: a variable
    named like a header (``HTTP_PROXY``, set on many CI machines) would reach the app as a
    header the client never sent, be journaled and be passed on to the upstream (the
    "httpoxy" class of bug). Such variables are taken out again, unless the request itself
    set the key to another value. It also says what granian does: its ``wsgi.input`` ends
    where the body ends (granian leaves ``wsgi.input_terminated`` out, and Werkzeug then reads
    nothing of a chunked body).
    """

    def __init__(self, app: WSGIApplication, process: Mapping[str, str]) -> None:
        self.app = app
        self._inherited = tuple(
            (key, value) for key, value in process.items() if key.startswith("HTTP_") or key in _REQUEST_KEYS
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.input_terminated"] = True
        for key, value in self._inherited:  # none on most machines: nothing to do
            if environ.get(key) == value:
                del environ[key]
        return self.app(environ, start_response)


def _die_with_parent() -> None:
    """End this worker when ``mockserver serve`` ends, however it ends (``kill -9`` of it alone included).

    Without it the worker would go on serving, and writing the state file, as an orphan that
    holds the port. Linux tells a child of its parent's death (``PR_SET_PDEATHSIG``); where
    that is not to be had, a thread watches for the parent to change.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the request was made
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _free_port(host: str, port: int) -> int:
    """Bind ``host:port`` once to check it is free (port 0: to let the kernel pick one); return the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As granian binds: a port whose last connections still wait in TIME-WAIT (a fake just
        # killed with requests in flight) is free; one that something listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def _announce_when_listening(host: str, port: int, on_ready: Callable[[], None], timeout: float = 30) -> None:
    """Call ``on_ready`` once ``host:port`` accepts a connection, so a URL printed is a URL that answers."""
    target = "::1" if host == "::" else LOOPBACK if host == "0.0.0.0" else host
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((target, port), timeout=1).close()
        except OSError:
            time.sleep(0.02)
        else:
            on_ready()
            return


def _raise_open_file_limit(wanted: int) -> None:
    # Every open connection is a file descriptor. A soft limit of 256 (macOS) or 1024 (many
    # Linux shells) would refuse connections long before max_connections; raise it as far
    # as the hard limit, which is what the system allows this process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # macOS caps the soft limit (kern.maxfilesperproc)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(target, 10240), hard))


class _TestHandler(WSGIRequestHandler):
    # Tests read the journal, not an access log on stderr.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A fake on ``host`` and a free port, served by a daemon thread.

    The port is bound in the constructor (port 0 asks the kernel for a free one, read
    back at once), so there is no reserve-then-release race and no readiness polling.
    Use as a context manager, or call ``start()`` and ``stop()``.

    Werkzeug gives each connection a thread and closes it after one answer (HTTP/1.0),
    so idle connections lock nobody out; ``read_timeout`` closes one that sends its
    request too slowly, so a stuck client cannot keep a thread of the test process.
    """

    def __init__(self, app: Flask, host: str = LOOPBACK, port: int = 0, read_timeout: float = 10.0) -> None:
        self.app = app
        handler = type("_Handler", (_TestHandler,), {"timeout": read_timeout})
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=handler)
        self.host = host
        self.port = self._server.port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"mockserver:{self.port}", daemon=True)

    def start(self) -> LiveServer:
        """Start serving in the background; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for the thread, release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
