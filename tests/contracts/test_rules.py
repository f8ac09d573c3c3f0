"""One verdict on an exchange, whoever produced it: what the doc decides, given what is known of the state."""

import json

import pytest

from message_api_kit.contracts import rules
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import CREATE_MESSAGE, Probe, json_probe
from message_api_kit.contracts.rules import CREATED, REFUSED, Known
from message_api_kit.contracts.transport import Exchange
from tests.contracts.test_checks import GOOD

#: What is known: conversations 1 and 2 exist; message 10 was made in 1, message 20 in 2.
KNOWN = {"conversations": {1, 2}, "messages": {10: 1, 20: 2}}


def known() -> Known:
    return Known(set(KNOWN["conversations"]), dict(KNOWN["messages"]))


@pytest.mark.parametrize(
    ("conversation", "body", "decided"),
    [
        (1, {"message": "a root"}, CREATED),
        (1, {"message": "a reply", "parent_id": 10}, CREATED),
        (2, {"message": "a reply across conversations", "parent_id": 10}, REFUSED),
        (1, {"message": "a parent that cannot exist", "parent_id": 0}, REFUSED),
        (9, {"message": "a parent that cannot exist, anywhere", "parent_id": -1}, REFUSED),
        (1, {"message": "a parent never seen", "parent_id": 11}, None),
        (9, {"message": "a conversation never seen"}, None),
        (1, {"message": "x" * 2000}, None),
    ],
)
def test_what_the_doc_decides_depends_on_what_is_known(conversation, body, decided):
    assert known().decided(json_probe("x", conversation, body)) == decided


def exchange(probe: Probe, status: int, answer: object) -> Exchange:
    return Exchange(
        "POST",
        f"http://real{probe.path}",
        {"Content-Type": "application/json"},
        probe.content,
        status,
        {"content-type": "application/json"},
        json.dumps(answer).encode(),
        1_700_000_000.0,
        1_700_000_000.5,
        operation=CREATE_MESSAGE,
    )


def made(conversation: int, text: str, message_id: int, parent: int | None = None) -> dict:
    """A whole new message, as message.json has it."""
    reply = {"is_reply": parent is not None, "parent": parent}
    return {**GOOD, "id": message_id, "conversationId": conversation, "message": text, **reply}


def test_a_refusal_is_judged_by_what_is_known():
    never_seen = json_probe("x", 1, {"message": "reply", "parent_id": 11})
    assert rules.judge(never_seen, exchange(never_seen, 404, {}), known(), 5) is None
    seen_here = json_probe("x", 1, {"message": "reply", "parent_id": 10})
    with pytest.raises(CheckFailure) as refused:
        rules.judge(seen_here, exchange(seen_here, 404, {}), known(), 5)
    assert refused.value.title == "creation refused"


def test_a_creation_is_judged_whole_and_dated():
    probe = json_probe("x", 1, {"message": "hi", "parent_id": 10})
    message = made(1, "hi", 30, parent=10)
    assert rules.judge(probe, exchange(probe, 201, message), known(), 5) == message
    with pytest.raises(CheckFailure) as wrong:
        rules.judge(probe, exchange(probe, 201, {**message, "message": "Hi"}), known(), 5)
    assert wrong.value.title == "message changed"
    with pytest.raises(CheckFailure) as late:
        rules.judge(probe, exchange(probe, 201, {**message, "date": 1_700_000_000_000}), known(), 5)
    assert late.value.title == "date is not now"


def test_outside_the_domain_any_refusal_or_a_whole_creation_is_kept():
    probe = Probe("x", "abc", b'{"message": "hi"}')
    assert probe.outside
    assert rules.judge(probe, exchange(probe, 400, {}), known(), 5) is None
    with pytest.raises(CheckFailure) as error:
        rules.judge(probe, exchange(probe, 500, {}), known(), 5)
    assert error.value.title == "server error"


def test_what_is_made_is_known_and_ids_never_repeat():
    state = known()
    probe = json_probe("x", 3, {"message": "hi"})
    first = exchange(probe, 201, made(3, "hi", 40))
    state.made(first, probe.plain, made(3, "hi", 40))
    assert 3 in state.conversations and state.messages[40] == 3
    assert state.decided(json_probe("x", 3, {"message": "reply", "parent_id": 40})) == CREATED
    with pytest.raises(CheckFailure) as repeated:
        state.made(first, probe.plain, made(3, "hi", 40))
    assert (repeated.value.title, repeated.value.rule) == ("id repeated", "R3")
    across = json_probe("x", 1, {"message": "reply", "parent_id": 40})
    with pytest.raises(CheckFailure) as crossed:
        state.made(first, across.plain, made(1, "reply", 41, parent=40))
    assert crossed.value.rule == "B5"


def test_what_is_remembered_is_bounded_and_a_forgotten_parent_is_one_never_seen():
    state = Known({1}, remembered=2)
    for message_id in (1, 2, 3):
        probe = json_probe("x", 1, {"message": "hi"})
        state.made(exchange(probe, 201, made(1, "hi", message_id)), probe.plain, made(1, "hi", message_id))
    assert list(state.messages) == [2, 3]
    assert state.decided(json_probe("x", 1, {"message": "reply", "parent_id": 1})) is None  # the server's to say
    assert state.decided(json_probe("x", 1, {"message": "reply", "parent_id": 3})) == CREATED
