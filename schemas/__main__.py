"""Print an OpenAPI document: ``python -m schemas`` the vendor's contract, ``python -m schemas --fake`` the fake's."""

import json
import sys

from message_api_kit.schemas import fake_document, vendor_document

if sys.argv[1:] not in ([], ["--fake"]):
    sys.exit("usage: python -m schemas [--fake]")
print(json.dumps(fake_document() if sys.argv[1:] else vendor_document(), indent=2))
