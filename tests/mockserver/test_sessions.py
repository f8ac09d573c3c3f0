"""Isolated sessions (``X-Mock-Session``) and snapshots."""

from __future__ import annotations

import threading
import tracemalloc

import httpx
import pytest

from message_api_kit.mockserver import LiveServer, MockConfig, Seed, create_app
from message_api_kit.mockserver.app import sessions_of

ADMIN = {"X-Mock-Admin": "1"}


def s(name: str) -> dict[str, str]:
    return {"X-Mock-Session": name}


def texts(client, conversation: int = 1, headers: dict[str, str] | None = None) -> list[str]:
    page = client.get(f"/__mock__/conversations/{conversation}/messages", headers=headers or {}).get_json()
    return [m["message"] for m in page["items"]]


def test_each_session_has_its_own_messages_ids_journal_faults_and_clock(client, post):
    assert post({"message": "default"}).get_json()["id"] == 1
    assert post({"message": "in a"}, headers=s("a")).get_json()["id"] == 1  # ids of its own, from the seed
    assert post({"message": "in b"}, headers=s("b")).get_json()["id"] == 1
    assert post({"message": "again in a"}, headers=s("a")).get_json()["id"] == 2
    assert texts(client) == ["default"]
    assert texts(client, headers=s("a")) == ["in a", "again in a"]
    assert texts(client, headers=s("b")) == ["in b"]

    client.put("/__mock__/faults", json={"failures": [{"status": 503}]}, headers=s("a"))
    client.post("/__mock__/clock", json={"freeze": 1000}, headers=s("b"))
    assert post({"message": "x"}, headers=s("a")).status_code == 503
    assert post({"message": "y"}, headers=s("b")).get_json()["date"] == 1000
    fresh = post({"message": "z"})
    assert fresh.status_code == 201 and fresh.get_json()["date"] != 1000

    journals = {name: client.get("/__mock__/journal", headers=s(name)).get_json()["entries"] for name in "ab"}
    assert [e["status"] for e in journals["a"]] == [201, 201, 503]
    assert [e["status"] for e in journals["b"]] == [201, 201]
    assert [e["status"] for e in client.get("/__mock__/journal").get_json()["entries"]] == [201, 201]


def test_a_new_session_starts_from_the_start_up_seed_and_reset_acts_on_its_session_only(clock):
    seed = Seed(users=({"id": 7, "name": "Ada"},), conversations=(4,))
    client = create_app(MockConfig(clock=clock, seed=seed, strict_conversations=True)).test_client()
    made = client.post("/conversations/4/messages", json={"message": "hi"}, headers=s("fresh"))
    assert made.status_code == 201 and made.get_json()["author"]["name"] == "Ada"
    client.post("/conversations/4/messages", json={"message": "kept"})
    assert client.post("/__mock__/reset", headers={**ADMIN, **s("fresh")}).status_code == 204
    assert texts(client, 4, s("fresh")) == []
    assert texts(client, 4) == ["kept"]


def test_sessions_are_listed_most_recent_first_and_deleted_by_a_script_only(client, post):
    post({"message": "1"}, headers=s("older"))
    post({"message": "2"}, headers=s("newer"))
    post({"message": "3"}, headers=s("newer"))
    listed = client.get("/__mock__/sessions").get_json()
    assert [(x["name"], x["messages"]) for x in listed["sessions"]] == [("newer", 2), ("older", 1)]
    assert listed["max_sessions"] == 64
    assert client.delete("/__mock__/sessions/older").status_code == 403  # a form could send it
    assert client.delete("/__mock__/sessions/older", headers=ADMIN).status_code == 204
    gone = client.delete("/__mock__/sessions/older", headers=ADMIN)
    assert gone.status_code == 404 and gone.get_json()["detail"] == "no session named 'older'"
    assert [x["name"] for x in client.get("/__mock__/sessions").get_json()["sessions"]] == ["newer"]


def test_past_the_maximum_the_least_recently_used_session_is_evicted_into_a_log_of_its_own(clock):
    client = create_app(MockConfig(clock=clock, max_sessions=2)).test_client()
    for name in ("a", "b", "a", "c"):  # b is the least recently used when c comes
        client.post("/conversations/1/messages", json={"message": name}, headers=s(name))
    listed = client.get("/__mock__/sessions").get_json()
    assert [x["name"] for x in listed["sessions"]] == ["c", "a"]
    (evicted,) = listed["evicted"]
    assert evicted["name"] == "b" and "more than 2 sessions" in evicted["reason"]
    assert client.get("/__mock__/journal").get_json()["entries"] == []  # the default session's journal is its own


def test_an_evicted_session_s_client_is_told_until_it_deletes_it_and_ids_never_repeat(clock):
    client = create_app(MockConfig(clock=clock, max_sessions=1)).test_client()
    first = client.post("/conversations/1/messages", json={"message": "b's"}, headers=s("b")).get_json()["id"]
    client.post("/conversations/1/messages", json={"message": "c's"}, headers=s("c"))  # evicts b
    for answer in (
        client.post("/conversations/1/messages", json={"message": "again"}, headers=s("b")),
        client.post("/__mock__/snapshots/base/restore", headers={**s("b"), **ADMIN}),
    ):
        assert answer.status_code == 404
        problem = answer.get_json()
        assert problem["type"] == "urn:mockserver:problem:session-evicted"
        assert "session 'b' was evicted" in problem["detail"] and "DELETE /__mock__/sessions/b" in problem["detail"]
    assert client.delete("/__mock__/sessions/b", headers=ADMIN).status_code == 204
    again = client.post("/conversations/1/messages", json={"message": "b anew"}, headers=s("b"))
    assert again.status_code == 201 and again.get_json()["id"] > first  # never the id of another message


def test_ids_a_session_gave_before_its_reset_never_come_again_in_a_later_session(clock):
    # Before: reset, then delete, and the next session gave the ids the deleted one had given before its reset.
    client = create_app(MockConfig(clock=clock)).test_client()
    given = [
        client.post("/conversations/1/messages", json={"message": f"m{n}"}, headers=s("a")).get_json()["id"]
        for n in range(5)
    ]
    assert client.post("/__mock__/reset", headers={**s("a"), **ADMIN}).status_code == 204
    assert client.delete("/__mock__/sessions/a", headers=ADMIN).status_code == 204
    later = client.post("/conversations/1/messages", json={"message": "later"}, headers=s("b")).get_json()["id"]
    assert later > max(given)


def test_a_page_of_another_origin_uses_existing_sessions_but_makes_none(clock):
    client = create_app(MockConfig(clock=clock, max_sessions=2)).test_client()
    client.post("/conversations/1/messages", json={"message": "the suite's"}, headers=s("suite"))
    evil = {"Origin": "https://evil.example"}
    for number in range(5):
        refused = client.post("/conversations/1/messages", json={"message": "x"}, headers={**evil, **s(f"e{number}")})
        assert refused.status_code == 403 and "may use the sessions that exist" in refused.get_json()["detail"]
    used = client.post("/conversations/1/messages", json={"message": "page"}, headers={**evil, **s("suite")})
    assert used.status_code == 201
    listed = client.get("/__mock__/sessions").get_json()
    assert [x["name"] for x in listed["sessions"]] == ["suite"] and listed["evicted"] == []
    named = create_app(MockConfig(clock=clock, cors_origins=("http://localhost:5173",))).test_client()
    made = named.post(
        "/conversations/1/messages", json={"message": "x"}, headers={"Origin": "http://localhost:5173", **s("new")}
    )
    assert made.status_code == 201


@pytest.mark.parametrize("name", ["has space", "x" * 65, "semi;colon", "ü"])
def test_a_bad_session_name_is_a_400_problem_and_no_session_is_made(client, name):
    answer = client.get("/__mock__/clock", headers={"X-Mock-Session": name})
    assert answer.status_code == 400
    assert answer.get_json()["type"] == "urn:mockserver:problem:bad-parameter"
    assert "X-Mock-Session" in answer.get_json()["detail"]
    assert client.get("/__mock__/sessions").get_json()["sessions"] == []


def test_without_named_sessions_the_header_is_a_404(clock):
    client = create_app(MockConfig(clock=clock, max_sessions=0)).test_client()
    answer = client.post("/conversations/1/messages", json={"message": "x"}, headers=s("a"))
    assert answer.status_code == 404 and "without named sessions" in answer.get_json()["detail"]


def test_a_preflight_allows_the_session_header():
    client = create_app().test_client()
    answer = client.options(
        "/conversations/1/messages",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-mock-session",
        },
    )
    assert answer.status_code == 204
    assert "x-mock-session" in answer.headers["Access-Control-Allow-Headers"].lower()


def test_many_threads_on_many_sessions_leak_nothing_between_them():
    # 64 sessions, 16 threads, each thread driving 4 sessions in turn over a real socket.
    app = create_app(MockConfig(max_sessions=64))
    with LiveServer(app) as live:

        def work(worker: int) -> None:
            with httpx.Client(base_url=live.url, timeout=30) as http:
                names = [f"w{worker}-{k}" for k in range(4)]
                for name in names:
                    http.post("/__mock__/clock", json={"freeze": 1000 + worker}, headers=s(name))
                    http.put(
                        "/__mock__/faults", json={"failures": [{"status": 500 + worker, "count": 1}]}, headers=s(name)
                    )
                for round_ in range(5):
                    for name in names:
                        answer = http.post(
                            "/conversations/1/messages", json={"message": f"{name}:{round_}"}, headers=s(name)
                        )
                        assert answer.status_code == (500 + worker if round_ == 0 else 201)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sessions = sessions_of(app)
        assert len(sessions.named()) == 64
        for name, store, _ in sessions.named():
            worker = int(name[1:].split("-")[0])
            items, total = store.page(1, 0, 100)
            assert total == 4, name
            assert [m.id for m in items] == [1, 2, 3, 4], name  # ids of its own, in order
            assert [m.text for m in items] == [f"{name}:{r}" for r in range(1, 5)], name
            assert {m.date for m in items} == {1000 + worker}, name
            assert store.faults.to_json()["failures"] == [], name
        assert len(sessions.default) == 0


def test_an_empty_session_costs_little_memory():
    sessions = sessions_of(create_app())
    sessions.get("warm-up")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(100):
        sessions.get(f"s{n}")
    per_session = (tracemalloc.get_traced_memory()[0] - before) / 100
    tracemalloc.stop()
    assert per_session < 16 * 1024, per_session


# -- snapshots -------------------------------------------------------------------


def test_a_snapshot_is_a_copy_restored_as_often_as_wanted(client, post):
    post({"message": "before"})
    client.post("/__mock__/clock", json={"freeze": 5000})
    taken = client.post("/__mock__/snapshots", json={"name": "set-up"})
    assert taken.status_code == 201 and taken.get_json()["snapshots"][0]["messages"] == 1
    post({"message": "after"})
    client.post("/__mock__/clock", json={"advance": 60})
    client.put("/__mock__/faults", json={"latency": [{"min_ms": 1}]})
    for _ in range(2):  # what is done after a restore does not change the snapshot either
        assert client.post("/__mock__/snapshots/set-up/restore", headers=ADMIN).status_code == 204
        assert texts(client) == ["before"]
        assert client.get("/__mock__/clock").get_json() == {"now": 5000, "frozen": True}
        assert client.get("/__mock__/faults").get_json() == {"latency": [], "failures": []}
        assert post({"message": "next"}).get_json()["id"] == 2  # ids go on from the snapshot
    journal = client.get("/__mock__/journal").get_json()["entries"]
    assert len(journal) == 4  # the journal goes on: it is history, not state


def test_snapshots_are_listed_replaced_deleted_and_survive_a_reset(client, post):
    client.post("/__mock__/snapshots", json={"name": "one"})
    post({"message": "m"})
    client.post("/__mock__/snapshots", json={"name": "two"})
    client.post("/__mock__/snapshots", json={"name": "one"})  # replaced: now newest, with one message
    listed = client.get("/__mock__/snapshots").get_json()["snapshots"]
    assert [(x["name"], x["messages"]) for x in listed] == [("two", 1), ("one", 1)]
    client.post("/__mock__/reset", headers=ADMIN)
    client.post("/__mock__/snapshots/two/restore", headers=ADMIN)
    assert texts(client) == ["m"]
    assert client.delete("/__mock__/snapshots/two").status_code == 403
    assert client.delete("/__mock__/snapshots/two", headers=ADMIN).status_code == 204
    missing = client.post("/__mock__/snapshots/two/restore", headers=ADMIN)
    assert missing.status_code == 404 and missing.get_json()["detail"] == "no snapshot named 'two'"


def test_snapshots_belong_to_their_session(client, post):
    post({"message": "in a"}, headers=s("a"))
    client.post("/__mock__/snapshots", json={"name": "mine"}, headers=s("a"))
    assert client.get("/__mock__/snapshots").get_json()["snapshots"] == []
    assert client.post("/__mock__/snapshots/mine/restore", headers=ADMIN).status_code == 404


def test_a_bad_snapshot_name_is_a_422_with_its_pointer(client):
    answer = client.post("/__mock__/snapshots", json={"name": "no spaces"})
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"] == "/name"


def test_the_plugin_snapshots_restores_and_gives_each_test_a_session(mock_server, mock_session):
    mock_server.seed(messages=[{"conversation": 1, "message": "seeded"}])
    mock_server.snapshot("seeded")
    httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "later"})
    mock_server.restore("seeded")
    assert [m["message"] for m in mock_server.messages(1)] == ["seeded"]

    made = httpx.post(
        f"{mock_session.url}/conversations/1/messages", json={"message": "mine"}, headers=mock_session.headers
    )
    assert made.json()["id"] == 1
    assert [m["message"] for m in mock_session.messages(1)] == ["mine"]
    assert [m["message"] for m in mock_server.messages(1)] == ["seeded"]


@pytest.mark.slow
def test_serve_keeps_sessions_apart_and_bounds_them_by_its_flag():
    from tests.serving import served

    with served("--no-demo", "--max-sessions", "1") as fake, httpx.Client(base_url=fake.url) as http:
        assert http.post("/conversations/1/messages", json={"message": "a"}, headers=s("a")).json()["id"] == 1
        assert http.post("/conversations/1/messages", json={"message": "b"}, headers=s("b")).json()["id"] == 1
        assert [x["name"] for x in http.get("/__mock__/sessions").json()["sessions"]] == ["b"]
        assert http.get("/__mock__/sessions").json()["max_sessions"] == 1


def test_conversations_are_listed_latest_activity_first_even_after_a_seed_refused_half_way(client, post):
    client.post("/__mock__/seed", json={"conversations": [9]})
    post({"message": "a"}, conversation=2)
    post({"message": "b"}, conversation=1)
    refused = client.post(
        "/__mock__/seed",
        json={"messages": [{"conversation": 5, "message": "ok"}, {"conversation": 5, "message": "x", "parent_id": 99}]},
    )
    assert refused.status_code == 404  # conversation 5 was taken back, leaving an empty list of its rows
    listed = client.get("/__mock__/conversations")
    assert listed.status_code == 200  # it was a 500: an empty list has no last message
    found = [(c["id"], c["messages"], c["last_message_id"]) for c in listed.get_json()["conversations"]]
    assert found == [(1, 1, 2), (2, 1, 1), (9, 0, None)]


def test_snapshots_share_the_conversations_they_did_not_change():
    # Before, each snapshot copied the set of conversations: 64 of a session with 100,000 took 270 MiB.
    config = MockConfig(seed=Seed(conversations=tuple(range(1, 50_001))))
    client = create_app(config).test_client()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(64):
        assert client.post("/__mock__/snapshots", json={"name": f"s{n}"}).status_code == 201
    grown = (tracemalloc.get_traced_memory()[0] - before) / 2**20
    tracemalloc.stop()
    assert grown < 2, f"64 snapshots took {grown:.1f} MiB"
    # A write after them copies once, and every snapshot still holds what it saved.
    assert client.post("/__mock__/seed", json={"conversations": [60_000]}).status_code == 200
    assert client.post("/__mock__/snapshots/s0/restore", headers=ADMIN).status_code == 204
    listed = client.get("/__mock__/conversations", query_string={"limit": 1000}).get_json()["conversations"]
    assert 60_000 not in [c["id"] for c in listed]
