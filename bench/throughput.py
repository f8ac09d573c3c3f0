"""Create throughput of the fake beside its floors and beside Prism, in one run (``python -m bench.throughput``).

Seven servers, each pinned to CPU 0 and loaded by wrk from CPU 1 with the same POST:
- the floor, a bare Flask app, on waitress (the server ``mockserver serve`` used before);
- the fake on waitress, to show what the app alone costs there;
- the floor on granian, the production server now;
- the fake as ``mockserver serve`` runs it (granian);
- the same with ``--state-file`` (every creation appended to a file) and with ``--upstream`` (undeclared
  routes passed on: the fake's own creation must not pay for it);
- Stoplight Prism mocking the vendor's document (``npm ci --prefix bench/prism``; skipped if absent).

The goals (issue: the fake at the cost of a bare Flask app) are checked and said: a line
``GOAL MISSED`` names each one a run misses, so a change that costs throughput shows the day it lands.

This machine's speed drifts, by as much as a factor of two within a minute, so the servers
take turns in short runs, each round in a rotated order so that a steady drift favours none,
and each figure is the median of per-round ratios.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench._serve import PYTHON, ROOT, WrkResult, free_port, pinned, process, wrk

ROUNDS = 6
SECONDS = 3
CONNECTIONS = 16
THREADS = 8
PATH = "/conversations/1/messages"
PRISM = ROOT / "bench" / "prism" / "node_modules" / ".bin" / "prism"
FAKE = "fake (mockserver serve, granian)"
FLOOR = "floor on granian"
STATE_FILE = "fake --state-file"
UPSTREAM = "fake --upstream"
SERVE = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--threads", str(THREADS), "--no-demo"]
SERVERS = {
    "floor on waitress": [PYTHON, "-m", "bench.on_waitress", "floor", str(THREADS)],
    "fake on waitress": [PYTHON, "-m", "bench.on_waitress", "fake", str(THREADS)],
    FLOOR: [PYTHON, "-m", "bench.floor_app", str(THREADS)],
    FAKE: SERVE,
}
#: Each goal: what it compares, and the least the ratio may be (issue #32's goals, and the older ones).
GOALS: tuple[tuple[str, str, float], ...] = (
    ("fake / floor on granian, requests per second", "rps:fake/floor", 0.9),
    ("floor's p99 / fake's p99 on granian", "p99:floor/fake", 1 / 1.2),
    ("fake --state-file / floor on granian, requests per second", "rps:state/floor", 0.8),
    ("fake --upstream / fake, requests per second", "rps:upstream/fake", 0.95),
    ("fake / floor on waitress, requests per second", "rps:fake/waitress floor", 2.0),
)


def measure(rounds: int = ROUNDS, seconds: int = SECONDS) -> dict[str, dict[str, float]]:
    """Take turns loading each server; return each one's median figures and its median ratio to the fake."""
    servers = dict(SERVERS)
    with ExitStack() as stack:
        state = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "state.jsonl"
        servers[STATE_FILE] = [*SERVE, "--state-file", str(state)]
        # An upstream that never answers: the fake's own creation never goes there.
        servers[UPSTREAM] = [*SERVE, "--upstream", f"http://127.0.0.1:{free_port()}"]
        if PRISM.exists():
            document = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "openapi.json"
            sys.path.insert(0, str(ROOT))
            from message_api_kit.schemas import vendor_document

            document.write_text(json.dumps(vendor_document()))
            servers["Prism (mock of /openapi.json)"] = [str(PRISM), "mock", "--port", str(free_port()), str(document)]
        urls = {name: stack.enter_context(process(pinned(0, argv))).url for name, argv in servers.items()}
        for url in urls.values():
            wrk(url + PATH, 2, CONNECTIONS)  # warm-up
        results: dict[str, list[WrkResult]] = {name: [] for name in urls}
        names = list(urls)
        for turn in range(rounds):
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                results[name].append(wrk(urls[name] + PATH, seconds, CONNECTIONS))
    fake = results[FAKE]
    return {
        name: {
            "rps": statistics.median(r.requests_per_second for r in runs),
            "p99_ms": statistics.median(r.latency_p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "fake_ratio": statistics.median(
                f.requests_per_second / r.requests_per_second for f, r in zip(fake, runs, strict=True)
            ),
        }
        for name, runs in results.items()
    }


def goals(figures: dict[str, dict[str, float]]) -> list[tuple[str, float, float]]:
    """Each goal as measured: its name, the ratio (a median of per-round ratios where both ran by turns), the least."""
    fake, floor = figures[FAKE], figures[FLOOR]
    ratios = {
        "rps:fake/floor": floor["fake_ratio"],  # fake/this, per round
        "p99:floor/fake": floor["p99_ms"] / fake["p99_ms"],
        "rps:state/floor": figures[STATE_FILE]["rps"] / floor["rps"],
        "rps:upstream/fake": 1 / figures[UPSTREAM]["fake_ratio"],
        "rps:fake/waitress floor": figures["floor on waitress"]["fake_ratio"],
    }
    return [(name, ratios[key], least) for name, key, least in GOALS]


def report(figures: dict[str, dict[str, float]]) -> str:
    """The figures as lines of text, then each goal, and a loud line for each one missed."""
    lines = [f"{'server':34} {'req/s':>7} {'p99 ms':>7} {'fake/this':>9}  errors (socket, non-2xx)"]
    for name, f in figures.items():
        ratio = "" if name == FAKE else f"{f['fake_ratio']:.2f}x"
        lines.append(f"{name:34} {f['rps']:7.0f} {f['p99_ms']:7.1f} {ratio:>9}  {f['errors']:.0f}")
    lines.append(
        f"medians of {ROUNDS} rotated rounds of {SECONDS} s, wrk -t1 -c{CONNECTIONS}, {THREADS} Python threads;"
        " Prism, when installed: the fake at least 2.5x it"
    )
    for goal, measured, least in goals(figures):
        verdict = "met" if measured >= least else "GOAL MISSED"
        lines.append(f"{verdict:11} {goal}: {measured:.2f} (goal >= {least:.2f})")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    sys.path.insert(0, str(ROOT))
    print(report(measure()))


if __name__ == "__main__":
    main()
