"""Throughput of the fake beside the bare-Flask floor, on the same server and load (``python -m bench.throughput``).

Both are served by ``mockserver.server.production_server`` (waitress, the same threads
and settings), pinned to one CPU and loaded by wrk from the other. This machine's speed
drifts, by as much as a factor of two within a minute, so the two alternate in short
runs, in ABBA order (floor-fake, fake-floor, ...) so that a steady drift favours
neither, and the figure is the median of the per-pair ratios.
"""

from __future__ import annotations

import statistics
import sys

from bench._serve import PYTHON, ROOT, WrkResult, pinned, process, wrk

PAIRS = 10
SECONDS = 3
CONNECTIONS = 16
THREADS = 8
PATH = "/conversations/1/messages"


def measure(pairs: int = PAIRS, seconds: int = SECONDS) -> dict[str, float]:
    """Alternate wrk runs on the floor and the fake; return medians and the median ratio."""
    floor_cmd = pinned(0, [PYTHON, "-m", "bench.floor_app", str(THREADS)])
    fake_cmd = pinned(0, [PYTHON, "-m", "mockserver", "serve", "--port", "0", "--threads", str(THREADS), "--no-demo"])
    floors: list[WrkResult] = []
    fakes: list[WrkResult] = []
    with process(floor_cmd) as floor_url, process(fake_cmd) as fake_url:
        for url in (floor_url, fake_url):
            wrk(url + PATH, 2, CONNECTIONS)  # warm-up
        for pair in range(pairs):
            if pair % 2 == 0:
                floors.append(wrk(floor_url + PATH, seconds, CONNECTIONS))
                fakes.append(wrk(fake_url + PATH, seconds, CONNECTIONS))
            else:
                fakes.append(wrk(fake_url + PATH, seconds, CONNECTIONS))
                floors.append(wrk(floor_url + PATH, seconds, CONNECTIONS))
    ratios = sorted(
        fake.requests_per_second / floor.requests_per_second for floor, fake in zip(floors, fakes, strict=True)
    )
    return {
        "floor_rps": statistics.median(r.requests_per_second for r in floors),
        "fake_rps": statistics.median(r.requests_per_second for r in fakes),
        "ratio": statistics.median(ratios),
        "ratio_q1": ratios[len(ratios) // 4],
        "ratio_q3": ratios[(3 * len(ratios)) // 4],
        "floor_p99_ms": statistics.median(r.latency_p99_ms for r in floors),
        "fake_p99_ms": statistics.median(r.latency_p99_ms for r in fakes),
        "errors": sum(r.errors for r in floors + fakes),
    }


def report(r: dict[str, float]) -> str:
    """The figures as lines of text."""
    return "\n".join(
        [
            f"floor (bare Flask, same server, {THREADS} threads): {r['floor_rps']:7.0f} req/s"
            f"  p99 {r['floor_p99_ms']:.1f} ms",
            f"fake  (mockserver serve):                     {r['fake_rps']:7.0f} req/s  p99 {r['fake_p99_ms']:.1f} ms",
            f"ratio fake/floor: median {r['ratio']:.3f} over {PAIRS} ABBA pairs of {SECONDS} s"
            f" (quartiles {r['ratio_q1']:.3f}-{r['ratio_q3']:.3f}); goal >= 0.85;"
            f" socket errors and non-2xx: {r['errors']:.0f}",
        ]
    )


def main() -> None:
    """Print the figures."""
    sys.path.insert(0, str(ROOT))
    print(report(measure()))


if __name__ == "__main__":
    main()
