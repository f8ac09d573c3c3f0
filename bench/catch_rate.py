"""Catch rate, false alarms and time of our contract suite beside Schemathesis.

Against the correct fake, every broken fake (each must be caught), and every correct
server that is lenient or different where the doc allows (none may be failed).

``python -m bench.catch_rate``. Each fake is served on loopback by waitress, a real
multi-threaded server, in a thread of this process; both tools run as their own
command-line programs with default settings:

- ours: ``contracts --base-url URL --conversation 1 --other-conversation 2``;
- Schemathesis: ``st run URL/openapi.json --checks all`` on the fake's own OpenAPI
  document, limited to the operation under contract (``createMessage``): the admin
  operations are the fake's, and would only add time.

A fake is caught when the tool exits non-zero; a false alarm is a non-zero exit on a
correct server.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waitress.server import create_server

from bench._serve import PYTHON, ROOT

sys.path.insert(0, str(ROOT))

from message_api_kit.mockserver import create_app
from tests.contracts.broken_fakes import BROKEN_FAKES
from tests.contracts.lenient_fakes import DIFFERENT_FAKES, LENIENT_FAKES

TIMEOUT = 600


@dataclass
class Outcome:
    """One tool on one fake."""

    failed: bool
    seconds: float


@contextmanager
def _served(app: Any) -> Iterator[str]:
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=8, log_socket_errors=False)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()  # its loop ends once the tool's connections are gone


def _ours(url: str) -> list[str]:
    return [
        str(Path(PYTHON).with_name("contracts")),
        "--base-url",
        url,
        "--conversation",
        "1",
        "--other-conversation",
        "2",
    ]


def _schemathesis(url: str) -> list[str]:
    st = str(Path(PYTHON).with_name("st"))
    return [
        st,
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--include-operation-id",
        "createMessage",
        "--no-color",
    ]


def _run(argv: list[str]) -> Outcome:
    # A fresh working directory each run: Schemathesis caches the crashes it found there
    # and would replay them against the next fake.
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=workdir)
        return Outcome(result.returncode != 0, time.perf_counter() - started)


#: The servers that a tool must pass.
CORRECT: dict[str, Callable[[], Any]] = {
    "(correct fake)": create_app,
    **{f"(lenient) {name}": factory for name, factory in sorted(LENIENT_FAKES.items())},
    **{f"(different) {name}": factory for name, factory in sorted(DIFFERENT_FAKES.items())},
}


def measure(names: Iterable[str] | None = None) -> dict[str, dict[str, Outcome]]:
    """For every correct server and each broken fake: how each tool did."""
    every: dict[str, Callable[[], Any]] = {**CORRECT, **BROKEN_FAKES}
    fakes = {name: every[name] for name in names} if names else every
    outcomes: dict[str, dict[str, Outcome]] = {}
    for name, factory in fakes.items():
        outcomes[name] = {}
        for tool, argv in (("ours", _ours), ("schemathesis", _schemathesis)):
            with _served(factory()) as url:  # a fresh fake per tool: same starting state
                outcomes[name][tool] = _run(argv(url))
        print(
            f"  {name:40} ours {'caught' if outcomes[name]['ours'].failed else 'missed':7}"
            f" {outcomes[name]['ours'].seconds:5.1f}s   schemathesis"
            f" {'caught' if outcomes[name]['schemathesis'].failed else 'missed':7}"
            f" {outcomes[name]['schemathesis'].seconds:5.1f}s",
            flush=True,
        )
    return outcomes


def report(outcomes: dict[str, dict[str, Outcome]]) -> str:
    """Catch rate, false alarms and total time per tool."""
    broken = [name for name in outcomes if name not in CORRECT]
    correct = [name for name in outcomes if name in CORRECT]
    lines = []
    for tool in ("ours", "schemathesis"):
        caught = sum(outcomes[name][tool].failed for name in broken)
        alarms = [name for name in correct if outcomes[name][tool].failed]
        seconds = sum(o[tool].seconds for o in outcomes.values())
        lines.append(
            f"{tool:13} caught {caught}/{len(broken)} broken fakes ({caught / max(len(broken), 1):.0%}),"
            f" false alarms on {len(alarms)}/{len(correct)} correct servers, total time {seconds:.0f} s"
        )
        if alarms:
            lines.append(f"{'':13} false alarms: {', '.join(alarms)}")
    only_ours = [n for n in broken if outcomes[n]["ours"].failed and not outcomes[n]["schemathesis"].failed]
    only_theirs = [n for n in broken if outcomes[n]["schemathesis"].failed and not outcomes[n]["ours"].failed]
    lines.append(f"caught only by ours: {', '.join(only_ours) or 'none'}")
    lines.append(f"caught only by Schemathesis: {', '.join(only_theirs) or 'none'}")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure(sys.argv[1:] or None)))


if __name__ == "__main__":
    main()
