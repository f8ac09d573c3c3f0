"""pytest plugin: the fake as fixtures (``mock_config``, ``mock_app``, ``mock_client``, ``mock_server``,
``mock_session``).

Loaded by every pytest run in an environment where the kit is installed, so it lives
outside the ``mockserver`` package and imports nothing heavy at load time: Flask and the
fake are imported by the fixtures that use them (the pattern of Hypothesis' own plugin).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from message_api_kit.mockserver.config import MockConfig
    from message_api_kit.mockserver.server import LiveServer
    from message_api_kit.mockserver.testing import MockServer


@pytest.fixture(scope="session")
def mock_config() -> MockConfig:
    """The fake's configuration; override this fixture (session scope) to change it."""
    from message_api_kit.mockserver.config import MockConfig

    return MockConfig()


@pytest.fixture
def mock_app(mock_config: MockConfig) -> Flask:
    """A fresh fake app for this test, without a socket."""
    from message_api_kit.mockserver.app import create_app

    return create_app(mock_config)


@pytest.fixture
def mock_client(mock_app: Flask) -> FlaskClient:
    """Flask's test client for ``mock_app``."""
    return mock_app.test_client()


@pytest.fixture(scope="session")
def _mock_live_server(mock_config: MockConfig) -> Iterator[LiveServer]:
    from message_api_kit.mockserver.app import create_app
    from message_api_kit.mockserver.server import LiveServer

    # One server per session (per xdist worker), on a port the kernel picks.
    with LiveServer(create_app(mock_config)) as live:
        yield live


@pytest.fixture
def mock_server(_mock_live_server: LiveServer) -> MockServer:
    """The live fake, reset before this test; see ``mockserver.testing.MockServer``."""
    from message_api_kit.mockserver.testing import MockServer

    server = MockServer(_mock_live_server)
    server.reset()
    return server


@pytest.fixture
def mock_session(mock_server: MockServer, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """An isolated session of the live fake for this test alone; send ``.headers`` with each request."""
    import re
    import uuid

    name = re.sub(r"[^A-Za-z0-9._~-]", "-", request.node.name)[:40] + "-" + uuid.uuid4().hex[:8]
    session = mock_server.session(name)
    yield session
    session.end_session()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail the test whose requests made the live fake crash, instead of letting it pass."""
    result = yield
    server = getattr(item, "funcargs", {}).get("mock_server")
    if server is not None:
        server.raise_errors()
    return result
