"""``mockserver serve`` under idle and slow clients, and a 300 MiB upload (``python -m bench.serving``).

1. Latency of normal requests (a creation, then an admin read, one after another on one
   keep-alive connection) for a while with no other load, then again while 5,000
   connections sit idle (connected, nothing sent), 200 send a request head one byte a
   second and 100 send a creation's 1,000-byte body one byte a second. Goal: p99 under
   50 ms, admin included.
2. A thousand slow uploads at ``--max-uploads 1024`` (each parks a thread): the same latencies,
   the server's memory and threads; then 300 at ``--max-uploads 256``, past the limit.
3. A 300 MiB upload with its length declared, sent as fast as the client can: how many
   bytes the server process read before its 413 (every successful read of any kind by any
   of its threads, counted by strace), beside what the client got into its socket. Goal:
   under 1 MiB read. Then the same with ``Expect: 100-continue``: a 413 and no ``100 Continue``.

The server is pinned to CPU 0, this process to CPU 1. Linux only (/proc, strace).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench._serve import BODY, PYTHON, Running, pinned, process

IDLE, SLOW, UPLOADS, SECONDS = 5_000, 200, 100, 10
#: What each slow upload declares, then sends a byte a second.
UPLOAD_LENGTH = 1000
UPLOAD = 300 * 1024 * 1024
MiB = 1024 * 1024


@dataclass
class Latencies:
    """Milliseconds per request, by kind."""

    create: list[float]
    admin: list[float]
    failures: int = 0

    def summary(self) -> str:
        def p(values: list[float], q: int) -> float:
            return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")

        return (
            f"create p50 {p(self.create, 50):5.2f} ms p99 {p(self.create, 99):5.2f} ms max {max(self.create):6.1f};"
            f" admin p50 {p(self.admin, 50):5.2f} ms p99 {p(self.admin, 99):5.2f} ms max {max(self.admin):6.1f};"
            f" {len(self.create) + len(self.admin)} requests, {self.failures} failed"
        )


def _request(sock: socket.socket, data: bytes) -> bool:
    """Send one request and read its whole answer (Content-Length framed); whether it was a 2xx."""
    sock.sendall(data)
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    head, _, body = buffer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b" ", 2)[1].startswith(b"2")


def latencies(host: str, port: int, seconds: float) -> Latencies:
    """Alternate creations and admin reads on one keep-alive connection for ``seconds``."""
    create = (
        f"POST /conversations/1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n{BODY}"
    ).encode()
    admin = b"GET /__mock__/clock HTTP/1.1\r\nHost: localhost\r\n\r\n"
    result = Latencies([], [])
    deadline = time.monotonic() + seconds
    with socket.create_connection((host, port), timeout=10) as sock:
        while time.monotonic() < deadline:
            for data, into in ((create, result.create), (admin, result.admin)):
                started = time.perf_counter()
                result.failures += not _request(sock, data)
                into.append((time.perf_counter() - started) * 1000)
    return result


def _trickle(slow: list[socket.socket], uploads: list[socket.socket], stop: threading.Event) -> None:
    """Once a second, send every slow socket one more byte of a never-ending request head, and
    every upload one more byte of its body (whose head went whole)."""
    head = b"POST /conversations/1/messages HTTP/1.1\r\nX-Slow: " + b"a" * 10_000
    body = b"x" * UPLOAD_LENGTH
    sent = 0
    while not stop.wait(1.0):
        for sock in slow:
            with contextlib.suppress(OSError):  # closed by the server's header timeout: that is its job
                sock.send(head[sent : sent + 1])
        for sock in uploads:
            with contextlib.suppress(OSError):
                sock.send(body[sent : sent + 1])
        sent += 1


def _upload_head() -> bytes:
    return (
        "POST /conversations/1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {UPLOAD_LENGTH}\r\n\r\n"
    ).encode()


def hostile_load(server: Running) -> tuple[Latencies, Latencies, str]:
    """Latencies alone, then beside idle and slow connections; and what happened to those."""
    parts = urlsplit(server.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    alone = latencies(host, port, SECONDS)
    idle = [socket.create_connection((host, port)) for _ in range(IDLE)]
    slow = [socket.create_connection((host, port)) for _ in range(SLOW)]
    uploads = [socket.create_connection((host, port)) for _ in range(UPLOADS)]
    for sock in uploads:
        sock.sendall(_upload_head())
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(slow, uploads, stop), daemon=True)
    trickler.start()
    try:
        time.sleep(1)
        loaded = latencies(host, port, SECONDS)
    finally:
        stop.set()
        trickler.join()
        still_open = sum(_open(sock) for sock in idle + slow)
        uploading = sum(_open(sock) for sock in uploads)
        for sock in idle + slow + uploads:
            sock.close()
    return (
        alone,
        loaded,
        (
            f"{still_open} of {IDLE + SLOW} idle and slow-header connections still open at the end,"
            f" {uploading} of {UPLOADS} uploads still sending, unanswered"
        ),
    )


def _open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@contextmanager
def bytes_read(pids: list[int]) -> Iterator[list[int]]:
    """Count the bytes the processes ``pids`` read (any read call, any thread) while the block runs."""
    if shutil.which("strace") is None:
        raise SystemExit("bench: strace is not installed (Debian: apt-get install strace; `make bench` does it)")
    with tempfile.TemporaryDirectory() as workdir:
        log = Path(workdir) / "reads"
        attach = [arg for pid in pids for arg in ("-p", str(pid))]
        calls = "read,readv,pread64,recvfrom,recvmsg,recvmmsg"
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", f"trace={calls}", "-o", str(log), *attach])
        time.sleep(1.0)  # strace attaches to every thread before the first byte is sent
        total: list[int] = []
        try:
            yield total
        finally:
            time.sleep(0.2)
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
        total.append(sum(int(n) for n in re.findall(r"= (\d+)$", log.read_text(), re.MULTILINE)))


def upload(server: Running, expect: bool, count_reads: bool = True) -> str:
    """Send 300 MiB (declared) as fast as possible; what the server answered and (with strace) read."""
    parts = urlsplit(server.url)
    head = (
        "POST /conversations/1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {UPLOAD}\r\n{'Expect: 100-continue' + chr(13) + chr(10) if expect else ''}\r\n"
    ).encode()
    sent, answer = 0, b""
    with (
        bytes_read(server.worker_pids()) if count_reads else contextlib.nullcontext([-1]) as read,
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10) as sock,
    ):
        started = time.perf_counter()
        sock.sendall(head)
        if expect:
            answer = sock.recv(65536)
        else:
            sock.setblocking(False)
            chunk = b"x" * 65536
            while sent < UPLOAD and not answer:
                try:
                    sent += sock.send(chunk)
                except BlockingIOError:
                    time.sleep(0.001)
                except OSError:
                    break
                try:
                    answer = sock.recv(65536)
                except BlockingIOError:
                    pass
                except OSError:
                    break
            sock.setblocking(True)
            answer = answer or sock.recv(65536)
        elapsed = (time.perf_counter() - started) * 1000
    status = answer.split(b"\r\n", 1)[0].decode("latin-1")
    what = "with Expect: 100-continue" if expect else "sent at once"
    continued = "yes" if b"100 Continue" in answer else "no"
    return (
        f"300 MiB declared, {what}: answer {status!r} in {elapsed:.0f} ms;"
        f" the server read {read[0] / 1024:.1f} KiB (goal < 1 MiB);"
        f" the client got {sent / MiB:.1f} MiB into its socket; '100 Continue' sent: {continued}"
    )


def many_uploads(count: int, limit: int, seconds: float = 3, settle: float = 2) -> str:
    """``count`` uploads sending nothing after their head, against ``--max-uploads limit``: how creations and
    admin reads fare beside them, and what the parked threads cost (the server's resident memory, its threads)."""
    argv = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo", "--max-uploads"]
    with process(pinned(0, [*argv, str(limit)])) as server:
        parts = urlsplit(server.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        held = [socket.create_connection((host, port)) for _ in range(count)]
        try:
            for sock in held:
                sock.sendall(_upload_head() + b"{")
            time.sleep(settle)  # every head read, every body waiting
            timed = latencies(host, port, seconds)
            pids = server.worker_pids()
            resident = sum(_resident_kib(pid) for pid in pids) / 1024
            threads = sum(len(os.listdir(f"/proc/{pid}/task")) for pid in pids)
        finally:
            for sock in held:
                sock.close()
    return (
        f"{count} slow uploads, --max-uploads {limit}: {timed.summary()}; {resident:.0f} MiB resident,"
        f" {threads} threads"
    )


def _resident_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def measure() -> list[str]:
    """Every figure, as lines."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, IDLE + SLOW + 1000)), hard))
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    argv = pinned(0, [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"])
    with process(argv) as server:
        alone, loaded, hostile = hostile_load(server)
        uploads = [upload(server, expect=False), upload(server, expect=True)]
    return [
        f"alone:                                   {alone.summary()}",
        f"beside {IDLE} idle, {SLOW} slow-header and {UPLOADS} slow-upload connections: {loaded.summary()}",
        f"  ({hostile}; goal: p99 < 50 ms for both kinds)",
        many_uploads(1000, 1024),
        f"{many_uploads(300, 256)} (past the limit: every creation a 503 at once, counted as failed)",
        *uploads,
    ]


def report(lines: list[str]) -> str:
    """The figures as text."""
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure()))


if __name__ == "__main__":
    main()
