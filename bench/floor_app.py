"""The floor of any Flask stack: parse the JSON body, answer a fixed document.

``python -m bench.floor_app THREADS`` serves it on a free loopback port through
``ProductionServer``, exactly as ``mockserver serve`` serves the fake, and prints its URL.
"""

import json
import sys

from flask import Flask, Response, request

from message_api_kit.mockserver.server import ProductionServer, ServerOptions

app = Flask("floor")
DOCUMENT = json.dumps({"id": 1, "type": "text", "conversationId": 1, "message": "hello", "deleted": False})


@app.post("/conversations/<conversation>/messages")
def create(conversation: str) -> Response:
    """Parse the body as the fake does, and answer a fixed message."""
    request.get_json()
    return Response(DOCUMENT, status=201, mimetype="application/json")


# The same answer on a route the kit does not declare: what bench/proxy.py passes through the fake.
app.add_url_rule("/elsewhere/<conversation>", "elsewhere", create, methods=["POST"])


def load() -> Flask:
    """The floor, for the server's loader (a module-level function: it is pickled on macOS)."""
    return app


def main() -> None:
    """Serve the floor until interrupted."""
    server = ProductionServer(load, ServerOptions(threads=int(sys.argv[1])))
    server.run(on_ready=lambda: print(f"serving the floor at {server.url}", flush=True))


if __name__ == "__main__":
    main()
