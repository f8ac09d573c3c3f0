"""A run's configuration: what is checked, where, how many requests, and the line that replays it."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from message_api_kit.contracts.registry import ContractCheck, Registry, default_registry
from message_api_kit.contracts.transport import DEFAULT_CONNECTIONS, MAX_ANSWER_BYTES, header_variable

__all__ = ["SHRINK_FACTOR", "RunConfig", "UsageError", "parse_header"]

#: Shrinking may send up to this many times the requests generation sends: past it the
#: report shows the last failing request found so far (measured in bench/catch_rate.py).
SHRINK_FACTOR = 1


class UsageError(ValueError):
    """The run was asked for something it cannot do (unknown check names, bad numbers)."""


def parse_header(value: str) -> tuple[str, str]:
    """``"Name: value"`` as a (name, value) pair; ``UsageError`` if it is not of that form."""
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"{value!r} is not 'Name: value'")
    return name.strip(), content.strip()


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs; built by the CLI or the pytest integration."""

    base_url: str
    conversation: int
    other_conversation: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Per check. 15 keeps the default run within Schemathesis' time (bench/catch_rate.py), and
    #: still catches every broken fake (tests/contracts/test_catches_broken_fakes.py).
    max_examples: int = 15
    seed: int | None = None
    rate_limit: float | None = None
    timeout: float = 10.0
    checks: Sequence[str] = ()
    exclude_checks: Sequence[str] = ()
    date_tolerance: float = 300.0
    #: The project's own rules (DERIVATION.md) are failures, not notes.
    strict: bool = False
    #: Stop at the first check that fails.
    exit_first: bool = False
    #: Show ``headers`` values in reports (otherwise redacted).
    show_secrets: bool = False
    #: The largest answer read, before and after decompression: past it, a failure.
    max_answer_bytes: int = MAX_ANSWER_BYTES
    #: Connections kept to the server, taken in turn by consecutive requests (``Transport.connections``).
    connections: int = DEFAULT_CONNECTIONS
    #: The operations whose checks run, by operation id (none: every operation registered).
    operations: Sequence[str] = ()
    #: The operations under contract (``None``: ``registry.default_registry()``, every one the kit knows).
    registry: Registry | None = None

    def __post_init__(self) -> None:
        if self.connections < 1:
            raise UsageError("connections must be at least 1")
        try:
            self.units()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        known = {check.name for check in self.contracts().checks}
        unknown = sorted((set(self.checks) | set(self.exclude_checks)) - known)
        if unknown:
            raise UsageError(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if self.max_examples < 1:
            raise UsageError("max_examples must be at least 1")
        if self.conversation == self.other_conversation:
            raise UsageError("the other conversation must differ from the conversation")

    def contracts(self) -> Registry:
        """Every operation under contract (``registry``, or the kit's own)."""
        return self.registry if self.registry is not None else default_registry()

    def units(self) -> Registry:
        """The operations this run checks (``operations``; all by default)."""
        return self.contracts().select(self.operations)

    def selected(self) -> list[ContractCheck]:
        """The checks this run runs, operation by operation, each in its catalog's order."""
        return [
            check
            for check in self.units().checks
            if (not self.checks or check.name in self.checks) and check.name not in self.exclude_checks
        ]

    def budget(self, check: ContractCheck) -> int:
        """The most requests ``check`` may send: generation, shrinking, and its anchor messages."""
        examples = self.max_examples + check.explicit_examples
        return examples * check.requests_per_example * (1 + SHRINK_FACTOR) + 2

    def total_budget(self) -> int:
        """The most requests the whole run may send (one extra: the first creation, which finds the server)."""
        return 1 + sum(self.budget(check) for check in self.selected())

    def replay(self, seed: int, check: str | None = None) -> str:
        """The command that runs the same requests again: header values come from environment variables."""
        words = ["contracts", "--base-url", shlex.quote(self.base_url), "--conversation", str(self.conversation)]
        if self.other_conversation is not None:
            words += ["--other-conversation", str(self.other_conversation)]
        for name in self.headers:
            words += ["--header", f'"{name}: ${header_variable(name)}"']
        words += ["--max-examples", str(self.max_examples)]
        if self.date_tolerance != RunConfig.date_tolerance:
            words += ["--date-tolerance", f"{self.date_tolerance:g}"]
        if self.strict:
            words.append("--strict")
        if self.operations:
            words += ["--operations", ",".join(self.operations)]
        words += ["--seed", str(seed)]
        if check is not None:
            words += ["--checks", check]
        elif self.checks or self.exclude_checks:
            words += ["--checks", ",".join(c.name for c in self.selected())]
        return " ".join(words)
