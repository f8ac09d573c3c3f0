"""``--profile``: answer as a real server does where the doc is silent (``contracts diff --write-profile`` writes it).

A profile sets the status of a creation; the shape of a message wherever one is shown (its
``type``, the form of ``parent`` in a reply, the optional fields a parent summary and an
author carry: ``render.Shape``); the answer to each refused request the diff sent, matched
by its bytes; and, for other refused requests, the answer to each class of refusal
(``schemas/profile.json``; DERIVATION.md says which rules it may change). The fake's rules
themselves do not change: what it accepts and refuses stays the same, except that a request
the real server was seen refusing is refused the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from message_api_kit import schemas
from message_api_kit.mockserver.shape import Shape

#: The refusal classes a profile answers (schemas/profile.json): what is wrong with a request, whatever
#: answer the fake itself would give (``api.refusal_class`` reads a request's class).
CLASSES = (
    "malformed-json",
    "invalid-body",
    "not-json",
    "bad-conversation-id",
    "unknown-parent",
    "parent-elsewhere",
)
DETAIL = "{detail}"

#: An answer: status, media type, body bytes.
Answer = tuple[int, str, bytes]


@dataclass(frozen=True)
class Profile:
    """A validated profile."""

    success_status: int
    shape: Shape
    rejections: dict[str, dict[str, Any]]
    #: Refused requests as seen: (operation id, conversation segment, declared query, Content-Type sent, body) to
    #: the rule answering it. The operation is part of the key: one operation's refusal is never another's answer.
    answers: dict[tuple[str, str, str, str | None, str], dict[str, Any]]

    @classmethod
    def from_json(cls, doc: Any) -> Profile:
        """A profile from a ``profile.json`` document already validated (``load_profile`` reads and validates)."""
        parent_fields, author_fields = doc.get("parent_fields"), doc.get("author_fields")
        shape = Shape(
            type=doc["type"],
            parent_form=doc["parent_form"],
            parent_fields=None if parent_fields is None else frozenset(parent_fields),
            author_fields=None if author_fields is None else frozenset(author_fields),
        )
        answers = {_key(seen["request"]): seen["answer"] for seen in doc.get("answers", [])}
        return cls(doc["success_status"], shape, doc["rejections"], answers)

    def answer_to(
        self, operation: str, conversation: str, query: str, content_type: str | None, body: bytes
    ) -> Answer | None:
        """The real server's answer to this very request of ``operation`` (``query``: its declared query parameters,
        as ``contracts.profile.query_key`` spells them), when it was seen refusing it; else None."""
        try:
            rule = self.answers.get((operation, conversation, query, content_type, body.decode("utf-8")))
        except UnicodeDecodeError:
            return None
        return None if rule is None else _answer(rule, "")

    def refused(self, refusal_class: str | None, detail: str) -> Answer | None:
        """A refused creation of ``refusal_class`` as the real server answers that class (``detail``: the fake's
        words, for what varied in its answers); None if the profile is silent on it."""
        rule = None if refusal_class is None else self.rejections.get(refusal_class)
        return None if rule is None else _answer(rule, detail)


def _key(request: dict[str, Any]) -> tuple[str, str, str, str | None, str]:
    """A recorded request's key; a profile written before operations were recorded holds creations only."""
    operation = request.get("operation", schemas.CREATE_MESSAGE.id)
    return operation, request["conversation"], request.get("query", ""), request["content_type"], request["body"]


def _answer(rule: dict[str, Any], detail: str) -> Answer:
    body = _fill(rule["body"], detail)
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return rule["status"], rule["content_type"], content


def _fill(template: Any, detail: str) -> Any:
    if isinstance(template, str):
        return template.replace(DETAIL, detail)
    if isinstance(template, dict):
        return {key: _fill(value, detail) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, detail) for value in template]
    return template
