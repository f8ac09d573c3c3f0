"""Contract tests for the vendor's operations (``POST /conversations/{conversation}/messages``), run against any
server by base URL.

Each operation under contract is one unit (``registry.OperationContract``: its checks, its
verdict on an exchange, its diff programs), one module of ``operations/`` each; the run, the
diff and the fake's ``--watch`` iterate a ``Registry``. Layers, each in its own module:
``transport`` (the only I/O), ``strategies`` (what to send), ``checks`` (pure rules raising
``CheckFailure``), ``machine`` (the state machine), ``catalog`` (the creation's named checks),
``runner`` (selection, budget, reports), ``cli``.

Public API:

- :func:`run` with :class:`RunConfig`, returning a :class:`Report`.
- :class:`Registry`, :class:`OperationContract`, :func:`default_registry`: the operations under contract.
- :data:`CHECKS`: the creation's checks, with name, description and DERIVATION.md reference.
- :class:`CheckFailure`: what a broken rule raises.
- :func:`contracts.testing.contract_tests`: the checks as pytest tests in your own suite.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from message_api_kit.contracts.catalog import CHECKS
    from message_api_kit.contracts.failures import CheckFailure, Unreachable
    from message_api_kit.contracts.registry import ContractCheck, OperationContract, Registry, default_registry
    from message_api_kit.contracts.runner import CheckResult, Report, RunConfig, UsageError, run

#: Each public name and its module, imported on first use: importing the package imports no
#: Hypothesis, which writes files into the current directory as it loads (see _contracts_command).
_PUBLIC = {
    "CHECKS": "catalog",
    "ContractCheck": "registry",
    "OperationContract": "registry",
    "Registry": "registry",
    "default_registry": "registry",
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
    "OperationContract",
    "Registry",
    "Report",
    "RunConfig",
    "Unreachable",
    "UsageError",
    "default_registry",
    "run",
]
