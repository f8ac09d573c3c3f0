"""``python -m message_api_kit.mockserver``: the same as the ``mockserver`` command."""

import sys

from message_api_kit.mockserver.cli import main

sys.exit(main())
