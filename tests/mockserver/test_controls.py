"""The fixture's controls check their arguments as the HTTP API does, and say which argument is wrong."""

import httpx
import pytest

from message_api_kit.mockserver import ControlError


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda s: s.fail(503, route="createMesage"), "fail(): route"),
        (lambda s: s.fail(503, count=0), "fail(): count"),
        (lambda s: s.fail(200), "fail(): status"),
        (lambda s: s.fail("503"), "fail(): status"),
        (lambda s: s.fail(503, rate=2), "fail(): rate"),
        (lambda s: s.slow_down(-5), "slow_down(): min_ms"),
        (lambda s: s.slow_down(500, 100), "slow_down(): max_ms: must be at least min_ms (500)"),
        (lambda s: s.slow_down(1.5), "slow_down(): min_ms"),
        (lambda s: s.freeze_time("yesterday"), "freeze_time(): at"),
        (lambda s: s.freeze_time(-1), "freeze_time(): at"),
        (lambda s: s.advance_time(-5), "advance_time(): seconds"),
    ],
)
def test_a_misused_control_raises_at_the_call_and_changes_nothing(mock_server, call, named):
    with pytest.raises(ControlError) as raised:
        call(mock_server)
    assert str(raised.value).startswith(named), str(raised.value)
    assert mock_server.store.faults.to_json() == {"latency": [], "failures": []}
    assert mock_server.store.clock.state()["frozen"] is False


def test_a_range_given_to_slow_down_is_sent_as_a_minimum_and_a_spread(mock_server):
    mock_server.slow_down(300, 800, route="createMessage")
    answer = httpx.get(f"{mock_server.url}/__mock__/faults").json()
    assert answer["latency"] == [{"min_ms": 300, "spread_ms": 500, "route": "createMessage"}]


@pytest.mark.parametrize(
    ("call", "said", "status"),
    [
        (
            lambda s: s.seed(messages=[{"conversation": 1, "message": "x", "parent_id": 999}]),
            "seed(): /messages/0/parent_id: parent message 999 does not exist",
            404,
        ),
        (lambda s: s.seed(users=[{"id": 1, "name": "Again"}]), "seed(): /users/0/id: user 1 is already seeded", 409),
        (lambda s: s.seed(users=[{"id": "nine", "name": "Nine"}]), "seed(): /users/0/id: must be integer", 422),
        (lambda s: s.restore("never-saved"), "restore(): no snapshot named 'never-saved'", 404),
        (lambda s: s.snapshot("a name with spaces"), "snapshot(): name:", 400),
        (lambda s: s.messages("abc"), "messages(): conversation: an integer, not 'abc'", 404),
        (lambda s: s.messages(0), "messages(): no conversation '0'", 404),
    ],
)
def test_every_misuse_of_the_handle_raises_control_error_saying_what_the_http_api_says(mock_server, call, said, status):
    with pytest.raises(ControlError) as raised:
        call(mock_server)
    assert str(raised.value).startswith(said), str(raised.value)
    assert raised.value.status == status
    assert mock_server.messages(1) == []  # and nothing was seeded


def test_well_used_controls_still_act(mock_server):
    mock_server.fail(503.0, count=1, route="createMessage")
    first = httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "a"})
    second = httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "b"})
    assert (first.status_code, second.status_code) == (503, 201)
    mock_server.freeze_time(1_700_000_000.0)
    mock_server.advance_time(5)
    assert httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "c"}).json()["date"] == (
        1_700_000_005
    )
