"""Threads that wait on someone else, apart from the threads that work on requests.

Granian's WSGI reads a body on the thread serving the request, with no deadline: a client
that sends its body a byte a second holds that thread until it is done. So the server has
two kinds of thread (``mockserver serve`` asks granian for ``--threads`` plus
``--max-uploads``): a request reads its body first, on any thread, and only then takes one
of ``--threads`` turns to be worked on (``WorkGate``). A slow upload parks a thread that
waits in granian, holding neither the GIL nor a turn, so creations, the admin API and the
dashboard are served beside any number of them up to ``--max-uploads``; past it, a request
with a body is refused at once (``UploadBudget``), never queued.

A request passed on to the upstream (``--upstream``) waits the same way, on the upstream: it
holds a thread of ``--max-upstream`` more, never a working turn, and past that many at once
it is refused at once too, so that a hung upstream cannot take the threads of the fake's own
routes.

The gate also keeps as many requests working at once as ``--threads``, however many
threads granian has started: more than that contending for the GIL costs throughput.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext

__all__ = ["Turns", "work_gate"]


class Turns:
    """At most ``limit`` requests waiting at once (on their bodies, or on the upstream); past it, a refusal at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # A plain lock and a count: this runs on every request with a body.
        self._lock = threading.Lock()
        self._held = 0

    def enter(self) -> bool:
        """Take a turn (give it back with ``leave``); False when every turn is held."""
        with self._lock:
            if self._held >= self.limit:
                return False
            self._held += 1
            return True

    def leave(self) -> None:
        """Give back the turn ``enter`` gave."""
        with self._lock:
            self._held -= 1

    @property
    def held(self) -> int:
        """How many turns are held now."""
        return self._held


def work_gate(limit: int | None) -> AbstractContextManager[object]:
    """At most ``limit`` requests worked on at once, the others waiting their turn; None: no bound."""
    return nullcontext() if limit is None else threading.BoundedSemaphore(limit)
