"""Instructions per creation, fake beside the floor, counted by callgrind (``python -m bench.instructions``).

Instruction counts do not drift with a shared machine's speed, unlike wall-clock
figures. Each variant runs twice under valgrind, with 50 and with 450 requests made in
process; the difference over 400 is the cost of one request. Needs valgrind.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from typing import Any

from bench._serve import ROOT

BODY = b'{"message": "hello from the benchmark", "parent_id": null}'
WARM_UP, MEASURED = 50, 400


def _child(variant: str, count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.floor_app import app as floor
    from mockserver import create_app

    app: Any = floor if variant == "floor" else create_app()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/conversations/1/messages",
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
    }
    for _ in range(count):
        body = app({**environ, "wsgi.input": io.BytesIO(BODY)}, lambda status, headers, exc_info=None: None)
        b"".join(body)


def _count(variant: str, requests: int) -> int:
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        variant,
        str(requests),
    ]
    err = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stderr
    return int(re.search(r"Collected : (\d+)", err).group(1))  # type: ignore[union-attr]


def measure() -> dict[str, float]:
    """Instructions per request for the floor and the fake, and their ratio."""
    if shutil.which("valgrind") is None:
        raise SystemExit("bench: valgrind is not installed (Debian: apt-get install valgrind)")
    per_request = {
        variant: (_count(variant, WARM_UP + MEASURED) - _count(variant, WARM_UP)) / MEASURED
        for variant in ("floor", "fake")
    }
    return {**per_request, "ratio": per_request["floor"] / per_request["fake"]}


def report(r: dict[str, float]) -> str:
    """The figures as a line of text."""
    return (
        f"instructions per creation, in process: floor {r['floor'] / 1000:.1f}K, fake {r['fake'] / 1000:.1f}K;"
        f" ratio floor/fake {r['ratio']:.3f} (goal >= 0.85)"
    )


def main() -> None:
    """Print the figures, or be the child that valgrind runs."""
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        print(report(measure()))


if __name__ == "__main__":
    main()
