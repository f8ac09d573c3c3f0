"""The suite passes on the correct fake and fails on every broken one, at seed 0 and at this run's changing seed."""

import httpx
import pytest

from message_api_kit.mockserver import create_app
from tests.conftest import contract_seeds
from tests.contracts.broken_fakes import BROKEN_FAKES
from tests.contracts.in_process import BASE, run_against


@pytest.mark.parametrize("seed", contract_seeds())
def test_the_correct_fake_passes_every_check(seed):
    # Under --strict: it sends what a default run sends and fails more, so passing it passes both.
    report = run_against(create_app(), seed, strict=True)
    assert report.exit_code == 0, "\n".join(report.failure_text(r) for r in report.results if r.failures)
    assert {r.status for r in report.results} == {"passed"}
    assert report.notes == []  # the fake makes no lenient choice: its rules are the project's


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_broken_fake_still_creates_a_plain_message(name):
    # Each fake breaks one rule; one that refused every creation would be caught for no
    # reason of its own, and the catch rates would lie.
    with httpx.Client(transport=httpx.WSGITransport(app=BROKEN_FAKES[name]()), base_url=BASE) as client:
        answer = client.post("/conversations/1/messages", json={"message": "hello"})
    assert answer.is_success, (answer.status_code, answer.text[:200])


@pytest.mark.parametrize("seed", contract_seeds())
@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_broken_fake_fails(name, seed):
    # --exit-first stops at the first failed check: the run fails exactly when a full run does.
    report = run_against(BROKEN_FAKES[name](), seed, exit_first=True)
    assert report.exit_code == 1, f"{name} passed the suite at seed {seed}"


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_failure_of_a_full_run_is_titled_and_replayable(name):
    report = run_against(BROKEN_FAKES[name]())
    assert report.exit_code == 1
    for result in report.results:
        for failure in result.failures:
            assert failure.title
            for exchange in failure.exchanges:
                assert exchange.curl().startswith("curl ")


# Which check catches each broken fake, in its boundary phase or at once: not a seed's luck.
CAUGHT_BY = {
    "crash-on-astral-plane": "message-echo",
    "crash-on-long-message": "message-echo",
    "message-html-escaped": "message-echo",
    "message-nfc-normalised": "message-echo",
    "message-nul-dropped": "message-echo",
    "message-trimmed": "message-echo",
    "message-read-as-json": "message-echo",
    "empty-message-refused": "message-echo",
    "is-reply-on-explicit-null": "reply-flag",
    "reply-parent-null": "reply-flag",
    "replies-cannot-find-parent": "reply-flag",
    "replies-to-roots-only": "replies",
    "malformed-json-crashes": "malformed-json",
    "impossible-conversation-accepted": "odd-conversation-ids",
    "parent-in-other-conversation-accepted": "cross-conversation-parent",
    "ids-deduplicated-by-text": "unique-ids",
    "ids-per-conversation": "unique-ids",
}


@pytest.mark.parametrize(("name", "check"), sorted(CAUGHT_BY.items()))
def test_boundary_cases_alone_catch_the_input_dependent_fakes(name, check):
    # One example generated, so what catches the fake is the fixed boundary phase.
    report = run_against(BROKEN_FAKES[name](), seed=12345, checks=(check,), max_examples=1)
    assert report.exit_code == 1, f"{check} missed {name} in its boundary phase"
