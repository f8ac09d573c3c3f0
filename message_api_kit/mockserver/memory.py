"""One memory budget for a whole fake: its sessions, their messages and their snapshots.

The budget is on what the system sees, the process's resident memory, because that is what
runs a machine out of memory; an estimate of the tables' sizes would miss the interpreter's
own overheads. It is read again after every mebibyte of messages written (reading it costs
about as much as one creation), and before a snapshot's tables are copied.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from message_api_kit.mockserver.config import MockConfig

__all__ = ["INDEX_BYTES", "ROW_BYTES", "MemoryBudget", "journal_bytes", "remembered_ids"]

#: What a stored message costs beyond its text: its row tuple, its ints, its places in the tables.
ROW_BYTES = 300
#: What a message costs in each copy of a session's tables (a snapshot's, once the session changes).
INDEX_BYTES = 80
#: Bytes written between two readings of the resident memory.
CHECK_EVERY = 1024 * 1024
#: What remembering one message id costs (--watch's ids, --record's): a dict entry and its ints.
ID_BYTES = 100
#: The most ids --watch or --record remember, whatever the budget.
MAX_REMEMBERED = 1_000_000


def journal_bytes(config: MockConfig) -> int | None:
    """What one session's journal may hold: a quarter of the budget, shared by the sessions that may live at
    once (the default one and ``max_sessions`` named ones); None: no budget, so no bound but its length."""
    if config.max_memory is None:
        return None
    return max(256 * 1024, config.max_memory // 4 // (config.max_sessions + 1))


def remembered_ids(config: MockConfig) -> int:
    """How many message ids --watch and --record each remember: a tenth of the budget, at most a million."""
    if config.max_memory is None:
        return MAX_REMEMBERED
    return max(1000, min(MAX_REMEMBERED, config.max_memory // 10 // ID_BYTES))


def resident_bytes() -> int:
    """This process's resident memory now (Linux); elsewhere its peak, which only refuses earlier."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


class MemoryBudget:
    """``limit`` bytes of resident memory for the process; ``None``: no limit."""

    def __init__(self, limit: int | None, read: Callable[[], int] = resident_bytes) -> None:
        self.limit = limit
        self._read = read
        self._lock = threading.Lock()
        self._unchecked = 0
        # Once over, every write reads the memory again, until something is freed.
        self._over = False

    def room_for(self, nbytes: int) -> int | None:
        """None if ``nbytes`` more fit in the budget; else the resident memory that leaves no room."""
        if self.limit is None:
            return None
        with self._lock:
            self._unchecked += nbytes
            if not self._over and self._unchecked < CHECK_EVERY:
                return None
            self._unchecked = 0
        used = self._read()
        self._over = used + nbytes > self.limit
        return used if self._over else None

    def no_room(self, used: int, what: str) -> str:
        """What a refusal says: the memory in use, the budget, what did not fit, and what frees memory."""
        mib = 1024 * 1024
        return (
            f"the fake uses {used / mib:.0f} MiB of its {(self.limit or 0) / mib:.0f} MiB memory budget:"
            f" no room for {what}. Delete sessions or snapshots, or reset, or raise --max-memory"
        )

    def give_back(self) -> None:
        """Return freed memory to the system (after a session, a snapshot or a large state is dropped).

        Python frees the tables at once, but glibc keeps freed heap pages for reuse unless asked
        to trim them: without this, deleting sessions would leave the resident memory as high.
        """
        if self.limit is None:
            return
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator returns pages itself, or never
            ctypes.CDLL(None).malloc_trim(0)
