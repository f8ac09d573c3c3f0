import time

import httpx
import pytest

from message_api_kit import schemas
from message_api_kit.mockserver import LiveServer, create_app


def test_fail_the_next_n_requests(client, post):
    assert client.put("/__mock__/faults", json={"failures": [{"status": 503, "count": 2}]}).status_code == 200
    first = post({"message": "x"})
    assert first.status_code == 503
    assert first.mimetype == "application/problem+json"
    schemas.validator("problem").validate(first.get_json())
    assert client.get("/__mock__/faults").get_json()["failures"][0]["count"] == 1
    assert post({"message": "x"}).status_code == 503
    assert post({"message": "x"}).status_code == 201
    assert client.get("/__mock__/faults").get_json() == {"latency": [], "failures": []}


def test_fail_a_fraction_of_requests(client, post):
    client.put("/__mock__/faults", json={"failures": [{"status": 500, "rate": 0.5}]})
    statuses = [post({"message": "x"}).status_code for _ in range(200)]
    assert 40 < statuses.count(500) < 160
    assert set(statuses) == {201, 500}


def test_rules_apply_to_the_route_named_and_never_to_the_documents(client, post):
    client.put("/__mock__/faults", json={"failures": [{"route": "createMessage", "status": 502, "count": 5}]})
    assert post({"message": "x"}).status_code == 502
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/__mock__/openapi.json").status_code == 200


def test_a_fault_route_is_a_declared_vendor_operation(client):
    answer = client.put("/__mock__/faults", json={"failures": [{"route": "getVendorDocument", "count": 1}]})
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"] == "/failures/0/route"


def test_the_admin_api_is_never_faulted(client):
    client.put("/__mock__/faults", json={"failures": [{"status": 500, "rate": 1}], "latency": [{"min_ms": 1000}]})
    started = time.perf_counter()
    assert client.get("/__mock__/journal").status_code == 200
    assert time.perf_counter() - started < 1


def test_fixed_latency_delays_the_answer(client, post):
    client.put("/__mock__/faults", json={"latency": [{"min_ms": 120}]})
    started = time.perf_counter()
    assert post({"message": "x"}).status_code == 201
    assert time.perf_counter() - started >= 0.12


def test_latency_range_stays_within_bounds(app):
    from message_api_kit.mockserver import Latency, store_of

    faults = store_of(app).faults
    faults.set(latency=[Latency(min_ms=10, spread_ms=20, route="createMessage")])
    delays = [faults.delay("createMessage") for _ in range(100)]
    assert all(0.010 <= d <= 0.030 for d in delays)
    assert faults.delay("otherOperation") == 0


@pytest.mark.parametrize(
    "doc",
    [
        {"failures": [{"status": 200, "count": 1}]},
        {"latency": [{"min_ms": -1}]},
        {"latency": [{"min_ms": 1, "route": "nowhere"}]},
        {"surprise": []},
    ],
)
def test_bad_fault_documents_are_422(client, doc):
    assert client.put("/__mock__/faults", json=doc).status_code == 422


def test_a_failure_without_count_or_rate_fails_every_matching_request_until_cleared(client, post):
    assert client.put("/__mock__/faults", json={"failures": [{"status": 503}]}).status_code == 200
    assert [post({"message": "x"}).status_code for _ in range(5)] == [503] * 5
    client.delete("/__mock__/faults", headers={"X-Mock-Admin": "1"})
    assert post({"message": "x"}).status_code == 201


def test_reset_undoes_faults_and_clock(client, post):
    client.put("/__mock__/faults", json={"failures": [{"count": 5}]})
    client.post("/__mock__/clock", json={"freeze": 1000})
    client.post("/__mock__/reset", headers={"X-Mock-Admin": "1"})
    created = post({"message": "x"})
    assert created.status_code == 201
    assert created.get_json()["date"] != 1000


def test_clock_freeze_advance_and_release(client, post, clock):
    assert client.post("/__mock__/clock", json={"freeze": 1000}).get_json() == {"now": 1000, "frozen": True}
    clock.now += 500  # real time moves; the frozen clock does not
    assert post({"message": "x"}).get_json()["date"] == 1000
    assert client.post("/__mock__/clock", json={"advance": 60}).get_json()["now"] == 1060
    assert post({"message": "x"}).get_json()["date"] == 1060
    assert client.post("/__mock__/clock", json={"real": True}).get_json() == {"now": int(clock.now), "frozen": False}
    client.post("/__mock__/clock", json={"advance": 10})
    assert post({"message": "x"}).get_json()["date"] == int(clock.now) + 10


@pytest.mark.parametrize("command", [{}, {"freeze": 1, "advance": 2}, {"advance": -1}, {"real": False}, {"stop": 1}])
def test_bad_clock_commands_are_422(client, command):
    assert client.post("/__mock__/clock", json=command).status_code == 422


@pytest.mark.slow
def test_a_dropped_connection_gets_no_answer_and_the_fake_keeps_serving():
    with LiveServer(create_app()) as live, httpx.Client(base_url=live.url) as http:
        http.put("/__mock__/faults", json={"failures": [{"drop": True, "count": 1}]})
        with pytest.raises(httpx.TransportError, match=r"disconnected|reset|closed"):
            http.post("/conversations/1/messages", json={"message": "x"})
        assert http.post("/conversations/1/messages", json={"message": "x"}).status_code == 201
        assert [e["status"] for e in http.get("/__mock__/journal").json()["entries"]] == [0, 201]
