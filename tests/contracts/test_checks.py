import dataclasses
import json

import pytest

from message_api_kit.contracts import checks
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.transport import Exchange
from message_api_kit.schemas import Answer, operation

CREATE_MESSAGE = operation("createMessage")

GOOD = {
    "id": 5,
    "type": "text",
    "conversationId": 1,
    "is_reply": False,
    "parent": None,
    "deleted": False,
    "message": "hi",
    "date": 1_700_000_000,
    "edited_at": None,
    "reactions": [],
    "author": {"id": 1, "name": "A"},
    "files": [],
    "voice": None,
}


def answer(body=GOOD, status=201, content_type="application/json", op=CREATE_MESSAGE):
    return Exchange(
        "POST",
        "http://s/conversations/1/messages",
        {},
        b"{}",
        status,
        {"content-type": content_type},
        json.dumps(body).encode(),
        1_700_000_000.0,
        1_700_000_001.0,
        operation=op,
    )


def test_a_good_answer_passes_every_check():
    exchange = answer()
    message = checks.created(exchange)
    checks.conversation_matches(exchange, message, 1)
    checks.text_echoed(exchange, message, "hi")
    checks.reply_flag(exchange, message, None)
    checks.fresh(exchange, message)
    checks.dated_now(exchange, message, 5)
    checks.unique_id(exchange, message, {})


@pytest.mark.parametrize("status", [200, 201])
def test_both_documented_statuses_are_success(status):
    checks.created(answer(status=status))


@pytest.mark.parametrize(
    ("call", "title"),
    [
        (lambda: checks.created(answer(status=202)), "creation refused"),
        (lambda: checks.created(answer(content_type="text/html")), "success is not JSON"),
        (lambda: checks.created(answer({**GOOD, "id": "5"})), "answer breaks message.json"),
        (lambda: checks.conversation_matches(answer(), GOOD, 2), "wrong conversationId"),
        (lambda: checks.conversation_matches(answer(), {**GOOD, "conversationId": True}, 1), "wrong conversationId"),
        (lambda: checks.text_echoed(answer(), GOOD, " hi"), "message changed"),
        (lambda: checks.reply_flag(answer(), GOOD, 3), "wrong is_reply"),
        (lambda: checks.names_parent(answer(), {**GOOD, "parent": {"id": 4}}, 3), "reply does not name its parent"),
        (lambda: checks.fresh(answer(), {**GOOD, "deleted": 0}), "new message has deleted"),
        (lambda: checks.fresh(answer(), {**GOOD, "reactions": [{}]}), "new message has reactions"),
        (lambda: checks.dated_now(answer(), {**GOOD, "date": 1_700_000_000_000}, 300), "date is not now"),
        (lambda: checks.unique_id(answer(), GOOD, {"5": answer()}), "id repeated"),
        (lambda: checks.rejected(answer(status=500), "x"), "server error"),  # a 5xx is never "accepted"
        (lambda: checks.created(answer(status=500)), "server error"),  # nor "creation refused"
        (lambda: checks.rejected(answer(status=201), "x"), "x accepted"),
        (lambda: checks.no_server_error(answer(status=503)), "server error"),
        (lambda: checks.same_answer(answer(status=201), answer(status=409)), "same request, different answer"),
        (lambda: checks.text_echoed(answer(), {}, "hi"), "answer lacks message"),
    ],
)
def test_each_broken_rule_is_a_titled_failure(call, title):
    with pytest.raises(CheckFailure) as info:
        call()
    assert info.value.title == title
    assert info.value.detail


@pytest.mark.parametrize("parent", [3, {"id": 3}, {"id": 3, "message": "x"}])
def test_a_parent_may_be_named_by_id_or_object(parent):
    checks.names_parent(answer(), {**GOOD, "parent": parent}, 3)


def test_what_a_success_is_and_looks_like_comes_from_the_operations_declaration():
    # Declared otherwise, the same rules judge otherwise: 202 with a seed result is this operation's success.
    declared = dataclasses.replace(CREATE_MESSAGE, answers=(Answer("202", "Queued.", "seed-result"),))
    queued = {"users": 0, "conversations": 0, "messages": [7]}
    assert checks.created(answer(queued, status=202, op=declared)) == queued
    with pytest.raises(CheckFailure) as refused:
        checks.created(answer(status=201, op=declared))
    assert (refused.value.title, refused.value.detail) == ("creation refused", "a valid request got 201, not 202")
    with pytest.raises(CheckFailure) as broken:
        checks.created(answer(GOOD, status=202, op=declared))
    assert broken.value.title == "answer breaks seed-result.json"


def test_an_exchange_of_no_declared_operation_is_not_judged():
    with pytest.raises(TypeError, match="only an exchange of a declared operation is judged"):
        checks.created(answer(op=None))
