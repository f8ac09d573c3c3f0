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
POLL = 0.005


class UploadBudget:
    """At most ``limit`` bodies read at once; past it, a wait while any read is young, else a refusal."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        # A plain lock and a dict: a Semaphore's acquire and release cost microseconds of Python on every
        # request, and these run on every request with a body.
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}
        self._tokens = itertools.count()

    def enter(self) -> int | None:
        """Take a turn to read a body (give it back with ``leave``); None when refused.

        Refused when every turn is held by a slow upload (a read older than ``SLOW_AFTER``), at
        once, so that a refused request gives its thread back; or after ``MAX_WAIT`` of waiting.
        """
        polls = round(MAX_WAIT / POLL)
        while True:
            with self._lock:
                if len(self._started) < self.limit:
                    token = next(self._tokens)
                    self._started[token] = self._clock()
                    return token
                slow = self._slow()
            if slow >= self.limit or polls <= 0:
                return None
            polls -= 1
            time.sleep(POLL)

    def leave(self, token: int) -> None:
        """Give back the turn ``enter`` gave."""
        with self._lock:
            del self._started[token]

    @contextmanager
    def reading(self) -> Iterator[bool]:
        """``enter`` and ``leave`` around a block; yields whether the turn was given."""
        token = self.enter()
        try:
            yield token is not None
        finally:
            if token is not None:
                self.leave(token)

    def slow(self) -> int:
        """How many reads in progress are slow uploads."""
        with self._lock:
            return self._slow()

    def _slow(self) -> int:
        now = self._clock()
        return sum(now - started > SLOW_AFTER for started in self._started.values())
