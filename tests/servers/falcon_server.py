"""POST /conversations/{conversation}/messages on Falcon, as its documentation teaches (``req.get_media()``).

Served by the standard library's WSGI server, a thread a request. MODE=escaped is a bug of this kind
of code: the message HTML-escaped "against XSS" before it is stored. MODE=racing-ids takes an id as
the count of messages plus one, read before the message is stored (a database's count and insert, a
round trip apart): two creations at once get one id. MODE=per-worker-state serves it as gunicorn's
sync workers do: four processes forked after binding the port, each with its own messages.
"""

import html
import itertools
import os
import signal
import socketserver
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import falcon

AUTHOR = {"id": 1, "name": "John Doe"}


class Messages:
    def __init__(self) -> None:
        self.messages: dict[int, dict] = {}
        self.ids = itertools.count(1)

    def on_post(self, req: falcon.Request, resp: falcon.Response, conversation: int) -> None:
        body = req.get_media()
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise falcon.HTTPUnprocessableEntity(description="message must be a string")
        parent_id = body.get("parent_id")
        if parent_id is not None and (isinstance(parent_id, bool) or not isinstance(parent_id, int)):
            raise falcon.HTTPUnprocessableEntity(description="parent_id must be an integer")
        parent = None
        if parent_id is not None:
            parent = self.messages.get(parent_id)
            if parent is None:
                raise falcon.HTTPNotFound(description="no such parent")
            if parent["conversationId"] != conversation:
                raise falcon.HTTPConflict(description="the parent is in another conversation")
        text = html.escape(body["message"]) if os.environ.get("MODE") == "escaped" else body["message"]
        if os.environ.get("MODE") == "racing-ids":
            new_id = len(self.messages) + 1
            time.sleep(0.002)  # the insert, a round trip after the count
        else:
            new_id = next(self.ids)
        message = {
            "id": new_id,
            "type": "text",
            "conversationId": conversation,
            "is_reply": parent is not None,
            "parent": None if parent is None else {"id": parent["id"], "message": parent["message"]},
            "deleted": False,
            "message": text,
            "date": int(time.time()),
            "edited_at": None,
            "reactions": [],
            "author": AUTHOR,
            "files": [],
            "voice": None,
        }
        self.messages[message["id"]] = message
        resp.status = falcon.HTTP_201
        resp.media = message


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


app = falcon.App()
app.add_route("/conversations/{conversation:int}/messages", Messages())


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def prefork(server: WSGIServer, workers: int) -> None:
    """Serve from ``workers`` processes forked after binding, each with its own copy of the app's state."""
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            server.serve_forever()
            os._exit(0)
        children.append(pid)

    def stop(signum: int, frame: object) -> None:
        for child in children:
            os.kill(child, signal.SIGKILL)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "0"))
    with make_server("127.0.0.1", port, app, server_class=ThreadingWSGIServer, handler_class=Quiet) as server:
        print(f"PORT {server.server_port}", flush=True)
        if os.environ.get("MODE") == "per-worker-state":
            prefork(server, 4)
        else:
            server.serve_forever()
