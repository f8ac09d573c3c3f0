"""The answer text made from a template equals the answer document, for every kind of message."""

import json

from hypothesis import given
from hypothesis import strategies as st

from message_api_kit.mockserver import MockConfig, Seed, Store
from message_api_kit.mockserver.render import message_json, message_text

USERS = [{"id": 1, "name": "One"}, {"id": 2, "name": 'Tw\u00f6 "quoted" \U0001f600', "avatar": {"url": "x"}}]


@given(
    texts=st.lists(st.text(), min_size=1, max_size=5),
    reply=st.lists(st.booleans(), min_size=5, max_size=5),
    author=st.sampled_from([1, 2]),
    conversation=st.integers(1, 2**63 - 1),
    date=st.integers(0, 2**40),
)
def test_message_text_is_message_json(texts, reply, author, conversation, date):
    store = Store(MockConfig(seed=Seed(users=tuple(USERS))))
    stored = []
    for text, is_reply in zip(texts, reply, strict=False):
        parent = stored[-1].id if is_reply and stored else None
        stored.append(store.create_message(conversation, text, parent, author, date=date))
    for message in stored:
        assert json.loads(message_text(store, message)) == message_json(store, message)


def test_lone_surrogates_and_controls_survive():
    store = Store(MockConfig())
    message = store.create_message(1, "\ud800\x00\u2028")
    assert json.loads(message_text(store, message))["message"] == "\ud800\x00\u2028"
