from mockserver import MockConfig, create_app


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
