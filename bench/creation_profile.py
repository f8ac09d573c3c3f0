"""Where a creation's time goes, the fake beside the floor (``python -m bench.creation_profile``).

Each app answers the same creation many times in this process, called as a WSGI server
calls it (an environ per request, its body a fresh stream), under cProfile; the time of
each function is summed by where it lives (Flask, Werkzeug, each module of the fake, the
standard library) and divided by the number of requests. The server's own work (HTTP
parsing, granian's threads) is left out: this is what the Python side of a request costs,
which is what the fake can change. A profile slows every call by a similar factor, so the
figures compare the two apps, not the apps with the wall-clock benchmark.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import EnvironBuilder

from bench._serve import BODY

REQUESTS = 5_000
PATH = "/conversations/1/messages"


def _apps() -> dict[str, Callable[..., Iterable[bytes]]]:
    from bench.floor_app import app as floor
    from message_api_kit.mockserver import create_app

    return {"floor (bare Flask)": floor, "fake": create_app()}


def _call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> None:
    request = dict(environ)
    request["wsgi.input"] = io.BytesIO(BODY.encode())
    statuses: list[str] = []
    body = app(request, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    if not statuses[0].startswith("201"):
        raise RuntimeError(f"answered {statuses[0]}")


def _where(filename: str) -> str:
    for marker in ("message_api_kit/", "site-packages/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            if marker == "site-packages/":
                return rest.split("/", 1)[0]
            return rest.removesuffix(".py")
    return "python (stdlib, builtins)"


def measure(requests: int = REQUESTS) -> dict[str, dict[str, float]]:
    """For each app: microseconds per request (unprofiled), and profiled microseconds per request by place."""
    environ: dict[str, Any] = EnvironBuilder(
        path=PATH, method="POST", data=BODY.encode(), headers=[("Content-Type", "application/json")]
    ).get_environ()
    figures: dict[str, dict[str, float]] = {}
    for name, app in _apps().items():
        for _ in range(200):  # warm-up
            _call(app, environ)
        started = time.perf_counter()
        for _ in range(requests):
            _call(app, environ)
        plain = (time.perf_counter() - started) / requests * 1e6
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(requests):
            _call(app, environ)
        profile.disable()
        by_place: dict[str, float] = defaultdict(float)
        stats: Any = pstats.Stats(profile).stats  # type: ignore[attr-defined]  # its table, documented in pstats
        for (filename, _, _), (_, _, own, _, _) in stats.items():
            by_place[_where(filename)] += own / requests * 1e6
        figures[name] = {"(unprofiled, per request)": plain, **by_place}
    return figures


def report(figures: dict[str, dict[str, float]]) -> str:
    """Microseconds per request by place, the places that cost most first, both apps side by side."""
    names = list(figures)
    places = sorted(
        {place for f in figures.values() for place in f if not place.startswith("(")},
        key=lambda place: -max(f.get(place, 0.0) for f in figures.values()),
    )
    lines = [f"{'where (profiled us per creation)':44}" + "".join(f"{name:>20}" for name in names)]
    lines.append(
        f"{'unprofiled, per creation':44}" + "".join(f"{figures[n]['(unprofiled, per request)']:20.1f}" for n in names)
    )
    for place in places:
        row = [figures[n].get(place, 0.0) for n in names]
        if max(row) >= 0.5:
            lines.append(f"{place:44}" + "".join(f"{value:20.1f}" for value in row))
    lines.append(
        f"{REQUESTS} creations each, in process under cProfile (time spent in each place's own functions);"
        " the server's own work is not included"
    )
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure()))


if __name__ == "__main__":
    main()
