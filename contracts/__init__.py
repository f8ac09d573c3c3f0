"""Contract tests for ``POST /conversations/{conversation}/messages``, run against any server by base URL.

Layers, each in its own module: ``transport`` (the only I/O), ``strategies`` (what to
send), ``checks`` (pure rules raising ``CheckFailure``), ``machine`` (the state machine),
``catalog`` (the named checks), ``runner`` (selection, budget, reports), ``cli``.

Public API:

- :func:`run` with :class:`RunConfig`, returning a :class:`Report`.
- :data:`CHECKS`: every check, with its name, description and DERIVATION.md reference.
- :class:`CheckFailure`: what a broken rule raises.
- :func:`contracts.testing.contract_tests`: the checks as pytest tests in your own suite.
"""

from message_api_kit.contracts.catalog import CHECKS, ContractCheck
from message_api_kit.contracts.failures import CheckFailure, Unreachable
from message_api_kit.contracts.runner import CheckResult, Report, RunConfig, UsageError, run

__all__ = [
    "CHECKS",
    "CheckFailure",
    "CheckResult",
    "ContractCheck",
    "Report",
    "RunConfig",
    "Unreachable",
    "UsageError",
    "run",
]
