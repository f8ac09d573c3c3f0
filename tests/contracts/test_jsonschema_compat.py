"""The adapter that keeps hypothesis-jsonschema working on newer Hypothesis is needed, and enough."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema

from message_api_kit import schemas
from message_api_kit.contracts import _jsonschema

OBJECTS = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}}


def test_it_is_applied_exactly_where_hypothesis_lacks_more():
    assert (not hasattr(conjecture_utils.many, "more")) == _jsonschema.NEEDED
    assert (_from_schema.cu is not conjecture_utils) == _jsonschema.NEEDED


@pytest.mark.skipif(not _jsonschema.NEEDED, reason="this Hypothesis still has many.more()")
def test_it_is_still_needed(monkeypatch):
    # Without the adapter, hypothesis-jsonschema's object strategy breaks on this Hypothesis.
    # If this fails, a release of hypothesis-jsonschema works alone: remove message_api_kit/contracts/_jsonschema.py.
    monkeypatch.setattr(_from_schema, "cu", conjecture_utils)

    @settings(max_examples=5, database=None)
    @given(_from_schema.from_schema(OBJECTS))
    def draw(value):
        pass

    with pytest.raises(AttributeError, match="more"):
        draw()


@pytest.mark.parametrize("schema", [OBJECTS, {}, "create-message-request", "seed"])
def test_it_is_enough(schema):
    validator = schemas.validator(schema) if isinstance(schema, str) else None
    schema = schemas.load(schema) if isinstance(schema, str) else schema
    sizes = set()

    @settings(max_examples=60, database=None)
    @given(st.data())
    def draw(data):
        value = data.draw(_jsonschema.from_schema(schema))
        if isinstance(value, dict):
            sizes.add(len(value))
        if validator is not None:
            assert validator.is_valid(value)

    draw()
    assert len(sizes) > 1, "objects of one size only: the adapter's loop never went on"
