"""POST /conversations/{conversation}/messages on aiohttp, as its documentation teaches (``request.json()``).

MODE=truthy-parent is a bug of this kind of code: ``if body.get("parent_id"):`` takes 0 for "no parent".
MODE=unknown-charset-500 leaves ``request.json()`` as its documentation shows it, which raises LookupError (a 500)
for a Content-Type whose charset Python does not know (``text/plain; charset=Z``): the correct one catches it
with the body that is not JSON. UNKNOWN_KEYS=refuse makes it refuse keys the doc does not name with a 400, as
many schema validators do by default (a choice the doc leaves to the server, not a bug: ``contracts replay``
finds the apps that send them).
"""

import asyncio
import itertools
import os
import time

from aiohttp import web

MESSAGES: dict[int, dict] = {}
IDS = itertools.count(1)
AUTHOR = {"id": 1, "name": "John Doe"}


def problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)


async def create_message(request: web.Request) -> web.Response:  # noqa: PLR0911  # one return a refusal
    try:
        conversation = int(request.match_info["conversation"])
    except ValueError:
        return problem(404, "no such conversation")
    refused: tuple[type[Exception], ...] = (ValueError,)  # not JSON, or not UTF-8
    if os.environ.get("MODE") != "unknown-charset-500":
        refused += (LookupError,)  # a charset Python does not know
    try:
        body = await request.json()
    except refused:
        return problem(400, "the body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return problem(422, "message must be a string")
    unknown = sorted(set(body) - {"message", "parent_id"})
    if unknown and os.environ.get("UNKNOWN_KEYS") == "refuse":
        return problem(400, f"unknown keys: {', '.join(unknown)}")
    parent_id = body.get("parent_id")
    if parent_id is not None and (isinstance(parent_id, bool) or not isinstance(parent_id, int)):
        return problem(422, "parent_id must be an integer")
    parent = None
    if parent_id if os.environ.get("MODE") == "truthy-parent" else parent_id is not None:
        parent = MESSAGES.get(parent_id)
        if parent is None or parent["conversationId"] != conversation:
            return problem(404, "no such parent in this conversation")
    message = {
        "id": next(IDS),
        "type": "text",
        "conversationId": conversation,
        "is_reply": parent is not None,
        "parent": None if parent is None else {"id": parent["id"]},
        "deleted": False,
        "message": body["message"],
        "date": int(time.time()),
        "edited_at": None,
        "reactions": [],
        "author": AUTHOR,
        "files": [],
        "voice": None,
    }
    MESSAGES[message["id"]] = message
    return web.json_response(message, status=201)


async def main() -> None:
    app = web.Application()
    app.router.add_post("/conversations/{conversation}/messages", create_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", int(os.environ.get("PORT", "0")))
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
