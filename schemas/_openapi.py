"""The OpenAPI 3.1 document, assembled from the schema files (never a second hand-written copy)."""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas._registry import Schema, names, raw, rewrite_refs

#: Where the fake serves its admin API; the fake and this document both take it from here.
ADMIN_PREFIX = "/__mock__"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _ref(name)}}}


def _problems(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "Malformed JSON, or a bad header or query value.",
        404: "No such conversation, parent message, route or record.",
        405: "Method not allowed; see the Allow header.",
        413: "Body larger than the configured limit.",
        415: "Body is not application/json.",
        409: "Conflicts with stored state (a seeded id already used).",
        422: "Body breaks the schema, or the parent is in another conversation.",
    }
    return {str(code): _json("problem", reasons[code], PROBLEM) for code in codes}


def _path_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _query_int(name: str, description: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _admin_paths() -> dict[str, Any]:
    conversation = _path_param("conversation", "Conversation ID", _ref("conversation-id"))
    page = [
        _query_int("offset", "How many messages to skip.", 0, 2**31),
        _query_int("limit", "Page size.", 1, 1000),
    ]
    tag = ["admin"]
    return {
        f"{ADMIN_PREFIX}/reset": {
            "post": {
                "tags": tag,
                "operationId": "reset",
                "summary": "Forget everything but the start-up seed; undo faults and the clock.",
                "responses": {"204": {"description": "Reset."}},
            }
        },
        f"{ADMIN_PREFIX}/seed": {
            "post": {
                "tags": tag,
                "operationId": "seed",
                "summary": "Add users, conversations and messages.",
                "requestBody": _body("seed"),
                "responses": {"200": _json("seed-result", "What was added."), **_problems(400, 404, 409, 415, 422)},
            }
        },
        f"{ADMIN_PREFIX}/conversations/{{conversation}}/messages": {
            "get": {
                "tags": tag,
                "operationId": "listMessages",
                "summary": "One page of a conversation's stored messages, oldest first.",
                "parameters": [conversation, *page],
                "responses": {"200": _json("message-page", "A page of messages."), **_problems(400, 404)},
            }
        },
        f"{ADMIN_PREFIX}/messages/{{id}}": {
            "get": {
                "tags": tag,
                "operationId": "getMessage",
                "summary": "One stored message.",
                "parameters": [_path_param("id", "Message ID", {"type": "integer"})],
                "responses": {"200": _json("message", "The message."), **_problems(404)},
            }
        },
        f"{ADMIN_PREFIX}/journal": {
            "get": {
                "tags": tag,
                "operationId": "journal",
                "summary": "The last requests to the public API and their answers.",
                "parameters": [_query_int("limit", "At most this many entries, newest kept.", 1, 100000)],
                "responses": {"200": _json("journal", "The journal."), **_problems(400)},
            }
        },
        f"{ADMIN_PREFIX}/faults": {
            "get": {
                "tags": tag,
                "operationId": "getFaults",
                "summary": "The faults in force.",
                "responses": {"200": _json("faults", "The faults in force.")},
            },
            "put": {
                "tags": tag,
                "operationId": "setFaults",
                "summary": "Replace the injected latency and failures.",
                "requestBody": _body("faults"),
                "responses": {"200": _json("faults", "The faults now in force."), **_problems(400, 415, 422)},
            },
            "delete": {
                "tags": tag,
                "operationId": "clearFaults",
                "summary": "Remove every injected fault.",
                "responses": {"204": {"description": "Cleared."}},
            },
        },
        f"{ADMIN_PREFIX}/clock": {
            "get": {
                "tags": tag,
                "operationId": "getClock",
                "summary": "The fake's clock.",
                "responses": {"200": _json("clock-state", "The clock.")},
            },
            "post": {
                "tags": tag,
                "operationId": "setClock",
                "summary": "Freeze, advance, or release the clock.",
                "requestBody": _body("clock"),
                "responses": {"200": _json("clock-state", "The clock now."), **_problems(400, 415, 422)},
            },
        },
    }


@cache
def _document() -> dict[str, Any]:
    def component(ref: str) -> str:
        return f"#/components/schemas/{ref}"

    components: dict[str, Schema] = {}
    for name in names():
        schema = rewrite_refs(raw(name), component)
        schema.pop("$schema", None)
        components[name] = schema
    create = {
        "tags": ["messages"],
        "operationId": "createMessage",
        "summary": "Create a new message in a conversation",
        "parameters": [_path_param("conversation", "Conversation ID", _ref("conversation-id"))],
        "requestBody": _body("create-message-request"),
        "responses": {
            "201": _json("message", "The created message (the fake answers 201)."),
            "200": _json("message", "The created message (the contract admits 200 too)."),
            **_problems(400, 404, 413, 415, 422),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Conversations API: create message (contract and fake)",
            "version": "1.0.0",
            "description": "Derived from the vendor's doc of POST /conversations/{conversation}/messages; "
            "see schemas/DERIVATION.md. Operations tagged `admin` belong to the fake only.",
        },
        "tags": [
            {"name": "messages", "description": "The documented endpoint."},
            {"name": "meta", "description": "This document."},
            {
                "name": "admin",
                "description": f"The fake's control API under {ADMIN_PREFIX}/; not part of the vendor's API.",
            },
        ],
        "paths": {
            "/conversations/{conversation}/messages": {"post": create},
            "/openapi.json": {
                "get": {
                    "tags": ["meta"],
                    "operationId": "openapi",
                    "summary": "This OpenAPI document.",
                    "responses": {"200": {"description": "The document.", "content": {"application/json": {}}}},
                }
            },
            **_admin_paths(),
        },
        "components": {"schemas": components},
    }


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document for the endpoint and the fake's admin API (built once, copied)."""
    import copy

    return copy.deepcopy(_document())
