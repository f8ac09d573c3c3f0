"""The floor or the fake on waitress, the server ``mockserver serve`` used before granian.

``python -m bench.on_waitress floor|fake THREADS`` serves one on a free loopback port and
prints its URL, so that bench/throughput.py can show the gain of the server beside the
gain of the app. Tuned as it was: the same threads, a GC that does not rescan start-up
objects, and waitress's per-request queue warnings silenced.
"""

import gc
import logging
import sys

from waitress.server import create_server

from bench.floor_app import app as floor
from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.server import LOOPBACK


def main() -> None:
    """Serve the floor or the fake until interrupted."""
    which, threads = sys.argv[1], int(sys.argv[2])
    app = floor if which == "floor" else create_app(MockConfig(max_waiting=max(1, threads - 2)))
    gc.collect()
    gc.freeze()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(app, host=LOOPBACK, port=0, threads=threads, log_socket_errors=False, ident="mockserver")
    print(f"serving the {which} at http://{LOOPBACK}:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    server.run()  # returns on KeyboardInterrupt, which waitress catches itself


if __name__ == "__main__":
    main()
