"""pytest plugin: the fake as fixtures (``mock_config``, ``mock_app``, ``mock_client``, ``mock_server``,
``mock_session``).

Loaded by every pytest run in an environment where the kit is installed, so it lives
outside the ``mockserver`` package and imports nothing heavy at load time: Flask and the
fake are imported by the fixtures that use them (the pattern of Hypothesis' own plugin).
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from message_api_kit.mockserver.config import MockConfig
    from message_api_kit.mockserver.server import LiveServer
    from message_api_kit.mockserver.testing import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--mock-journal FILE``: keep what each test sent the fixtures' fake, for ``contracts replay FILE``."""
    parser.getgroup("message-api-kit").addoption(
        "--mock-journal",
        metavar="FILE",
        help="Write what each test sent the mock_server fake (its journal), one line a test, for"
        " `contracts replay FILE --base-url REAL ...`: the app's own requests, checked on the real server.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start the journal file afresh, once a run (by the controller, with xdist: its workers append)."""
    path = config.getoption("mock_journal", None)
    if path and not hasattr(config, "workerinput"):
        with open(path, "w", encoding="utf-8"):
            pass


def _keep_journal(request: pytest.FixtureRequest, server: MockServer, name: str) -> None:
    """Append what the test sent ``server``'s session to the ``--mock-journal`` file, if asked and if anything."""
    path = request.config.getoption("mock_journal", None)
    entries = server.journal if path else []
    if not entries:
        return
    line = (json.dumps({"test": name, "entries": entries}) + "\n").encode()
    # One write on a file opened for appending: lines of xdist workers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


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
def mock_server(_mock_live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The live fake, reset before this test; see ``mockserver.testing.MockServer``."""
    from message_api_kit.mockserver.testing import MockServer

    server = MockServer(_mock_live_server)
    server.reset()
    yield server
    _keep_journal(request, server, request.node.nodeid)


@pytest.fixture
def mock_session(mock_server: MockServer, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """An isolated session of the live fake for this test alone; send ``.headers`` with each request."""
    import re
    import uuid

    name = re.sub(r"[^A-Za-z0-9._~-]", "-", request.node.name)[:40] + "-" + uuid.uuid4().hex[:8]
    session = mock_server.session(name)
    yield session
    _keep_journal(request, session, f"{request.node.nodeid} (session {name})")
    session.end_session()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail the test whose requests made the live fake crash, instead of letting it pass."""
    result = yield
    server = getattr(item, "funcargs", {}).get("mock_server")
    if server is not None:
        server.raise_errors()
    return result
