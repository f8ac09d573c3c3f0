"""Every answer of the fake is valid against its schema, for generated valid and invalid requests."""

import json

from hypothesis import given
from hypothesis import strategies as st

from message_api_kit import schemas
from message_api_kit.contracts._jsonschema import from_schema
from message_api_kit.mockserver import MockConfig, create_app

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
VALID = from_schema(schemas.load("create-message-request"))
ANY_BODY = VALID | JSON | st.fixed_dictionaries({"message": JSON}, optional={"parent_id": JSON})
CONVERSATION = st.integers(min_value=-5, max_value=2**64) | st.sampled_from([1, 2, 3])


def check(answer):
    body = answer.get_json()
    if answer.status_code == 201:
        assert answer.mimetype == "application/json"
        schemas.validator("message").validate(body)
    else:
        assert 400 <= answer.status_code < 500, body
        assert answer.mimetype == "application/problem+json"
        schemas.validator("problem").validate(body)
    return body


@given(requests=st.lists(st.tuples(CONVERSATION, ANY_BODY, st.booleans()), min_size=1, max_size=8))
def test_every_answer_is_valid_against_its_schema(requests):
    app = create_app(MockConfig())  # fresh per example: a function fixture would be shared
    client = app.test_client()
    created = []
    for conversation, body, reply in requests:
        if reply and created and isinstance(body, dict):
            body = {**body, "parent_id": created[-1]}
        answer = client.post(
            f"/conversations/{conversation}/messages", data=json.dumps(body), content_type="application/json"
        )
        result = check(answer)
        if answer.status_code == 201:
            assert result["message"] == body["message"]
            assert result["conversationId"] == conversation
            assert result["is_reply"] == (body.get("parent_id") is not None)
            created.append(result["id"])


@given(body=VALID)
def test_valid_bodies_are_created(body):
    answer = create_app().test_client().post("/conversations/1/messages", json=body)
    # A generated parent_id names no stored message, so it is a 404; otherwise a 201.
    expected = 404 if body.get("parent_id") is not None else 201
    assert answer.status_code == expected
    check(answer)


@given(raw=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_arbitrary_bytes_never_crash(raw, content_type):
    check(create_app().test_client().post("/conversations/1/messages", data=raw, content_type=content_type))
