"""``python -m bench`` (``make bench``): every benchmark, then a short table in bench/RESULTS.md."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from bench import catch_rate, contract_suite, instructions, store_growth, throughput

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


def main() -> None:
    """Run everything, print as it goes, and write RESULTS.md."""
    sections = []
    print("== throughput: the fake beside the bare-Flask floor", flush=True)
    text = throughput.report(throughput.measure())
    print(text)
    sections.append(("Throughput (`python -m bench.throughput`)", text))
    print("== instructions per creation (callgrind)", flush=True)
    text = instructions.report(instructions.measure())
    print(text)
    sections.append(("Instructions per creation (`python -m bench.instructions`)", text))
    print("== store growth", flush=True)
    text = store_growth.report(store_growth.measure(), store_growth.bytes_per_message())
    print(text)
    sections.append(("Store growth (`python -m bench.store_growth`)", text))
    print("== contract suite speed", flush=True)
    text = contract_suite.report(contract_suite.measure())
    print(text)
    sections.append(("Contract suite against the fake (`python -m bench.contract_suite`)", text))
    print("== catch rate: ours beside Schemathesis", flush=True)
    text = catch_rate.report(catch_rate.measure())
    print(text)
    sections.append(("Catch rate beside Schemathesis (`python -m bench.catch_rate`)", text))
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"# Benchmark results\n\n{stamp}; {_machine()}.\n"]
    body.append("Written by `make bench`; figures vary with the machine's load.\n")
    body += [f"## {title}\n\n```\n{text}\n```\n" for title, text in sections]
    RESULTS.write_text("\n".join(body), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
