"""The request journal: the last N requests to the public API and their answers."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, NamedTuple

#: Bodies are cut to this many bytes, so the journal's memory stays bounded.
BODY_LIMIT = 4096


class JournalEntry(NamedTuple):
    """One request and its answer, as ``Journal.entries()`` returns it."""

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
        # Plain tuples, made into JournalEntry only when read: the cyclic GC stops tracking
        # a plain tuple of atoms, never a NamedTuple (see store.py), and this runs on every request.
        self._entries: deque[tuple[float, str, str, str, int, float, bytes, bytes]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(
        self,
        time: float,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        request_body: bytes,
        response_body: bytes,
    ) -> None:
        """Add one request (the fields of ``JournalEntry``), forgetting the oldest past the cap."""
        entry = (time, method, path, query, status, duration_ms, request_body, response_body)
        with self._lock:
            self._entries.append(entry)

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The newest ``limit`` entries (all by default), oldest first."""
        with self._lock:
            items = list(self._entries)
        if limit is not None:
            items = items[-limit:] if limit else []
        return [JournalEntry._make(item) for item in items]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
