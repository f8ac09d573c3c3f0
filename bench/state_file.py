"""The state file: cost per creation, start-up at 10^6 messages, the format chosen (``python -m bench.state_file``).

1. Creation throughput of ``mockserver serve`` with ``--state-file`` (and with ``--fsync``)
   beside the fake in memory, taking turns as bench/throughput.py does. Goal: at least 0.7.
2. Start-up with 10^6 stored messages: from starting ``mockserver serve --state-file`` to
   its port answering. Goal: under 5 s.
3. The two formats weighed for it, in this process: SQLite in WAL mode (the one chosen) and an
   append-only journal of JSON lines: microseconds to write one creation (to the OS; and to
   the disk, fsync), and seconds to read 10^6 messages back into the store's rows.
4. Memory per stored message, created or loaded from the file: the same rows either way.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bench._serve import PYTHON, ROOT, pinned, process, wrk
from message_api_kit.mockserver import MockConfig, Store
from message_api_kit.mockserver.state_file import StateFile

ROUNDS, SECONDS, CONNECTIONS = 4, 3, 16
MILLION = 1_000_000
PATH = "/conversations/1/messages"
Row = tuple[int, int, str, int | None, int, int]


def _row(n: int) -> Row:
    return (n, n % 100 + 1, f"message number {n} in the state file", None if n % 3 else n - 1 or None, 1, 1_700_000_000)


def throughput(workdir: Path) -> dict[str, float]:
    """Median req/s of each variant and its median ratio to the fake in memory."""
    serve = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]
    variants = {
        "in memory": serve,
        "--state-file": [*serve, "--state-file", str(workdir / "a.db")],
        "--state-file --fsync": [*serve, "--state-file", str(workdir / "b.db"), "--fsync"],
    }
    rates: dict[str, list[float]] = {name: [] for name in variants}
    with (
        process(pinned(0, variants["in memory"])) as memory,
        process(pinned(0, variants["--state-file"])) as filed,
        process(pinned(0, variants["--state-file --fsync"])) as synced,
    ):
        urls = {"in memory": memory.url, "--state-file": filed.url, "--state-file --fsync": synced.url}
        for url in urls.values():
            wrk(url + PATH, 1, CONNECTIONS)
        names = list(urls)
        for turn in range(ROUNDS):
            for name in names[turn % 3 :] + names[: turn % 3]:
                rates[name].append(wrk(urls[name] + PATH, SECONDS, CONNECTIONS).requests_per_second)
    figures = {f"{name} req/s": statistics.median(r) for name, r in rates.items()}
    for name in ("--state-file", "--state-file --fsync"):
        figures[f"{name} ratio"] = statistics.median(
            f / m for f, m in zip(rates[name], rates["in memory"], strict=True)
        )
    return figures


def _million_message_file(path: Path) -> None:
    state = StateFile(path)
    user = json.dumps({"id": 1, "name": "John Doe"})
    state.replaced("bench", {1: user}, set(), [_row(n) for n in range(1, MILLION + 1)])
    state.close()


def start_up(workdir: Path) -> float:
    """Seconds from starting ``mockserver serve`` on a 10^6-message file to its port answering."""
    path = workdir / "million.db"
    _million_message_file(path)
    started = time.perf_counter()
    with process(
        [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--state-file", str(path)]
    ) as server:
        ready = time.perf_counter() - started
        del server
    return ready


def _per_call_us(write: Callable[[Row], None], count: int) -> float:
    started = time.perf_counter()
    for n in range(1, count + 1):
        write(_row(n))
    return (time.perf_counter() - started) / count * 1e6


def _appender(journal: TextIO, fsync: bool) -> Callable[[Row], None]:
    def append(row: Row) -> None:
        journal.write(json.dumps(row) + "\n")
        journal.flush()  # to the OS, as SQLite's commit is
        if fsync:
            os.fsync(journal.fileno())

    return append


def formats(workdir: Path) -> dict[str, float]:
    """Write and read costs of SQLite (WAL) and of a JSON-lines journal."""
    figures: dict[str, float] = {}
    for fsync, count in ((False, 20_000), (True, 300)):
        suffix = " fsync" if fsync else ""
        sqlite = StateFile(workdir / f"w{suffix}.db", fsync=fsync)
        sqlite.cleared("bench")
        figures[f"sqlite write{suffix} us"] = _per_call_us(sqlite.message_added, count)
        sqlite.close()
        with open(workdir / f"w{suffix}.jsonl", "a", encoding="utf-8") as journal:
            figures[f"jsonl write{suffix} us"] = _per_call_us(_appender(journal, fsync), count)
    # Reading back: the million-message SQLite file made for start_up, and the same as JSON lines.
    with open(workdir / "million.jsonl", "w", encoding="utf-8") as journal:
        journal.writelines(json.dumps(_row(n)) + "\n" for n in range(1, MILLION + 1))
    started = time.perf_counter()
    saved = StateFile(workdir / "million.db").read()
    figures["sqlite read 1e6 s"] = time.perf_counter() - started
    assert saved is not None and len(saved.messages) == MILLION
    started = time.perf_counter()
    with open(workdir / "million.jsonl", encoding="utf-8") as journal:
        rows = [tuple(json.loads(line)) for line in journal]
    figures["jsonl read 1e6 s"] = time.perf_counter() - started
    assert len(rows) == MILLION
    return figures


def memory_per_message(workdir: Path, count: int = 100_000) -> dict[str, float]:
    """Bytes per stored message in memory, created through the store or loaded from a state file."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    created = Store(MockConfig())
    for n in range(count):
        created.create_message(n % 100 + 1, f"message number {n + 1} in the state file")
    per_created = (tracemalloc.get_traced_memory()[0] - base) / count
    path = workdir / "memory.db"
    state = StateFile(path)
    state.cleared("bench")
    with state.transaction():
        state.user_added(1, json.dumps({"id": 1, "name": "John Doe"}))
        for row in created._messages.values():
            state.message_added(row)
    state.close()
    del created
    base = tracemalloc.get_traced_memory()[0]
    saved = StateFile(path).read()
    loaded = Store(MockConfig(), saved=saved)
    del saved  # the rows live on in the store; the list that carried them does not
    per_loaded = (tracemalloc.get_traced_memory()[0] - base) / count
    tracemalloc.stop()
    assert len(loaded) == count
    return {"created bytes": per_created, "loaded bytes": per_loaded}


def measure() -> dict[str, float]:
    """Every figure."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures = throughput(workdir)
        figures["start-up 1e6 s"] = start_up(workdir)
        figures |= formats(workdir)
        figures |= memory_per_message(workdir)
    return figures


def report(f: dict[str, float]) -> str:
    """The figures as text."""
    return "\n".join(
        [
            f"creation throughput: in memory {f['in memory req/s']:.0f} req/s; --state-file"
            f" {f['--state-file req/s']:.0f} ({f['--state-file ratio']:.2f} of in memory; goal >= 0.7);"
            f" --state-file --fsync {f['--state-file --fsync req/s']:.0f} ({f['--state-file --fsync ratio']:.2f})",
            f"start-up with 10^6 stored messages: {f['start-up 1e6 s']:.2f} s to the port answering (goal < 5 s)",
            f"one creation written: SQLite WAL {f['sqlite write us']:.1f} us, JSON lines {f['jsonl write us']:.1f} us;"
            f" with fsync: SQLite {f['sqlite write fsync us']:.0f} us, JSON lines {f['jsonl write fsync us']:.0f} us",
            f"10^6 messages read back into rows: SQLite {f['sqlite read 1e6 s']:.2f} s,"
            f" JSON lines {f['jsonl read 1e6 s']:.2f} s",
            f"memory per stored message (tracemalloc, 10^5): created {f['created bytes']:.0f} bytes,"
            f" loaded from the file {f['loaded bytes']:.0f} bytes",
        ]
    )


def main() -> None:
    """Print the figures."""
    sys.path.insert(0, str(ROOT))
    print(report(measure()))


if __name__ == "__main__":
    main()
