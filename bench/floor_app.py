"""The floor of any Flask stack: parse the JSON body, answer a fixed document.

``python -m bench.floor_app THREADS`` serves it on a free loopback port through
``production_server``, exactly as ``mockserver serve`` serves the fake, and prints its URL.
"""

import json
import sys

from flask import Flask, Response, request

from mockserver.server import LOOPBACK, production_server

app = Flask("floor")
DOCUMENT = json.dumps({"id": 1, "type": "text", "conversationId": 1, "message": "hello", "deleted": False})


@app.post("/conversations/<conversation>/messages")
def create(conversation: str) -> Response:
    """Parse the body as the fake does, and answer a fixed message."""
    request.get_json()
    return Response(DOCUMENT, status=201, mimetype="application/json")


def main() -> None:
    """Serve the floor until interrupted."""
    server = production_server(app, LOOPBACK, 0, int(sys.argv[1]))
    print(f"serving the floor at http://{LOOPBACK}:{server.effective_port}", flush=True)
    server.run()  # returns on KeyboardInterrupt, which waitress catches itself


if __name__ == "__main__":
    main()
