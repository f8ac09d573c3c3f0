"""How many request bodies may be read at once, each holding a server thread while it arrives.

Granian's WSGI reads a body on the thread serving the request, with no deadline; a client
that sends its body a byte a second holds that thread until it is done. The budget keeps
some threads for requests without a body, and tells a slow upload from a fast body that
merely waits for the GIL: under load a read of a body that arrived whole can take tens of
milliseconds to give its thread back, a slow upload takes seconds.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["UploadBudget"]

#: A read in progress for longer than this is a slow upload, not a body that arrived whole.
SLOW_AFTER = 0.5
#: The longest a request waits for a turn while the reads in progress may still be fast ones.
MAX_WAIT = 1.0
#: How often a waiting request looks again at the reads in progress.
POLL = 0.05


class UploadBudget:
    """At most ``limit`` bodies read at once; past it, a wait while any read is young, else a refusal."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}
        self._tokens = itertools.count()

    @contextmanager
    def reading(self) -> Iterator[bool]:
        """Hold a turn to read a body while the block runs; yields False (and holds nothing) when refused.

        Refused when every turn is held by a slow upload (a read older than ``SLOW_AFTER``), at
        once, so that a refused request gives its thread back; or after ``MAX_WAIT`` of waiting.
        """
        token = self._enter()
        try:
            yield token is not None
        finally:
            if token is not None:
                with self._lock:
                    del self._started[token]
                self._slots.release()

    def _enter(self) -> int | None:
        if not self._slots.acquire(blocking=False):
            if self.slow() >= self.limit:
                return None  # every turn is a slow upload's: refused without a moment's wait
            polls = round(MAX_WAIT / POLL)
            while not self._slots.acquire(timeout=POLL):
                polls -= 1
                if polls <= 0 or self.slow() >= self.limit:
                    return None
        token = next(self._tokens)
        with self._lock:
            self._started[token] = self._clock()
        return token

    def slow(self) -> int:
        """How many reads in progress are slow uploads."""
        now = self._clock()
        with self._lock:
            return sum(now - started > SLOW_AFTER for started in self._started.values())
