"""Correct servers of stacks the rules were not written from pass; each bug of their own stack is caught.

The servers (tests/servers: Fastify, Koa, aiohttp, Falcon) are real processes, written as
their frameworks' documentation teaches; ``python -m bench.framework_sweep`` runs them at
many seeds.
"""

import pytest

from message_api_kit.contracts import RunConfig, run
from tests.conftest import contract_seeds
from tests.servers import SERVERS, serving

pytestmark = pytest.mark.slow


def _run(url, seed, **config):
    return run(RunConfig(base_url=url, conversation=1, other_conversation=2, seed=seed, **config))


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_a_correct_server_of_another_stack_passes(name):
    with serving(name) as url:
        for seed in contract_seeds():
            report = _run(url, seed)
            failures = "\n".join(report.failure_text(r) for r in report.results if r.status != "passed")
            assert report.exit_code == 0, f"seed {seed}:\n{failures}"
            assert report.notes, "nothing noted: every stack reads some request the doc leaves open its own way"


@pytest.mark.parametrize(("name", "bug"), [(name, bug) for name, server in SERVERS.items() for bug in server.bugs])
def test_a_bug_of_its_stack_is_caught(name, bug):
    with serving(name, bug) as url:
        for seed in contract_seeds():
            # --exit-first stops at the first failed check: the run fails exactly when a full run does.
            assert _run(url, seed, exit_first=True).exit_code == 1, f"{name} with {bug} passed at seed {seed}"
