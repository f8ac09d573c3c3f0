import json

import pytest
from jsonschema import Draft7Validator

from message_api_kit import schemas
from message_api_kit.schemas import _registry

DRAFT_2019_KEYWORDS = {
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "$defs",
    "prefixItems",
    "minContains",
    "maxContains",
    "$anchor",
    "$recursiveRef",
    "$dynamicRef",
}


def _keys(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


@pytest.mark.parametrize("name", schemas.names())
def test_every_file_is_a_draft_7_schema_without_newer_keywords(name):
    raw = _registry.raw(name)  # a file, or a schema derived from the operation declarations
    assert raw["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(raw)
    assert not DRAFT_2019_KEYWORDS & set(_keys(raw)), "hypothesis-jsonschema models drafts 4, 6 and 7 only"


@pytest.mark.parametrize("name", schemas.names())
def test_load_is_self_contained(name):
    bundled = json.dumps(schemas.load(name))
    assert '.json"' not in bundled.replace('draft-07/schema#"', "")


def test_load_returns_a_copy_the_caller_may_change():
    first = schemas.load("message")
    first["required"].clear()
    assert "id" in schemas.load("message")["required"]


def test_validators_are_built_once():
    assert schemas.validator("message") is schemas.validator("message")


def test_unknown_name_is_a_clear_error():
    with pytest.raises(schemas.UnknownSchemaError, match="no schema named 'nope'"):
        schemas.load("nope")


def test_the_doc_example_answer_is_valid():
    # The response example of the vendor's doc, with its placeholders as they are.
    example = {
        "id": 1,
        "type": "<string>",
        "conversationId": 123,
        "is_reply": True,
        "parent": None,
        "deleted": True,
        "message": "<string>",
        "date": 123,
        "edited_at": 123,
        "reactions": [{}],
        "author": {
            "id": 1,
            "first_name": "John",
            "last_name": "Doe",
            "name": "John Doe",
            "title": "Manager",
            "active": True,
            "avatar": {},
            "archived_at": 123,
            "participant_type": "<string>",
            "subtext": "Manager - HQ (Sales)",
            "department": {"id": 10, "name": "Sales"},
            "unit": {"id": 5, "name": "HQ"},
        },
        "files": [
            {
                "id": 1,
                "name": "document.pdf",
                "mime": "application/pdf",
                "size": 102400,
                "type": "file",
                "extension": "pdf",
                "uploaded": True,
                "processing": False,
                "height": 123,
                "width": 123,
                "source": "<string>",
                "stream": "<string>",
                "versions": {},
                "screenshot": "<unknown>",
                "date": 123,
                "created_at": 123,
                "updated_at": 123,
                "created_formatted": "<string>",
                "updated_formatted": "<string>",
            }
        ],
        "voice": {"id": 1, "processing": True, "extension": "mp3", "duration": 12.5, "url": "<string>"},
    }
    schemas.validator("message").validate(example)
    schemas.validator("create-message-request").validate({"message": "<string>", "parent_id": 123})


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"message": "hi"}, True),
        ({"message": "hi", "parent_id": None}, True),
        ({"message": "hi", "parent_id": 7, "extra": [1]}, True),
        ({"message": ""}, True),
        ({}, False),
        ({"message": None}, False),
        ({"message": 5}, False),
        ({"message": "hi", "parent_id": "7"}, False),
        ({"message": "hi", "parent_id": 1.5}, False),
        ({"message": "hi", "parent_id": True}, False),
        (["message"], False),
    ],
)
def test_request_rules(body, valid):
    assert schemas.validator("create-message-request").is_valid(body) is valid


@pytest.mark.parametrize("field", schemas.load("message")["required"])
def test_a_message_without_any_documented_field_is_invalid(field):
    good = {
        "id": 1,
        "type": "text",
        "conversationId": 1,
        "is_reply": False,
        "parent": None,
        "deleted": False,
        "message": "",
        "date": 0,
        "edited_at": None,
        "reactions": [],
        "author": {"id": 1, "name": "A"},
        "files": [],
        "voice": None,
    }
    schemas.validator("message").validate(good)
    del good[field]
    assert not schemas.validator("message").is_valid(good)
