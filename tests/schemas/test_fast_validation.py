"""The fast check (jsonschema-rs) and the reference (jsonschema) give the same answer on every schema."""

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from message_api_kit import schemas
from message_api_kit.contracts._jsonschema import from_schema

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@cache
def near_valid(name):
    # Valid instances with one key changed to arbitrary JSON: mostly invalid, close to the line.
    def mutate(instance, key, value):
        if isinstance(instance, dict) and instance:
            instance = dict(instance)
            instance[sorted(instance)[key % len(instance)]] = value
        return instance

    return st.builds(mutate, from_schema(schemas.load(name)), st.integers(0, 20), JSON)


@pytest.mark.parametrize("name", schemas.names())
@settings(max_examples=20)
@given(data=st.data())
def test_fast_and_reference_validators_agree(name, data):
    instance = data.draw(JSON | near_valid(name))
    assert schemas.is_valid(name, instance) == schemas.validator(name).is_valid(instance)


@pytest.mark.parametrize(
    "instance",
    [
        {"message": "x", "parent_id": 1.0},
        {"message": "x", "parent_id": True},
        {"message": "x", "parent_id": 2**70},
        {"message": "\ud800"},
        {"message": "x", "parent_id": -0.0},
    ],
)
def test_edge_cases_agree(instance):
    name = "create-message-request"
    assert schemas.is_valid(name, instance) == schemas.validator(name).is_valid(instance)


@pytest.mark.parametrize("name", ["base\n", "base\r\n", "\nbase", "a b", ""])
def test_both_validators_anchor_a_pattern_at_the_very_end(name):
    # Python's `$` also matches before a final newline; ECMA 262's, and jsonschema-rs's, does not.
    assert schemas.is_valid("session-name", name) is False
    assert schemas.validator("session-name").is_valid(name) is False


def test_a_snapshot_named_with_a_trailing_newline_is_refused(mock_client):
    answer = mock_client.post("/__mock__/snapshots", json={"name": "base\n"}, headers={"X-Mock-Admin": "1"})
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"] == "/name"
