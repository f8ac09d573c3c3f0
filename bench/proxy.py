"""``mockserver serve --upstream`` as a pass-through (``python -m bench.proxy``).

The floor app (bench/floor_app.py, on granian like the fake) is the upstream, pinned to CPU 0;
the fake runs with ``--upstream`` pinned to CPU 1, beside the load generator. A route the kit
does not declare (``POST /elsewhere/1``) is sent straight to the upstream and through the fake:

1. latency, one request at a time on one kept-alive connection: p50 and p99 of each, and what
   passing through adds at p50 (goal: under 1 ms);
2. throughput, wrk -t1 -c16: through the fake against the upstream alone (goal: at least half).
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench._serve import BODY, PYTHON, pinned, process, report, wrk

REQUESTS, SECONDS, CONNECTIONS = 3000, 5, 16
PATH = "/elsewhere/1"


def _latencies(url: str) -> list[float]:
    with httpx.Client(base_url=url) as client:
        for _ in range(200):  # warm-up
            client.post(PATH, content=BODY, headers={"Content-Type": "application/json"})
        found = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            answer = client.post(PATH, content=BODY, headers={"Content-Type": "application/json"})
            found.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 201, answer.text
    return found


def measure() -> list[str]:
    """Every figure, as lines."""
    with process(pinned(0, [PYTHON, "-m", "bench.floor_app", "8"])) as upstream:
        argv = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]
        with process(pinned(1, [*argv, "--upstream", upstream.url])) as fake:
            direct, through = _latencies(upstream.url), _latencies(fake.url)
            alone = wrk(upstream.url + PATH, SECONDS, CONNECTIONS)
            proxied = wrk(fake.url + PATH, SECONDS, CONNECTIONS)

    def q(values: list[float], n: int) -> float:
        return statistics.quantiles(values, n=100)[n - 1]

    added = q(through, 50) - q(direct, 50)
    ratio = proxied.requests_per_second / alone.requests_per_second
    return [
        f"one at a time, {REQUESTS} requests: upstream alone p50 {q(direct, 50):.2f} ms p99 {q(direct, 99):.2f} ms;"
        f" through the fake p50 {q(through, 50):.2f} ms p99 {q(through, 99):.2f} ms;"
        f" added at p50 {added:.2f} ms (goal < 1 ms: {'met' if added < 1 else 'NOT met'})",
        f"wrk -t1 -c{CONNECTIONS} {SECONDS} s: upstream alone {alone.requests_per_second:.0f} req/s"
        f" (p99 {alone.latency_p99_ms:.1f} ms, {alone.errors} errors); through the fake"
        f" {proxied.requests_per_second:.0f} req/s (p99 {proxied.latency_p99_ms:.1f} ms, {proxied.errors} errors):"
        f" {ratio:.2f} of the upstream's (goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})",
    ]


if __name__ == "__main__":
    print(report(measure()))
