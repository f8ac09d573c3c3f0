"""JSON Schema files derived from the vendor's doc, the operations declared once, and the OpenAPI documents.

The files beside this module are the single source of truth for the kit: the fake
validates requests with them, the contract tests generate requests from them and
validate answers with them. ``DERIVATION.md`` explains each rule. Each operation (the
vendor's one and the fake's own) is declared once in ``_operations.py``; the documents,
the fake's routes and the contract checks' requests come from those declarations.

Public API:

- :func:`names`: the name of every schema (without ``.json``).
- :func:`load`: a self-contained copy of one schema (cross-file ``$ref`` s inlined
  under ``definitions``), ready for hypothesis-jsonschema.
- :func:`validator`: a Draft 7 validator for one schema, built once and cached.
- :func:`is_valid`: a fast yes/no check against one schema, for hot paths.
- :data:`OPERATIONS`, :func:`operation`, :func:`vendor_operations`, :func:`methods`:
  the operation declarations (:class:`Operation`); :data:`CREATE_MESSAGE`, the vendor's creation.
- :func:`vendor_document`: the vendor's contract as OpenAPI 3.1, and nothing else.
- :func:`fake_document`: the fake's own API as OpenAPI 3.1.
- :data:`ADMIN_PREFIX`, :data:`USER_HEADER`, :data:`ADMIN_HEADER`, :data:`SESSION_HEADER`: where the
  fake's API lives, its user header, the header a body-less change to its state carries, and the
  one naming a session.
- :data:`MAX_ID`, :data:`JSON`, :data:`PROBLEM`: the largest id, and the media types of bodies and problems.
- :func:`is_secret`, :func:`redact_query`, :func:`without_userinfo`, :data:`REDACTED`: the kit's one rule
  for the secrets of a request, wherever it is shown or written.
"""

from message_api_kit.schemas._openapi import fake_document, vendor_document
from message_api_kit.schemas._operations import (
    ADMIN_HEADER,
    ADMIN_PREFIX,
    CREATE_MESSAGE,
    JSON,
    OPERATIONS,
    PROBLEM,
    SESSION_HEADER,
    USER_HEADER,
    Answer,
    Operation,
    Parameter,
    methods,
    operation,
    vendor_operations,
)
from message_api_kit.schemas._registry import MAX_ID, UnknownSchemaError, is_valid, load, names, validator
from message_api_kit.schemas._secrets import REDACTED, is_secret, redact_query, without_userinfo

__all__ = [
    "ADMIN_HEADER",
    "ADMIN_PREFIX",
    "CREATE_MESSAGE",
    "JSON",
    "MAX_ID",
    "OPERATIONS",
    "PROBLEM",
    "REDACTED",
    "SESSION_HEADER",
    "USER_HEADER",
    "Answer",
    "Operation",
    "Parameter",
    "UnknownSchemaError",
    "fake_document",
    "is_secret",
    "is_valid",
    "load",
    "methods",
    "names",
    "operation",
    "redact_query",
    "validator",
    "vendor_document",
    "vendor_operations",
    "without_userinfo",
]
