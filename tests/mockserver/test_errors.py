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

    monkeypatch.setattr(app.wsgi_app, "_record", boom)  # runs after the handler, outside Flask
    problem = assert_problem(client.post("/conversations/1/messages", json={"message": "x"}), 500)
    assert problem["title"] == "Internal Server Error" and "in the pipeline" in problem["detail"]
    assert [repr(e) for e in sessions_of(app).crashes.take()] == ["RuntimeError('in the pipeline')"]
