"""The request journal: the last N requests to the public API and their answers."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
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
    #: The request's headers as sent (but those of the connection: Host, Content-Length, ...), one
    #: ``Name: value`` a line: a string, which the cyclic GC does not track (a tuple of pairs it would).
    request_headers: str = ""
    #: Passed on to the upstream (``--upstream``), not answered by the fake.
    proxied: bool = False
    #: With ``--watch``: the contract's verdict on the exchange (``watch.Verdict``); empty otherwise.
    verdict: str = ""

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
            "request_headers": [line.split(": ", 1) for line in self.request_headers.split("\r\n") if line],
            "proxied": self.proxied,
            "verdict": self.verdict,
        }


#: A ``JournalEntry``'s fields as the journal keeps them: a plain tuple, made into a
#: ``JournalEntry`` only when read. The cyclic GC stops tracking a plain tuple of atoms,
#: never a NamedTuple (see store.py), and one is kept for every request.
JournalRow = tuple[float, str, str, str, int, float, bytes, bytes, str, bool, str]


class Journal:
    """A bounded, thread-safe record of requests, oldest first.

    It takes no lock of its own: a deque's ``append``, ``copy`` and ``clear`` are each
    atomic, and ``record`` runs on every request, where a lock measured about 1 us.
    """

    def __init__(self, size: int) -> None:
        self._entries: deque[JournalRow] = deque(maxlen=size)
        #: Add one request (a ``JournalRow``), forgetting the oldest past the cap: the
        #: deque's own ``append``, so that recording runs no Python code at all.
        self.record: Callable[[JournalRow], None] = self._entries.append

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The newest ``limit`` entries (all by default), oldest first."""
        items = list(self._entries.copy())
        if limit is not None:
            items = items[-limit:] if limit else []
        return [JournalEntry._make(item) for item in items]

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
