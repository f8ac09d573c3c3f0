"""Contract checks on correct servers of stacks the rules were not written from (``python -m bench.framework_sweep``).

Each server of ``tests/servers`` (Fastify, Koa, aiohttp, Falcon, written as their documentation
teaches) runs once correct and once per bug of its own stack; the checks run at every seed
against each. Prints false alarms (a correct server failed) and catches (a bug found), per
server, and the time of one run. Needs ``npm ci --prefix tests/servers``.
"""

from __future__ import annotations

import sys
import time

from message_api_kit.contracts import RunConfig, run
from tests.servers import SERVERS, serving


def sweep(seeds: range) -> list[str]:
    lines = [f"seeds {seeds.start}-{seeds.stop - 1}, default settings (15 examples a check)", ""]
    lines += ["| server | mode | runs | failed | seconds a run |", "|---|---|---|---|---|"]
    for name, server in SERVERS.items():
        for bug in ("", *server.bugs):
            failed, started = 0, time.perf_counter()
            with serving(name, bug) as url:
                for seed in seeds:
                    report = run(RunConfig(base_url=url, conversation=1, other_conversation=2, seed=seed))
                    failed += report.exit_code != 0
            seconds = (time.perf_counter() - started) / len(seeds)
            mode = f"bug: {bug}" if bug else "correct"
            lines.append(f"| {name} | {mode} | {len(seeds)} | {failed} | {seconds:.2f} |")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print("\n".join(sweep(range(count))))


if __name__ == "__main__":
    main()
