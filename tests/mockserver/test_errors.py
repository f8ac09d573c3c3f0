import json

import httpx
import pytest

from message_api_kit import schemas
from message_api_kit.mockserver import LiveServer, MockConfig, create_app


def assert_problem(answer, status):
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    schemas.validator("problem").validate(body)
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "conversation", ["0", "-1", "abc", "1.5", "9223372036854775808", "99999999999999999999", "%C2%B2"]
)
def test_impossible_conversation_ids_are_404(client, conversation):
    assert_problem(client.post(f"/conversations/{conversation}/messages", json={"message": "x"}), 404)


def test_largest_conversation_id_is_accepted(post):
    assert post({"message": "x"}, conversation=2**63 - 1).status_code == 201


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_a_non_json_body_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_problem(client.post("/conversations/1/messages", data=b'{"message": "x"}', headers=headers), 415)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"message": "x"',
        b"\xff\xfe\x00",
        b'{"message": "\xed\xa0\x80"}',
        b'\xef\xbb\xbf{"message": "bom"}',
        b"NaN",
        b'{"message": Infinity}',
        b"[" * 100_000,
        b"1" * 5000,
    ],
)
def test_malformed_json_is_400(client, data):
    assert_problem(client.post("/conversations/1/messages", data=data, content_type="application/json"), 400)


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, ["/message"]),
        ({"message": None}, ["/message"]),
        ({"message": ["x"]}, ["/message"]),
        ({"message": "x", "parent_id": "1"}, ["/parent_id"]),
        ({"message": "x", "parent_id": 1.5}, ["/parent_id"]),
        ({"message": "x", "parent_id": False}, ["/parent_id"]),
        ({"parent_id": {}}, ["/message", "/parent_id"]),
        ([], [""]),
        ("message", [""]),
    ],
)
def test_schema_violations_are_422_with_pointers(post, body, pointers):
    problem = assert_problem(post(body), 422)
    assert sorted(error["pointer"] for error in problem["errors"]) == pointers


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/nothing/here"), 404)


def test_wrong_method_is_a_405_problem_with_allow(client):
    answer = client.delete("/conversations/1/messages")
    assert_problem(answer, 405)
    assert "POST" in answer.headers["Allow"]


def test_body_over_the_limit_is_413_and_the_fake_keeps_serving():
    client = create_app(MockConfig(max_body_bytes=100)).test_client()
    answer = client.post("/conversations/1/messages", json={"message": "x" * 200})
    assert_problem(answer, 413)
    assert client.post("/conversations/1/messages", json={"message": "x" * 50}).status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize(("size", "status"), [(50, 201), (200, 413)])
def test_a_chunked_body_is_held_to_the_limit_too(size, status):
    # No Content-Length: the limit is found while reading, here on the plugin's live server.
    body = json.dumps({"message": "x" * size}).encode()
    with LiveServer(create_app(MockConfig(max_body_bytes=100))) as live:
        answer = httpx.post(
            f"{live.url}/conversations/1/messages",
            content=iter([body[:10], body[10:]]),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == status
    assert "Content-Length" not in answer.request.headers


def test_a_crash_is_a_500_problem_and_recorded(app, client, monkeypatch):
    from message_api_kit.mockserver import store_of
    from message_api_kit.mockserver.app import sessions_of

    store = store_of(app)

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(store, "create_message", boom)
    problem = assert_problem(client.post("/conversations/1/messages", json={"message": "x"}), 500)
    assert "kaboom" in problem["detail"]
    assert [repr(e) for e in sessions_of(app).crashes.take()] == ["RuntimeError('kaboom')"]


def test_a_crash_outside_any_handler_is_a_500_problem_and_recorded(app, client, monkeypatch):
    from message_api_kit.mockserver.app import sessions_of

    def boom(*args, **kwargs):
        raise RuntimeError("in the pipeline")

    monkeypatch.setattr(app.wsgi_app.rows, "record", boom)  # runs after the handler, outside Flask
    problem = assert_problem(client.post("/conversations/1/messages", json={"message": "x"}), 500)
    assert problem["title"] == "Internal Server Error" and "in the pipeline" in problem["detail"]
    assert [repr(e) for e in sessions_of(app).crashes.take()] == ["RuntimeError('in the pipeline')"]


@pytest.mark.parametrize(
    ("path", "body", "pointer", "detail", "status"),
    [
        # A key the document does not name is pointed at, and the close one suggested.
        ("/__mock__/faults", {"failure": [{"status": 503}]}, "/failure", "did you mean 'failures'?", 422),
        ("/__mock__/faults", {"latency": [{"min_ms": 5, "max_ms": 9}]}, "/latency/0/max_ms", "did you mean", 422),
        ("/__mock__/seed", {"user": [{"id": 9, "name": "Nine"}]}, "/user", "did you mean 'users'?", 422),
        ("/__mock__/faults", {"zzz": 1}, "/zzz", "known: latency, failures", 422),
        # What the state refuses in a seed names the field too; its status is the state's (404, 409): a 422 for
        # a schema-valid request is what Schemathesis' ST202 reports as a server that does not keep its schema.
        (
            "/__mock__/seed",
            {"messages": [{"conversation": 1, "message": "x", "parent_id": 999}]},
            "/messages/0/parent_id",
            "parent message 999 does not exist",
            404,
        ),
        (
            "/__mock__/seed",
            {"messages": [{"conversation": 1, "message": "x", "author_id": 77}]},
            "/messages/0/author_id",
            "user 77 does not exist",
            404,
        ),
        ("/__mock__/seed", {"users": [{"id": 1, "name": "Again"}]}, "/users/0/id", "already seeded", 409),
    ],
)
def test_an_error_of_the_fakes_own_api_says_where(client, path, body, pointer, detail, status):
    method = client.put if path.endswith("faults") else client.post
    problem = assert_problem(method(path, json=body), status)
    (error,) = problem["errors"]
    assert error["pointer"] == pointer and detail in error["detail"], problem


def test_any_minimum_and_spread_of_latency_is_a_delay(client):
    # Before: {"min_ms": 59999, "max_ms": 0} was valid by the document and refused (Schemathesis' ST202).
    taken = client.put("/__mock__/faults", json={"latency": [{"min_ms": 59999, "spread_ms": 60000}]})
    assert taken.status_code == 200 and taken.get_json()["latency"] == [
        {"min_ms": 59999, "spread_ms": 60000, "route": "*"}
    ]
