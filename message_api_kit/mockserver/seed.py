"""Seed data: users, conversations and messages, parsed from JSON documents checked by ``seed.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

#: The acting user when no user is seeded: the author of the doc's example.
DEFAULT_USER: Mapping[str, Any] = {
    "id": 1,
    "first_name": "John",
    "last_name": "Doe",
    "name": "John Doe",
    "title": "Manager",
    "active": True,
    "avatar": {},
    "archived_at": None,
    "participant_type": "user",
    "subtext": "Manager - HQ (Sales)",
    "department": {"id": 10, "name": "Sales"},
    "unit": {"id": 5, "name": "HQ"},
}


@dataclass(frozen=True)
class SeedMessage:
    """A message to create while seeding."""

    conversation: int
    message: str
    parent_id: int | None = None
    author_id: int | None = None
    date: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Seed:
    """Users, conversations and messages to load into a store, in that order."""

    users: tuple[Mapping[str, Any], ...] = ()
    conversations: tuple[int, ...] = ()
    messages: tuple[SeedMessage, ...] = ()
    #: Users replace stored users of the same id (which rewrites the author of their messages);
    #: without it, such a user is a conflict.
    replace: bool = False

    @classmethod
    def from_json(cls, doc: Any) -> Seed:
        """Build a seed from a JSON document valid against ``seed.json``.

        Callers check it first, the one way the fake checks input: ``mockserver.validation``
        (the admin API through ``read_json``, the CLI and ``MockServer.seed`` through ``validate``).
        Integral numbers (``2.0``, JSON Schema's integers) are stored as the ints they are.
        """
        doc = _integral(doc)
        return cls(
            replace=doc.get("replace", False),
            users=tuple(doc.get("users", ())),
            conversations=tuple(doc.get("conversations", ())),
            messages=tuple(
                SeedMessage(
                    conversation=m["conversation"],
                    message=m["message"],
                    parent_id=_int_or_none(m.get("parent_id")),
                    author_id=_int_or_none(m.get("author_id")),
                    date=_int_or_none(m.get("date")),
                    id=_int_or_none(m.get("id")),
                )
                for m in doc.get("messages", ())
            ),
        )

    @classmethod
    def merged(cls, seeds: list[Seed]) -> Seed:
        """One seed of several read in turn (a ``--record`` file's lines): a user or message of the same id, the
        latest; conversations, all of them; messages in the order of their ids, those without one last."""
        users: dict[Any, Mapping[str, Any]] = {}
        messages: dict[int, SeedMessage] = {}
        unnumbered: list[SeedMessage] = []
        conversations: set[int] = set()
        for seed in seeds:
            users.update((user["id"], user) for user in seed.users)
            conversations.update(seed.conversations)
            for message in seed.messages:
                if message.id is None:
                    unnumbered.append(message)
                else:
                    messages[message.id] = message
        return cls(
            users=tuple(users.values()),
            conversations=tuple(sorted(conversations)),
            messages=(*(messages[key] for key in sorted(messages)), *unnumbered),
            replace=any(seed.replace for seed in seeds),
        )

    @classmethod
    def demo(cls) -> Seed:
        """The demo data ``mockserver serve`` starts with (``demo-seed.json``)."""
        text = (files(__package__) / "demo-seed.json").read_text(encoding="utf-8")
        return cls.from_json(json.loads(text))


def read_documents(text: str) -> list[Any]:
    """The JSON documents of a seed file: one document, or one a line (JSON Lines, as ``--record`` writes).

    A last line cut short (the fake stopped in the middle of writing it) is left out; any other
    line that is not JSON raises ``ValueError`` naming it.
    """
    if not text.strip():
        return []
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as whole:
        if "Extra data" not in whole.msg:
            raise
    lines = text.split("\n")
    docs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines):  # no newline after it: a write cut short
                break
            raise ValueError(f"line {number} is not JSON: {exc}") from None
    return docs


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _integral(node: Any) -> Any:
    """``node`` with every integral float (JSON Schema admits ``2.0`` as an integer) made an int."""
    if isinstance(node, float) and node.is_integer():
        return int(node)
    if isinstance(node, dict):
        return {key: _integral(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_integral(value) for value in node]
    return node


@dataclass(frozen=True)
class SeedResult:
    """What a seed added."""

    users: int = 0
    conversations: int = 0
    messages: tuple[int, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The ``seed-result.json`` document."""
        return {"users": self.users, "conversations": self.conversations, "messages": list(self.messages)}
