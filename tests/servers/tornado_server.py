"""POST /conversations/{conversation}/messages on Tornado, as its documentation teaches (a ``RequestHandler``).

MODE=float-dates is a bug of this kind of code: ``time.time()`` stored as the date, a float.
"""

import asyncio
import itertools
import json
import os
import time

import tornado.web
from tornado.httpserver import HTTPServer

MESSAGES: dict[int, dict] = {}
IDS = itertools.count(1)


class Messages(tornado.web.RequestHandler):
    def post(self, conversation: str) -> None:
        try:
            number = int(conversation)
        except ValueError:
            raise tornado.web.HTTPError(404) from None
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise tornado.web.HTTPError(400, reason="Body is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise tornado.web.HTTPError(400, reason="message must be a string")
        parent_id = body.get("parent_id")
        parent = None
        if parent_id is not None:
            if isinstance(parent_id, bool) or not isinstance(parent_id, int):
                raise tornado.web.HTTPError(400, reason="parent_id must be an integer")
            parent = MESSAGES.get(parent_id)
            if parent is None or parent["conversationId"] != number:
                raise tornado.web.HTTPError(404, reason="No such parent")
        now = time.time()
        message = {
            "id": next(IDS),
            "type": "text",
            "conversationId": number,
            "is_reply": parent is not None,
            "parent": None if parent is None else parent["id"],
            "deleted": False,
            "message": body["message"],
            "date": now if os.environ.get("MODE") == "float-dates" else int(now),
            "edited_at": None,
            "reactions": [],
            "author": {"id": 1, "name": "John Doe"},
            "files": [],
            "voice": None,
        }
        MESSAGES[message["id"]] = message
        self.set_status(201)
        self.write(message)


async def main() -> None:
    app = tornado.web.Application([(r"/conversations/([^/]+)/messages", Messages)])
    server = HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(int(os.environ.get("PORT", "0")), "127.0.0.1")
    server.add_sockets(sockets)
    print(f"PORT {sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
