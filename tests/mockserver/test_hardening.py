"""Findings of an attacker and a fuzzer, each reproduced on the fake before its fix (issue: hardening).

No admin input may make the fake answer an invalid status line, a 500 later, or an answer
out of proportion to its request; faults never wedge it.
"""

import json
import threading
import time

import httpx
import pytest

from message_api_kit.mockserver.clock import MAX_TIME
from tests.serving import served

JS_MAX = 2**53 - 1


def test_a_float_status_is_read_as_the_integer_it_is_and_makes_a_valid_status_line(client, post):
    assert client.put("/__mock__/faults", json={"failures": [{"status": 503.0, "rate": 1}]}).status_code == 200
    assert client.get("/__mock__/faults").get_json()["failures"][0]["status"] == 503
    answer = post({"message": "x"})
    assert answer.status == "503 Service Unavailable"


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"failures": [{"status": 503.5, "rate": 1}]}, "/failures/0/status"),
        ({"failures": [{"status": 503, "count": 1e300}]}, "/failures/0/count"),
        ({"failures": [{"status": 503, "count": 2**31 + 1}]}, "/failures/0/count"),
        ({"latency": [{"min_ms": 0.5}]}, "/latency/0/min_ms"),
        ({"latency": [{"min_ms": 60001}]}, "/latency/0/min_ms"),
        ({"latency": [{"min_ms": 1}] * 101}, "/latency"),
    ],
)
def test_fault_numbers_are_bounded_integers_or_a_422_with_a_pointer(client, doc, pointer):
    answer = client.put("/__mock__/faults", json=doc)
    assert answer.status_code == 422
    assert pointer in [error["pointer"] for error in answer.get_json()["errors"]]


@pytest.mark.parametrize(
    "command", [{"advance": 1e400}, {"freeze": 10**401}, {"freeze": 1e308}, {"freeze": JS_MAX + 1}, {"advance": 0.5}]
)
def test_no_clock_command_makes_a_later_request_fail(client, post, command):
    raw = json.dumps(command).replace("Infinity", "1e400")
    answer = client.post("/__mock__/clock", data=raw, content_type="application/json")
    assert answer.status_code in (400, 422), answer.get_json()
    assert post({"message": "x"}).status_code == 201
    assert client.get("/__mock__/clock").status_code == 200


def test_advances_that_would_pass_2_53_are_refused_and_leave_the_clock_alone(client, post):
    client.post("/__mock__/clock", json={"freeze": JS_MAX - 10})
    for _ in range(3):
        answer = client.post("/__mock__/clock", json={"advance": 6})
    assert answer.status_code == 409
    assert answer.get_json()["errors"] == [{"pointer": "/advance", "detail": answer.get_json()["detail"]}]
    assert client.get("/__mock__/clock").get_json()["now"] == JS_MAX - 4
    assert post({"message": "x"}).get_json()["date"] == JS_MAX - 4 <= MAX_TIME


def test_seeded_ids_spelled_as_floats_are_stored_and_answered_as_integers(client):
    seeded = client.post(
        "/__mock__/seed",
        json={"users": [{"id": 2e0, "name": "Two"}], "messages": [{"conversation": 1e1, "message": "m", "id": 1e3}]},
    )
    assert seeded.status_code == 200
    (message,) = client.get("/__mock__/conversations/10/messages").get_json()["items"]
    assert message["id"] == 1000 and isinstance(message["id"], int)
    assert message["conversationId"] == 10 and isinstance(message["conversationId"], int)
    answer = client.post("/conversations/10/messages", json={"message": "x"}, headers={"X-Mock-User": "2"})
    assert answer.get_json()["author"]["id"] == 2 and '"id": 2.0' not in answer.get_data(as_text=True)


@pytest.mark.parametrize("user_id", [0, JS_MAX + 1, 1.5])
def test_user_ids_no_header_can_name_are_refused(client, user_id):
    answer = client.post("/__mock__/seed", json={"users": [{"id": user_id, "name": "X"}]})
    assert answer.status_code == 422


def test_seeding_a_user_id_already_seeded_is_a_conflict_unless_it_replaces(client, post):
    created = post({"message": "by John"}).get_json()
    clash = client.post("/__mock__/seed", json={"users": [{"id": 1, "name": "Impostor"}]})
    assert clash.status_code == 409
    stored = client.get(f"/__mock__/messages/{created['id']}").get_json()
    assert stored["author"]["name"] == "John Doe"  # all or nothing: nothing changed
    replaced = client.post("/__mock__/seed", json={"replace": True, "users": [{"id": 1, "name": "Renamed"}]})
    assert replaced.status_code == 200
    assert client.get(f"/__mock__/messages/{created['id']}").get_json()["author"]["name"] == "Renamed"


def test_an_avatar_nested_too_deep_to_answer_is_refused(client):
    avatar = '{"a": ' * 974 + "{}" + "}" * 974  # written out: json.dumps itself would recurse too deep
    raw = '{"users": [{"id": 5, "name": "Deep", "avatar": ' + avatar + "}]}"
    answer = client.post("/__mock__/seed", data=raw, content_type="application/json")
    assert answer.status_code in (400, 422)
    assert client.get("/__mock__/conversations/1/messages").status_code == 200


def test_a_reply_carries_a_bounded_summary_of_a_long_parent(client, post):
    parent = post({"message": "p" * (1024 * 1024 - 100)}).get_json()
    reply = post({"message": "re", "parent_id": parent["id"]})
    assert len(reply.get_data()) < 4096
    assert reply.get_json()["parent"]["message"] == "p" * 280
    assert reply.get_json()["parent"]["truncated"] is True


def test_a_listing_is_bounded_in_bytes_and_says_where_to_go_on(client, post):
    from message_api_kit.mockserver.admin import LISTED_TEXT, MAX_PAGE_BYTES

    # Texts a listing shows whole, more of them than one page holds.
    count = MAX_PAGE_BYTES // LISTED_TEXT + 4
    for _ in range(count):
        post({"message": "m" * (LISTED_TEXT - 10)})
    page = client.get("/__mock__/conversations/1/messages?limit=1000")
    assert len(page.get_data()) < 2 * MAX_PAGE_BYTES
    body = page.get_json()
    assert body["total"] == count and 1 <= len(body["items"]) < count
    following = client.get(f"/__mock__/conversations/1/messages?offset={len(body['items'])}").get_json()
    assert following["items"][0]["id"] == body["items"][-1]["id"] + 1


@pytest.mark.slow
def test_latency_rules_never_wedge_the_production_server_and_reset_wakes_the_waiting():
    # Reproduced before the fix: 20,000 rules of 60 s accepted, and two requests later the
    # admin API timed out on waitress until the process was killed.
    with served("--no-demo", "--threads", "4") as live, httpx.Client(base_url=live.url, timeout=10) as admin:
        too_many = admin.put("/__mock__/faults", json={"latency": [{"min_ms": 60_000}] * 20_000})
        assert too_many.status_code == 422
        assert admin.put("/__mock__/faults", json={"latency": [{"min_ms": 60_000}] * 100}).status_code == 200
        took: list[float] = []

        def create() -> None:
            started = time.perf_counter()
            httpx.post(f"{live.url}/conversations/1/messages", json={"message": "x"}, timeout=90)
            took.append(time.perf_counter() - started)

        threads = [threading.Thread(target=create) for _ in range(8)]  # twice the server's threads
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.perf_counter()
        assert admin.get("/__mock__/faults").status_code == 200  # every worker not waiting is free
        assert admin.get("/openapi.json").status_code == 200  # the documents are never delayed
        assert admin.post("/__mock__/reset", headers={"X-Mock-Admin": "1"}).status_code == 204
        assert time.perf_counter() - started < 3
        for thread in threads:
            thread.join(15)
        assert len(took) == 8 and max(took) < 10  # the two that waited were woken by the reset


def test_a_rule_for_every_route_never_delays_or_fails_the_documents(client):
    client.put("/__mock__/faults", json={"latency": [{"min_ms": 15_000}], "failures": [{"status": 500}]})
    started = time.perf_counter()
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/__mock__/openapi.json").status_code == 200
    assert time.perf_counter() - started < 1
