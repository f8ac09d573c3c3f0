"""Starting servers and wrk for the benchmarks (loopback only, bounded in time)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = '{"message": "hello from the benchmark", "parent_id": null}'


def free_port() -> int:
    """A port free on loopback now, for a server that cannot be told port 0 (Prism)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """Pin a command to one CPU when taskset exists, so server and load generator do not share one."""
    return ["taskset", "-c", str(cpu), *argv] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else argv


#: What ``mockserver serve``, the bench's own servers and Prism print once they listen.
URL_LINE = re.compile(r"(?:serving the (?:fake|floor) at|Prism is listening on) (http://\S+)")


@dataclass(frozen=True)
class Running:
    """A server started by :func:`process`."""

    url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """The process and its children (granian serves from a child); Linux only."""
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
                return [self.pid, *(int(pid) for pid in children.read().split())]
        except OSError:
            return [self.pid]


@contextmanager
def process(argv: list[str], stop_timeout: float = 3) -> Iterator[Running]:
    """Run a server that binds a free port itself; yield it once it prints its URL; stop it with SIGINT.

    A server still running ``stop_timeout`` seconds after SIGINT is killed: waitress, in a busy test
    run, was seen to take the 10 s this once allowed.
    """
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    # Keep draining once the URL is read: a server whose log pipe fills up blocks, and the figures lie.
    drain = threading.Thread(target=_drain, args=(proc,), daemon=True)
    try:
        match = None
        while match is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{argv[0]} exited before printing its URL")
            match = URL_LINE.search(line)
        drain.start()
        yield Running(match.group(1), proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if drain.is_alive():
            drain.join(timeout=10)  # it ends at the pipe's end, now that the server has exited
        proc.stdout.close()


def _drain(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    for _ in proc.stdout:
        pass


@dataclass(frozen=True)
class WrkResult:
    """What wrk measured."""

    requests_per_second: float
    latency_avg_ms: float
    latency_p99_ms: float
    errors: int


def wrk(url: str, seconds: int, connections: int) -> WrkResult:
    """POST ``BODY`` to ``url`` with wrk for ``seconds``."""
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is not installed (Debian: apt-get install wrk; `make bench` does it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = 'POST'\nwrk.body = '{BODY}'\nwrk.headers['Content-Type'] = 'application/json'\n")
    argv = pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        latency_avg_ms=_ms(re.search(r"Latency\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        latency_p99_ms=_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        errors=errors + (int(non2xx.group(1)) if non2xx else 0),
    )


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


PYTHON = sys.executable


def report(lines: list[str]) -> str:
    """A benchmark's figures, given as lines, as the text it prints and RESULTS.md keeps."""
    return "\n".join(lines)
