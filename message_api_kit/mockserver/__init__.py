"""A stateful in-memory fake of ``POST /conversations/{conversation}/messages``.

Public API:

- :func:`create_app` and :class:`MockConfig`: build a fake.
- :class:`Seed`: users, conversations and messages to load.
- :class:`Store` and :func:`store_of`: the state a fake holds, for tests that look inside.
- :class:`LiveServer`: a fake on a free port in a background thread.
- :class:`Profile` and :func:`load_profile`: answer as a real server does where the doc is silent.
- :class:`ControlError`: what the ``mock_server`` fixture's controls raise for arguments the HTTP API refuses.
"""

from message_api_kit.mockserver.app import create_app, store_of
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.faults import Failure, Latency
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.seed import Seed
from message_api_kit.mockserver.server import LiveServer
from message_api_kit.mockserver.store import Store, StoredMessage
from message_api_kit.mockserver.testing import ControlError
from message_api_kit.mockserver.validation import load_profile

__all__ = [
    "ControlError",
    "Failure",
    "Latency",
    "LiveServer",
    "MockConfig",
    "Profile",
    "Seed",
    "Store",
    "StoredMessage",
    "create_app",
    "load_profile",
    "store_of",
]
