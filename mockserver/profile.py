"""``--profile``: answer as a real server does where the doc is silent (``contracts diff --write-profile`` writes it).

A profile sets the status of a creation, the ``type`` of a message, the form of ``parent``
in a reply, and the status, media type and body of each class of refused creation
(``schemas/profile.json``; DERIVATION.md says which rules it may change). The fake's
rules themselves do not change: what it accepts and refuses stays the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: The fake's problem types (errors.py slugs) and the refusal class each answers.
CLASSES = {
    "malformed-json": "malformed-json",
    "schema-violation": "invalid-body",
    "unsupported-media-type": "not-json",
    "bad-parameter": "bad-conversation-id",
    "not-found": "unknown-parent",
    "conflict": "parent-elsewhere",
}
DETAIL = "{detail}"


@dataclass(frozen=True)
class Profile:
    """A validated profile."""

    success_status: int
    type: str
    parent_form: str
    rejections: dict[str, dict[str, Any]]

    @classmethod
    def from_json(cls, doc: Any) -> Profile:
        """A profile from a ``profile.json`` document already validated (``load_profile`` reads and validates)."""
        return cls(doc["success_status"], doc["type"], doc["parent_form"], doc["rejections"])

    def created(self, text: str) -> tuple[str, int]:
        """A creation's answer (the fake's JSON text) as the profile says: its body and status."""
        doc = json.loads(text)
        doc["type"] = self.type
        if self.parent_form == "id" and isinstance(doc.get("parent"), dict):
            doc["parent"] = doc["parent"]["id"]
        return json.dumps(doc), self.success_status

    def refused(self, problem: dict[str, Any]) -> tuple[int, str, bytes] | None:
        """A refused creation (the fake's problem document) as the profile says; None if it says nothing."""
        slug = str(problem.get("type", "")).rsplit(":", 1)[-1]
        rule = self.rejections.get(CLASSES.get(slug, ""))
        if rule is None:
            return None
        body = _fill(rule["body"], str(problem.get("detail", "")))
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
