"""``python -m bench`` (``make bench``): every benchmark, then a short table in bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bench import (
    catch_rate,
    contract_suite,
    creation_profile,
    diff_seeds,
    framework_sweep,
    instructions,
    memory,
    proxy,
    replay,
    schemathesis_seeds,
    seed_sweep,
    serving,
    state_file,
    store_growth,
    throughput,
)
from bench._serve import report

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


#: Each benchmark: its module, its title in RESULTS.md, and what runs it and returns its report.
BENCHMARKS: tuple[tuple[str, str, Callable[[], str]], ...] = (
    ("throughput", "Throughput (`python -m bench.throughput`)", lambda: throughput.report(throughput.measure())),
    (
        "creation_profile",
        "Where a creation's time goes (`python -m bench.creation_profile`)",
        lambda: creation_profile.report(creation_profile.measure()),
    ),
    (
        "serving",
        "Idle and slow clients, slow uploads, a 300 MiB upload (`python -m bench.serving`)",
        lambda: serving.report(serving.measure()),
    ),
    (
        "proxy",
        "Passing through to an upstream (`python -m bench.proxy`)",
        lambda: report(proxy.measure()),
    ),
    (
        "replay",
        "Replaying an app's journal on a real server (`python -m bench.replay`)",
        lambda: report(replay.measure()),
    ),
    (
        "memory",
        "Memory: shared snapshots and the budget (`python -m bench.memory`)",
        lambda: report(memory.measure()),
    ),
    (
        "state_file",
        "The state file (`python -m bench.state_file`)",
        lambda: state_file.report(state_file.measure()),
    ),
    (
        "instructions",
        "Instructions per creation (`python -m bench.instructions`)",
        lambda: instructions.report(instructions.measure()),
    ),
    (
        "store_growth",
        "Store growth (`python -m bench.store_growth`)",
        lambda: store_growth.report(store_growth.measure(), store_growth.bytes_per_message()),
    ),
    (
        "contract_suite",
        "Contract suite against the fake (`python -m bench.contract_suite`)",
        lambda: contract_suite.report(contract_suite.measure()),
    ),
    (
        "catch_rate",
        "Catch rate beside Schemathesis (`python -m bench.catch_rate`)",
        lambda: catch_rate.report(catch_rate.measure()),
    ),
    (
        "framework_sweep",
        "Servers of six other stacks, ours beside Schemathesis (`python -m bench.framework_sweep`)",
        lambda: framework_sweep.report(framework_sweep.measure()),
    ),
    (
        "seed_sweep",
        "Verdicts at many seeds (`python -m bench.seed_sweep`)",
        lambda: seed_sweep.report(seed_sweep.measure()),
    ),
    (
        "diff_seeds",
        "contracts diff: the fake against itself, and ten stacks calibrated (`python -m bench.diff_seeds`)",
        lambda: diff_seeds.report(diff_seeds.measure()),
    ),
    (
        "schemathesis_seeds",
        "Schemathesis on each document at many seeds (`python -m bench.schemathesis_seeds`)",
        lambda: schemathesis_seeds.report(schemathesis_seeds.measure()),
    ),
)


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark (or those named, by module: ``python -m bench throughput serving``),
    print as it goes, and write their sections of RESULTS.md, each stamped with its date."""
    wanted = set(sys.argv[1:] if argv is None else argv)
    known = {module for module, _, _ in BENCHMARKS}
    if wanted - known:
        raise SystemExit(f"bench: no benchmark named {', '.join(sorted(wanted - known))}; known: {', '.join(known)}")
    sections = _sections(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() and wanted else {}
    for module, title, benchmark in BENCHMARKS:
        if wanted and module not in wanted:
            continue
        print(f"== {title}", flush=True)
        text = benchmark()
        print(text)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        sections[title] = f"{stamp}; {_machine()}.\n\n```\n{text}\n```\n"
    body = [
        "# Benchmark results\n",
        "Written by `make bench` (or `python -m bench NAME ...` for some); figures vary with the machine's load.\n",
    ]
    body += [f"## {title}\n\n{sections[title]}" for _, title, _ in BENCHMARKS if title in sections]
    RESULTS.write_text("\n".join(body), encoding="utf-8")
    print(f"wrote {RESULTS}")


def _sections(text: str) -> dict[str, str]:
    """The sections of a RESULTS.md: title to everything under it."""
    parts = re.split(r"^## (.+)\n\n", text, flags=re.MULTILINE)
    return {title: content.rstrip("\n") + "\n" for title, content in zip(parts[1::2], parts[2::2], strict=True)}


if __name__ == "__main__":
    main()
