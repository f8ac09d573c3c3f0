"""The two OpenAPI documents: the vendor's contract alone, and the fake's own API; both from the declarations."""

import json

import pytest
from openapi_spec_validator import validate

from message_api_kit import schemas

DOCUMENTS = {"vendor": schemas.vendor_document, "fake": schemas.fake_document}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_is_valid_openapi_3_1(name):
    doc = DOCUMENTS[name]()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_components_are_exactly_the_schemas_the_operations_use(name):
    doc = DOCUMENTS[name]()
    refs = list(_refs(doc))
    assert all(ref.startswith("#/components/schemas/") for ref in refs)  # no file reference is left
    used = {ref.rsplit("/", 1)[1] for ref in refs}
    assert used == set(doc["components"]["schemas"]), "a component nothing refers to, or a missing one"


def test_the_vendor_document_holds_the_vendor_operation_and_nothing_of_the_fake():
    doc = schemas.vendor_document()
    assert list(doc["paths"]) == ["/conversations/{conversation}/messages"]
    op = doc["paths"]["/conversations/{conversation}/messages"]["post"]
    assert op["operationId"] == "createMessage"
    text = json.dumps(doc)
    for fake_only in ("__mock__", schemas.USER_HEADER, "problem", "seed", "fault"):
        assert fake_only not in text, fake_only
    # The doc documents no error: a refusal is any 4xx, with no body promised.
    assert op["responses"]["4XX"] == {"description": "The request is refused; the doc documents no error body."}
    assert set(op["responses"]) == {"200", "201", "4XX"}


def test_the_fake_document_describes_what_only_the_fake_reads_and_answers():
    doc = schemas.fake_document()
    create = doc["paths"]["/conversations/{conversation}/messages"]["post"]
    assert schemas.USER_HEADER in [param["name"] for param in create["parameters"]]
    assert create["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/problem"}}
    }
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert ids == {op.id for op in schemas.OPERATIONS}


def test_every_path_and_method_comes_from_a_declaration():
    for doc in (schemas.vendor_document(), schemas.fake_document()):
        for path, item in doc["paths"].items():
            for method, op in item.items():
                declared = schemas.operation(op["operationId"])
                assert (declared.path, declared.method) == (path, method.upper())
                assert op["tags"] == (["fake"] if declared.fake_only else ["messages"])


def test_the_endpoint_uses_the_shared_schemas():
    op = schemas.vendor_document()["paths"]["/conversations/{conversation}/messages"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/create-message-request"
    }
    assert op["parameters"][0]["schema"] == {"$ref": "#/components/schemas/conversation-id"}
    for status in ("200", "201"):
        assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/message")


def test_fault_routes_are_derived_from_the_vendor_operations():
    assert schemas.load("fault-route")["enum"] == ["*", *(op.id for op in schemas.vendor_operations())]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
