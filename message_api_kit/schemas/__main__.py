"""Print an OpenAPI document: the vendor's, or with ``--fake`` the fake's (``python -m message_api_kit.schemas``)."""

import json
import sys

from message_api_kit.schemas import fake_document, vendor_document

if sys.argv[1:] not in ([], ["--fake"]):
    sys.exit("usage: python -m message_api_kit.schemas [--fake]")
print(json.dumps(fake_document() if sys.argv[1:] else vendor_document(), indent=2))
