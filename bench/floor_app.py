"""The floor of any Flask stack: parse the JSON body, answer a fixed document (``floor_app:app``)."""

import json

from flask import Flask, Response, request

app = Flask("floor")
DOCUMENT = json.dumps({"id": 1, "type": "text", "conversationId": 1, "message": "hello", "deleted": False})


@app.post("/conversations/<conversation>/messages")
def create(conversation: str) -> Response:
    """Parse the body as the fake does, and answer a fixed message."""
    request.get_json()
    return Response(DOCUMENT, status=201, mimetype="application/json")
