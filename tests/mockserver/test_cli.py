import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from message_api_kit.mockserver.cli import main
from tests.serving import served


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["serve", "--port", "70000"], "--port"),
        (["serve", "--seed", "/no/such/file.json"], "cannot read seed file"),
        (["serve", "--bogus"], "No such option"),
        (["nope"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and err.startswith("mockserver: error:")


def test_an_invalid_seed_file_names_the_field(tmp_path, capsys):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"messages": [{"conversation": 0, "message": "x"}]}))
    assert main(["serve", "--seed", str(path)]) == 2
    assert "/messages/0/conversation" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_answers_then_stops_cleanly_on_interrupt(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"id": 4, "name": "Dee"}], "conversations": [3]}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "message_api_kit.mockserver",
            "serve",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--strict-conversations",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("mockserver: serving the fake at http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        created = httpx.post(f"{url}/conversations/3/messages", json={"message": "hi"})
        assert created.status_code == 201 and created.json()["author"]["name"] == "Dee"
        assert httpx.post(f"{url}/conversations/4/messages", json={"message": "hi"}).status_code == 404
        # A dropped connection on the production server too: no answer at all, and the fake keeps serving.
        httpx.put(f"{url}/__mock__/faults", json={"failures": [{"drop": True, "count": 1}]})
        with pytest.raises(httpx.TransportError, match=r"disconnected|reset|closed"):
            httpx.post(f"{url}/conversations/3/messages", json={"message": "dropped"})
        assert httpx.post(f"{url}/conversations/3/messages", json={"message": "hi"}).status_code == 201
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "stopped" in out
        assert "Traceback" not in err
    finally:
        process.kill()


@pytest.mark.slow
def test_serve_keeps_the_terminal_quiet_under_load():
    # More connections than threads: the server queues requests, and must not log each one.
    with served("--threads", "1", "--no-demo") as server:

        def post_many(worker: int) -> list[int]:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                return [
                    client.post("/conversations/1/messages", json={"message": f"{worker}"}).status_code
                    for _ in range(25)
                ]

        with ThreadPoolExecutor(8) as pool:
            statuses = [status for batch in pool.map(post_many, range(8)) for status in batch]
    assert statuses == [201] * 200
    assert server.stderr == ""


def test_a_public_host_is_announced(monkeypatch, capsys):
    from message_api_kit.mockserver import cli

    class FakeServer:
        url = "http://0.0.0.0:1234"

        def __init__(self, load_app, options):
            assert options.host == "0.0.0.0"

        def run(self, on_ready):
            on_ready()

    monkeypatch.setattr(cli, "ProductionServer", FakeServer)
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    captured = capsys.readouterr()
    assert "http://0.0.0.0:1234" in captured.out
    assert "not loopback" in captured.err


@pytest.mark.slow
def test_serve_answers_loopback_and_allowed_hosts_only():
    with served("--no-demo", "--allowed-host", "fake.internal") as live:
        for host, status in (("fake.internal:8080", 200), ("localhost", 200), ("rebound.example", 403)):
            answer = httpx.get(f"{live.url}/__mock__/journal", headers={"Host": host})
            assert answer.status_code == status, host
        refused = httpx.post(
            f"{live.url}/conversations/1/messages", json={"message": "x"}, headers={"Host": "evil.test"}
        )
        assert refused.json()["type"] == "urn:mockserver:problem:forbidden"


def test_the_banner_says_where_the_state_lives_which_origins_and_which_profile(monkeypatch, capsys, tmp_path):
    from message_api_kit.mockserver import cli

    class FakeServer:
        url = "http://127.0.0.1:1234"

        def __init__(self, load_app, options):
            pass

        def run(self, on_ready):
            on_ready()

    monkeypatch.setattr(cli, "ProductionServer", FakeServer)
    profile = tmp_path / "profile.json"
    profile.write_text('{"format": 1, "success_status": 200, "type": "text", "parent_form": "id", "rejections": {}}')
    state = tmp_path / "fake.db"
    argv = ["serve", "--state-file", str(state), "--cors-origin", "http://localhost:5173", "--profile", str(profile)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"  state:   kept in {state}\n" in out
    assert "  origins: http://localhost:5173 (with credentials)\n" in out
    assert f"  profile: {profile} " in out
    assert main(["serve"]) == 0
    out = capsys.readouterr().out
    assert "  state:   in memory" in out and "  origins: any, on the vendor API" in out and "profile:" not in out
