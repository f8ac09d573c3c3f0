"""How cost grows with the store: create and list at 10^3, 10^5, 10^6 messages; bytes per message.

``python -m bench.store_growth``. Each size lives in a worker process of its own, so a
large store's memory and garbage collection cost only its own figures. The store is
filled directly (the app's own path would take minutes for a million); the timings go
through the whole app, in process. This machine's speed drifts, so the workers take
turns, a short batch each, round after round, and each figure is the median of all
its samples: a drift then falls on every size alike.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from message_api_kit.mockserver import MockConfig, create_app, store_of

SIZES = (1_000, 100_000, 1_000_000)
CONVERSATIONS = 10
ROUNDS = 40
BATCH = 25
TEXT_LENGTH = 40
OPERATIONS = ("create", "list_first", "list_last")


def _text(i: int) -> str:
    return f"message number {i:024d}"[:TEXT_LENGTH]


def _wsgi_call(app: Any, method: str, path: str, body: bytes = b"", query: str = "") -> tuple[int, bytes]:
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
    }
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    return int(status[0][:3]), b"".join(chunks)


def _operations(app: Any, per_conversation: int) -> dict[str, Callable[[], tuple[int, bytes]]]:
    body = b'{"message": "hello from the benchmark"}'
    last_page = f"offset={per_conversation - 50}&limit=50"
    messages = "/__mock__/conversations/2/messages"
    return {
        "create": lambda: _wsgi_call(app, "POST", "/conversations/1/messages", body),
        "list_first": lambda: _wsgi_call(app, "GET", messages, query="limit=50"),
        "list_last": lambda: _wsgi_call(app, "GET", messages, query=last_page),
    }


def _worker(size: int, conn: Connection) -> None:
    """Hold a store of ``size`` messages; time what the parent asks for, one batch at a time."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        # Every worker on the same CPU: the CPUs of a shared machine need not run at one speed.
        os.sched_setaffinity(0, {0})
    app = create_app(MockConfig(journal_size=100))
    store = store_of(app)
    # As ``mockserver serve`` does: start-up objects out of the GC, so a collection's pause is the store's.
    gc.collect()
    gc.freeze()
    for i in range(size):
        store.create_message(1 + i % CONVERSATIONS, _text(i))
    operations = _operations(app, size // CONVERSATIONS)
    conn.send("ready")
    while (request := conn.recv()) is not None:
        name, count = request
        times = []
        for _ in range(count):
            started = time.perf_counter()
            if name == "gc":
                gc.collect()
            else:
                operations[name]()
            times.append(time.perf_counter() - started)
        conn.send(times)


def measure(sizes: tuple[int, ...] = SIZES, rounds: int = ROUNDS, batch: int = BATCH) -> list[dict[str, float]]:
    """For each size: median create and list times (us) and a full collection's pause (ms)."""
    context = multiprocessing.get_context("spawn")
    workers = []
    for size in sizes:
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(size, child), daemon=True)
        process.start()
        workers.append((size, parent, process))
    samples: dict[tuple[int, str], list[float]] = {(size, name): [] for size in sizes for name in (*OPERATIONS, "gc")}
    try:
        for _, conn, _ in workers:
            if conn.recv() != "ready":
                raise RuntimeError("a store_growth worker failed to start")
        for turn in range(rounds):
            # Rotate who goes first, so that no size always follows the same neighbour.
            for size, conn, _ in workers[turn % len(workers) :] + workers[: turn % len(workers)]:
                for name, count in ((name, batch) for name in OPERATIONS):
                    conn.send((name, count))
                    samples[size, name] += conn.recv()
                conn.send(("gc", 1))
                samples[size, "gc"] += conn.recv()
    finally:
        for _, conn, process in workers:
            conn.send(None)
            process.join(timeout=30)
    return [
        {
            "size": size,
            **{f"{name}_us": statistics.median(samples[size, name]) * 1e6 for name in OPERATIONS},
            "gc_ms": statistics.median(samples[size, "gc"]) * 1e3,
        }
        for size in sizes
    ]


def bytes_per_message(count: int = 200_000) -> float:
    """Memory a stored message costs beyond its own text (tracemalloc, texts subtracted)."""
    store = store_of(create_app(MockConfig(journal_size=0)))
    texts = [_text(i) for i in range(count)]  # made first, so their cost is not the store's
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i, text in enumerate(texts):
        store.create_message(1 + i % CONVERSATIONS, text, date=1_700_000_000 + i)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / count


def report(rows: list[dict[str, float]], per_message: float) -> str:
    """The figures as lines of text."""
    samples = ROUNDS * BATCH
    lines = [
        f"{'stored':>10} {'create':>9} {'list first page':>16} {'list last page':>15} {'full GC':>8}"
        f"   (median of {samples}, us; GC: median of {ROUNDS}, ms)"
    ]
    lines += [
        f"{r['size']:>10,.0f} {r['create_us']:>9.1f} {r['list_first_us']:>16.1f} {r['list_last_us']:>15.1f}"
        f" {r['gc_ms']:>8.1f}"
        for r in rows
    ]
    first, last = rows[0], rows[-1]
    growth = ", ".join(f"{name} {last[f'{name}_us'] / first[f'{name}_us']:.2f}x" for name in OPERATIONS)
    lines.append(f"largest store beside smallest: {growth} (flat is 1.00x)")
    lines.append(f"memory per stored message beyond its text: {per_message:.0f} bytes (goal <= 400)")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure(), bytes_per_message()))


if __name__ == "__main__":
    main()
