from message_api_kit import schemas


def test_reset_forgets_messages_and_restores_the_seed(client, post):
    post({"message": "x"})
    assert client.post("/__mock__/reset", headers={"X-Mock-Admin": "1"}).status_code == 204
    assert post({"message": "y"}).get_json()["id"] == 1


def test_seed_then_list_and_get(client):
    answer = client.post(
        "/__mock__/seed",
        json={
            "users": [{"id": 3, "name": "Ann"}],
            "conversations": [9],
            "messages": [
                {"conversation": 9, "message": "first", "author_id": 3, "date": 1000},
                {"conversation": 9, "message": "second", "parent_id": 1},
            ],
        },
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"users": 1, "conversations": 1, "messages": [1, 2]}
    page = client.get("/__mock__/conversations/9/messages?limit=1&offset=1").get_json()
    schemas.validator("message-page").validate(page)
    assert page["total"] == 2 and [m["message"] for m in page["items"]] == ["second"]
    first = client.get("/__mock__/messages/1").get_json()
    assert first["author"] == {"id": 3, "name": "Ann"} and first["date"] == 1000


def test_a_bad_seed_changes_nothing(client):
    answer = client.post(
        "/__mock__/seed",
        json={"messages": [{"conversation": 1, "message": "ok"}, {"conversation": 1, "message": "x", "parent_id": 77}]},
    )
    assert answer.status_code == 404
    assert client.get("/__mock__/conversations/1/messages").get_json()["total"] == 0


def test_seed_refuses_unknown_keys(client):
    answer = client.post("/__mock__/seed", json={"user": []})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {"pointer": "/user", "detail": "is not a property here: did you mean 'users'?"}
    ]


def test_explicit_seed_ids_must_increase(client, post):
    post({"message": "x"})
    assert (
        client.post("/__mock__/seed", json={"messages": [{"id": 1, "conversation": 1, "message": "y"}]}).status_code
        == 409
    )
    assert (
        client.post("/__mock__/seed", json={"messages": [{"id": 50, "conversation": 1, "message": "y"}]}).status_code
        == 200
    )
    assert post({"message": "z"}).get_json()["id"] == 51


def test_bad_page_parameters_are_400(client):
    for query in ("limit=0", "limit=1001", "offset=-1", "limit=abc"):
        answer = client.get(f"/__mock__/conversations/1/messages?{query}")
        assert answer.status_code == 400, query


def test_unknown_message_is_404(client):
    assert client.get("/__mock__/messages/5").status_code == 404


def test_journal_records_public_requests_only(client, post):
    post({"message": "x"})
    client.get("/nope")
    client.get("/openapi.json")  # tools and the dashboard fetch it: not what an app sent
    client.get("/__mock__/messages/1")
    journal = client.get("/__mock__/journal").get_json()
    schemas.validator("journal").validate(journal)
    assert [(e["method"], e["path"], e["status"]) for e in journal["entries"]] == [
        ("POST", "/conversations/1/messages", 201),
        ("GET", "/nope", 404),
    ]
    assert '"message": "x"' in journal["entries"][0]["request_body"]
    assert client.get("/__mock__/journal?limit=1").get_json()["entries"][0]["path"] == "/nope"


def test_journal_is_capped():
    from message_api_kit.mockserver import MockConfig, create_app

    client = create_app(MockConfig(journal_size=3)).test_client()
    for n in range(10):
        client.post("/conversations/1/messages", json={"message": str(n)})
    entries = client.get("/__mock__/journal").get_json()["entries"]
    assert [e["request_body"] for e in entries] == [f'{{"message": "{n}"}}' for n in (7, 8, 9)]


def test_both_documents_are_served(client):
    vendor = client.get("/openapi.json")
    assert vendor.status_code == 200 and vendor.get_json() == schemas.vendor_document()
    fake = client.get("/__mock__/openapi.json")
    assert fake.status_code == 200 and fake.get_json() == schemas.fake_document()


def test_the_routes_are_the_declared_operations(app):
    routes = {
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.endpoint != "static"
    }
    assert routes == {(op.id, op.method, op.flask_rule) for op in schemas.OPERATIONS}


def test_a_listing_costs_what_it_sends_even_beside_a_huge_message(app, client):
    from message_api_kit.mockserver import store_of
    from message_api_kit.mockserver.admin import LISTED_TEXT

    huge = "x" * (8 * 1024 * 1024)  # as a seed or state file may hold
    message = store_of(app).create_message(1, huge)
    page = client.get("/__mock__/conversations/1/messages")
    assert len(page.data) < 2 * LISTED_TEXT
    (item,) = [i for i in page.get_json()["items"] if i["id"] == message.id]
    assert item["message"] == huge[:LISTED_TEXT] and item["truncated"] is True and item["length"] == len(huge)
    assert client.get(f"/__mock__/messages/{message.id}").get_json()["message"] == huge
