"""How cost grows with the store: create and list at 10^3, 10^5, 10^6 messages; bytes per message.

``python -m bench.store_growth``. The store is filled directly (the app's own path would
take minutes for a million); the timings go through the whole app, in process.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from mockserver import MockConfig, create_app, store_of

SIZES = (1_000, 100_000, 1_000_000)
CONVERSATIONS = 10
SAMPLES = 300
TEXT_LENGTH = 40


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


def _median_us(action: Callable[[], object]) -> float:
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def measure() -> list[dict[str, float]]:
    """For each size: median create and list times (us), through the app."""
    rows = []
    for size in SIZES:
        app = create_app(MockConfig(journal_size=100))
        store = store_of(app)
        for i in range(size):
            store.create_message(1 + i % CONVERSATIONS, _text(i))
        rows.append({"size": size, **_timings(app, size // CONVERSATIONS)})
    return rows


def _timings(app: Any, per_conversation: int) -> dict[str, float]:
    body = b'{"message": "hello from the benchmark"}'
    last_page = f"offset={per_conversation - 50}&limit=50"
    return {
        "create_us": _median_us(lambda: _wsgi_call(app, "POST", "/conversations/1/messages", body)),
        "list_first_us": _median_us(
            lambda: _wsgi_call(app, "GET", "/__mock__/conversations/2/messages", query="limit=50")
        ),
        "list_last_us": _median_us(
            lambda: _wsgi_call(app, "GET", "/__mock__/conversations/2/messages", query=last_page)
        ),
    }


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
    lines = [
        f"{'stored':>10} {'create':>10} {'list first page':>16} {'list last page':>15}   (median of {SAMPLES}, us)"
    ]
    lines += [
        f"{r['size']:>10,.0f} {r['create_us']:>10.1f} {r['list_first_us']:>16.1f} {r['list_last_us']:>15.1f}"
        for r in rows
    ]
    lines.append(f"memory per stored message beyond its text: {per_message:.0f} bytes (goal <= 400)")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    sys.setrecursionlimit(10_000)
    print(report(measure(), bytes_per_message()))


if __name__ == "__main__":
    main()
