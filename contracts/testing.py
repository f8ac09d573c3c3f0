"""The contract checks as pytest tests in your own suite, one test per check.

In a test module::

    from message_api_kit.contracts.testing import contract_tests

    test_contract = contract_tests()

The target is ``--contract-base-url URL`` (with ``--contract-conversation``,
``--contract-other-conversation``, ``--contract-header``, ``--contract-max-examples``,
``--contract-seed``), or, without it, the ``mock_server`` fixture's live fake.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pytest

from message_api_kit.contracts.catalog import CHECKS
from message_api_kit.contracts.runner import RunConfig, run


def contract_tests(checks: Sequence[str] = ()) -> Callable[..., None]:
    """Return a test function parametrized over the checks (all, or those named)."""
    names = [check.name for check in CHECKS if not checks or check.name in checks]
    unknown = set(checks) - {check.name for check in CHECKS}
    if unknown:
        raise ValueError(f"unknown check(s): {', '.join(sorted(unknown))}")

    @pytest.mark.parametrize("contract_check", names)
    def test_contract(contract_check: str, contract_target: RunConfig) -> None:
        """One contract check against the target."""
        report = run(dataclasses.replace(contract_target, checks=(contract_check,)))
        if report.unreachable is not None:  # nothing answered, or an answer that says the run is aimed wrong
            pytest.fail(f"the contract run could not start: {report.unreachable}", pytrace=False)
        (result,) = report.results
        if result.status == "skipped":
            pytest.skip(result.reason)
        if result.failure is not None:
            pytest.fail(report.failure_text(result), pytrace=False)

    return test_contract
