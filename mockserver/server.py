"""Running a fake: in a background thread for tests, or in the foreground on waitress for people."""

from __future__ import annotations

import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

LOOPBACK = "127.0.0.1"


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
