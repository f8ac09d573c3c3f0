"""``contracts diff``: false alarms, and calibration on servers of other stacks (``python -m bench.diff_seeds``).

1. The fake against itself at many seeds, with its own shape and with each profile learned
   below: every run must report no difference.
2. Correct servers of ten stacks: the six real servers of ``tests/servers`` (Fastify, Koa,
   aiohttp, Falcon, Hono, Tornado: real processes) and four modelled in the tests on Express,
   Go, FastAPI and Sinatra. For each, a profile is written from one diff (seed 0), the fake is
   served with it, and the drift job's diff runs at every seed: contract differences must be
   0 and ``--fail-on contract`` exit 0; what is left is the stack's lenient readings
   (requests the doc leaves open that it accepts and the fake refuses), listed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bench._serve import ROOT

sys.path.insert(0, str(ROOT))

from message_api_kit.contracts.diff import DiffReport, run_diff
from message_api_kit.contracts.profile import observe
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.validation import validate
from tests.contracts.lenient_fakes import LENIENT_FAKES
from tests.servers import SERVERS, serving

MODELLED = ("express-like", "go-like", "fastapi-like", "sinatra-like")


def _in_process(app: Any, base: str) -> Transport:
    return Transport(base, client=httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base))


def _diff(real: Transport, fake: Any, seed: int) -> DiffReport:
    return run_diff(real, _in_process(fake, "http://localhost"), 1, 2, seed, examples=10)


@contextmanager
def _stack(name: str) -> Iterator[Callable[[], Transport]]:
    if name in SERVERS:
        with serving(name) as url:
            yield lambda: Transport(url)
    else:
        app = LENIENT_FAKES[name]()
        yield lambda: _in_process(app, "http://127.0.0.1")


def measure(seeds: int = 50, names: tuple[str, ...] = (*SERVERS, *MODELLED)) -> dict[str, Any]:
    """Per stack: the profile's differences before and after calibration at every seed; the fake against itself."""
    started = time.monotonic()
    stacks: dict[str, dict[str, Any]] = {}
    profiles: dict[str, Profile] = {}
    for name in names:
        with _stack(name) as real:
            before = _diff(real(), create_app(), 0)
            learned = observe(before)
            validate("profile", learned)
            profiles[name] = Profile.from_json(learned)
            contract, exits, lenient = 0, 0, set()
            for seed in range(seeds):
                after = _diff(real(), create_app(MockConfig(profile=profiles[name])), seed)
                after.fail_on = "contract"
                contract += sum(d.breaks_contract for p in after.pairs for d in p.differences)
                exits += after.exit_code
                lenient |= {request_class for (request_class, _), _ in after.groups().items()}
            stacks[name] = {"before": len(before.groups()), "contract": contract, "exits": exits, "lenient": lenient}
    self_alarms = {
        "own shape": [
            seed
            for seed in range(seeds)
            if _diff(_in_process(create_app(), "http://127.0.0.1"), create_app(), seed).groups()
        ]
    }
    for name, profile in profiles.items():
        config = MockConfig(profile=profile)
        self_alarms[name] = [
            seed
            for seed in range(min(seeds, 10))
            if _diff(_in_process(create_app(config), "http://127.0.0.1"), create_app(config), seed).groups()
        ]
    return {"seeds": seeds, "stacks": stacks, "self": self_alarms, "seconds": time.monotonic() - started}


def report(r: dict[str, Any]) -> str:
    """The figures as text."""
    seeds = r["seeds"]
    lines = [f"calibrated from one diff at seed 0, then the diff at seeds 0-{seeds - 1} (goal: 0 contract differences)"]
    for name, s in r["stacks"].items():
        left = ", ".join(sorted(s["lenient"])) or "none"
        lines.append(
            f"  {name:13} before: {s['before']:2} kinds of difference; after: {s['contract']} contract differences,"
            f" --fail-on contract exit 1 in {s['exits']} of {seeds} runs; lenient left: {left}"
        )
    lines.append("the fake against itself (goal: 0 differences):")
    for name, alarms in r["self"].items():
        runs = seeds if name == "own shape" else min(seeds, 10)
        lines.append(f"  {name:13} differences at {len(alarms)} of {runs} seeds{': ' + str(alarms) if alarms else ''}")
    lines.append(f"{r['seconds']:.0f} s")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 50)))


if __name__ == "__main__":
    main()
