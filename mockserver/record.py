"""``--record FILE``: the real API's creations, seen passing, written as a seed file the fake can load.

A front end can then run on the fake alone with data that looks like the real thing:
``mockserver serve --seed FILE``. The file is rewritten whole (to a temporary file, then
renamed) after each creation, so that it is always a valid seed, whenever the fake stops.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from message_api_kit import schemas

__all__ = ["Recorder"]

#: Ids and dates a seed file may hold (schemas/seed.json: integers a JavaScript client can hold).
MAX_SAFE = 2**53 - 1
#: The fields of an author a seed keeps (schemas/author.json).
AUTHOR_FIELDS = tuple(schemas.load("author")["properties"])


class Recorder:
    """The messages and authors seen created, by id, and the seed file they are written to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._messages: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}

    def created(self, conversation: int, message: dict[str, Any], parent_id: int | None) -> None:
        """Record a message the real API answered a creation with (judged whole: ``checks.created``)."""
        made = message.get("id")
        if not isinstance(made, int) or not _safe(made) or not 1 <= conversation <= MAX_SAFE:
            return  # a seed cannot hold it
        entry: dict[str, Any] = {"id": made, "conversation": conversation, "message": message.get("message", "")}
        if _safe(parent_id):
            entry["parent_id"] = parent_id
        if _safe(message.get("date")) and message["date"] >= 0:
            entry["date"] = message["date"]
        author = message.get("author")
        if isinstance(author, dict) and _safe(author.get("id")) and isinstance(author.get("name"), str):
            entry["author_id"] = author["id"]
            user = {key: author[key] for key in AUTHOR_FIELDS if key in author}
        else:
            user = None
        with self._lock:
            self._messages[made] = entry
            if user is not None:
                self._users[user["id"]] = user
            doc = self._seed()
        self._write(doc)

    def _seed(self) -> dict[str, Any]:
        messages = [self._messages[i] for i in sorted(self._messages)]
        known = set(self._messages)
        for message in messages:  # a reply to a message not seen would not load: keep it as a root
            if message.get("parent_id") not in known:
                message.pop("parent_id", None)
        return {
            "users": list(self._users.values()),
            "conversations": sorted({m["conversation"] for m in messages}),
            "messages": messages,
        }

    def _write(self, doc: dict[str, Any]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)


def _safe(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SAFE
