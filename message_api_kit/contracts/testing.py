"""The contract checks as pytest tests in your own suite, one test per check.

In a test module::

    from message_api_kit.contracts.testing import contract_tests

    test_contract = contract_tests()

The target is ``--contract-base-url URL`` (with ``--contract-conversation``,
``--contract-other-conversation``, ``--contract-header``, ``--contract-max-examples``,
``--contract-seed``), or, without it, the ``mock_server`` fixture's live fake.

The checks a session collects run as one contract run, the first time one of their tests
runs (under pytest-xdist, once per worker); each test then says what that run says of its
check. So a defect seen by several checks fails one test, the one the command line's report
shows it under, and the others pass saying where it is (``causes.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pytest

from message_api_kit.contracts.catalog import CHECKS
from message_api_kit.contracts.runner import Report, RunConfig, run

#: The session's contract runs, by target: one for all the checks it collected.
_RUNS = pytest.StashKey[dict[str, Report]]()


def contract_tests(checks: Sequence[str] = ()) -> Callable[..., None]:
    """Return a test function parametrized over the checks (all, or those named)."""
    names = [check.name for check in CHECKS if not checks or check.name in checks]
    unknown = set(checks) - {check.name for check in CHECKS}
    if unknown:
        raise ValueError(f"unknown check(s): {', '.join(sorted(unknown))}")

    @pytest.mark.parametrize("contract_check", names)
    def test_contract(contract_check: str, contract_target: RunConfig, request: pytest.FixtureRequest) -> None:
        """One contract check against the target, as the session's contract run saw it."""
        runs = request.config.stash.setdefault(_RUNS, {})
        key = repr(contract_target)
        if key not in runs:
            collected = [
                item.callspec.params["contract_check"]
                for item in request.session.items
                if getattr(item, "obj", None) is test_contract and hasattr(item, "callspec")
            ]
            runs[key] = run(dataclasses.replace(contract_target, checks=tuple(collected or [contract_check])))
        report = runs[key]
        if report.unreachable is not None:  # nothing answered, or an answer that says the run is aimed wrong
            pytest.fail(f"the contract run could not start: {report.unreachable}", pytrace=False)
        result = next((r for r in report.results if r.check.name == contract_check), None)
        if result is None:
            pytest.skip("the contract run stopped before this check")
        if result.status == "skipped":
            pytest.skip(result.reason)
        if result.status in ("failed", "error"):
            pytest.fail(report.failure_text(result), pytrace=False)
        if result.reported_under:  # passed: what it saw is another check's failure
            print(result.reason)

    return test_contract
