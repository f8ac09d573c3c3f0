"""Instructions per creation over HTTP, fake beside the floor, counted by callgrind (``python -m bench.instructions``).

Instruction counts do not drift with a shared machine's speed, unlike wall-clock
figures. Both run under valgrind on waitress (bench/on_waitress.py), a pure-Python server
in one process that callgrind follows whole, and answer requests sent one after another
on one keep-alive connection, so the count includes HTTP parsing and the WSGI environ a
real server builds: it measures what the app costs beside the floor, whatever the server. Each runs twice,
with 200 and with 1,200 requests; the difference over 1,000 is the cost of one
request. Needs valgrind.
"""

from __future__ import annotations

import http.client
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench._serve import BODY, PYTHON, process

WARM_UP, MEASURED = 200, 1_000
SERVERS = {
    "floor": [PYTHON, "-m", "bench.on_waitress", "floor", "8"],
    "fake": [PYTHON, "-m", "bench.on_waitress", "fake", "8"],
}


def _post_many(url: str, count: int) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    try:
        for _ in range(count):
            connection.request("POST", "/conversations/1/messages", BODY, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            if answer.status != 201:
                raise RuntimeError(f"the server answered {answer.status}")
    finally:
        connection.close()


def _count(server: str, requests: int) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        out = Path(workdir) / "callgrind.out"
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *SERVERS[server]]
        # Under valgrind a server starts and stops tens of times slower.
        with process(argv, stop_timeout=120) as running:
            _post_many(running.url, requests)
        return int(re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE).group(1))  # type: ignore[union-attr]


def measure() -> dict[str, float]:
    """Instructions per request for the floor and the fake, and their ratio."""
    if shutil.which("valgrind") is None:
        raise SystemExit("bench: valgrind is not installed (Debian: apt-get install valgrind)")
    per_request = {
        server: (_count(server, WARM_UP + MEASURED) - _count(server, WARM_UP)) / MEASURED for server in SERVERS
    }
    return {**per_request, "ratio": per_request["floor"] / per_request["fake"]}


def report(r: dict[str, float]) -> str:
    """The figures as a line of text."""
    return (
        f"instructions per creation over HTTP on waitress: floor {r['floor'] / 1000:.1f}K,"
        f" fake {r['fake'] / 1000:.1f}K; ratio floor/fake {r['ratio']:.3f} (goal >= 0.85)"
    )


def main() -> None:
    """Print the figures."""
    print(report(measure()))


if __name__ == "__main__":
    main()
