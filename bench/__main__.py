"""``python -m bench`` (``make bench``): every benchmark, then a short table in bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Callable
from pathlib import Path

from bench import (
    catch_rate,
    contract_suite,
    instructions,
    schemathesis_seeds,
    seed_sweep,
    serving,
    store_growth,
    throughput,
)

RESULTS = Path(__file__).with_name("RESULTS.md")


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu})"
    return f"{system}, Python {platform.python_version()}"


#: Each benchmark: its title in RESULTS.md, and what runs it and returns its report.
BENCHMARKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("Throughput (`python -m bench.throughput`)", lambda: throughput.report(throughput.measure())),
    ("Idle and slow clients, a 300 MiB upload (`python -m bench.serving`)", lambda: serving.report(serving.measure())),
    ("Instructions per creation (`python -m bench.instructions`)", lambda: instructions.report(instructions.measure())),
    (
        "Store growth (`python -m bench.store_growth`)",
        lambda: store_growth.report(store_growth.measure(), store_growth.bytes_per_message()),
    ),
    (
        "Contract suite against the fake (`python -m bench.contract_suite`)",
        lambda: contract_suite.report(contract_suite.measure()),
    ),
    ("Catch rate beside Schemathesis (`python -m bench.catch_rate`)", lambda: catch_rate.report(catch_rate.measure())),
    ("Verdicts at many seeds (`python -m bench.seed_sweep`)", lambda: seed_sweep.report(seed_sweep.measure())),
    (
        "Schemathesis on each document at many seeds (`python -m bench.schemathesis_seeds`)",
        lambda: schemathesis_seeds.report(schemathesis_seeds.measure()),
    ),
)


def main() -> None:
    """Run everything, print as it goes, and write RESULTS.md."""
    sections = []
    for title, benchmark in BENCHMARKS:
        print(f"== {title}", flush=True)
        text = benchmark()
        print(text)
        sections.append((title, text))
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"# Benchmark results\n\n{stamp}; {_machine()}.\n"]
    body.append("Written by `make bench`; figures vary with the machine's load.\n")
    body += [f"## {title}\n\n```\n{text}\n```\n" for title, text in sections]
    RESULTS.write_text("\n".join(body), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
