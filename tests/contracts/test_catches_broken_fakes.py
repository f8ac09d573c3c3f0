"""The suite passes on the correct fake and fails on every broken one."""

import httpx
import pytest

from contracts import RunConfig, run
from mockserver import create_app
from tests.contracts.broken_fakes import BROKEN_FAKES

BASE = "http://fake.test"


def run_against(app, seed=0):
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)
    # Default settings, so that the defaults themselves are what is shown to catch every fault.
    return run(RunConfig(base_url=BASE, other_conversation=2, seed=seed), client=client)


def test_the_correct_fake_passes_every_check():
    report = run_against(create_app())
    assert report.exit_code == 0, "\n".join(report.failure_text(r) for r in report.results if r.failure)
    assert {r.status for r in report.results} == {"passed"}


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_broken_fake_still_creates_a_plain_message(name):
    # Each fake breaks one rule; one that refused every creation would be caught for no
    # reason of its own, and the catch rates would lie.
    with httpx.Client(transport=httpx.WSGITransport(app=BROKEN_FAKES[name]()), base_url=BASE) as client:
        answer = client.post("/conversations/1/messages", json={"message": "hello"})
    assert answer.is_success, (answer.status_code, answer.text[:200])


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_broken_fake_fails(name):
    report = run_against(BROKEN_FAKES[name]())
    assert report.exit_code == 1, f"{name} passed the suite"
    for result in report.results:
        if result.failure is not None:
            assert result.failure.title
            for exchange in result.failure.exchanges:
                assert exchange.curl().startswith("curl ")
