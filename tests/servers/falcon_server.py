"""POST /conversations/{conversation}/messages on Falcon, as its documentation teaches (``req.get_media()``).

Served by the standard library's WSGI server. MODE=escaped is a bug of this kind of code: the
message HTML-escaped "against XSS" before it is stored.
"""

import html
import itertools
import os
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

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
        message = {
            "id": next(self.ids),
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

if __name__ == "__main__":
    with make_server("127.0.0.1", int(os.environ.get("PORT", "0")), app, handler_class=Quiet) as server:
        print(f"PORT {server.server_port}", flush=True)
        server.serve_forever()
