import json

from openapi_spec_validator import validate

import schemas


def test_document_is_valid_openapi_3_1():
    doc = schemas.openapi_document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_components_are_the_schema_files():
    components = schemas.openapi_document()["components"]["schemas"]
    assert set(components) == set(schemas.names())
    text = json.dumps(components)
    assert '.json"' not in text  # every cross-file reference points into components


def test_endpoint_uses_the_shared_schemas():
    op = schemas.openapi_document()["paths"]["/conversations/{conversation}/messages"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/create-message-request"
    }
    assert op["parameters"][0]["schema"] == {"$ref": "#/components/schemas/conversation-id"}
    for status in ("200", "201"):
        assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/message")


def test_admin_operations_carry_their_own_tag():
    for path, item in schemas.openapi_document()["paths"].items():
        tags = {tag for op in item.values() for tag in op["tags"]}
        assert (tags == {"admin"}) == path.startswith("/__mock__/")
