"""``mockserver serve --upstream`` as a pass-through (``python -m bench.proxy``).

The floor app (bench/floor_app.py, on granian like the fake) is the upstream, pinned to CPU 0;
the fake runs with ``--upstream`` pinned to CPU 1, beside the load generator. A route the kit
does not declare (``POST /elsewhere/1``) is sent straight to the upstream and through the fake:

1. latency, one request at a time on one kept-alive connection, the two taking turns over 6
   rounds of 500 (so that the machine's drift falls on both alike): p50 and p99 of each, and
   what passing through adds at p50, the median of the rounds' (goal: under 1 ms);
2. throughput, wrk -t1 -c16: through the fake against the upstream alone (goal: at least half);
3. ``--watch``: a creation sent to a real fake (the upstream, CPU 0) straight and through a watching
   fake (CPU 1) that judges it, taking turns as in 1 (goal: it adds under 1 ms at p50);
4. ``--record``: 10,000 creations one at a time through a watching fake that records them, with a
   256 MiB memory budget: the p99 of the last thousand against the first thousand (goal: at most
   twice), and the worker's resident memory at the end (goal: within the budget).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench._serve import BODY, PYTHON, Running, pinned, process, report, wrk

ROUNDS, REQUESTS, SECONDS, CONNECTIONS = 6, 500, 5, 16
PATH = "/elsewhere/1"
CREATE = "/conversations/1/messages"
#: Creations recorded, and the memory budget they are recorded under.
RECORDED, BUDGET_MIB = 10_000, 256
SERVE = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]


def _latencies(client: httpx.Client, requests: int, path: str = PATH) -> list[float]:
    found = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.post(path, content=BODY, headers={"Content-Type": "application/json"})
        found.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 201, answer.text
    return found


def _q(values: list[float], n: int) -> float:
    return statistics.quantiles(values, n=100)[n - 1]


def _rounds(direct_url: str, fake_url: str, path: str = PATH) -> tuple[list[float], list[float], list[float]]:
    """Every latency of each, and what passing through added at p50 in each round."""
    direct, through, added = [], [], []
    with httpx.Client(base_url=direct_url) as alone, httpx.Client(base_url=fake_url) as proxied:
        _latencies(alone, 200, path)  # warm-up
        _latencies(proxied, 200, path)
        for n in range(ROUNDS):
            if n % 2:
                passed, straight = _latencies(proxied, REQUESTS, path), _latencies(alone, REQUESTS, path)
            else:
                straight, passed = _latencies(alone, REQUESTS, path), _latencies(proxied, REQUESTS, path)
            direct += straight
            through += passed
            added.append(_q(passed, 50) - _q(straight, 50))
    return direct, through, added


def _resident_mib(server: Running) -> float:
    """The resident memory of the process holding the fake's state (granian's worker), in MiB."""
    worker = server.worker_pids()[-1]
    with open(f"/proc/{worker}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def watching() -> str:
    """What judging a creation (--watch) adds to it, at p50."""
    with (
        process(pinned(0, SERVE)) as real,
        process(pinned(1, [*SERVE, "--upstream", real.url, "--watch"])) as fake,
    ):
        direct, through, rounds = _rounds(real.url, fake.url, CREATE)
        judged = httpx.get(fake.url + "/__mock__/violations").json()
    added = statistics.median(rounds)
    assert judged["violations"] == [], judged["violations"][:2]
    return (
        f"--watch, one creation at a time, {ROUNDS} rounds of {REQUESTS}: the real API alone p50 {_q(direct, 50):.2f}"
        f" ms; through a watching fake p50 {_q(through, 50):.2f} ms p99 {_q(through, 99):.2f} ms, {judged['judged']}"
        f" judged, 0 violations; added at p50 {added:.2f} ms, median of the rounds'"
        f" {', '.join(f'{a:.2f}' for a in rounds)} (goal < 1 ms: {'met' if added < 1 else 'NOT met'})"
    )


def recording() -> str:
    """10,000 creations recorded: is the cost of one flat, and the memory within the budget?"""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "recorded.json"
        record = ["--record", str(target), "--max-memory", str(BUDGET_MIB)]
        with (
            process(pinned(0, SERVE)) as real,
            process(pinned(1, [*SERVE, "--upstream", real.url, *record])) as fake,
            httpx.Client(base_url=fake.url) as client,
        ):
            times = _latencies(client, RECORDED, CREATE)
            resident = _resident_mib(fake)
        lines = len(target.read_text().splitlines())
    first, last = _q(times[:1000], 99), _q(times[-1000:], 99)
    flat = last <= 2 * first
    within = resident <= BUDGET_MIB
    return (
        f"--record, {RECORDED:,} creations one at a time ({lines:,} lines written): p99 of the first thousand"
        f" {first:.2f} ms, of the last {last:.2f} ms (goal: at most twice: {'met' if flat else 'NOT met'});"
        f" p50 {_q(times, 50):.2f} ms; the worker's resident memory at the end {resident:.0f} MiB of a"
        f" {BUDGET_MIB} MiB budget (goal: within it: {'met' if within else 'NOT met'})"
    )


def measure() -> list[str]:
    """Every figure, as lines."""
    with (
        process(pinned(0, [PYTHON, "-m", "bench.floor_app", "8"])) as upstream,
        process(pinned(1, [*SERVE, "--upstream", upstream.url])) as fake,
    ):
        direct, through, rounds = _rounds(upstream.url, fake.url)
        alone = wrk(upstream.url + PATH, SECONDS, CONNECTIONS)
        proxied = wrk(fake.url + PATH, SECONDS, CONNECTIONS)

    added = statistics.median(rounds)
    ratio = proxied.requests_per_second / alone.requests_per_second
    return [
        f"one at a time, {ROUNDS} rounds of {REQUESTS} each: upstream alone p50 {_q(direct, 50):.2f} ms"
        f" p99 {_q(direct, 99):.2f} ms; through the fake p50 {_q(through, 50):.2f} ms p99 {_q(through, 99):.2f} ms;"
        f" added at p50 {added:.2f} ms, median of the rounds' {', '.join(f'{a:.2f}' for a in rounds)}"
        f" (goal < 1 ms: {'met' if added < 1 else 'NOT met'})",
        f"wrk -t1 -c{CONNECTIONS} {SECONDS} s: upstream alone {alone.requests_per_second:.0f} req/s"
        f" (p99 {alone.latency_p99_ms:.1f} ms, {alone.errors} errors); through the fake"
        f" {proxied.requests_per_second:.0f} req/s (p99 {proxied.latency_p99_ms:.1f} ms, {proxied.errors} errors):"
        f" {ratio:.2f} of the upstream's (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})",
        watching(),
        recording(),
    ]


if __name__ == "__main__":
    print(report(measure()))
