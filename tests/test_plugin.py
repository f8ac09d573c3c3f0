"""The pytest plugin, as a user's suite meets it (pytester)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("plugin", ["message_api_kit._mockserver_plugin", "message_api_kit._contracts_plugin"])
def test_loading_a_plugin_imports_nothing_heavy(plugin):
    heavy = ("flask", "werkzeug", "message_api_kit.mockserver", "message_api_kit.contracts", "hypothesis", "httpx")
    code = f"import sys, {plugin}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )


def test_mock_server_is_live_and_reset_between_tests(pytester):
    pytester.makepyfile(
        """
        import httpx

        def test_first(mock_server):
            answer = httpx.post(f"{mock_server.url}/conversations/7/messages", json={"message": "hello"})
            assert answer.status_code == 201
            assert answer.json()["id"] == 1
            assert [m["message"] for m in mock_server.messages(7)] == ["hello"]
            assert mock_server.journal[-1]["status"] == 201

        def test_second_starts_clean(mock_server):
            assert mock_server.messages(7) == []
            assert mock_server.journal == []
            answer = httpx.post(f"{mock_server.url}/conversations/7/messages", json={"message": "again"})
            assert answer.json()["id"] == 1
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)


def test_seed_faults_and_clock_from_python(pytester):
    pytester.makepyfile(
        """
        import httpx

        def test_controls(mock_server):
            mock_server.seed(users=[{"id": 9, "name": "Nine"}], messages=[{"conversation": 3, "message": "seeded"}])
            mock_server.freeze_time(1_000_000)
            reply = httpx.post(f"{mock_server.url}/conversations/3/messages",
                               json={"message": "re", "parent_id": 1}, headers={"X-Mock-User": "9"}).json()
            assert reply["parent"]["message"] == "seeded"
            assert reply["author"]["name"] == "Nine"
            assert reply["date"] == 1_000_000
            mock_server.advance_time(30)
            mock_server.fail(503, count=1)
            assert httpx.post(f"{mock_server.url}/conversations/3/messages", json={"message": "x"}).status_code == 503
            created = httpx.post(f"{mock_server.url}/conversations/3/messages", json={"message": "x"}).json()
            assert created["date"] == 1_000_030
            mock_server.slow_down(50)
            answer = httpx.post(f"{mock_server.url}/conversations/3/messages", json={"message": "x"})
            assert answer.elapsed.total_seconds() >= 0.05
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_app_and_client_fixtures_and_config_override(pytester):
    pytester.makeconftest(
        """
        import pytest
        from message_api_kit.mockserver import MockConfig, Seed

        @pytest.fixture(scope="session")
        def mock_config():
            return MockConfig(strict_conversations=True, seed=Seed(conversations=(4,)))
        """
    )
    pytester.makepyfile(
        """
        def test_client(mock_client):
            assert mock_client.post("/conversations/4/messages", json={"message": "x"}).status_code == 201
            assert mock_client.post("/conversations/5/messages", json={"message": "x"}).status_code == 404

        def test_app(mock_app):
            assert "mockserver" in mock_app.extensions

        def test_server_uses_it_too(mock_server):
            import httpx
            assert httpx.post(f"{mock_server.url}/conversations/5/messages", json={"message": "x"}).status_code == 404
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=3)


def test_a_crash_in_the_server_fails_the_test_that_caused_it(pytester):
    pytester.makepyfile(
        """
        import httpx

        def test_crashes(mock_server, monkeypatch):
            def boom(*args, **kwargs):
                raise ZeroDivisionError("inside the fake")
            monkeypatch.setattr(mock_server.store, "create_message", boom)
            httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "x"})

        def test_next_is_clean(mock_server):
            assert httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "x"}).status_code == 201
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*ServerError: the fake raised 1 unexpected exception(s)*ZeroDivisionError*"])


def test_a_crash_in_a_session_or_outside_any_handler_fails_the_test_too(pytester):
    pytester.makepyfile(
        """
        import httpx

        def test_crash_in_a_session(mock_session, monkeypatch):
            def boom(*args, **kwargs):
                raise ZeroDivisionError("inside a session")
            monkeypatch.setattr(mock_session.store, "create_message", boom)
            url = f"{mock_session.url}/conversations/1/messages"
            httpx.post(url, json={"message": "x"}, headers=mock_session.headers)

        def test_crash_in_the_pipeline(mock_server, monkeypatch):
            def boom(*args, **kwargs):
                raise LookupError("in the pipeline")
            monkeypatch.setattr(mock_server.live.app.wsgi_app.rows, "record", boom)
            answer = httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": "x"})
            assert answer.headers["content-type"] == "application/problem+json"
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*ServerError*ZeroDivisionError*inside a session*"])
    result.stdout.fnmatch_lines(["*ServerError*LookupError*in the pipeline*"])


def test_a_failing_request_shows_the_problem_detail(pytester):
    pytester.makepyfile(
        """
        import httpx

        def test_bad(mock_server):
            answer = httpx.post(f"{mock_server.url}/conversations/1/messages", json={"text": "x"})
            assert answer.status_code == 201, answer.json()["detail"]
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*/message: is required*"])


def test_contract_checks_in_a_users_suite(pytester):
    pytester.makepyfile(
        """
        from message_api_kit.contracts.testing import contract_tests

        test_contract = contract_tests(["message-echo", "cross-conversation-parent"])
        """
    )
    pytester.runpytest_subprocess("--contract-max-examples", "5").assert_outcomes(passed=2)
    target = ["--contract-base-url", "http://127.0.0.1:9"]
    dead = pytester.runpytest_subprocess(*target, "--contract-conversation", "5", "--contract-max-examples", "2")
    dead.assert_outcomes(failed=2)  # unreachable: even the check that would skip fails
    dead.stdout.fnmatch_lines(["*the contract run could not start: cannot reach http://127.0.0.1:9*"])
    unnamed = pytester.runpytest_subprocess(*target)  # a real server, but no conversation named to write to
    unnamed.assert_outcomes(errors=2)
    unnamed.stdout.fnmatch_lines(["*--contract-base-url needs --contract-conversation*"])


def test_contract_checks_run_in_the_conversations_the_projects_fake_has(pytester):
    # Before: with strict conversations and conversation 4 seeded, every check failed ("cannot be reached").
    pytester.makeconftest(
        """
        import pytest
        from message_api_kit.mockserver import MockConfig, Seed

        @pytest.fixture(scope="session")
        def mock_config():
            return MockConfig(strict_conversations=True, seed=Seed(conversations=(4,)))
        """
    )
    pytester.makepyfile(
        """
        from message_api_kit.contracts.testing import contract_tests

        test_contract = contract_tests(["conformance", "replies", "cross-conversation-parent"])
        """
    )
    result = pytester.runpytest_subprocess("--contract-max-examples", "3", "-p", "no:randomly")
    result.assert_outcomes(passed=2, skipped=1)  # the one seeded conversation: a second one is needed to cross
    result.stdout.no_fnmatch_line("*could not start*")


def test_each_xdist_worker_has_its_own_fake(pytester):
    pytester.makepyfile(
        """
        import httpx, pytest

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(mock_server, n):
            answer = httpx.post(f"{mock_server.url}/conversations/1/messages", json={"message": str(n)})
            assert answer.json()["id"] == 1
        """
    )
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=6)


def test_mock_journal_keeps_each_tests_requests_for_contracts_replay(pytester, tmp_path):
    from message_api_kit.contracts.cli import main as contracts
    from message_api_kit.contracts.replay import read_journal
    from message_api_kit.mockserver import LiveServer, create_app

    pytester.makepyfile(
        """
        import httpx

        def test_posts_a_thread(mock_server):
            url = f"{mock_server.url}/conversations/7/messages"
            root = httpx.post(url, json={"message": "root"}).json()
            httpx.post(url, json={"message": "reply", "parent_id": root["id"]})

        def test_in_a_session(mock_session):
            httpx.post(f"{mock_session.url}/conversations/8/messages", json={"message": "own"},
                       headers=mock_session.headers)

        def test_sends_nothing(mock_server):
            pass
        """
    )
    journal = tmp_path / "journal.jsonl"
    pytester.runpytest_subprocess("-n", "2", "--mock-journal", str(journal)).assert_outcomes(passed=3)
    entries = read_journal(journal.read_text())
    by_test = {entry.journal.split("::")[1].split(" ")[0]: [] for entry in entries}
    for entry in entries:
        by_test[entry.journal.split("::")[1].split(" ")[0]].append((entry.path, entry.status))
    assert by_test == {
        "test_posts_a_thread": [("/conversations/7/messages", 201)] * 2,
        "test_in_a_session": [("/conversations/8/messages", 201)],
    }
    with LiveServer(create_app()) as real:  # replayed on another server: each test's ids mapped on their own
        args = ["replay", str(journal), "--base-url", real.url, "--conversation", "1", "--other-conversation", "2"]
        assert contracts(args) == 0
