"""JSON Schema files derived from the vendor's doc, and the OpenAPI document built from them.

The files beside this module are the single source of truth for the kit: the fake
validates requests with them, the contract tests generate requests from them and
validate answers with them. ``DERIVATION.md`` explains each rule.

Public API:

- :func:`names`: the names of every schema file (without ``.json``).
- :func:`load`: a self-contained copy of one schema (cross-file ``$ref`` s inlined
  under ``definitions``), ready for hypothesis-jsonschema.
- :func:`validator`: a Draft 7 validator for one schema, built once and cached.
- :func:`is_valid`: a fast yes/no check against one schema, for hot paths.
- :func:`openapi_document`: the OpenAPI 3.1 document assembled from the same files.
- :data:`ADMIN_PREFIX`: where the fake's admin API lives, in that document and in the fake.
"""

from schemas._openapi import ADMIN_PREFIX, openapi_document
from schemas._registry import UnknownSchemaError, is_valid, load, names, validator

__all__ = ["ADMIN_PREFIX", "UnknownSchemaError", "is_valid", "load", "names", "openapi_document", "validator"]
