"""``python -m message_api_kit.contracts``: the same as the ``contracts`` command."""

import sys

from message_api_kit._contracts_command import main

sys.exit(main())
