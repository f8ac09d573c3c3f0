"""Running a fake: in a background thread for tests, or in the foreground on waitress for people."""

from __future__ import annotations

import gc
import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from flask import Flask
from waitress.server import create_server
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOOPBACK = "127.0.0.1"


def production_server(app: WSGIApplication, host: str, port: int, threads: int) -> Any:
    """Bind ``app`` on waitress as ``mockserver serve`` runs it; call ``run()`` on the result to serve.

    One process, several threads, so the in-memory state is one. The benchmarks serve
    their bare-Flask floor through here too, so that both run on the same server.
    """
    # Everything made at start-up (Flask, the schemas, the validators) lives as long as
    # the process: keep the cyclic GC from scanning it again on every full collection
    # (measured with bench/throughput.py: about +0.05 to +0.1 on the ratio to the floor).
    gc.collect()
    gc.freeze()
    # Waitress warns "Task queue depth is N" for every request that waits for a thread:
    # thousands of lines a second under load, on the terminal of whoever runs the fake.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # log_socket_errors is off so that a deliberately dropped connection closes silently.
    return create_server(app, host=host, port=port, threads=threads, log_socket_errors=False, ident="mockserver")


class _QuietHandler(WSGIRequestHandler):
    # Tests read the journal, not an access log on stderr.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A fake on ``host`` and a free port, served by a daemon thread.

    The port is bound in the constructor (port 0 asks the kernel for a free one, read
    back at once), so there is no reserve-then-release race and no readiness polling.
    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, app: Flask, host: str = LOOPBACK, port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
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
