"""``mockserver serve --upstream`` as a pass-through (``python -m bench.proxy``).

The floor app (bench/floor_app.py, on granian like the fake) is the upstream, pinned to CPU 0;
the fake runs with ``--upstream`` pinned to CPU 1, beside the load generator. A route the kit
does not declare (``POST /elsewhere/1``) is sent straight to the upstream and through the fake:

1. latency, one request at a time on one kept-alive connection, the two taking turns over 6
   rounds of 500 (so that the machine's drift falls on both alike): p50 and p99 of each, and
   what passing through adds at p50, the median of the rounds' (goal: under 1 ms);
2. throughput, wrk -t1 -c16: through the fake against the upstream alone (goal: at least half).
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench._serve import BODY, PYTHON, pinned, process, report, wrk

ROUNDS, REQUESTS, SECONDS, CONNECTIONS = 6, 500, 5, 16
PATH = "/elsewhere/1"


def _latencies(client: httpx.Client, requests: int) -> list[float]:
    found = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.post(PATH, content=BODY, headers={"Content-Type": "application/json"})
        found.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 201, answer.text
    return found


def _q(values: list[float], n: int) -> float:
    return statistics.quantiles(values, n=100)[n - 1]


def _rounds(direct_url: str, fake_url: str) -> tuple[list[float], list[float], list[float]]:
    """Every latency of each, and what passing through added at p50 in each round."""
    direct, through, added = [], [], []
    with httpx.Client(base_url=direct_url) as alone, httpx.Client(base_url=fake_url) as proxied:
        _latencies(alone, 200)  # warm-up
        _latencies(proxied, 200)
        for n in range(ROUNDS):
            if n % 2:
                passed, straight = _latencies(proxied, REQUESTS), _latencies(alone, REQUESTS)
            else:
                straight, passed = _latencies(alone, REQUESTS), _latencies(proxied, REQUESTS)
            direct += straight
            through += passed
            added.append(_q(passed, 50) - _q(straight, 50))
    return direct, through, added


def measure() -> list[str]:
    """Every figure, as lines."""
    with process(pinned(0, [PYTHON, "-m", "bench.floor_app", "8"])) as upstream:
        argv = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]
        with process(pinned(1, [*argv, "--upstream", upstream.url])) as fake:
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
    ]


if __name__ == "__main__":
    print(report(measure()))
