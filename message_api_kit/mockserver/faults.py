"""Injected latency and failures for the public routes, set over HTTP or from Python."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from typing import Any

ANY_ROUTE = "*"
#: The most a request is delayed, whatever the rules add up to.
MAX_DELAY_S = 60.0


@dataclass(frozen=True)
class Latency:
    """Delay answers on ``route`` by a random time from ``min_ms`` to ``min_ms + spread_ms`` ms.

    A minimum and a spread, not a minimum and a maximum: every pair of values is a delay, so the
    document states the whole rule (a maximum below the minimum was valid by the schema and
    refused by the fake, which document-driven tools report as a bug).
    """

    min_ms: float
    spread_ms: float = 0
    route: str = ANY_ROUTE


@dataclass(frozen=True)
class Failure:
    """Fail the next ``count`` requests on ``route``, or a ``rate`` of them (neither: every one), with ``status``
    or a drop."""

    status: int = 503
    count: int | None = None
    rate: float | None = None
    drop: bool = False
    detail: str = "failure injected by the fake's fault controls"
    route: str = ANY_ROUTE


class Faults:
    """The latency and failure rules in force; thread-safe; emptied by ``clear``."""

    def __init__(self, rng: random.Random, waiting: threading.BoundedSemaphore | int = 4) -> None:
        self._rng = rng
        self._lock = threading.Lock()
        self._latency: list[Latency] = []
        self._failures: list[Failure] = []
        # Set when the rules change: requests waiting out a delay wake and go on at once.
        self._changed = threading.Event()
        # A waiting request holds a server thread: at most this many wait, so that threads
        # stay free for the admin API (the rest are answered without their delay). Sessions
        # share one semaphore: the threads are the server's, whichever session waits.
        self._waiting = threading.BoundedSemaphore(waiting) if isinstance(waiting, int) else waiting

    def set(self, latency: list[Latency] | None = None, failures: list[Failure] | None = None) -> None:
        """Replace every rule; requests waiting out a delay go on at once."""
        with self._lock:
            self._latency = list(latency or ())
            self._failures = list(failures or ())
            self._changed.set()
            self._changed = threading.Event()

    def set_json(self, doc: Any) -> None:
        """Replace every rule from a ``faults.json`` document (already valid: the admin API checked it)."""
        failures = [Failure(**item) for item in doc.get("failures", ())]
        self.set([Latency(**item) for item in doc.get("latency", ())], failures)

    def clear(self) -> None:
        """Remove every rule."""
        self.set()

    def rules(self) -> tuple[list[Latency], list[Failure]]:
        """The rules in force, for ``set`` to put back (rules are immutable: copies of the lists suffice)."""
        with self._lock:
            return list(self._latency), list(self._failures)

    def to_json(self) -> dict[str, Any]:
        """The rules in force as a ``faults.json`` document (counts are what is left)."""
        with self._lock:
            latency = [_drop_none(vars(rule)) for rule in self._latency]
            failures = [_drop_none(vars(rule)) for rule in self._failures]
        return {"latency": latency, "failures": failures}

    @property
    def active(self) -> bool:
        """Whether any rule is in force (read without the lock: the common case is none)."""
        return bool(self._latency or self._failures)

    def delay(self, route: str) -> float:
        """Seconds to wait before answering a request on ``route`` (at most ``MAX_DELAY_S``)."""
        if not self._latency:
            return 0.0
        with self._lock:
            total = 0.0
            for rule in self._latency:
                if rule.route in (ANY_ROUTE, route):
                    total += self._rng.uniform(rule.min_ms, rule.min_ms + rule.spread_ms) / 1000
            return min(total, MAX_DELAY_S)

    def wait(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the rules change meanwhile; not at all if too many wait already."""
        if not self._waiting.acquire(blocking=False):
            return
        try:
            self._changed.wait(seconds)
        finally:
            self._waiting.release()

    def failure(self, route: str) -> Failure | None:
        """The failure a request on ``route`` meets, if any; a counted rule is used up by it."""
        if not self._failures:
            return None
        with self._lock:
            for index, rule in enumerate(self._failures):
                if rule.route not in (ANY_ROUTE, route):
                    continue
                if rule.count is not None:
                    left = rule.count - 1
                    if left:
                        self._failures[index] = replace(rule, count=left)
                    else:
                        del self._failures[index]
                    return rule
                if rule.rate is None or self._rng.random() < rule.rate:
                    return rule
            return None


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}
