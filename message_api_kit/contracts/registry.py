"""The operations under contract, each one unit registered by its operation id.

An operation's contract is its declaration (``schemas``: method, path, parameters, schemas,
statuses) and what the doc says of it beyond the declaration: its documented domain (which
requests the doc defines), its checks (what a run sends and asserts), its verdict on any one
exchange (``judge``: the one a run's probes, ``contracts diff``, the fake's ``--watch`` and
``contracts replay`` call), and its diff programs. A run, the diff, the watch and the replay
iterate a ``Registry`` and dispatch on ``Exchange.operation``; none of them names an
operation.

``default_registry()`` holds every module of ``contracts/operations/``, each of which
defines ``CONTRACT``: a new operation's contract is one new file there. A ``Registry`` can
also be built and given (``RunConfig.registry``, ``run_diff(registry=...)``,
``create_app(contracts=...)``), so a test declares an operation of its own.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from message_api_kit.schemas import Operation

if TYPE_CHECKING:
    from hypothesis import strategies as st

    from message_api_kit.contracts.context import Context
    from message_api_kit.contracts.programs import Step
    from message_api_kit.contracts.rules import Known
    from message_api_kit.contracts.transport import Exchange

__all__ = [
    "ContractCheck",
    "Judge",
    "Judged",
    "OperationContract",
    "Registry",
    "default_registry",
    "parameter_values",
    "sent_parameters",
]


@dataclass(frozen=True)
class ContractCheck:
    """One named rule of an operation's contract and the Hypothesis test that probes it."""

    name: str
    description: str
    reference: str
    run: Callable[[Context], None]
    #: Requests one generated example may send, for the budget.
    requests_per_example: int = 1
    #: Needs ``--other-conversation``; skipped, not passed, without it.
    needs_other: bool = False
    #: Examples always sent on top of the generated ones (the boundary phase).
    explicit_examples: int = 0
    #: The choices the doc leaves open that this check accepts and notes ("the server is
    #: lenient here"), and ``--strict`` fails. Empty: every rule of the check is a failure.
    lenient: str = ""


@dataclass(frozen=True)
class Judged:
    """The contract's verdict on an exchange that keeps it (one that breaks it raises ``CheckFailure``)."""

    #: Refused (a 4xx) where the doc, and what is known, leaves that to the server.
    refused: bool = False
    #: Why the request is outside the documented domain (its first reason); ``None``: inside it.
    outside: str | None = None
    #: A message the exchange made inside the domain: its conversation, the answer's message, its parent.
    made: tuple[int, dict[str, Any], int | None] | None = None


class Judge(Protocol):
    """An operation's verdict on one exchange: what is known is read, and what the exchange made remembered.

    ``parameters`` are the request's path and query parameters as sent (strings); ``what`` names the
    request in a failure's title. A rule broken raises ``CheckFailure``.
    """

    def __call__(  # noqa: D102  (the class says it)
        self, exchange: Exchange, parameters: Mapping[str, str], known: Known, tolerance: float, what: str = ...
    ) -> Judged: ...


def _no_programs(seed: int, examples: int) -> list[list[Step]]:
    return []


def _all_defined(parameters: Mapping[str, str], content_type: str | None, body: bytes) -> str | None:
    return None


@dataclass(frozen=True)
class OperationContract:
    """One operation's contract: its declaration, checks, verdict and diff programs."""

    operation: Operation
    judge: Judge
    checks: tuple[ContractCheck, ...] = ()
    #: ``contracts diff``'s programs for the operation: ``programs(seed, examples)``.
    programs: Callable[[int, int], list[list[Step]]] = _no_programs
    #: What a run sends first, before any check: it finds the server, and may make state the checks build on.
    #: Returns why the run cannot go on (nothing answered, or an answer that says it is aimed wrong), or ``None``.
    start: Callable[[Context], str | None] | None = None
    #: Its documented domain: why a request (its parameters as sent, its media type, its body) is outside what
    #: the doc defines, the first reason; ``None``, inside. Read before a request is sent (``contracts replay``
    #: leaves the fake's refusals of such requests alone: they are an app's error paths, no contract).
    outside: Callable[[Mapping[str, str], str | None, bytes], str | None] = _all_defined

    @property
    def id(self) -> str:
        """The operation id it is registered by."""
        return self.operation.id


@dataclass(frozen=True)
class Registry:
    """The operations under contract, by operation id, in the order given."""

    units: tuple[OperationContract, ...]
    _by_id: dict[str, OperationContract] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, OperationContract] = {}
        names: dict[str, str] = {}
        for unit in self.units:
            if unit.id in by_id:
                raise ValueError(f"operation {unit.id} is registered twice")
            by_id[unit.id] = unit
            for check in unit.checks:
                if check.name in names:
                    raise ValueError(f"check {check.name!r} of {unit.id} is also {names[check.name]}'s")
                names[check.name] = unit.id
        object.__setattr__(self, "_by_id", by_id)

    def __iter__(self) -> Iterator[OperationContract]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    @property
    def ids(self) -> tuple[str, ...]:
        """The operation ids, in order."""
        return tuple(unit.id for unit in self.units)

    def get(self, operation_id: str) -> OperationContract | None:
        """The unit of ``operation_id``, or ``None``: no contract is registered for it."""
        return self._by_id.get(operation_id)

    def select(self, operation_ids: Sequence[str]) -> Registry:
        """The units named (all when none is); a name not registered is a ``ValueError`` naming those that are."""
        unknown = sorted(set(operation_ids) - set(self._by_id))
        if unknown:
            raise ValueError(f"unknown operation(s): {', '.join(unknown)}; known: {', '.join(self.ids)}")
        return self if not operation_ids else Registry(tuple(u for u in self.units if u.id in operation_ids))

    @property
    def checks(self) -> tuple[ContractCheck, ...]:
        """Every check of every operation, operation by operation."""
        return tuple(check for unit in self.units for check in unit.checks)

    def operation_of(self, check: ContractCheck) -> str:
        """The operation id ``check`` belongs to."""
        return next(unit.id for unit in self.units if check in unit.checks)

    def judge(
        self, exchange: Exchange, parameters: Mapping[str, str], known: Known, tolerance: float, what: str = "a request"
    ) -> Judged:
        """The verdict of the exchange's own operation (``Exchange.operation``); a ``LookupError`` if none is here."""
        unit = None if exchange.operation is None else self.get(exchange.operation.id)
        if unit is None:
            raise LookupError(f"{exchange.method} {exchange.url}: no contract is registered for its operation")
        return unit.judge(exchange, parameters, known, tolerance, what=what)


@functools.cache
def default_registry() -> Registry:
    """Every operation of ``contracts/operations/``, each module's ``CONTRACT``, in the order of the names."""
    from message_api_kit.contracts import operations

    units = []
    for found in sorted(pkgutil.iter_modules(operations.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{operations.__name__}.{found.name}")
        units.append(module.CONTRACT)
    return Registry(tuple(units))


def sent_parameters(operation: Operation, method: str, target: str) -> dict[str, str] | None:
    """The path and query parameters of a request to ``operation`` as sent (``target``: path and query, below the
    base URL); ``None``: the request is not one of the operation's. Query names the operation does not declare are
    left out, as they are no parameter of it."""
    path, _, query = target.partition("?")
    found = operation.match(method, path)
    if found is None:
        return None
    declared = {p.name for p in (*operation.parameters, *operation.fake_parameters) if p.location == "query"}
    return {**found, **{name: value for name, value in parse_qsl(query, keep_blank_values=True) if name in declared}}


def parameter_values(operation: Operation, name: str) -> st.SearchStrategy[Any]:
    """Values of the declared parameter ``name``, generated from its schema: its bounds are typed once, there."""
    from message_api_kit import schemas
    from message_api_kit.contracts._jsonschema import from_schema

    schema = operation.parameter(name).schema
    return from_schema(schemas.load(schema) if isinstance(schema, str) else schema)
