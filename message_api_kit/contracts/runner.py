"""The run loop: each operation's first request, each selected check under Hypothesis, failures settled into causes."""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.errors import Flaky

from message_api_kit.contracts.causes import Causes, repeated_ids
from message_api_kit.contracts.config import RunConfig, UsageError, parse_header
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure, Unreachable
from message_api_kit.contracts.registry import ContractCheck
from message_api_kit.contracts.report import CheckResult, Report
from message_api_kit.contracts.transport import Transport

__all__ = ["CheckResult", "Report", "RunConfig", "UsageError", "hypothesis_settings", "parse_header", "run"]


def hypothesis_settings(config: RunConfig) -> settings:
    """Settings for every check: no deadline (networks vary), no example database, quiet (we report)."""
    return settings(
        max_examples=config.max_examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=True,
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
        config.base_url,
        config.headers,
        config.timeout,
        config.rate_limit,
        client=client,
        on_request=on_request,
        max_answer_bytes=config.max_answer_bytes,
        connections=config.connections,
    )
    ctx = Context(
        transport,
        config.conversation,
        config.other_conversation,
        config.date_tolerance,
        hypothesis_settings(config),
        run_seed,
        strict=config.strict,
        registry=config.contracts(),
    )
    selected = config.selected()
    # Causes are settled as each check ends, so the live line says what the summary will. Under --exit-first
    # nothing waits for a check still to run: the run may stop before it.
    will_run = [c for c in selected if not (c.needs_other and config.other_conversation is None)]
    causes = Causes([] if config.exit_first else will_run)
    try:
        report.unreachable = next(filter(None, (unit.start(ctx) for unit in config.units() if unit.start)), None)
        if report.unreachable is None:
            for check in selected:
                if on_start is not None:
                    on_start(check)
                result = _run_check(ctx, config, check)
                causes.settle(result, repeated_ids((i for i, _ in ctx.created_ids), ctx.known.repeated))
                report.results.append(result)
                if on_result is not None:
                    on_result(result)
                if config.exit_first and result.status in ("failed", "error"):
                    break
    except Unreachable as exc:
        report.unreachable = str(exc)
    finally:
        report.notes = list(ctx.notes.values())
        report.throttled, report.waited = transport.throttled, transport.waited
        _put_back(causes, report.results)
        if client is None:
            transport.close()
    return report


def _put_back(causes: Causes, results: list[CheckResult]) -> None:
    """Causes left waiting for a check the run never reached go back to the check that saw them."""
    by_name = {r.check.name: r for r in results}
    for failure, seer in causes.unsettled():
        result = by_name[seer]
        result.failures.append(failure)
        result.status = "failed" if result.status == "passed" else result.status


def _run_check(ctx: Context, config: RunConfig, check: ContractCheck) -> CheckResult:
    if check.needs_other and config.other_conversation is None:
        return CheckResult(check, "skipped", reason="needs --other-conversation")
    transport = ctx.transport
    before, started = transport.sent, time.perf_counter()
    transport.budget = before + config.budget(check)
    ctx.check, ctx.last_failures = check.name, {}
    result = CheckResult(check, "passed")
    try:
        _outcome(ctx, check, result)
    finally:
        transport.budget = None

    result.requests, result.seconds = transport.sent - before, time.perf_counter() - started
    return result


def _outcome(ctx: Context, check: ContractCheck, result: CheckResult) -> None:
    """Run ``check`` and set how it ended on ``result``: each distinct failure, or our own bug's traceback."""
    try:
        check.run(ctx)
    except BudgetExhausted:
        if ctx.last_failures:
            result.status, result.failures = "failed", list(ctx.last_failures.values())
            result.reason = "shrinking stopped at the request budget: the last failing request is shown"
    except CheckFailure as exc:
        result.status, result.failures = "failed", [exc]
    except Unreachable:
        raise
    except (BaseExceptionGroup, Flaky) as group:  # one failure per distinct cause, or a flaky one
        if isinstance(group, BaseExceptionGroup):
            _unreachable(group)
        failures = _failures(group, ctx)
        if failures is None:
            result.status, result.error = "error", "".join(traceback.format_exception(group))
        else:
            result.status, result.failures = "failed", failures
    except Exception:
        result.status, result.error = "error", traceback.format_exc()


def _failures(group: BaseExceptionGroup | Flaky, ctx: Context) -> list[CheckFailure] | None:
    """The failures in Hypothesis' report, flaky ones marked as such; ``None`` if any is a bug of ours."""
    failures: list[CheckFailure] = []
    for exception in [group] if isinstance(group, Flaky) else group.exceptions:
        if isinstance(exception, Flaky):
            # A failure that did not recur, or a server whose answers changed what the state
            # machine generated next: either way, the failure it had seen is what to show.
            found = (
                [leaf for leaf in _leaves(exception) if isinstance(leaf, CheckFailure)]
                if isinstance(exception, BaseExceptionGroup)
                else []
            )
            seen = found or list(ctx.last_failures.values())
            if not seen:
                return None
            failures.append(_replayed(seen[0], ctx))
        elif isinstance(exception, CheckFailure):
            failures.append(exception)
        elif isinstance(exception, BaseExceptionGroup):
            inner = _failures(exception, ctx)
            if inner is None:
                return None
            failures += inner
        else:
            return None
    return failures


def _replayed(first: CheckFailure, ctx: Context) -> CheckFailure:
    """A failure Hypothesis' replay did not meet again, judged by sending its own request once more.

    Hypothesis replays a test, not a request: against a server with state, its replay makes new
    messages (new ids, other parents), so a defect that always happens (ids that always repeat) can
    go unmet by it. The failing request itself, sent again, says which it was: the same answer, a
    defect, titled as it is; another answer, flaky.
    """
    flaky = f"{first.title} (flaky: it did not fail again)"
    if not first.exchanges or not first.exchanges[-1].status:
        return CheckFailure(flaky, first.detail, *first.exchanges, rule=first.rule)
    shown = first.exchanges[-1]
    path = shown.url.removeprefix(ctx.transport.base_url)
    try:
        with ctx.transport.unlimited():
            again = ctx.transport.send(
                shown.method, path, shown.request_body, shown.request_headers, operation=shown.operation
            )
    except CheckFailure:  # no answer this time either: nothing passed
        return first
    if again.status == shown.status:
        detail = f"{first.detail} (its request, sent again, got the same {again.status})"
        return CheckFailure(first.title, detail, *first.exchanges, rule=first.rule)
    detail = f"{first.detail} (sent again, it got {again.status})"
    return CheckFailure(flaky, detail, *first.exchanges, again, rule=first.rule)


def _unreachable(group: BaseExceptionGroup) -> None:
    """Raise the first ``Unreachable`` in ``group``, if there is one."""
    unreachable, _ = group.split(Unreachable)
    if unreachable is not None:
        raise _leaves(unreachable)[0]


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for e in group.exceptions for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]
