import socket
import xml.etree.ElementTree as ET

import pytest

from message_api_kit.contracts.catalog import CHECKS
from message_api_kit.contracts.cli import main
from message_api_kit.mockserver import LiveServer


def free_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_exit_0_against_the_fake_with_a_summary_and_junit(live_fake, tmp_path, capsys):
    junit = tmp_path / "out" / "contracts.xml"
    code = main(
        [
            "--base-url",
            live_fake.url,
            "--conversation",
            "1",
            "--other-conversation",
            "2",
            "--max-examples",
            "5",
            "--seed",
            "3",
            "--junit-xml",
            str(junit),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{len(CHECKS)} passed, 0 failed, 0 skipped" in out  # counted from the catalog, never pinned
    assert "seed 3" in out
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == str(len(CHECKS)) and suite.get("failures") == "0"


@pytest.mark.slow
def test_exit_1_with_a_reproducible_report_against_a_broken_server(live_broken, capsys):
    code = main(
        [
            "--base-url",
            live_broken.url,
            "--conversation",
            "1",
            "--checks",
            "message-echo",
            "--seed",
            "1",
            "--max-examples",
            "10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED message-echo (B2, R9): message changed" in out
    assert "reproduce: curl -i -X POST" in out
    replay = f"contracts --base-url {live_broken.url} --conversation 1 --max-examples 10 --seed 1 --checks message-echo"
    assert f"replay: {replay}" in out


def test_without_other_conversation_cross_checks_are_skipped_not_passed(live_fake, capsys):
    code = main(["--base-url", live_fake.url, "--conversation", "1", "--checks", "cross-conversation-parent"])
    assert code == 0
    assert "SKIPPED cross-conversation-parent" in capsys.readouterr().out


def test_unreachable_server_is_exit_2_and_never_passes(capsys):
    code = main(["--base-url", f"http://127.0.0.1:{free_closed_port()}", "--conversation", "1", "--max-examples", "2"])
    assert code == 2
    assert "cannot reach" in capsys.readouterr().err


def test_dry_run_sends_nothing(capsys):
    # Nothing listens there: a dry run that sent a request would fail with exit 2.
    code = main(
        [
            "--base-url",
            f"http://127.0.0.1:{free_closed_port()}",
            "--conversation",
            "1",
            "--dry-run",
            "--max-examples",
            "10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "at most" in out and "message-echo" in out
    assert "needs --other-conversation" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--checks", "nope"], "unknown check(s): nope"),
        (["--header", "no colon"], "is not 'Name: value'"),
        (["--rate-limit", "fast"], "is not N/s"),
        (["--conversation", "0"], "--conversation"),
        (["--conversation", "2", "--other-conversation", "2"], "must differ"),
        (["--checks", "rejects-non-json"], "unknown check(s): rejects-non-json"),
    ],
)
def test_usage_errors_are_exit_2(argv, needle, capsys):
    assert main(["--base-url", "http://127.0.0.1:1", "--conversation", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_list_checks_names_every_check(capsys):
    from message_api_kit.contracts import CHECKS

    assert main(["--base-url", "http://x", "--list-checks"]) == 0
    out = capsys.readouterr().out
    assert all(check.name in out for check in CHECKS)


def test_help_names_the_diff_command(capsys):
    assert main(["--help"]) == 0
    assert "contracts diff" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_the_commands_leave_nothing_in_the_current_directory(live_fake, tmp_path):
    url = live_fake.url
    # Hypothesis writes .hypothesis/ into the current directory as it loads; the commands send it to a cache.
    import os
    import subprocess
    import sys

    work, home = tmp_path / "project", tmp_path / "home"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS_", "XDG_"))} | {"HOME": str(home)}
    runs = [
        ["diff", "--base-url", url, "--fake-url", url, "--conversation", "1", "--max-examples", "1"],
        ["--base-url", url, "--conversation", "1", "--max-examples", "2", "--checks", "unique-ids"],
    ]
    for argv in runs:
        done = subprocess.run(
            [sys.executable, "-m", "message_api_kit.contracts", *argv],
            check=False,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert list(work.iterdir()) == [], f"{argv[0]} left {[p.name for p in work.iterdir()]}"
    assert (home / ".cache" / "message-api-kit" / "hypothesis").is_dir()


def test_list_checks_needs_no_server(capsys):
    assert main(["--list-checks"]) == 0
    listed = capsys.readouterr().out
    assert all(check.name in listed for check in CHECKS)
    assert main(["--conversation", "1"]) == 2
    assert "--base-url" in capsys.readouterr().err


def test_a_profile_from_a_server_that_never_creates_is_one_line_and_exit_2(tmp_path, capsys, live_fake):
    def never(environ, start_response):
        start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]

    profile = tmp_path / "observed.json"
    with LiveServer(never) as real:
        args = ["diff", "--base-url", real.url, "--fake-url", live_fake.url, "--conversation", "1"]
        code = main([*args, "--max-examples", "1", "--write-profile", str(profile)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "created no message" in err, err
    assert not profile.exists()


def test_control_characters_a_server_sends_reach_no_terminal_raw(capsys):
    # An answer that would clear the screen and retitle the window, in a failure's report.
    def hostile(environ, start_response):
        body = b'{"error": "\x1b[2J\x1b]0;owned\x07 gone\\r\\u202e"}'
        start_response("500 Internal Server Error", [("Content-Type", "application/json")])
        return [body]

    with LiveServer(hostile) as server:
        code = main(["--base-url", server.url, "--conversation", "1", "--checks", "conformance", "--max-examples", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "\\x1b[2J" in out and "\\x07" in out
    assert not any(char in out for char in "\x1b\x07\r\u202e")
