"""``--record FILE``: the real API's creations, seen passing, written as a seed file the fake can load.

A front end can then run on the fake alone with data that looks like the real thing:
``mockserver serve --seed FILE``. The file is a seed in JSON Lines: each creation appends one
line, itself a seed document (the message, its author, its conversation), and the fake reads
the lines in turn as one seed (``seed.read_documents``). So a creation costs one append,
however long the recording, and whenever the fake stops the file loads: a line is written by
one ``write`` and synced to disk before the creation's answer goes on.

The file is the fake's own from the start: made anew as a private temporary file (created
exclusively, mode 0600, in the target's folder) and renamed over ``FILE``, then written
through the descriptor it was made with, so no link planted at any name is ever followed.
Recording never turns a creation the real API made into an error: a write that fails (a full
disk) is counted and logged, and the creation passes as the real API answered it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from message_api_kit import schemas
from message_api_kit.mockserver.memory import MAX_REMEMBERED

__all__ = ["Recorder"]

log = logging.getLogger("mockserver.record")

#: Ids and dates a seed file may hold (schemas/seed.json: integers a JavaScript client can hold).
MAX_SAFE: int = schemas.load("seed")["properties"]["messages"]["items"]["properties"]["id"]["maximum"]
#: The fields of an author a seed keeps (schemas/author.json).
AUTHOR_FIELDS = tuple(schemas.load("author")["properties"])


class Recorder:
    """Appends each creation seen to a seed file of its own."""

    def __init__(self, path: Path, remembered: int = MAX_REMEMBERED) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._recorded: OrderedDict[int, None] = OrderedDict()
        self._remembered = remembered
        #: Creations that could not be written (logged); the file holds the others.
        self.failed = 0
        self._fd = _private_file(path)

    def close(self) -> None:
        """Stop recording (the file stays)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def created(self, conversation: int, message: dict[str, Any], parent_id: int | None) -> None:
        """Record a message the real API answered a creation with (judged whole: ``checks.created``)."""
        made = message.get("id")
        if not _safe(made) or not 1 <= conversation <= MAX_SAFE:
            return  # a seed cannot hold it
        assert isinstance(made, int)
        entry: dict[str, Any] = {"id": made, "conversation": conversation, "message": message.get("message", "")}
        if _safe(message.get("date")):
            entry["date"] = message["date"]
        author = message.get("author")
        users = []
        if isinstance(author, dict) and _safe(author.get("id")) and isinstance(author.get("name"), str):
            entry["author_id"] = author["id"]
            users.append({key: author[key] for key in AUTHOR_FIELDS if key in author})
        with self._lock:
            if parent_id in self._recorded:  # a reply to a message not in the file would not load: kept as a root
                entry["parent_id"] = parent_id
            self._recorded[made] = None
            if len(self._recorded) > self._remembered:
                self._recorded.popitem(last=False)
            line = json.dumps({"users": users, "conversations": [conversation], "messages": [entry]})
            self._append((line + "\n").encode())

    def _append(self, data: bytes) -> None:
        try:
            if self._fd < 0:
                raise OSError("the recording was closed")
            os.write(self._fd, data)
            os.fdatasync(self._fd)
        except OSError as exc:
            self.failed += 1
            log.warning("--record: a creation could not be written to %s: %s", self.path, exc)


def _private_file(path: Path) -> int:
    """``path`` made anew, empty, readable by this user only, and open for appending; its descriptor."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # O_EXCL, mode 0600
    try:
        os.replace(temporary, path)  # replaces a link at ``path`` itself, never what it points to
    except OSError:
        os.close(fd)
        os.unlink(temporary)
        raise
    # Only this recorder writes it, one line at a time under its lock: each write lands at the end.
    return fd


def _safe(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SAFE
