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


def test_the_http_api_refuses_what_the_control_refuses(mock_server):
    answer = httpx.put(f"{mock_server.url}/__mock__/faults", json={"latency": [{"min_ms": 500, "max_ms": 100}]})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"pointer": "/latency/0/max_ms", "detail": "must be at least min_ms (500), not 100"}
    ]


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
