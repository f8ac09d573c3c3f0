"""Isolated sessions on one fake: each ``X-Mock-Session`` name has its own store, made on first use.

Requests without the header use the default session, which always exists. Named sessions
are bounded: past ``MockConfig.max_sessions``, the least recently used one is evicted, and
the default session's journal says so. Like the store, this knows nothing of HTTP.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from message_api_kit import schemas
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.store import NotStored, Saved, StateLog, Store

#: The journal's method for an eviction (its path names the session).
EVICTED = "EVICT"
#: Where a request's store is kept in its WSGI environ, for the handlers.
STORE = "mockserver.store"


class BadSessionName(ValueError):
    """A session name ``schemas/session-name.json`` does not admit."""


@dataclass
class _Session:
    store: Store
    used: float


class Crashes:
    """Unexpected exceptions raised while serving, in any session: what the pytest plugin fails a test on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []

    def record(self, error: BaseException) -> None:
        """Remember ``error``."""
        with self._lock:
            self._errors.append(error)

    def take(self) -> list[BaseException]:
        """Return and forget the exceptions recorded since the last call."""
        with self._lock:
            errors, self._errors = self._errors, []
            return errors


class Sessions:
    """The default store and the named ones, thread-safe; the crashes of all of them, in one place."""

    def __init__(self, config: MockConfig, log: StateLog | None = None, saved: Saved | None = None) -> None:
        self._config = config
        # Injected delays hold server threads whichever session they are in: one budget for all.
        self._waiting = threading.BoundedSemaphore(config.max_waiting)
        # Only the default session is kept in a state file: named ones are for tests.
        self.default = Store(config, waiting=self._waiting, log=log, saved=saved)
        self._named: OrderedDict[str, _Session] = OrderedDict()
        self._lock = threading.Lock()
        self.crashes = Crashes()

    def get(self, name: str | None) -> Store:
        """The store of session ``name`` (None: the default), made from the start-up seed on first use."""
        if name is None:
            return self.default
        with self._lock:
            found = self._named.get(name)
            if found is not None:
                found.used = time.monotonic()
                self._named.move_to_end(name)
                return found.store
        if not schemas.is_valid("session-name", name):
            raise BadSessionName(f"a session name is 1 to 64 letters, digits, '.', '_', '~' or '-', not {name!r}")
        if self._config.max_sessions == 0:
            raise NotStored("this fake runs without named sessions (max_sessions is 0)")
        made = Store(self._config, waiting=self._waiting)  # outside the lock: a large seed takes a while
        with self._lock:
            found = self._named.get(name)
            if found is not None:  # another request made it meanwhile: one store per name
                return found.store
            self._named[name] = _Session(made, time.monotonic())
            while len(self._named) > self._config.max_sessions:
                evicted, _ = self._named.popitem(last=False)
                self.default.journal.record(
                    (
                        time.time(),
                        EVICTED,
                        f"/sessions/{evicted}",
                        "",
                        0,
                        0.0,
                        b"",
                        f"least recently used of more than {self._config.max_sessions} sessions".encode(),
                        "",
                    )
                )
            return made

    @property
    def max_sessions(self) -> int:
        """How many named sessions may be alive at once."""
        return self._config.max_sessions

    def named(self) -> list[tuple[str, Store, float]]:
        """Each named session: its name, store and seconds since its last use, most recent first."""
        now = time.monotonic()
        with self._lock:
            return [(name, s.store, now - s.used) for name, s in reversed(self._named.items())]

    def delete(self, name: str) -> None:
        """Forget session ``name`` and everything in it; ``NotStored`` if there is none."""
        with self._lock:
            if self._named.pop(name, None) is None:
                raise NotStored(f"no session named {name!r}")

    def reset_all(self) -> None:
        """Forget every named session and reset the default one."""
        with self._lock:
            self._named.clear()
        self.default.reset()
