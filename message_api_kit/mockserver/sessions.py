"""Isolated sessions on one fake: each ``X-Mock-Session`` name has its own store, made on first use.

Requests without the header use the default session, which always exists. Named sessions
are bounded: past ``MockConfig.max_sessions``, the least recently used one is evicted. An
evicted session is not made again behind its client's back: its name answers ``SessionEvicted``
until it is deleted, and the evictions have a log of their own. Ids never repeat within a
fake's life: a session made after others were evicted or deleted starts above every id they
gave. Like the store, this knows nothing of HTTP.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from message_api_kit import schemas
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.memory import CHECK_EVERY, MemoryBudget, remembered_ids
from message_api_kit.mockserver.store import NotStored, OverBudget, Saved, StateLog, Store, StoreError

if TYPE_CHECKING:
    from message_api_kit.contracts.registry import Registry
    from message_api_kit.mockserver.watch import Watch

#: Evictions remembered, for their log and to tell a client its session is gone.
EVICTIONS_KEPT = 1000


class BadSessionName(ValueError):
    """A session name ``schemas/session-name.json`` does not admit."""


class SessionEvicted(StoreError):
    """The session named was evicted: its client is told, rather than given a fresh one."""


class SessionNotMade(StoreError):
    """A new session was asked for by a client that may only use sessions that exist."""


@dataclass(frozen=True)
class Eviction:
    """A session evicted: its name, the wall-clock time, and why."""

    name: str
    at: float
    reason: str


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

    def __init__(
        self,
        config: MockConfig,
        log: StateLog | None = None,
        saved: Saved | None = None,
        contracts: Registry | None = None,
    ) -> None:
        self._config = config
        # Injected delays hold server threads whichever session they are in: one budget for all.
        self._waiting = threading.BoundedSemaphore(config.max_waiting)
        # One memory budget for all sessions and their snapshots.
        self.memory = MemoryBudget(config.max_memory)
        # Only the default session is kept in a state file: named ones are for tests.
        self.default = Store(config, waiting=self._waiting, log=log, saved=saved, memory=self.memory)
        self._named: OrderedDict[str, _Session] = OrderedDict()
        self._evicted: OrderedDict[str, Eviction] = OrderedDict()
        #: Above every id a session that is gone ever gave: where a new session's ids start.
        self._ids_from = 1
        self._lock = threading.Lock()
        self.crashes = Crashes()
        #: With ``--watch``, the verdicts on the real API's answers (``watch.py``, which imports the contract rules).
        self.watch: Watch | None = None
        if config.watch:
            from message_api_kit.mockserver.record import Recorder
            from message_api_kit.mockserver.watch import Watch

            remembered = remembered_ids(config)  # bounded by the budget: they grow with the real API's traffic
            recorder = None if config.record is None else Recorder(config.record, remembered)
            self.watch = Watch(recorder, remembered, contracts)

    def get(self, name: str | None, *, may_create: bool = True) -> Store:
        """The store of session ``name`` (None: the default), made from the start-up seed on first use.

        ``may_create=False``: only a session that exists (``SessionNotMade`` otherwise). A name
        evicted and not deleted since raises ``SessionEvicted``.
        """
        if name is None:
            return self.default
        with self._lock:
            found = self._named.get(name)
            if found is not None:
                found.used = time.monotonic()
                self._named.move_to_end(name)
                return found.store
            evicted = self._evicted.get(name)
        if evicted is not None:
            raise SessionEvicted(
                f"session {name!r} was evicted ({evicted.reason}); its state is gone. Delete it"
                f" (DELETE /__mock__/sessions/{name}) to use the name again"
            )
        if not schemas.is_valid("session-name", name):
            raise BadSessionName(f"a session name is 1 to 64 letters, digits, '.', '_', '~' or '-', not {name!r}")
        if self._config.max_sessions == 0:
            raise NotStored("this fake runs without named sessions (max_sessions is 0)")
        if not may_create:
            raise SessionNotMade(f"no session named {name!r}")
        if (used := self.memory.room_for(CHECK_EVERY)) is not None:
            raise OverBudget(self.memory.no_room(used, f"session {name!r}"))
        # Outside the lock: a large seed takes a while.
        made = Store(self._config, waiting=self._waiting, memory=self.memory)
        with self._lock:
            found = self._named.get(name)
            if found is not None:  # another request made it meanwhile: one store per name
                return found.store
            made.start_ids_at(self._ids_from)
            self._named[name] = _Session(made, time.monotonic())
            evicted_any = len(self._named) > self._config.max_sessions
            while len(self._named) > self._config.max_sessions:
                gone, session = self._named.popitem(last=False)
                self._forget(session.store)
                reason = f"least recently used of more than {self._config.max_sessions} sessions"
                self._evicted[gone] = Eviction(gone, time.time(), reason)
                while len(self._evicted) > EVICTIONS_KEPT:
                    self._evicted.popitem(last=False)
        if evicted_any:
            self.memory.give_back()
        return made

    def _forget(self, store: Store) -> None:
        """Note the ids a session gave, as it goes (under the lock)."""
        self._ids_from = max(self._ids_from, store.ids_given_below)

    def evictions(self) -> list[Eviction]:
        """The sessions evicted (and not deleted since), most recent first."""
        with self._lock:
            return list(reversed(self._evicted.values()))

    @property
    def config(self) -> MockConfig:
        """The configuration every session was made from."""
        return self._config

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
        """Forget session ``name`` and everything in it, or that it was evicted; ``NotStored`` if neither."""
        with self._lock:
            session = self._named.pop(name, None)
            if session is not None:
                self._forget(session.store)
            elif self._evicted.pop(name, None) is None:
                raise NotStored(f"no session named {name!r}")
        del session
        self.memory.give_back()

    def reset_all(self) -> None:
        """Forget every named session and reset the default one."""
        with self._lock:
            for session in self._named.values():
                self._forget(session.store)
            self._named.clear()
            self._evicted.clear()
        self.default.reset()
        self.memory.give_back()
