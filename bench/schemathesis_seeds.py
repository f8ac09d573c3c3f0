"""Schemathesis, with all its checks, on each of the fake's documents at many seeds.

``python -m bench.schemathesis_seeds [SEEDS]`` (default 20): ``st run --checks all`` with
60 examples per operation (more than twice ``make test``'s) against ``mockserver serve``,
once per seed, on the vendor's ``/openapi.json``, on the fake's ``/__mock__/openapi.json``
with ``setFaults`` left out (the faults it sets make the other operations fail, by design),
and on ``setFaults`` alone against a fake of its own. A claim that Schemathesis "finds
nothing" holds for the seeds this prints. ``make test`` runs each at two seeds, one fixed
and one that changes every run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._serve import PYTHON, process

DOCUMENTS = {
    "vendor (/openapi.json)": ("/openapi.json", []),
    "fake (/__mock__/openapi.json)": ("/__mock__/openapi.json", ["--exclude-operation-id", "setFaults"]),
    "fake's setFaults alone": ("/__mock__/openapi.json", ["--include-operation-id", "setFaults"]),
}
EXAMPLES = 60
TIMEOUT = 300


def measure(seeds: int = 20) -> dict[str, dict[int, list[str]]]:
    """For each document and seed: the failure codes Schemathesis reported (empty: it found nothing)."""
    found: dict[str, dict[int, list[str]]] = {name: {} for name in DOCUMENTS}
    st = str(Path(PYTHON).with_name("st"))
    for name, (path, extra) in DOCUMENTS.items():
        # A fake for each document: setFaults leaves faults in force that the others would meet.
        with process([PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]) as server:
            for seed in range(seeds):
                with tempfile.TemporaryDirectory() as workdir:  # its crash cache must not carry over
                    argv = [st, "run", f"{server.url}{path}", "--checks", "all", "--no-color"]
                    argv += ["--max-examples", str(EXAMPLES)]
                    result = subprocess.run(
                        [*argv, "--seed", str(seed), *extra],
                        capture_output=True,
                        text=True,
                        timeout=TIMEOUT,
                        check=False,
                        cwd=workdir,
                    )
                codes = sorted(set(re.findall(r"❌ (ST\d+ [^:\n]+)", result.stdout)))
                if result.returncode != 0 and not codes:
                    codes = [f"exit {result.returncode}"]
                found[name][seed] = codes
                print(f"  {name:30} seed {seed:3}: {', '.join(codes) or 'nothing found'}", flush=True)
    return found


def report(found: dict[str, dict[int, list[str]]]) -> str:
    """One line per document: at how many seeds Schemathesis found something, and what."""
    lines = []
    for name, by_seed in found.items():
        failing = {seed: codes for seed, codes in by_seed.items() if codes}
        lines.append(
            f"{name}: nothing found at {len(by_seed) - len(failing)}/{len(by_seed)} seeds (0-{len(by_seed) - 1})"
        )
        lines += [f"  seed {seed}: {', '.join(codes)}" for seed, codes in failing.items()]
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    started = time.perf_counter()
    print(report(measure(*(int(arg) for arg in sys.argv[1:2]))))
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
