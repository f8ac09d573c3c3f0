import pytest

from message_api_kit.mockserver import LiveServer, create_app
from tests.contracts.broken_fakes import BROKEN_FAKES


@pytest.fixture
def live_fake():
    with LiveServer(create_app()) as live:
        yield live


@pytest.fixture
def live_broken():
    with LiveServer(BROKEN_FAKES["message-trimmed"]()) as live:
        yield live
