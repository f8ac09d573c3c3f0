"""Correct servers of stacks the contract rules were not written from, each with bugs of its own stack.

Each is written the way its framework's documentation teaches, at the framework's defaults,
not tuned to the checks (``fastify_server.js``, ``koa_server.js``, ``aiohttp_server.py``,
``falcon_server.py``, ``hono_server.mjs``, ``tornado_server.py``). ``MODE=<bug>`` switches on
one realistic bug. The Node servers' packages are pinned in ``package-lock.json``
(``npm ci --prefix tests/servers``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class StackServer:
    """A server of another stack: how to start it, and the bugs it can be started with."""

    argv: tuple[str, ...]
    bugs: tuple[str, ...]


SERVERS = {
    "fastify": StackServer(("node", "fastify_server.js"), ("ms-dates", "per-worker-state")),
    "koa": StackServer(("node", "koa_server.js"), ("ids-per-conversation",)),
    "aiohttp": StackServer((sys.executable, "aiohttp_server.py"), ("truthy-parent", "unknown-charset-500")),
    "falcon": StackServer((sys.executable, "falcon_server.py"), ("escaped", "racing-ids", "per-worker-state")),
    # Written after the rules were last changed, and run against them as they were: the held-out pair.
    "hono": StackServer(("node", "hono_server.mjs"), ("trimmed",)),
    "tornado": StackServer((sys.executable, "tornado_server.py"), ("float-dates",)),
}


@contextmanager
def serving(name: str, bug: str = "", **options: str) -> Iterator[str]:
    """Start server ``name`` (with ``bug`` switched on, if given, and the environment ``options``) on a free port;
    yield its base URL."""
    server = SERVERS[name]
    assert not bug or bug in server.bugs, f"{name} has no bug {bug!r}"
    env = {**os.environ, "PORT": "0", "MODE": bug, **options}
    with subprocess.Popen(server.argv, cwd=HERE, env=env, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"{name} did not start: {line!r}")
            yield f"http://127.0.0.1:{int(line.split()[1])}"
        finally:
            process.terminate()
            process.wait(timeout=10)
