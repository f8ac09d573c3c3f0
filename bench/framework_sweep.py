"""Contract checks on correct servers of stacks the rules were not written from (``python -m bench.framework_sweep``).

Each server of ``tests/servers`` (Fastify, Koa, aiohttp, Falcon, Hono, Tornado, written as
their documentation teaches) runs once correct and once per bug of its own stack. Our checks
run at every seed against each, and Schemathesis (``st run`` on the vendor's OpenAPI document,
``--checks all``) at fewer seeds: it takes longer a run. Prints, per server and mode, how many
runs failed: on a correct server a false alarm, on a bug a catch.
``python -m bench.framework_sweep [OURS [THEIRS [NAME ...]]]``; needs ``npm ci --prefix tests/servers``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._serve import PYTHON
from message_api_kit import schemas
from message_api_kit.contracts import RunConfig, run
from tests.servers import SERVERS, serving


def _ours(url: str, seed: int) -> bool:
    return run(RunConfig(base_url=url, conversation=1, other_conversation=2, seed=seed)).exit_code != 0


def _schemathesis(url: str, seed: int, document: Path) -> bool:
    st = str(Path(PYTHON).with_name("st"))
    argv = [st, "run", str(document), "--url", url, "--checks", "all", "--seed", str(seed), "--no-color"]
    with tempfile.TemporaryDirectory() as workdir:  # it caches the failures it found in its directory
        return subprocess.run(argv, capture_output=True, cwd=workdir, timeout=600, check=False).returncode != 0


def sweep(ours: range, theirs: range, names: list[str]) -> list[str]:
    lines = [
        f"ours at seeds {ours.start}-{ours.stop - 1} (default settings); Schemathesis at seeds"
        f" {theirs.start}-{theirs.stop - 1} (--checks all, the vendor's /openapi.json)",
        "",
        "| server | mode | ours: runs failed | s a run | Schemathesis: runs failed | s a run |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "openapi.json"
        document.write_text(json.dumps(schemas.vendor_document()))
        for name in names:
            for bug in ("", *SERVERS[name].bugs):
                figures = []
                for seeds, judge in ((ours, _ours), (theirs, lambda u, s: _schemathesis(u, s, document))):
                    started = time.perf_counter()
                    with serving(name, bug) as url:
                        failed = sum(judge(url, seed) for seed in seeds)
                    figures.append(f"{failed}/{len(seeds)} | {(time.perf_counter() - started) / len(seeds):.2f}")
                mode = f"bug: {bug}" if bug else "correct"
                lines.append(f"| {name} | {mode} | {figures[0]} | {figures[1]} |")
                print(lines[-1], flush=True)
    return lines


def measure(ours: int = 50, theirs: int = 10, names: list[str] | None = None) -> list[str]:
    """The table's lines, every server of ``names`` (default: all) at ``ours`` and ``theirs`` seeds."""
    return sweep(range(ours), range(theirs), names or list(SERVERS))


def report(lines: list[str]) -> str:
    """The table, then the totals: false alarms on correct servers and catches of bugs, for each tool."""
    rows = [line.split(" | ") for line in lines if line.startswith("| ") and not line.startswith("| server")]
    rows = [row for row in rows if "---" not in row[0]]

    def total(kind: str, column: int) -> str:
        picked = [row[column].split("/") for row in rows if (row[1] == "correct") == (kind == "correct")]
        return f"{sum(int(a) for a, _ in picked)}/{sum(int(b) for _, b in picked)}"

    summary = [
        "",
        f"ours: false alarms in {total('correct', 2)} runs on correct servers; bugs caught in {total('bug', 2)} runs",
        f"Schemathesis: false alarms in {total('correct', 4)} runs on correct servers;"
        f" bugs caught in {total('bug', 4)} runs",
    ]
    return "\n".join([*lines, *summary])


def main() -> None:
    ours = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    theirs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(report(measure(ours, theirs, sys.argv[3:] or None)))


if __name__ == "__main__":
    main()
