"""``contracts diff --write-profile``: the real server's choices where the doc is silent, as ``schemas/profile.json``.

``mockserver serve --profile`` reads the file and answers the same way (``mockserver/profile.py``).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from message_api_kit.contracts.diff import DiffReport
from message_api_kit.contracts.registry import sent_parameters
from message_api_kit.contracts.transport import Exchange
from message_api_kit.schemas import Operation

#: The diff's refusal classes and their names in a profile (schemas/profile.json).
REJECTIONS = {
    "malformed JSON": "malformed-json",
    "invalid body": "invalid-body",
    "not JSON": "not-json",
    "bad conversation id": "bad-conversation-id",
    "unknown parent": "unknown-parent",
    "parent in another conversation": "parent-elsewhere",
}
#: What the fake writes into a template where the real server's text varied.
DETAIL = "{detail}"
#: The optional fields of a parent summary a profile can keep or leave out (schemas/profile.json).
PARENT_FIELDS = ("message", "truncated", "author")


def observe(report: DiffReport) -> dict[str, Any]:
    """The profile of the real server in ``report`` (valid against ``schemas/profile.json``)."""
    by_class: dict[str, list[Exchange]] = {}
    for pair in report.pairs:
        by_class.setdefault(pair.request_class, []).append(pair.real)
    created = [e for e in by_class.get("root", []) if 200 <= e.status < 300]
    replies = [e for e in by_class.get("reply", []) if 200 <= e.status < 300]
    if not created:
        raise ValueError("the real server created no message: there is nothing to learn from it")
    root = created[0].json()
    parent = replies[0].json().get("parent") if replies else None
    profile: dict[str, Any] = {
        "format": 1,
        "observed": f"{report.real_url} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, seed {report.seed}",
        "success_status": created[0].status,
        "type": root.get("type", "text") if isinstance(root.get("type"), str) else "text",
        "parent_form": "id" if isinstance(parent, int) else "object",
        "rejections": {},
        "answers": _answers(report),
        "lenient": sorted(
            name.removeprefix("lenient: ")
            for name, answers in by_class.items()
            if name.startswith("lenient: ") and any(200 <= e.status < 300 for e in answers)
        ),
    }
    if isinstance(root.get("author"), dict):
        profile["author_fields"] = sorted(root["author"])
    if isinstance(parent, dict):
        profile["parent_fields"] = sorted(key for key in parent if key in PARENT_FIELDS)
    for request_class, name in REJECTIONS.items():
        refused = [e for e in by_class.get(request_class, []) if 400 <= e.status < 500]
        if refused:
            profile["rejections"][name] = {
                "status": refused[0].status,
                "content_type": refused[0].headers.get("content-type", "application/octet-stream"),
                "body": _template([_body(e) for e in refused]),
            }
    return profile


def query_key(operation: Operation, parameters: dict[str, str]) -> str:
    """The declared query parameters of a request, as a profile's key spells them: sorted, URL-encoded."""
    declared = {p.name for p in (*operation.parameters, *operation.fake_parameters) if p.location == "query"}
    return urlencode(sorted((name, value) for name, value in parameters.items() if name in declared))


def _answers(report: DiffReport) -> list[dict[str, Any]]:
    """Each request the real server refused, by its operation and bytes, with its answer (the first seen, for a
    repeat). The key names the operation: one operation's refusal is never answered to another's request."""
    found: dict[tuple[str, str, str, str | None, str], dict[str, Any]] = {}
    for pair in report.pairs:
        seen = pair.real
        if not 400 <= seen.status < 500 or seen.operation is None:
            continue
        try:
            body = seen.request_body.decode("utf-8")
        except UnicodeDecodeError:
            continue
        split = urlsplit(seen.url)
        base_path = urlsplit(report.real_url).path.rstrip("/")
        target = unquote(split.path.removeprefix(base_path)) + (f"?{split.query}" if split.query else "")
        parameters = sent_parameters(seen.operation, seen.method, target)
        if parameters is None or "conversation" not in parameters:
            continue
        operation = seen.operation.id
        query = query_key(seen.operation, parameters)
        key = (operation, parameters["conversation"], query, seen.request_headers.get("Content-Type"), body)
        request: dict[str, Any] = {"operation": operation, "conversation": key[1]}
        if query:
            request["query"] = query
        found.setdefault(
            key,
            {
                "request": {**request, "content_type": key[3], "body": key[4]},
                "answer": {
                    "status": seen.status,
                    "content_type": seen.headers.get("content-type", "application/octet-stream"),
                    "body": _body(seen),
                },
            },
        )
    return list(found.values())


def _body(exchange: Exchange) -> Any:
    try:
        return exchange.json()
    except ValueError:
        return exchange.body.decode("utf-8", "replace")


def _template(bodies: list[Any]) -> Any:
    """One body with what varies between the observations (or every text, from one) marked ``{detail}``."""
    first = bodies[0]
    if isinstance(first, dict) and all(isinstance(b, dict) and b.keys() == first.keys() for b in bodies):
        return {key: _template([b[key] for b in bodies]) for key in first}
    if isinstance(first, str) and (len(bodies) == 1 or any(b != first for b in bodies)):
        return DETAIL
    return first
