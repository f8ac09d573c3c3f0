"""The fake's configuration: one frozen dataclass, built at the edges (CLI, pytest plugin)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from message_api_kit.mockserver.seed import Seed

if TYPE_CHECKING:
    from message_api_kit.mockserver.profile import Profile

MiB = 1024 * 1024


@dataclass(frozen=True)
class MockConfig:
    """Everything that shapes one fake; two apps built from two configs share nothing."""

    #: Largest request body accepted; larger is a 413 problem.
    max_body_bytes: int = MiB
    #: When true, only seeded conversations exist; others are a 404 problem.
    strict_conversations: bool = False
    #: Origins allowed by CORS, with credentials; empty: any origin for the vendor's API, none for the fake's own.
    cors_origins: tuple[str, ...] = ()
    #: Host names answered besides loopback ones (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``);
    #: any other Host is a 403, which closes DNS rebinding. ``"*"``: any host.
    allowed_hosts: tuple[str, ...] = ()
    #: Loaded at start-up and again by every reset.
    seed: Seed = field(default_factory=Seed)
    #: How many public-API requests the journal keeps.
    journal_size: int = 1000
    #: The real clock (Unix seconds); tests inject their own.
    clock: Callable[[], float] = time.time
    #: Seed of the random numbers behind fault rates and latency ranges; None for fresh ones.
    random_seed: int | None = None
    #: How many requests may wait out an injected delay at once: each holds a server thread, and
    #: threads must stay free for the admin API (``mockserver serve`` sets its thread count less 2).
    max_waiting: int = 4
    #: Requests that may be reading their body at once. A server thread reads a body with no
    #: deadline (granian's WSGI gives none), so a body sent a byte a second holds its thread, but not
    #: a turn to be worked on (``max_working``): ``mockserver serve`` gives granian this many threads
    #: more than ``--threads``. Past this many, a request with a body is answered 503 at once.
    max_uploads: int = 64
    #: Requests passed on to the upstream at once: each holds a server thread (not a working turn) until its
    #: answer is through, however slow the upstream; past this many, a 503 at once.
    max_passing: int = 64
    #: Requests worked on at once, past reading their bodies; more wait their turn. ``mockserver
    #: serve`` sets ``--threads``; None: no bound (the test servers, a thread per request).
    max_working: int | None = None
    #: The process's resident memory the fake may grow to, in bytes: past it, a write that would
    #: store more (a message, a seed, a session, a snapshot's copy) is refused (507) and nothing
    #: changes. None: no budget (the pytest plugin's fakes); ``mockserver serve`` sets 1 GiB.
    max_memory: int | None = None
    #: Named sessions (``X-Mock-Session``) alive at once; past it the least recently used is evicted.
    #: 0: no named sessions (the header is refused with a 404).
    max_sessions: int = 64
    #: Where the default session's state is kept across restarts (an SQLite database); None: memory only.
    state_file: Path | None = None
    #: With a state file: wait for the disk at every commit (survives a power cut), not only the OS.
    fsync: bool = False
    #: The real API: requests for routes the kit does not declare go there (``upstream.py``); None: 404.
    upstream: str | None = None
    #: Seconds the upstream has to answer a passed-on request before the fake answers 504.
    upstream_timeout: float = 30.0
    #: With ``upstream``: the vendor's operation goes there too, and each exchange of it is judged by the contract.
    watch: bool = False
    #: With ``watch``: write the real API's creations to this seed file as they pass (``record.py``).
    record: Path | None = None
    #: Show the credentials of passed-on requests in the journal and the dashboard (hidden by default).
    show_secrets: bool = False
    #: A real server's choices where the doc is silent (``contracts diff --write-profile``); None: the fake's own.
    profile: Profile | None = None

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        if self.journal_size < 0:
            raise ValueError("journal_size must not be negative")
        if self.max_waiting < 1:
            raise ValueError("max_waiting must be at least 1")
        if self.watch and self.upstream is None:
            raise ValueError("watch needs an upstream")
        if self.record is not None and not self.watch:
            raise ValueError("record needs watch")
        if self.upstream_timeout <= 0:
            raise ValueError("upstream_timeout must be positive")
        if self.max_memory is not None and self.max_memory < 1:
            raise ValueError("max_memory must be positive")
        if self.max_uploads < 1:
            raise ValueError("max_uploads must be at least 1")
        if self.max_passing < 1:
            raise ValueError("max_passing must be at least 1")
        if self.max_working is not None and self.max_working < 1:
            raise ValueError("max_working must be at least 1")
        if self.max_sessions < 0:
            raise ValueError("max_sessions must not be negative")
