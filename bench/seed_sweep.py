"""Verdicts at many seeds: every broken fake caught, every correct server passed, whatever the seed.

``python -m bench.seed_sweep [BROKEN_SEEDS [CORRECT_SEEDS]]`` (default 200 and 50). In
process, with default settings (``--strict`` where said), on two worker processes:

- each broken fake at seeds 0 to BROKEN_SEEDS-1 must fail (exit 1);
- the correct fake, and each lenient and each different server, at seeds 0 to
  CORRECT_SEEDS-1 must pass (exit 0) by default;
- under ``--strict`` the correct fake and the different servers must pass, and every
  lenient server must fail.

A claim that the suite "catches everything" or "raises no false alarm" holds for the
seeds this prints, and no more.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx

from bench._serve import ROOT

sys.path.insert(0, str(ROOT))

from message_api_kit.contracts import RunConfig, run
from message_api_kit.mockserver import create_app
from tests.contracts.broken_fakes import BROKEN_FAKES
from tests.contracts.lenient_fakes import DIFFERENT_FAKES, LENIENT_FAKES

BASE = "http://localhost"
CORRECT = "(the fake)"
FACTORIES: dict[str, Callable[[], Any]] = {CORRECT: create_app, **BROKEN_FAKES, **LENIENT_FAKES, **DIFFERENT_FAKES}

#: One job: a server, a seed, strict or not, and the exit status it must get.
Job = tuple[str, int, bool, int]


def jobs(broken_seeds: int, correct_seeds: int) -> list[Job]:
    """Every (server, seed, strict, expected exit) this sweep runs."""
    found: list[Job] = [(name, seed, False, 1) for name in sorted(BROKEN_FAKES) for seed in range(broken_seeds)]
    for name in [CORRECT, *sorted(LENIENT_FAKES), *sorted(DIFFERENT_FAKES)]:
        found += [(name, seed, False, 0) for seed in range(correct_seeds)]
        found += [(name, seed, True, 1 if name in LENIENT_FAKES else 0) for seed in range(correct_seeds)]
    return found


def verdict(job: Job) -> tuple[Job, int]:
    """Run one job; return it with the exit status it got."""
    name, seed, strict, expected = job
    client = httpx.Client(transport=httpx.WSGITransport(app=FACTORIES[name]()), base_url=BASE)
    # Stopping at the first failing check changes no exit status, and a broken fake's run is much shorter.
    config = RunConfig(BASE, 1, other_conversation=2, seed=seed, strict=strict, exit_first=expected == 1)
    return job, run(config, client=client).exit_code


def measure(broken_seeds: int = 200, correct_seeds: int = 50, workers: int = 2) -> dict[str, Any]:
    """Run the sweep; return the wrong verdicts, the number of runs and the seconds taken."""
    started = time.perf_counter()
    todo = jobs(broken_seeds, correct_seeds)
    wrong: list[tuple[Job, int]] = []
    with ProcessPoolExecutor(workers) as pool:
        for job, code in pool.map(verdict, todo, chunksize=20):
            if code != job[3]:
                wrong.append((job, code))
                print(f"  WRONG: {job[0]} seed {job[1]}{' strict' if job[2] else ''}: exit {code}", flush=True)
    return {
        "broken_seeds": broken_seeds,
        "correct_seeds": correct_seeds,
        "runs": len(todo),
        "wrong": wrong,
        "seconds": time.perf_counter() - started,
    }


def report(result: dict[str, Any]) -> str:
    """One line per group of servers, then every wrong verdict."""
    wrong: Iterable[tuple[Job, int]] = result["wrong"]
    missed = [job for job, _ in wrong if job[3] == 1 and not job[2]]
    alarms = [job for job, _ in wrong if job[3] == 0]
    strict_missed = [job for job, _ in wrong if job[3] == 1 and job[2]]
    # Runs that must pass: every correct server by default; the fake and the different ones under --strict.
    must_pass = (1 + len(LENIENT_FAKES) + len(DIFFERENT_FAKES) + 1 + len(DIFFERENT_FAKES)) * result["correct_seeds"]
    lines = [
        f"broken fakes caught: {len(BROKEN_FAKES) * result['broken_seeds'] - len(missed)}"
        f"/{len(BROKEN_FAKES) * result['broken_seeds']} runs ({len(BROKEN_FAKES)} fakes x seeds 0-"
        f"{result['broken_seeds'] - 1})",
        f"false alarms on correct servers: {len(alarms)} in {must_pass} runs"
        f" (the fake, {len(LENIENT_FAKES)} lenient and {len(DIFFERENT_FAKES)} different servers,"
        f" default and --strict, seeds 0-{result['correct_seeds'] - 1})",
        f"lenient servers passed under --strict: {len(strict_missed)} in {len(LENIENT_FAKES) * result['correct_seeds']}"
        " runs",
        f"{result['runs']} runs in {result['seconds']:.0f} s",
    ]
    lines += [f"  wrong: {job[0]} seed {job[1]}{' strict' if job[2] else ''} exit {code}" for job, code in wrong]
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    args = [int(arg) for arg in sys.argv[1:3]]
    print(report(measure(*args)))


if __name__ == "__main__":
    main()
