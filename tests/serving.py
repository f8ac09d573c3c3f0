"""A ``mockserver serve`` subprocess on a free port, for tests where the production server matters."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench._serve import Running


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[str]
    #: What the server printed when it was ready, up to "stop: Ctrl-C".
    banner: str = ""
    #: What the server wrote to stdout (after its banner) and stderr; read once it has stopped.
    stdout: str = ""
    stderr: str = ""

    def worker_pid(self) -> int:
        """The process holding the fake's state: granian's one worker, a child of ``mockserver serve``."""
        _, *pids = Running(self.url, self.process.pid).worker_pids()
        assert len(pids) == 1, f"one worker process, not {pids}"
        return pids[0]

    def rss_kib(self) -> int:
        with open(f"/proc/{self.worker_pid()}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "message_api_kit.mockserver", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    server = None
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        url = lines[0].rsplit(" ", 1)[1].strip()
        while lines[-1] and "stop:" not in lines[-1]:
            lines.append(process.stdout.readline())
        server = Served(url, int(url.rsplit(":", 1)[1]), process, banner="".join(lines))
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        else:
            if server is not None:
                server.stdout, server.stderr = out, err
