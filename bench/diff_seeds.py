"""``contracts diff`` judged by its false alarms and on servers no test spells out (``python -m bench.diff_seeds``).

1. The fake against itself at many seeds: every run must report no difference.
2. Servers on other stacks (the Express-, Go-, FastAPI- and Sinatra-like ones, whose
   differences no test spells out): what the diff reports, then what is left once the
   fake is calibrated with the profile written from them. What a profile covers must be
   gone; only lenient readings (recorded, not copied) may stay.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import httpx

from bench._serve import ROOT

sys.path.insert(0, str(ROOT))

from message_api_kit.contracts.diff import DiffReport, run_diff
from message_api_kit.contracts.profile import observe
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.profile import Profile
from tests.contracts.lenient_fakes import LENIENT_FAKES

OTHER_STACKS = ("express-like", "go-like", "fastapi-like", "sinatra-like")


def _diff(real: Any, fake: Any, seed: int) -> DiffReport:
    sides = [
        Transport(base, client=httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base))
        for app, base in ((real, "http://127.0.0.1"), (fake, "http://localhost"))
    ]
    return run_diff(sides[0], sides[1], 1, 2, seed, examples=10)


def measure(seeds: int = 50) -> dict[str, Any]:
    """Differences of the fake against itself at each seed, and of each other-stack server before and after."""
    started = time.monotonic()
    false_alarms = [seed for seed in range(seeds) if _diff(create_app(), create_app(), seed).groups()]
    stacks = {}
    for name in OTHER_STACKS:
        before = _diff(LENIENT_FAKES[name](), create_app(), 0)
        calibrated = create_app(MockConfig(profile=Profile.from_json(observe(before))))
        after = _diff(LENIENT_FAKES[name](), calibrated, 0)
        stacks[name] = (sorted(before.groups()), sorted(after.groups()))
    return {"seeds": seeds, "false_alarms": false_alarms, "stacks": stacks, "seconds": time.monotonic() - started}


def report(r: dict[str, Any]) -> str:
    """The figures as text."""
    lines = [
        f"the fake against itself: differences at {len(r['false_alarms'])} of {r['seeds']} seeds"
        f" (0-{r['seeds'] - 1}){': ' + str(r['false_alarms']) if r['false_alarms'] else ''}; goal 0"
    ]
    for name, (before, after) in r["stacks"].items():
        kinds = sorted({kind for _, kind in before})
        left = sorted({c for c, _ in after})
        only_lenient = all(c.startswith("lenient: ") for c in left)
        lines.append(
            f"{name:13} {len(before):2} differences ({', '.join(kinds)}); after calibration {len(after)}"
            f"{' in ' + ', '.join(left) if left else ''}{'' if only_lenient else '  <- NOT only lenient readings'}"
        )
    lines.append(f"{r['seconds']:.0f} s")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 50)))


if __name__ == "__main__":
    main()
