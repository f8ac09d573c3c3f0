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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from message_api_kit.contracts.catalog import CHECKS, ContractCheck
    from message_api_kit.contracts.failures import CheckFailure, Unreachable
    from message_api_kit.contracts.runner import CheckResult, Report, RunConfig, UsageError, run

#: Each public name and its module, imported on first use: importing the package imports no
#: Hypothesis, which writes files into the current directory as it loads (see _contracts_command).
_PUBLIC = {
    "CHECKS": "catalog",
    "ContractCheck": "catalog",
    "CheckFailure": "failures",
    "Unreachable": "failures",
    "CheckResult": "runner",
    "Report": "runner",
    "RunConfig": "runner",
    "UsageError": "runner",
    "run": "runner",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
