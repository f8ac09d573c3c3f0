"""The fast path of a creation answers exactly as the plain path through Flask does (``pipeline._created``)."""

from __future__ import annotations

import json

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from message_api_kit.mockserver import MockConfig, Seed, create_app
from message_api_kit.mockserver.app import store_of
from message_api_kit.mockserver.store import StoreError

SEED = Seed(users=({"id": 7, "first_name": "Ada", "last_name": "L", "avatar": None},), conversations=(1, 2, 3))

segments = st.sampled_from(["1", "2", "3", "4", "0", "-1", "abc", "01", "9" * 25, "1a"])
media = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", None, "application/xml"]
)
users = st.sampled_from([None, "7", "8", "x", ""])
parents = st.one_of(st.none(), st.integers(-1, 12), st.text(max_size=3), st.booleans())
bodies = st.one_of(
    st.builds(lambda text, parent: {"message": text, "parent_id": parent}, st.text(max_size=20), parents).map(
        lambda doc: json.dumps({k: v for k, v in doc.items() if v is not None or k == "message"}).encode()
    ),
    st.sampled_from([b'{"message": ', b"not json", b"[]", b'{"message": 5}', b'{"message": "x", "extra": 1}', b"\xff"]),
)
requests = st.lists(st.tuples(segments, media, users, bodies, st.booleans()), min_size=1, max_size=8)


def _fake(fast: bool, strict: bool) -> tuple[httpx.Client, object]:
    app = create_app(MockConfig(seed=SEED, strict_conversations=strict, clock=lambda: 1_700_000_000.0))
    app.wsgi_app.fast = fast  # type: ignore[attr-defined]
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost"), app


def _answer(app, path: str, body: bytes, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body the app gives, as a WSGI server would see them."""
    environ = EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ()
    started = []
    chunks = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    [(status, answer_headers)] = started
    return status, answer_headers, b"".join(chunks)


@settings(max_examples=30)
@given(requests=requests, strict=st.booleans())
def test_the_fast_path_answers_and_stores_exactly_as_flask_does(requests, strict):
    (_, fast_app), (_, plain_app) = _fake(True, strict), _fake(False, strict)
    for segment, content_type, user, body, from_a_page in requests:
        headers = {} if content_type is None else {"Content-Type": content_type}
        if user is not None:
            headers["X-Mock-User"] = user
        if from_a_page:
            headers["Origin"] = "http://localhost:5173"
        path = f"/conversations/{segment}/messages"
        seen = [_answer(app, path, body, headers) for app in (fast_app, plain_app)]
        assert seen[0] == seen[1], (path, headers, body)
    stores = [store_of(app) for app in (fast_app, plain_app)]
    assert stores[0].next_id == stores[1].next_id
    for message_id in range(1, stores[0].next_id):
        assert stores[0].message(message_id) == stores[1].message(message_id)
    journals = [[entry.to_json() for entry in store.journal.entries()] for store in stores]
    for entries in journals:
        for entry in entries:
            entry.pop("time", None), entry.pop("duration_ms", None)
    assert journals[0] == journals[1]


def test_the_fast_path_is_taken_for_a_plain_creation():
    client, app = _fake(True, False)
    taken = []
    inner = app.wsgi_app._inner  # type: ignore[attr-defined]
    app.wsgi_app._inner = lambda *args: taken.append(args) or inner(*args)  # type: ignore[attr-defined]
    made = client.post("/conversations/1/messages", json={"message": "hi"})
    assert made.status_code == 201 and made.json()["message"] == "hi"
    assert taken == []  # answered without Flask's dispatch
    client.post("/conversations/1/messages/", json={"message": "hi"})  # no creation's path: Flask answers
    assert len(taken) == 1


def test_a_hook_or_view_a_suite_adds_to_the_app_is_never_passed_by():
    # mock_app is the Flask app: a suite may add hooks, replace the view or handle errors its own way.
    client, app = _fake(True, False)
    app.after_request(lambda response: (response.headers.__setitem__("X-Seen", "yes"), response)[1])
    assert client.post("/conversations/1/messages", json={"message": "hi"}).headers["X-Seen"] == "yes"
    client, app = _fake(True, False)
    app.view_functions["createMessage"] = lambda conversation: ("replaced", 418)
    assert client.post("/conversations/1/messages", json={"message": "hi"}).status_code == 418
    client, app = _fake(True, False)
    app.register_error_handler(404, lambda error: ("not here", 404))
    app.register_error_handler(StoreError, lambda error: ("state says no", 409))
    answer = client.post("/conversations/1/messages", json={"message": "hi", "parent_id": 99})
    assert (answer.status_code, answer.text) == (409, "state says no")
