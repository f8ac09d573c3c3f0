"""The OpenAPI 3.1 documents, assembled from the operation declarations and the schema files.

Two documents, never a hand-written copy of either:

- the vendor's contract (``vendor_document``): the vendor's operations and what the doc
  promises, no more: what a real server serves, usable as-is against one (Schemathesis,
  Prism, client generators);
- the fake's own API (``fake_document``): its admin operations and documents, and the
  vendor's operation as the fake serves it (``X-Mock-User``, its problem documents).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from message_api_kit.schemas._operations import (
    ADMIN_PREFIX,
    JSON,
    OPERATIONS,
    SESSION,
    SESSION_REFUSALS,
    Answer,
    Operation,
    Parameter,
    vendor_operations,
)
from message_api_kit.schemas._registry import Schema, raw, referenced, rewrite_refs


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema(schema: str | dict[str, Any]) -> dict[str, Any]:
    return _ref(schema) if isinstance(schema, str) else dict(schema)


def _parameter(param: Parameter) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": _schema(param.schema),
    }


def _answer(answer: Answer) -> dict[str, Any]:
    if answer.schema is None:
        return {"description": answer.description}
    return {"description": answer.description, "content": {answer.media: {"schema": _ref(answer.schema)}}}


def _operation(op: Operation, as_the_fake_serves_it: bool) -> dict[str, Any]:
    parameters = op.parameters + (op.fake_parameters if as_the_fake_serves_it else ())
    answers = op.answers
    if as_the_fake_serves_it and op.fake_answers:
        # The fake's own refusals, each with its problem document, instead of the doc's silence.
        answers = tuple(a for a in op.answers if a.status != "4XX") + op.fake_answers
    if as_the_fake_serves_it and op.per_session:
        parameters += (SESSION,)
        declared = {answer.status for answer in answers}
        answers += tuple(refusal for refusal in SESSION_REFUSALS if refusal.status not in declared)
    doc: dict[str, Any] = {
        "tags": ["fake" if op.fake_only else "messages"],
        "operationId": op.id,
        "summary": op.summary,
    }
    if op.derivation:
        doc["description"] = f"Derived from the vendor's doc; schemas/DERIVATION.md rows {op.derivation}."
    if parameters:
        doc["parameters"] = [_parameter(param) for param in parameters]
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(op.body)}}}
    doc["responses"] = {answer.status: _answer(answer) for answer in answers}
    return doc


def _schema_names(operations: tuple[Operation, ...], as_the_fake_serves_it: bool) -> list[str]:
    """Every schema file the operations refer to, directly or not, sorted."""
    direct: set[str] = set()
    for op in operations:
        params = op.parameters + (op.fake_parameters if as_the_fake_serves_it else ())
        params += (SESSION,) if as_the_fake_serves_it and op.per_session else ()
        answers = op.answers + (op.fake_answers if as_the_fake_serves_it else ())
        direct.update(param.schema for param in params if isinstance(param.schema, str))
        direct.update(answer.schema for answer in answers if answer.schema is not None)
        if op.body is not None:
            direct.add(op.body)
    return sorted(direct.union(*(referenced(name) for name in direct)))


def _document(operations: tuple[Operation, ...], info: dict[str, Any], fake: bool) -> dict[str, Any]:
    def component(ref: str) -> str:
        return f"#/components/schemas/{ref}"

    components: dict[str, Schema] = {}
    for name in _schema_names(operations, fake):
        schema = rewrite_refs(raw(name), component)
        schema.pop("$schema", None)
        components[name] = schema
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, fake)
    tags = [{"name": "messages", "description": "The vendor's documented endpoint."}]
    if fake:
        tags.append({"name": "fake", "description": f"The fake's own API ({ADMIN_PREFIX}/ and its documents)."})
    return {"openapi": "3.1.0", "info": info, "tags": tags, "paths": paths, "components": {"schemas": components}}


@cache
def _vendor() -> dict[str, Any]:
    info = {
        "title": "Conversations API: create message",
        "version": "1.0.0",
        "description": "The vendor's contract of POST /conversations/{conversation}/messages, derived from its doc "
        "(schemas/DERIVATION.md). Where the doc is silent, so is this document.",
    }
    return _document(vendor_operations(), info, fake=False)


@cache
def _fake() -> dict[str, Any]:
    info = {
        "title": "Conversations API fake: its own API",
        "version": "1.0.0",
        "description": f"The fake's control API under {ADMIN_PREFIX}/, and the vendor's operation as the fake "
        "serves it (X-Mock-User, X-Mock-Session, problem documents). Not part of the vendor's API.",
    }
    return _document(OPERATIONS, info, fake=True)


def vendor_document() -> dict[str, Any]:
    """The vendor's contract as an OpenAPI 3.1 document (built once; the caller gets a copy)."""
    return copy.deepcopy(_vendor())


def fake_document() -> dict[str, Any]:
    """The fake's own API as an OpenAPI 3.1 document (built once; the caller gets a copy)."""
    return copy.deepcopy(_fake())
