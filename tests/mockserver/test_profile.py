"""A profile feeds the renderer: every answer that shows a message shows it the real server's way."""

from __future__ import annotations

import json

from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.validation import validate

PROFILE = {
    "format": 1,
    "success_status": 200,
    "type": "chat",
    "parent_form": "object",
    "parent_fields": ["message"],
    "author_fields": ["id", "name", "title"],
    "rejections": {
        "malformed-json": {"status": 400, "content_type": "application/json", "body": {"error": "{detail}"}}
    },
    "answers": [
        {
            "request": {"conversation": "1", "content_type": "text/plain", "body": "hello"},
            "answer": {"status": 400, "content_type": "text/html", "body": "<h1>Bad Request</h1>"},
        }
    ],
}


def client(profile: dict) -> object:
    validate("profile", profile)
    return create_app(MockConfig(profile=Profile.from_json(profile))).test_client()


def test_a_creation_a_listing_a_stored_message_and_the_journal_show_one_shape():
    c = client(PROFILE)
    root = c.post("/conversations/1/messages", json={"message": "root"})
    reply = c.post("/conversations/1/messages", json={"message": "re", "parent_id": root.json["id"]})
    assert (root.status_code, reply.status_code) == (200, 200)
    created = reply.json
    assert created["type"] == "chat"
    assert created["parent"] == {"id": root.json["id"], "message": "root"}  # no truncated, no author
    assert set(created["author"]) == {"id", "name", "title"}
    listed = c.get("/__mock__/conversations/1/messages").json["items"]
    assert listed[-1] == created
    assert c.get(f"/__mock__/messages/{created['id']}").json == created
    journal = c.get("/__mock__/journal").json["entries"]
    assert json.loads(journal[-1]["response_body"]) == created


def test_a_profile_of_ids_renders_parent_as_the_id_everywhere():
    c = client({**PROFILE, "parent_form": "id"})
    root = c.post("/conversations/1/messages", json={"message": "root"}).json
    reply = c.post("/conversations/1/messages", json={"message": "re", "parent_id": root["id"]}).json
    assert reply["parent"] == root["id"]
    assert c.get("/__mock__/conversations/1/messages").json["items"][-1]["parent"] == root["id"]


def test_a_refused_request_seen_by_the_diff_is_answered_as_the_real_server_answered_it():
    c = client(PROFILE)
    seen = c.post("/conversations/1/messages", data="hello", content_type="text/plain")
    assert (seen.status_code, seen.content_type, seen.data) == (400, "text/html", b"<h1>Bad Request</h1>")
    other = c.post("/conversations/1/messages", data="other text", content_type="text/plain")
    assert other.status_code == 415 and other.json["type"] == "urn:mockserver:problem:unsupported-media-type"
    by_class = c.post("/conversations/1/messages", data=b'{"message": ', content_type="application/json")
    assert by_class.status_code == 400 and by_class.json["error"].startswith("the body is not valid JSON")
    assert c.get("/__mock__/conversations/1/messages").json["items"] == []
