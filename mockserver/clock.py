"""The fake's clock: real time by default, which tests may freeze or advance."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


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
        with self._lock:
            self._frozen_at = float(self.now() if at is None else at)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, frozen or not."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        """Follow the real clock again, with no offset."""
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0

    def state(self) -> dict[str, Any]:
        """The ``clock-state.json`` document."""
        return {"now": self.now(), "frozen": self._frozen_at is not None}
