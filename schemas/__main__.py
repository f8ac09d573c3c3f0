"""Print the OpenAPI document: ``python -m schemas > openapi.json``."""

import json

from schemas import openapi_document

print(json.dumps(openapi_document(), indent=2))
