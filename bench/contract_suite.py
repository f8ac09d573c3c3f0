"""The contract suite's own run time against the fake, default settings (``python -m bench.contract_suite``)."""

from __future__ import annotations

import statistics
import time

from bench._serve import PYTHON, process
from message_api_kit.contracts import RunConfig, run
from message_api_kit.contracts.catalog import CHECKS

RUNS = 3


def measure(runs: int = RUNS) -> dict[str, float]:
    """Run the whole suite ``runs`` times against ``mockserver serve``; median seconds and requests."""
    seconds, requests, passed = [], [], []
    with process([PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]) as server:
        for seed in range(runs):
            started = time.perf_counter()
            report = run(RunConfig(base_url=server.url, conversation=1, other_conversation=2, seed=seed))
            seconds.append(time.perf_counter() - started)
            requests.append(sum(r.requests for r in report.results))
            passed.append(report.exit_code == 0)
    median_seconds = statistics.median(seconds)
    median_requests = statistics.median(requests)
    return {
        "seconds": median_seconds,
        "requests": median_requests,
        "rps": median_requests / median_seconds,
        "all_passed": float(all(passed)),
    }


def report(r: dict[str, float]) -> str:
    """The figures as a line of text."""
    verdict = "every check passed" if r["all_passed"] else "SOME CHECK FAILED"
    return (
        f"contract suite vs the fake ({len(CHECKS)} checks, max-examples 15, median of {RUNS}): {r['seconds']:.1f} s,"
        f" {r['requests']:.0f} requests, {r['rps']:.0f} requests/s; {verdict}"
    )


def main() -> None:
    """Print the figures."""
    print(report(measure()))


if __name__ == "__main__":
    main()
