import json

import pytest
from flask import request

from message_api_kit import schemas
from message_api_kit.mockserver import MockConfig, Seed, create_app, store_of


def test_a_root_message_is_stored_and_answered(post, app, clock):
    answer = post({"message": "hello"}, conversation=42)
    assert answer.status_code == 201
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    schemas.validator("message").validate(body)
    assert body["conversationId"] == 42
    assert body["message"] == "hello"
    assert body["is_reply"] is False
    assert body["parent"] is None
    assert body["deleted"] is False
    assert body["edited_at"] is None
    assert body["reactions"] == [] and body["files"] == []
    assert body["voice"] is None
    assert body["date"] == int(clock.now)
    assert body["author"]["name"] == "John Doe"
    stored = store_of(app).message(body["id"])
    assert (stored.conversation_id, stored.text) == (42, "hello")


def test_ids_increase_across_conversations(post):
    ids = [post({"message": str(n)}, conversation=n % 3 + 1).get_json()["id"] for n in range(6)]
    assert ids == sorted(set(ids))


def test_a_reply_finds_its_parent(post):
    parent = post({"message": "root"}).get_json()
    reply = post({"message": "re", "parent_id": parent["id"]}).get_json()
    assert reply["is_reply"] is True
    assert reply["parent"] == {"id": parent["id"], "message": "root", "truncated": False, "author": parent["author"]}
    schemas.validator("parent-summary").validate(reply["parent"])


def test_explicit_null_parent_is_a_root_message(post):
    body = post({"message": "x", "parent_id": None}).get_json()
    assert body["is_reply"] is False and body["parent"] is None


def test_unknown_parent_is_404_with_pointer_free_detail(post):
    answer = post({"message": "x", "parent_id": 999})
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert "999" in answer.get_json()["detail"]


def test_parent_in_another_conversation_is_409(post):
    # Schema-valid, refused by the state: 409, which Schemathesis' checks accept (422 they do not).
    parent = post({"message": "root"}, conversation=1).get_json()
    answer = post({"message": "x", "parent_id": parent["id"]}, conversation=2)
    assert answer.status_code == 409
    assert answer.get_json()["type"] == "urn:mockserver:problem:conflict"
    assert "conversation 1" in answer.get_json()["detail"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " padded\t\n",
        "\x00nul",
        "\u202eright-to-left",
        "𝄞 outside the BMP 😀",
        "<b>&amp;</b>",
        "é" * 10_000,
        "\ud800",
    ],
)
def test_message_comes_back_exactly_as_sent(post, text):
    assert post({"message": text}).get_json()["message"] == text


def test_integral_float_parent_id_is_an_integer(post):
    # JSON Schema draft 7 counts 1.0 as an integer; the fake stores it as 1.
    parent = post({"message": "root"}).get_json()
    assert post({"message": "x", "parent_id": float(parent["id"])}).get_json()["parent"]["id"] == parent["id"]


def test_unknown_fields_are_ignored(post):
    assert post({"message": "x", "colour": "red", "author": {"id": 99}}).status_code == 201


def test_author_comes_from_the_user_header():
    seed = Seed.from_json({"users": [{"id": 1, "name": "One"}, {"id": 7, "name": "Seven"}]})
    client = create_app(MockConfig(seed=seed)).test_client()
    answer = client.post("/conversations/1/messages", json={"message": "x"}, headers={"X-Mock-User": "7"})
    assert answer.get_json()["author"] == {"id": 7, "name": "Seven"}
    assert client.post("/conversations/1/messages", json={"message": "x"}).get_json()["author"]["id"] == 1
    unknown = client.post("/conversations/1/messages", json={"message": "x"}, headers={"X-Mock-User": "8"})
    assert unknown.status_code == 404  # well formed, but names no one: the state refuses it
    assert unknown.get_json()["detail"] == "X-Mock-User names no seeded user: '8'"
    malformed = client.post("/conversations/1/messages", json={"message": "x"}, headers={"X-Mock-User": "../1"})
    assert malformed.status_code == 400
    assert "X-Mock-User must be the id of a seeded user" in malformed.get_json()["detail"]


def test_strict_mode_only_knows_seeded_conversations():
    client = create_app(MockConfig(strict_conversations=True, seed=Seed(conversations=(5,)))).test_client()
    assert client.post("/conversations/5/messages", json={"message": "x"}).status_code == 201
    answer = client.post("/conversations/6/messages", json={"message": "x"})
    assert answer.status_code == 404
    assert "strict" in answer.get_json()["detail"]


def test_a_body_a_hook_already_read_is_still_found():
    # Flask caches a body read with get_data(); extensions and middleware hooks may read it first.
    app = create_app()

    @app.before_request
    def peek() -> None:
        request.get_data(cache=True)

    answer = app.test_client().post("/conversations/1/messages", json={"message": "seen"})
    assert answer.status_code == 201 and answer.get_json()["message"] == "seen"


def test_two_apps_share_nothing():
    first, second = create_app().test_client(), create_app().test_client()
    first.post("/conversations/1/messages", json={"message": "x"})
    assert second.post("/conversations/1/messages", json={"message": "y"}).get_json()["id"] == 1


def test_answer_text_is_the_message_document(app, post):
    from message_api_kit.mockserver.render import message_json, message_text

    store = store_of(app)
    root = post({"message": "root \ud800 é"}).get_json()
    post({"message": "re", "parent_id": root["id"]})
    for message_id in (1, 2):
        stored = store.message(message_id)
        assert json.loads(message_text(store, stored)) == message_json(store, stored)
