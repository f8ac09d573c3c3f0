"""Throughput of the fake beside the bare-Flask floor, on the same server and load (``python -m bench.throughput``).

Both run on waitress with the same threads, pinned to one CPU, loaded by wrk from the
other. This machine's speed drifts, so the two alternate over several rounds and the
median of the per-round ratios is the figure.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

from bench._serve import PYTHON, ROOT, WrkResult, free_port, pinned, process, wrk

ROUNDS = 5
SECONDS = 5
CONNECTIONS = 16
THREADS = 8
URL_LINE = re.compile(r"serving the fake at (http://\S+)")


def measure(rounds: int = ROUNDS, seconds: int = SECONDS) -> dict[str, float]:
    """Alternate wrk runs on the floor and the fake; return medians and the median ratio."""
    waitress = str(Path(PYTHON).with_name("waitress-serve"))
    port = free_port()
    floor_cmd = pinned(0, [waitress, f"--port={port}", f"--threads={THREADS}", "bench.floor_app:app"])
    fake_cmd = pinned(0, [PYTHON, "-m", "mockserver", "serve", "--port", "0", "--threads", str(THREADS), "--no-demo"])
    floors: list[WrkResult] = []
    fakes: list[WrkResult] = []
    with process(floor_cmd, port=port) as floor_url, process(fake_cmd, url_line=URL_LINE) as fake_url:
        for url in (floor_url, fake_url):
            wrk(f"{url}/conversations/1/messages", 2, CONNECTIONS)  # warm-up
        for _ in range(rounds):
            floors.append(wrk(f"{floor_url}/conversations/1/messages", seconds, CONNECTIONS))
            fakes.append(wrk(f"{fake_url}/conversations/1/messages", seconds, CONNECTIONS))
    ratios = [fake.requests_per_second / floor.requests_per_second for floor, fake in zip(floors, fakes, strict=True)]
    return {
        "floor_rps": statistics.median(r.requests_per_second for r in floors),
        "fake_rps": statistics.median(r.requests_per_second for r in fakes),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "floor_p99_ms": statistics.median(r.latency_p99_ms for r in floors),
        "fake_p99_ms": statistics.median(r.latency_p99_ms for r in fakes),
        "errors": sum(r.errors for r in floors + fakes),
    }


def report(r: dict[str, float]) -> str:
    """The figures as lines of text."""
    return "\n".join(
        [
            f"floor (bare Flask on waitress, {THREADS} threads): {r['floor_rps']:7.0f} req/s"
            f"  p99 {r['floor_p99_ms']:.1f} ms",
            f"fake  (mockserver serve, same server):       {r['fake_rps']:7.0f} req/s  p99 {r['fake_p99_ms']:.1f} ms",
            f"ratio fake/floor: median {r['ratio']:.3f} over {ROUNDS} rounds (range {r['ratio_min']:.3f}-"
            f"{r['ratio_max']:.3f}); goal >= 0.85; socket errors and non-2xx: {r['errors']:.0f}",
        ]
    )


def main() -> None:
    """Print the figures."""
    sys.path.insert(0, str(ROOT))
    print(report(measure()))


if __name__ == "__main__":
    main()
