import pytest

from message_api_kit.mockserver import MockConfig, create_app


def test_any_origin_by_default(client):
    answer = client.post(
        "/conversations/1/messages", json={"message": "x"}, headers={"Origin": "http://localhost:3000"}
    )
    assert answer.headers["Access-Control-Allow-Origin"] in {"*", "http://localhost:3000"}


def test_preflight_is_answered(client):
    answer = client.options(
        "/conversations/1/messages",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-mock-user",
        },
    )
    assert answer.status_code == 204
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "x-mock-user" in answer.headers["Access-Control-Allow-Headers"].lower()


def test_errors_carry_cors_headers_too(client):
    answer = client.post("/conversations/0/messages", json={}, headers={"Origin": "http://a.test"})
    assert answer.status_code == 404
    assert "Access-Control-Allow-Origin" in answer.headers


def test_configured_origins_only():
    client = create_app(MockConfig(cors_origins=("http://app.test",))).test_client()
    allowed = client.post("/conversations/1/messages", json={"message": "x"}, headers={"Origin": "http://app.test"})
    refused = client.post("/conversations/1/messages", json={"message": "x"}, headers={"Origin": "http://evil.test"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "Access-Control-Allow-Origin" not in refused.headers


APP = "http://app.test"
EVIL = "http://evil.test"


def test_the_fake_s_own_api_answers_no_origin_by_default(client):
    # The vendor's API answers any origin; the fake's own, none: no web page can read or drive it.
    for path in ("/__mock__/journal", "/__mock__/faults", "/__mock__/openapi.json"):
        answer = client.get(path, headers={"Origin": EVIL})
        assert answer.status_code == 200
        assert "Access-Control-Allow-Origin" not in answer.headers, path
    for path in ("/__mock__/faults", "/__mock__/seed", "/__mock__/reset"):
        preflight = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"})
        assert "Access-Control-Allow-Origin" not in preflight.headers, path
        assert "Access-Control-Allow-Methods" not in preflight.headers, path


def test_a_form_cannot_reset_the_fake(client, post):
    created = post({"message": "keep me"}).get_json()
    for headers, data in (
        ({"Origin": EVIL}, None),
        ({"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"}, "a=1"),
        ({"Origin": EVIL, "Content-Type": "text/plain"}, "a=1"),
    ):
        answer = client.post("/__mock__/reset", headers=headers, data=data)
        assert answer.status_code == 403
        assert "X-Mock-Admin" in answer.get_json()["detail"]
    refused = client.delete("/__mock__/faults")
    assert refused.status_code == 403
    assert client.get(f"/__mock__/messages/{created['id']}").status_code == 200  # nothing was reset
    assert client.post("/__mock__/reset", headers={"X-Mock-Admin": "1"}).status_code == 204


def test_a_form_cannot_seed_or_set_faults_either(client):
    # Bodies must be application/json, which no form can send (and which makes a browser preflight).
    assert (
        client.post("/__mock__/seed", data="users=1", content_type="application/x-www-form-urlencoded").status_code
        == 415
    )
    assert client.put("/__mock__/faults", data='{"failures": []}', content_type="text/plain").status_code == 415


def test_named_origins_get_credentialed_cors_everywhere_others_nothing():
    client = create_app(MockConfig(cors_origins=(APP,))).test_client()
    for method, path in (("post", "/conversations/1/messages"), ("get", "/__mock__/journal")):
        allowed = getattr(client, method)(path, json={"message": "x"}, headers={"Origin": APP})
        assert allowed.headers["Access-Control-Allow-Origin"] == APP
        assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in allowed.headers["Vary"]
        refused = getattr(client, method)(path, json={"message": "x"}, headers={"Origin": EVIL})
        assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = client.options(
        "/__mock__/faults",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]


def test_any_origin_is_never_credentialed(client):
    answer = client.post("/conversations/1/messages", json={"message": "x"}, headers={"Origin": APP})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8080", "127.0.0.1:80", "127.9.9.9", "[::1]:8080", "app.localhost"]
)
def test_loopback_hosts_are_answered(client, host):
    assert client.get("/__mock__/journal", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("path", ["/conversations/1/messages", "/__mock__/journal", "/openapi.json"])
def test_other_hosts_get_a_403_against_dns_rebinding(client, path):
    answer = client.open(path, method="GET", headers={"Host": "attacker.example:8080"})
    assert answer.status_code == 403
    assert "--allowed-host" in answer.get_json()["detail"]


def test_allowed_hosts_are_answered_and_star_answers_any():
    named = create_app(MockConfig(allowed_hosts=("fake.internal",))).test_client()
    assert named.get("/__mock__/journal", headers={"Host": "fake.internal:8080"}).status_code == 200
    assert named.get("/__mock__/journal", headers={"Host": "other.internal"}).status_code == 403
    anything = create_app(MockConfig(allowed_hosts=("*",))).test_client()
    assert anything.get("/__mock__/journal", headers={"Host": "whatever.example"}).status_code == 200


def test_a_reset_with_a_json_body_but_no_admin_header_says_what_is_missing(client):
    answer = client.post("/__mock__/reset", json={"please": True})
    assert answer.status_code == 403
    assert answer.get_json()["detail"].startswith(
        "this request has no X-Mock-Admin header: POST /__mock__/reset needs it"
    )
