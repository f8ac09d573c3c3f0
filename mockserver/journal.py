"""The request journal: the last N requests to the public API and their answers."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, NamedTuple

#: Bodies are cut to this many bytes, so the journal's memory stays bounded.
BODY_LIMIT = 4096


class JournalEntry(NamedTuple):
    """One request and its answer (a tuple: recorded on every request, so it must be cheap to build)."""

    time: float
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    request_body: bytes
    response_body: bytes

    def to_json(self) -> dict[str, Any]:
        """This entry as in ``journal.json``; bodies decoded leniently, since they may be any bytes."""
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "request_body": self.request_body.decode("utf-8", "replace"),
            "response_body": self.response_body.decode("utf-8", "replace"),
        }


class Journal:
    """A bounded, thread-safe record of requests, oldest first."""

    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        """Add ``entry``, forgetting the oldest past the cap."""
        with self._lock:
            self._entries.append(entry)

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The newest ``limit`` entries (all by default), oldest first."""
        with self._lock:
            items = list(self._entries)
        return items if limit is None else items[-limit:] if limit else []

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
