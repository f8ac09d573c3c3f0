"""The request journal: the last N requests to the public API and their answers."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

#: Bodies (and a path or query) are cut to this many bytes, so the journal's memory stays bounded.
BODY_LIMIT = 4096
#: A request's headers are cut to this many characters (a client chooses how many it sends).
HEADERS_LIMIT = 8192
#: What an entry's row costs beyond its texts and bodies (the tuple, its numbers, the objects' headers).
ROW_OVERHEAD = 600


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
    #: The bodies' whole lengths, in bytes (the journal keeps the first ``BODY_LIMIT`` of each); -1: not known.
    request_length: int = -1
    response_length: int = -1

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
            "request_body_length": self.request_length,
            "response_body_length": self.response_length,
        }


#: A ``JournalEntry``'s fields as the journal keeps them: a plain tuple, made into a
#: ``JournalEntry`` only when read. The cyclic GC stops tracking a plain tuple of atoms,
#: never a NamedTuple (see store.py), and one is kept for every request.
JournalRow = tuple[float, str, str, str, int, float, bytes, bytes, str, bool, str, int, int]


class Journal:
    """A bounded, thread-safe record of requests, oldest first: at most ``size`` entries and about ``max_bytes``.

    Entries are cut (``BODY_LIMIT``, ``HEADERS_LIMIT``), and the journal forgets its oldest entries
    past ``max_bytes`` of them as well as past ``size``: a journal's memory is bounded by what the
    memory budget gives it, not by what clients send (``Sessions`` shares the budget's quarter
    between the sessions that may live at once). It takes no lock: a deque's ``append``,
    ``popleft``, ``copy`` and ``clear`` are each atomic, and ``record`` runs on every request; the
    byte count may be off by an entry or two under contention, never unbounded.
    """

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        self._entries: deque[JournalRow] = deque(maxlen=size)
        self._max_bytes = max_bytes
        self._bytes = 0
        if max_bytes is None:
            #: Add one request (a ``JournalRow``), forgetting the oldest past the cap: with no byte bound, the
            #: deque's own ``append``, so that recording runs no Python code at all.
            self.record: Callable[[JournalRow], None] = self._entries.append
        else:
            self.record = self._record_within

    def _record_within(self, row: JournalRow) -> None:
        entries = self._entries
        if entries.maxlen is not None and len(entries) == entries.maxlen and entries:
            self._bytes -= _size(entries[0])
        entries.append(row)
        self._bytes += _size(row)
        assert self._max_bytes is not None
        while self._bytes > self._max_bytes and len(entries) > 1:
            self._bytes -= _size(entries.popleft())

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        """The newest ``limit`` entries (all by default), oldest first."""
        items = list(self._entries.copy())
        if limit is not None:
            items = items[-limit:] if limit else []
        return [JournalEntry._make(item) for item in items]

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self._bytes = 0


def _size(row: JournalRow) -> int:
    """About what an entry holds in memory: its texts and bodies, and the row around them."""
    return len(row[2]) + len(row[3]) + len(row[6]) + len(row[7]) + len(row[8]) + len(row[10]) + ROW_OVERHEAD
