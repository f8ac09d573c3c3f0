"""What a CI engineer reads: exit statuses, distinct causes, flaky vs cut short, secrets, replay lines."""

import os
import shlex
import socket
import threading
import xml.etree.ElementTree as ET

import httpx
import pytest
from flask import Response, request

from message_api_kit.contracts import RunConfig, run
from message_api_kit.contracts.catalog import CHECKS, ContractCheck
from message_api_kit.contracts.cli import main
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure
from message_api_kit.contracts.runner import _replayed, _run_check, hypothesis_settings
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import create_app
from tests.contracts.broken_fakes import BROKEN_FAKES

BASE = "http://localhost"
SECRET = "Bearer s3cr3t-t0ken-value"


def in_process(app, **config):
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)
    return run(RunConfig(base_url=BASE, conversation=1, **config), client=client)


class SilentServer:
    """A TCP server that accepts connections and then hangs (``close=False``) or closes them at once."""

    def __init__(self, close):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.close, self.held = close, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.close() if self.close else self.held.append(conn)


@pytest.mark.parametrize("close", [False, True], ids=["hung", "closed-at-once"])
def test_no_answer_before_any_check_is_exit_2_in_one_line(close, capsys):
    server = SilentServer(close)
    code = main(["--base-url", server.url, "--conversation", "1", "--timeout", "0.5"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.startswith("contracts: error: no answer from") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (404, "the base URL or path prefix is probably wrong"),
        (405, "the base URL or path prefix is probably wrong"),
        (401, "the server wants credentials"),
        (302, "a redirect answered"),
    ],
)
def test_answers_that_mean_the_wrong_place_stop_the_run_with_exit_2(status, hint):
    def handler(req):
        return httpx.Response(status, headers={"Location": "/login"} if status == 302 else {})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    report = run(RunConfig(base_url=BASE, conversation=1), client=client)
    assert report.exit_code == 2 and report.results == []
    assert hint in report.unreachable


def test_a_wrong_path_prefix_on_a_real_server_is_exit_2_not_a_wall_of_failures(live_fake, capsys):
    code = main(["--base-url", f"{live_fake.url}/api/v2", "--conversation", "1"])
    captured = capsys.readouterr()
    assert code == 2
    assert "answered 404" in captured.err and "path prefix is probably wrong" in captured.err
    assert "FAILED" not in captured.out


def test_an_html_page_answering_a_creation_is_the_wrong_place():
    client = httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(200, html="<html></html>")))
    report = run(RunConfig(base_url=BASE, conversation=1), client=client)
    assert report.exit_code == 2 and "a web page answered" in report.unreachable


def test_a_bug_in_the_checks_is_exit_3_with_its_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise TypeError("a bug of ours")

    monkeypatch.setattr("message_api_kit.contracts.checks.dated_now", broken)
    report = in_process(create_app(), checks=("date",), seed=1)
    assert report.exit_code == 3
    (result,) = report.results
    assert result.status == "error" and result.failures == []
    text = report.failure_text(result)
    assert "a bug in the contract checks themselves" in text
    assert "Traceback" in text and "TypeError: a bug of ours" in text


def test_the_cli_turns_an_unexpected_crash_into_exit_3(monkeypatch, capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("runner bug")

    monkeypatch.setattr("message_api_kit.contracts.cli.run", crash)
    assert main(["--base-url", BASE, "--conversation", "1"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: runner bug" in err


def two_defects():
    """Trims messages and answers 500 to astral-plane text: two causes in one check."""
    app = BROKEN_FAKES["message-trimmed"]()

    @app.before_request
    def crash():
        body = request.get_json(silent=True)
        if isinstance(body, dict) and any(ord(c) > 0xFFFF for c in str(body.get("message"))):
            return Response("boom", 500)
        return None

    return app


def test_a_second_defect_is_not_hidden_behind_the_first():
    report = in_process(two_defects(), checks=("message-echo",), seed=3)
    (result,) = report.results
    titles = {failure.title for failure in result.failures}
    assert titles == {"message changed", "server error"}, titles  # a 500 is a server error, never "refused"
    assert "2 distinct failures" in report.summary()


def first_time_fails():
    """Answers 500 to each body the first time it sees it: a failure that never recurs."""
    app = create_app()
    seen = set()

    @app.before_request
    def once():
        body = request.get_data()
        if request.method == "POST" and body not in seen:
            seen.add(body)
            return Response("first time", 500)
        return None

    return app


def test_flaky_is_said_only_of_a_failure_that_did_not_recur():
    report = in_process(first_time_fails(), checks=("date",), seed=2)
    (result,) = report.results
    assert result.status == "failed"
    assert result.failures[0].title == "server error (flaky: it did not fail again)"
    assert "(sent again, it got 201)" in result.failures[0].detail


@pytest.mark.parametrize(("answers", "flaky"), [((201, 201), False), ((500, 201), True)])
def test_a_failure_the_replay_missed_is_flaky_only_if_its_own_request_now_gets_another_answer(answers, flaky):
    # Hypothesis replays a test, not a request: against a server with state (ids repeated per worker process)
    # its replay makes other messages and may not meet the failure again. The failing request itself, sent
    # again, decides: the same answer is a defect titled as it is; another answer, flaky.
    statuses = iter(answers)
    server = httpx.MockTransport(lambda request: httpx.Response(next(statuses), json={"id": 1}))
    transport = Transport(BASE, client=httpx.Client(transport=server, base_url=BASE))
    ctx = Context(transport, 1, None, 300, hypothesis_settings(RunConfig(BASE, 1)), 0)
    shown = transport.send("POST", "/conversations/1/messages", b'{"message": "x"}')
    result = _replayed(CheckFailure("id repeated", "id 1 was given to two messages", shown, rule="R3"), ctx)
    assert ("flaky" in result.title) is flaky and result.rule == "R3"
    again = f"sent again, it got {answers[1]}" if flaky else f"its request, sent again, got the same {answers[1]}"
    assert again in result.detail


def test_a_budget_that_stops_shrinking_says_so_and_shows_the_last_failing_request():
    transport = Transport(BASE, client=httpx.Client(transport=httpx.MockTransport(lambda req: httpx.Response(500))))
    ctx = Context(transport, 1, None, 300, hypothesis_settings(RunConfig(BASE, 1)), 0)
    shown = transport.send("POST", "/conversations/1/messages", b'{"message": "x"}')

    def fails_then_runs_out(ctx):
        with pytest.raises(CheckFailure), ctx.causes():
            raise CheckFailure("server error", "answered 500", shown)
        raise BudgetExhausted("spent")

    check = ContractCheck("demo", "a demo", "R1", fails_then_runs_out)
    result = _run_check(ctx, RunConfig(BASE, 1), check)
    assert result.status == "failed"
    assert result.failures[0].exchanges == (shown,)
    assert result.reason == "shrinking stopped at the request budget: the last failing request is shown"


@pytest.mark.slow
def test_header_values_are_redacted_everywhere_the_run_writes(live_broken, tmp_path, capsys):
    junit = tmp_path / "contracts.xml"
    argv = ["--base-url", live_broken.url, "--conversation", "1", "--checks", "message-echo", "--seed", "1"]
    code = main([*argv, "--header", f"Authorization: {SECRET}", "--junit-xml", str(junit)])
    captured = capsys.readouterr()
    assert code == 1
    written = captured.out + captured.err + junit.read_text()
    assert SECRET not in written and "s3cr3t" not in written
    assert "Authorization: [redacted]" in captured.out
    assert '-H "Authorization: $CONTRACTS_HEADER_AUTHORIZATION"' in captured.out
    assert main([*argv, "--header", f"Authorization: {SECRET}", "--show-secrets"]) == 1
    assert SECRET in capsys.readouterr().out


@pytest.mark.slow
def test_the_replay_line_reproduces_the_run(live_broken, capsys, monkeypatch):
    argv = ["--base-url", live_broken.url, "--conversation", "3", "--other-conversation", "4"]
    argv += ["--header", f"X-Token: {SECRET}", "--max-examples", "4", "--strict", "--checks", "message-echo"]
    assert main(argv) == 1
    first = capsys.readouterr().out
    (replay,) = [line.split("replay: ", 1)[1] for line in first.splitlines() if "replay: " in line]
    assert SECRET not in replay
    for needed in ("--conversation 3", "--other-conversation 4", "--max-examples 4", "--strict", "--seed"):
        assert needed in replay
    monkeypatch.setenv("CONTRACTS_HEADER_X_TOKEN", SECRET)
    words = [os.path.expandvars(word) for word in shlex.split(replay)]
    assert main(words[1:]) == 1
    again = capsys.readouterr().out
    failed = [line for line in first.splitlines() if line.startswith("FAILED")]
    assert failed and failed == [line for line in again.splitlines() if line.startswith("FAILED")]


def test_lenient_notes_reach_the_junit_report(tmp_path):
    from tests.contracts.lenient_fakes import LENIENT_FAKES

    report = in_process(LENIENT_FAKES["no-content-type-check"](), checks=("non-json-bodies",), seed=0)
    assert report.exit_code == 0 and report.notes
    path = tmp_path / "junit.xml"
    report.write_junit(path)
    case = ET.parse(path).getroot().find("testcase")
    assert case.find("failure") is None
    assert "lenient: a body not sent as application/json" in case.find("system-out").text


@pytest.mark.slow
def test_strict_passes_the_fake_itself(live_fake, capsys):
    code = main(["--base-url", live_fake.url, "--conversation", "1", "--other-conversation", "2", "--strict"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{len(CHECKS)} passed, 0 failed, 0 skipped" in out and "; strict" in out
    assert "lenient" not in out


def test_one_cause_is_one_failure_under_the_check_that_owns_its_row(tmp_path):
    # Dates in milliseconds break every check that creates; the date check owns R10.
    client = httpx.Client(transport=httpx.WSGITransport(app=BROKEN_FAKES["date-in-milliseconds"]()), base_url=BASE)
    report = run(RunConfig(base_url=BASE, conversation=1, other_conversation=2, seed=0), client=client)
    failed = [r for r in report.results if r.status == "failed"]
    assert [r.check.name for r in failed] == ["date"]
    (owner,) = failed
    others = owner.also_seen["date is not now"]
    assert others, "no other check saw the dates, so this test proves nothing"
    assert f"also seen in {len(others)} checks" in report.failure_text(owner)
    for result in report.results:
        if result.check.name in others:
            assert result.status == "passed"
            assert "date is not now (reported under date)" in result.reason
    junit = tmp_path / "contracts.xml"
    report.write_junit(junit)
    tree = ET.parse(junit)
    assert [case.get("name") for case in tree.iter("testcase") if case.find("failure") is not None] == ["date"]


def throttled(every: int):
    """The fake behind a throttle: every ``every``-th request is a 429 with ``Retry-After: 0``."""
    app = create_app()
    count = iter(range(1, 10**9))

    @app.before_request
    def throttle():
        if next(count) % every == 0:
            return Response("slow down", 429, headers={"Retry-After": "0"})
        return None

    return app


def test_a_rate_limit_met_is_said_in_the_summary_and_the_junit_file_never_a_failure(tmp_path):
    # Before: 81 of 530 requests answered 429 made a run take 83 s instead of 2.5, and it said nothing.
    report = in_process(throttled(5), other_conversation=2, seed=0, max_examples=3)
    assert report.exit_code == 0, report.summary()
    assert report.throttled > 0
    assert f"rate limit met: {report.throttled} answers were 429 Too Many Requests" in report.summary()
    junit = tmp_path / "contracts.xml"
    report.write_junit(junit)
    assert "rate limit met" in ET.parse(junit).getroot().find("system-out").text
    quiet = in_process(create_app(), seed=0, max_examples=3)
    assert quiet.throttled == 0 and "rate limit" not in quiet.summary()


def _failed_everywhere(name, capsys, pytester, tmp_path):
    """What a run against the broken fake ``name`` fails, as each place a user reads says it: by place, the
    set of (check, title) failed."""
    from message_api_kit.mockserver import LiveServer

    target = ["--conversation", "1", "--other-conversation", "2", "--seed", "0", "--max-examples", "8"]
    junit = tmp_path / "contracts.xml"
    with LiveServer(BROKEN_FAKES[name]()) as live:
        code = main(["--base-url", live.url, *target, "--junit-xml", str(junit)])
    out = capsys.readouterr().out
    titled = {}  # check -> titles, from the failure texts ("FAILED <check> (<rows>): <title>")
    for line in out.splitlines():
        if line.startswith("FAILED "):
            check, _, title = line.removeprefix("FAILED ").partition(": ")
            titled.setdefault(check.split(" (")[0], set()).add(title)
    places = {
        "live line": {line.split()[1] for line in out.splitlines() if line.startswith("  failed ")},
        "summary": {line.split()[1] for line in out.splitlines() if line.startswith("  FAILED ")},
        "failure text": set(titled),
        "junit": {c.get("name") for c in ET.parse(junit).iter("testcase") if c.find("failure") is not None},
    }
    junit_titles = {
        c.get("name"): c.find("failure").get("message")
        for c in ET.parse(junit).iter("testcase")
        if c.find("failure") is not None
    }
    pytester.makepyfile(
        "from message_api_kit.contracts.testing import contract_tests\n\ntest_contract = contract_tests()\n"
    )
    plugin_target = ["--contract-conversation", "1", "--contract-other-conversation", "2", "--contract-seed", "0"]
    with LiveServer(BROKEN_FAKES[name]()) as live:
        plugin = pytester.runpytest_subprocess(
            "--contract-base-url", live.url, *plugin_target, "--contract-max-examples", "8", "-p", "no:randomly"
        )
    places["plugin"] = {
        line.split("[", 1)[1].split("]", 1)[0]
        for line in plugin.outlines
        if line.startswith("FAILED ") and "test_contract[" in line
    }
    plugin_text = "\n".join(plugin.outlines)
    for check, titles in titled.items():
        assert junit_titles[check] in titles
        for title in titles:
            assert f"FAILED {check} (" in plugin_text and f"): {title}" in plugin_text
    return code, places, titled, out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "cause"),
    [
        # Before: three failures (replies, cross-conversation-parent, unique-ids); the live line said
        # "failed unique-ids" where the summary said it passed, and the plugin failed it.
        ("ids-per-conversation", "id repeated"),
        # Seen by every check that creates; the date check owns R10, though others run first.
        ("date-in-milliseconds", "date is not now"),
        # A 500 for a valid request is a server error in every title, never "creation refused".
        ("crash-on-long-message", "server error"),
    ],
)
def test_a_cause_is_one_failure_in_the_live_lines_the_summary_the_junit_file_and_the_plugin(
    name, cause, capsys, pytester, tmp_path
):
    code, places, titled, out = _failed_everywhere(name, capsys, pytester, tmp_path)
    assert code == 1
    assert len(places["summary"]) == 1, out  # one cause, one failing check
    assert len(set(map(frozenset, places.values()))) == 1, places  # the same check failed everywhere
    [titles] = titled.values()
    assert titles == {cause}, out
    assert f"{cause} (reported under" in out  # the other checks that saw it pass and say where it is
