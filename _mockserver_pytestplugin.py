"""pytest plugin: the fake as fixtures (``mock_config``, ``mock_app``, ``mock_client``, ``mock_server``).

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

    from contracts.runner import RunConfig
    from mockserver.config import MockConfig
    from mockserver.server import LiveServer
    from mockserver.testing import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options for ``contracts.testing.contract_tests``: which server the contract checks target."""
    group = parser.getgroup("contracts", "contract checks of POST /conversations/{conversation}/messages")
    group.addoption("--contract-base-url", help="Server the contract checks target (default: the mock_server fake).")
    group.addoption("--contract-conversation", type=int, help="Conversation they write to (required with a base URL).")
    group.addoption("--contract-other-conversation", type=int, help="A second conversation (default 2 on the fake).")
    group.addoption("--contract-header", action="append", default=[], help="'Name: value' for every request.")
    group.addoption("--contract-max-examples", type=int, default=15, help="Examples per check (default 15).")
    group.addoption("--contract-seed", type=int, help="Replay a run with this seed.")
    group.addoption("--contract-strict", action="store_true", help="Fail the project's own choices too.")


@pytest.fixture(scope="session")
def mock_config() -> MockConfig:
    """The fake's configuration; override this fixture (session scope) to change it."""
    from mockserver.config import MockConfig

    return MockConfig()


@pytest.fixture
def mock_app(mock_config: MockConfig) -> Flask:
    """A fresh fake app for this test, without a socket."""
    from mockserver.app import create_app

    return create_app(mock_config)


@pytest.fixture
def mock_client(mock_app: Flask) -> FlaskClient:
    """Flask's test client for ``mock_app``."""
    return mock_app.test_client()


@pytest.fixture(scope="session")
def _mock_live_server(mock_config: MockConfig) -> Iterator[LiveServer]:
    from mockserver.app import create_app
    from mockserver.server import LiveServer

    # One server per session (per xdist worker), on a port the kernel picks.
    with LiveServer(create_app(mock_config)) as live:
        yield live


@pytest.fixture
def mock_server(_mock_live_server: LiveServer) -> MockServer:
    """The live fake, reset before this test; see ``mockserver.testing.MockServer``."""
    from mockserver.testing import MockServer

    server = MockServer(_mock_live_server)
    server.reset()
    return server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail the test whose requests made the live fake crash, instead of letting it pass."""
    result = yield
    server = getattr(item, "funcargs", {}).get("mock_server")
    if server is not None:
        server.raise_errors()
    return result


@pytest.fixture
def contract_target(request: pytest.FixtureRequest) -> RunConfig:
    """The run ``contract_tests`` makes, one check at a time: ``--contract-base-url``, or the live fake."""
    from contracts.runner import RunConfig, UsageError, parse_header

    option = request.config.getoption
    base_url = option("--contract-base-url")
    conversation = option("--contract-conversation")
    other = option("--contract-other-conversation")
    if base_url is None:
        base_url = request.getfixturevalue("mock_server").url
        conversation = 1 if conversation is None else conversation
        other = 2 if other is None else other
    elif conversation is None:
        raise pytest.UsageError("--contract-base-url needs --contract-conversation: the conversation it may write to")
    try:
        headers = dict(parse_header(h) for h in option("--contract-header"))
    except UsageError as exc:
        raise pytest.UsageError(f"--contract-header: {exc}") from None
    return RunConfig(
        base_url=base_url,
        conversation=conversation,
        other_conversation=other,
        headers=headers,
        max_examples=option("--contract-max-examples"),
        seed=option("--contract-seed"),
        strict=option("--contract-strict"),
    )
