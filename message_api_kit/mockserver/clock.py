"""The fake's clock: real time by default, which tests may freeze or advance."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from message_api_kit import schemas

#: The latest time the clock shows: dates must stay integers a JavaScript client can hold (clock.json's bound).
MAX_TIME: int = schemas.load("clock")["properties"]["freeze"]["maximum"]


class ClockOutOfRange(ValueError):
    """The clock would leave 0 to ``MAX_TIME``; it is left as it was."""


class Clock:
    """Unix seconds for ``date``; frozen, advanced or real, thread-safe."""

    def __init__(self, source: Callable[[], float]) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> int:
        """Return the current Unix time in whole seconds."""
        frozen = self._frozen_at
        return int(frozen if frozen is not None else self._source() + self._offset)

    def freeze(self, at: float | None = None) -> None:
        """Hold the clock at ``at`` (default: now)."""
        if at is not None and not 0 <= at <= MAX_TIME:
            raise ClockOutOfRange(f"the clock holds times from 0 to {MAX_TIME}, not {at}")
        with self._lock:
            self._frozen_at = float(self.now() if at is None else int(at))

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, frozen or not, never past ``MAX_TIME``."""
        if seconds < 0:
            raise ClockOutOfRange("the clock only moves forward")
        with self._lock:
            if self.now() + seconds > MAX_TIME:
                raise ClockOutOfRange(f"advancing {seconds} s would take the clock past {MAX_TIME}")
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        """Follow the real clock again, with no offset."""
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0

    def saved(self) -> tuple[float | None, float]:
        """What ``restore`` takes back: the frozen time or the offset from real time."""
        with self._lock:
            return self._frozen_at, self._offset

    def restore(self, saved: tuple[float | None, float]) -> None:
        """Put the clock back as ``saved`` found it."""
        with self._lock:
            self._frozen_at, self._offset = saved

    def state(self) -> dict[str, Any]:
        """The ``clock-state.json`` document."""
        return {"now": self.now(), "frozen": self._frozen_at is not None}
