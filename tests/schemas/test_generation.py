"""Generation from every schema file: fails loudly if a Hypothesis upgrade breaks hypothesis-jsonschema."""

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from message_api_kit import schemas
from message_api_kit.contracts._jsonschema import from_schema


@cache
def strategy(name):
    return from_schema(schemas.load(name))


@pytest.mark.parametrize("name", schemas.names())
@settings(max_examples=6)
@given(data=st.data())
def test_every_schema_generates_valid_instances(name, data):
    instance = data.draw(strategy(name))
    # hypothesis-jsonschema can mis-generate keywords it does not model: validate what it made.
    errors = list(schemas.validator(name).iter_errors(instance))
    assert not errors, errors[0].message
