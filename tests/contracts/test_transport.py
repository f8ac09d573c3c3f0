import time

import httpx
import pytest

from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure, Unreachable
from message_api_kit.contracts.transport import Transport
from message_api_kit.schemas import Answer, Operation, Parameter, operation

CREATE_MESSAGE = operation("createMessage")


def transport_for(handler, **kwargs):
    return Transport("http://server.test/", client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)


#: An operation declared here only: a list of a conversation's messages, newest first (a GET with a query).
LIST_MESSAGES = Operation(
    "listMessages",
    "GET",
    "/conversations/{conversation}/messages",
    "A conversation's messages, newest first.",
    (Answer("200", "A page of messages."),),
    parameters=(
        Parameter("conversation", "path", "The conversation.", "conversation-id"),
        Parameter("limit", "query", "How many.", {"type": "integer", "minimum": 1, "maximum": 100}, required=False),
    ),
)


def test_a_request_follows_its_declaration_path_query_and_body():
    # Before: a GET went out with Content-Type: application/json and a null body, and `limit` was dropped.
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=[])

    transport = transport_for(handler)
    transport.call(LIST_MESSAGES, {"conversation": 4, "limit": 5}, None)
    transport.call(LIST_MESSAGES, {"conversation": 4, "limit": None}, None)  # left out
    (listed, unlimited) = seen
    assert (listed.method, listed.url.path, listed.url.query) == ("GET", "/conversations/4/messages", b"limit=5")
    assert listed.content == b"" and "content-type" not in listed.headers
    assert unlimited.url.query == b""
    with pytest.raises(ValueError, match=r"listMessages\) declares no parameter cursor"):
        transport.call(LIST_MESSAGES, {"conversation": 4, "cursor": "x"}, None)
    with pytest.raises(ValueError, match=r"needs conversation"):
        transport.call(LIST_MESSAGES, {"limit": 5}, None)
    with pytest.raises(ValueError, match="takes no body"):
        transport.call(LIST_MESSAGES, {"conversation": 4}, {"message": "x"})
    with pytest.raises(ValueError, match=r"createMessage\) declares no parameter limit"):
        transport.call(CREATE_MESSAGE, {"conversation": 4, "limit": 5}, {"message": "x"})
    assert len(seen) == 2  # nothing refused was sent


def test_headers_are_sent_and_exchanges_recorded():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201, json={"ok": True})

    transport = transport_for(handler, headers={"Authorization": "Bearer t"})
    exchange = transport.call(CREATE_MESSAGE, {"conversation": 1}, {"message": "x"})
    assert exchange.operation is CREATE_MESSAGE  # the rules read its statuses and schemas from the declaration
    assert seen[0].method == "POST" and seen[0].headers["authorization"] == "Bearer t"
    assert seen[0].headers["content-type"] == "application/json"
    assert exchange.status == 201 and exchange.json() == {"ok": True}
    assert exchange.url == "http://server.test/conversations/1/messages"
    assert "-H 'Authorization: Bearer t'" in exchange.curl(show_secrets=True)
    # Given for the run, so redacted by default: curl reads it from the environment.
    assert '-H "Authorization: $CONTRACTS_HEADER_AUTHORIZATION"' in exchange.curl()
    assert "Bearer t" not in exchange.curl() and "Bearer t" not in exchange.describe()


def test_429_is_waited_out_as_retry_after_says(monkeypatch):
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(201)])
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    transport = transport_for(lambda request: next(answers))
    assert transport.send("GET", "/").status == 201
    assert slept == [2.0]
    assert transport.sent == 2


def test_rate_limit_spaces_requests(monkeypatch):
    clock = [100.0]
    slept = []
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), clock.__setitem__(0, clock[0] + s)))
    transport = transport_for(lambda request: httpx.Response(200), rate_limit=4)
    for _ in range(3):
        transport.send("GET", "/")
    assert slept == pytest.approx([0.25, 0.25])


def test_budget_is_a_hard_cap():
    transport = transport_for(lambda request: httpx.Response(200), budget=2)
    transport.send("GET", "/")
    transport.send("GET", "/")
    with pytest.raises(BudgetExhausted):
        transport.send("GET", "/")
    assert transport.sent == 2


def test_refused_connection_is_unreachable():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(Unreachable):
        transport_for(handler).send("GET", "/")


def test_a_dropped_answer_is_a_contract_failure():
    def handler(request):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    with pytest.raises(CheckFailure, match="no answer"):
        transport_for(handler).send("POST", "/conversations/1/messages")


def test_curl_reproduces_binary_bodies():
    transport = transport_for(lambda request: httpx.Response(400))
    exchange = transport.send("POST", "/c", b"\xff\x00", {"Content-Type": "application/json"})
    assert "printf '\\xff\\x00'" in exchange.curl()


def resets_then(answers):
    """A handler that resets the connection for each ``None`` in ``answers``, then answers the status given."""
    pending = list(answers)

    def handler(request):
        status = pending.pop(0)
        if status is None:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(status)

    return handler


def test_a_reset_of_a_request_that_writes_nothing_is_sent_again_once():
    transport = transport_for(resets_then([None, 400]))
    exchange = transport.send("POST", "/conversations/1/messages", b"{", retry_resets=True)
    assert exchange.status == 400
    assert transport.sent == 2


def test_a_second_reset_is_a_failure_that_shows_the_request():
    transport = transport_for(resets_then([None, None]))
    with pytest.raises(CheckFailure, match="no answer") as info:
        transport.send("POST", "/conversations/1/messages", b"{", retry_resets=True)
    (exchange,) = info.value.exchanges
    assert exchange.status == 0 and exchange.request_body == b"{"
    assert "again on a fresh connection" in exchange.error
    assert "answer:  none (RemoteProtocolError" in exchange.describe()


def test_a_reset_of_a_request_that_may_write_is_never_sent_twice():
    transport = transport_for(resets_then([None, 201]))
    with pytest.raises(CheckFailure, match="no answer"):
        transport.send("POST", "/conversations/1/messages", b'{"message": "x"}')
    assert transport.sent == 1


def test_a_timeout_is_not_retried():
    def handler(request):
        raise httpx.ReadTimeout("timed out")

    transport = transport_for(handler)
    with pytest.raises(CheckFailure, match="no answer"):
        transport.send("POST", "/c", b"{", retry_resets=True)
    assert transport.sent == 1
