"""pytest plugin: the contract checks' options (``--contract-*``) and their target, the ``contract_target`` fixture.

Apart from the fake's fixtures (``_mockserver_pytestplugin``); like them, it imports
nothing heavy at load time. ``contracts.testing.contract_tests`` uses the fixture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from message_api_kit.contracts.runner import RunConfig


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


@pytest.fixture
def contract_target(request: pytest.FixtureRequest) -> RunConfig:
    """The run ``contract_tests`` makes, one check at a time: ``--contract-base-url``, or the live fake."""
    from message_api_kit.contracts.runner import RunConfig, UsageError, parse_header

    option = request.config.getoption
    base_url = option("--contract-base-url")
    conversation = option("--contract-conversation")
    other = option("--contract-other-conversation")
    if base_url is None:
        base_url = request.getfixturevalue("mock_server").url
        # The conversations the project's fake takes: with strict conversations (mock_config), the seeded ones.
        fake = request.getfixturevalue("mock_config")
        seeded = sorted(set(fake.seed.conversations)) if fake.strict_conversations else [1, 2]
        conversation = (seeded[0] if seeded else 1) if conversation is None else conversation
        other = (seeded[1] if len(seeded) > 1 else None) if other is None else other
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
