"""Running checks: selection, budget, Hypothesis settings, results, and the reports (text, JUnit XML)."""

from __future__ import annotations

import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, settings

from contracts.catalog import CHECKS, ContractCheck
from contracts.context import Context
from contracts.failures import CheckFailure, Unreachable
from contracts.transport import Transport

#: Shrinking may send up to this many times the requests generation sends: past it the
#: report shows the smallest failing request found so far (measured in bench/catch_rate.py).
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
    conversation: int = 1
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

    def __post_init__(self) -> None:
        known = {check.name for check in CHECKS}
        unknown = sorted((set(self.checks) | set(self.exclude_checks)) - known)
        if unknown:
            raise UsageError(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if self.max_examples < 1:
            raise UsageError("max_examples must be at least 1")
        if self.conversation == self.other_conversation:
            raise UsageError("the other conversation must differ from the conversation")

    def selected(self) -> list[ContractCheck]:
        """The checks this run runs, in catalog order."""
        return [
            check
            for check in CHECKS
            if (not self.checks or check.name in self.checks) and check.name not in self.exclude_checks
        ]

    def budget(self, check: ContractCheck) -> int:
        """The most requests ``check`` may send: generation, shrinking, and its anchor messages."""
        examples = self.max_examples + check.explicit_examples
        return examples * check.requests_per_example * (1 + SHRINK_FACTOR) + 2

    def total_budget(self) -> int:
        """The most requests the whole run may send (one extra: the reachability probe)."""
        return 1 + sum(self.budget(check) for check in self.selected())


@dataclass
class CheckResult:
    """How one check ended."""

    check: ContractCheck
    status: str  # "passed", "failed", "skipped"
    requests: int = 0
    seconds: float = 0.0
    failure: CheckFailure | None = None
    reason: str = ""


@dataclass
class Report:
    """The results of a run, its seed, and why it stopped early if it did."""

    config: RunConfig
    seed: int
    results: list[CheckResult] = field(default_factory=list)
    unreachable: str | None = None

    @property
    def exit_code(self) -> int:
        """0 all passed (or skipped), 1 the contract is broken, 2 the server could not be reached."""
        if self.unreachable is not None:
            return 2
        return 1 if any(result.status == "failed" for result in self.results) else 0

    def failure_text(self, result: CheckResult) -> str:
        """A failure as a person reads it: the check, the minimal request, the answer, curl, the seed."""
        assert result.failure is not None
        check, failure = result.check, result.failure
        lines = [
            f"FAILED {check.name} ({check.reference}): {failure.title}",
            f"  {failure.detail}",
            *(exchange.describe() for exchange in failure.exchanges),
            f"  replay: contracts --base-url {self.config.base_url} --seed {self.seed} --checks {check.name}",
        ]
        return "\n".join(lines)

    def summary(self) -> str:
        """One line per check, then the totals."""
        lines = []
        for r in self.results:
            extra = f"  ({r.reason})" if r.reason else ""
            lines.append(f"  {r.status.upper():7} {r.check.name:34} {r.requests:5} requests {r.seconds:6.2f}s{extra}")
        counts = {s: sum(r.status == s for r in self.results) for s in ("passed", "failed", "skipped")}
        total = sum(r.requests for r in self.results)
        seconds = sum(r.seconds for r in self.results)
        lines.append(
            f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped;"
            f" {total} requests in {seconds:.1f}s; seed {self.seed}"
        )
        return "\n".join(lines)

    def write_junit(self, path: Path) -> None:
        """Write the results as JUnit XML, one test case per check."""
        suite = ET.Element(
            "testsuite",
            name="contracts",
            tests=str(len(self.results)),
            failures=str(sum(r.status == "failed" for r in self.results)),
            skipped=str(sum(r.status == "skipped" for r in self.results)),
            time=f"{sum(r.seconds for r in self.results):.3f}",
        )
        for r in self.results:
            case = ET.SubElement(suite, "testcase", classname="contracts", name=r.check.name, time=f"{r.seconds:.3f}")
            if r.status == "failed" and r.failure is not None:
                ET.SubElement(case, "failure", message=r.failure.title).text = self.failure_text(r)
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.reason)
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def hypothesis_settings(config: RunConfig) -> settings:
    """Settings for every check: no deadline (networks vary), no example database, quiet (we report)."""
    return settings(
        max_examples=config.max_examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


def run(
    config: RunConfig,
    *,
    client: httpx.Client | None = None,
    on_start: Callable[[ContractCheck], None] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_request: Callable[[int], None] | None = None,
) -> Report:
    """Run the selected checks against ``config.base_url`` and return the report.

    ``client`` may carry an in-process transport for tests; ``on_*`` report progress.
    """
    run_seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**32)
    report = Report(config, run_seed)
    transport = Transport(
        config.base_url, config.headers, config.timeout, config.rate_limit, client=client, on_request=on_request
    )
    ctx = Context(
        transport,
        config.conversation,
        config.other_conversation,
        config.date_tolerance,
        hypothesis_settings(config),
        run_seed,
    )
    try:
        transport.send("GET", "/")  # any answer at all proves the server is there
        for check in config.selected():
            if on_start is not None:
                on_start(check)
            result = _run_check(ctx, config, check)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    except Unreachable as exc:
        report.unreachable = str(exc)
    finally:
        if client is None:
            transport.close()
    return report


def _run_check(ctx: Context, config: RunConfig, check: ContractCheck) -> CheckResult:
    if check.needs_other and config.other_conversation is None:
        return CheckResult(check, "skipped", reason="needs --other-conversation")
    transport = ctx.transport
    before, started = transport.sent, time.perf_counter()
    transport.budget = before + config.budget(check)
    try:
        check.run(ctx)
        status, failure = "passed", None
    except CheckFailure as exc:
        status, failure = "failed", exc
    except Unreachable:
        raise
    except BaseExceptionGroup as group:  # Hypothesis' report of a flaky failure
        status, failure = "failed", _from_group(group)
    except Exception as exc:
        status, failure = "failed", CheckFailure("error while checking", repr(exc)[:500])
    finally:
        transport.budget = None
    return CheckResult(check, status, transport.sent - before, time.perf_counter() - started, failure)


def _from_group(group: BaseExceptionGroup) -> CheckFailure:
    """The first ``CheckFailure`` in a group (Hypothesis' flaky report); ``Unreachable`` is raised again."""
    unreachable, _ = group.split(Unreachable)
    if unreachable is not None:
        raise _leaves(unreachable)[0]
    failures, _ = group.split(CheckFailure)
    if failures is None:
        return CheckFailure("flaky failure", str(group)[:500])
    first = _leaves(failures)[0]
    assert isinstance(first, CheckFailure)
    return CheckFailure(f"{first.title} (flaky: it did not fail every time)", first.detail, *first.exchanges)


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for e in group.exceptions for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]
