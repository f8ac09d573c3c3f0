"""A request carries its session's store to the handler (``SessionRequest.store``), not a slot of the environ."""

from flask import jsonify, request

from message_api_kit.mockserver import create_app, store_of
from message_api_kit.mockserver.requests import SessionRequest, session_store


def test_the_handler_gets_the_store_of_the_session_named_on_the_request_itself():
    app = create_app()
    seen = []

    def look():
        current = request._get_current_object()
        seen.append((type(current), session_store(), sorted(k for k in request.environ if k.startswith("mockserver"))))
        return jsonify({})

    app.add_url_rule("/look", view_func=look)
    client = app.test_client()
    client.get("/look")
    client.get("/look", headers={"X-Mock-Session": "a"})
    created = client.post("/conversations/1/messages", json={"message": "in a"}, headers={"X-Mock-Session": "a"})
    assert created.status_code == 201
    (kind, default, slots), (_, named, _) = seen
    assert kind is SessionRequest and slots == []
    assert default is store_of(app) and named is store_of(app, "a") and named is not default
    assert named.page(1, 0, 10)[1] == 1 and default.page(1, 0, 10)[1] == 0  # the creation went to session "a"
