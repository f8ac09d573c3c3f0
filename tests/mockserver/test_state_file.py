"""``--state-file``: the default session kept in SQLite, through restarts and ``kill -9``."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading

import httpx
import pytest

from message_api_kit.mockserver import MockConfig, Seed, create_app
from message_api_kit.mockserver.cli import main
from message_api_kit.mockserver.state_file import StateFile
from tests.serving import served

ADMIN = {"X-Mock-Admin": "1"}


def texts(client, conversation: int = 1) -> list[str]:
    return [m["message"] for m in client.get(f"/__mock__/conversations/{conversation}/messages").get_json()["items"]]


def test_what_was_created_seeded_reset_or_restored_is_what_the_next_start_finds(tmp_path):
    path = tmp_path / "state.db"
    seed = Seed(users=({"id": 7, "name": "Ada"},), conversations=(3,))
    config = MockConfig(state_file=path, seed=seed, clock=lambda: 1_700_000_000.0)
    first = create_app(config).test_client()
    root = first.post("/conversations/3/messages", json={"message": "root"}).get_json()
    first.post("/conversations/3/messages", json={"message": "reply", "parent_id": root["id"]})
    first.post("/__mock__/seed", json={"users": [{"id": 8, "name": "Bo"}], "conversations": [9]})

    again = create_app(config).test_client()
    stored = again.get("/__mock__/conversations/3/messages").get_json()["items"]
    assert [(m["id"], m["message"], m["author"]["name"], m["date"]) for m in stored] == [
        (1, "root", "Ada", 1_700_000_000),
        (2, "reply", "Ada", 1_700_000_000),
    ]
    assert stored[1]["parent"]["id"] == 1
    assert (
        again.post("/conversations/9/messages", json={"message": "x"}, headers={"X-Mock-User": "8"}).status_code == 201
    )
    assert again.post("/conversations/3/messages", json={"message": "next"}).get_json()["id"] == 4  # ids go on

    again.post("/__mock__/snapshots", json={"name": "four"})
    again.post("/__mock__/reset", headers=ADMIN)
    assert texts(create_app(config).test_client(), 3) == []  # the reset is in the file too
    again.post("/__mock__/snapshots/four/restore", headers=ADMIN)
    assert texts(create_app(config).test_client(), 3) == ["root", "reply", "next"]
    with sqlite3.connect(path) as db:
        events = [row[0] for row in db.execute("SELECT event FROM events")]
    assert events == ["reset to the start-up seed", "reset to the start-up seed", "restored snapshot 'four'"]


def test_a_seed_refused_half_way_leaves_nothing_in_the_file(tmp_path):
    config = MockConfig(state_file=tmp_path / "state.db")
    client = create_app(config).test_client()
    refused = client.post(
        "/__mock__/seed",
        json={
            "messages": [{"conversation": 1, "message": "ok"}, {"conversation": 1, "message": "bad", "parent_id": 99}]
        },
    )
    assert refused.status_code == 404
    assert texts(create_app(config).test_client()) == []


def test_named_sessions_stay_out_of_the_file(tmp_path):
    config = MockConfig(state_file=tmp_path / "state.db")
    create_app(config).test_client().post(
        "/conversations/1/messages", json={"message": "a test's"}, headers={"X-Mock-Session": "t"}
    )
    assert texts(create_app(config).test_client()) == []


def write_meta(path, key, value):
    StateFile(path).close()
    # Closed, not only committed: the last connection to close folds the WAL into the file. Left open, that
    # happened whenever the collector got to it, and the bytes "left alone" changed under the test.
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes(b"not a database at all" * 100), "is not a state file this kit can read"),
        (lambda p: write_meta(p, "format", "0"), "has format '0'; this kit reads format '1'"),
        (lambda p: write_meta(p, "kit_version", "0.0.1"), "was written by kit version '0.0.1'"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE other (x)").connection.commit(), "not a state file of"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
    ids=["corrupt", "other-format", "other-kit-version", "other-database", "directory"],
)
def test_a_file_it_cannot_use_stops_the_start_with_one_line_and_is_left_alone(tmp_path, capsys, make, says):
    path = tmp_path / "state.db"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    assert main(["serve", "--state-file", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
    assert (path.read_bytes() if path.is_file() else None) == before


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [12, 60, 250])
def test_every_creation_answered_201_survives_a_kill_9_mid_stream(tmp_path, kill_after):
    # Killed once the clients have had ``kill_after`` creations answered (a condition, not a time: under load a
    # fixed time passed before the clients got going).
    path = tmp_path / "state.db"
    answered: list[dict] = []
    stop = threading.Event()
    enough = threading.Event()

    def client(worker: int) -> None:
        with httpx.Client(timeout=5) as http:
            parent = None
            n = 0
            while not stop.is_set():
                body = {"message": f"w{worker}-{n}", "parent_id": parent}
                try:
                    answer = http.post(f"{url}/conversations/{worker % 2 + 1}/messages", json=body)
                except httpx.TransportError:
                    return  # the fake is gone
                if answer.status_code == 201:
                    answered.append(answer.json())
                    parent = answer.json()["id"] if n % 3 == 0 else parent
                    if len(answered) >= kill_after:
                        enough.set()
                n += 1

    with served("--no-demo", "--state-file", str(path)) as fake:
        url = fake.url
        threads = [threading.Thread(target=client, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        assert enough.wait(60), f"the clients had {len(answered)} creations answered in a minute"
        os.kill(fake.worker_pid(), signal.SIGKILL)  # the process holding the state, mid-stream
        stop.set()
        for thread in threads:
            thread.join()
        os.kill(fake.process.pid, signal.SIGKILL)

    with served("--no-demo", "--state-file", str(path)) as again, httpx.Client(base_url=again.url) as http:
        for made in answered:
            stored = http.get(f"/__mock__/messages/{made['id']}")
            assert stored.status_code == 200, made
            kept = stored.json()
            assert (kept["message"], kept["conversationId"], kept["date"]) == (
                made["message"],
                made["conversationId"],
                made["date"],
            )
            assert (kept["parent"] or {}).get("id") == (made["parent"] or {}).get("id")
        latest = max(made["id"] for made in answered)
        assert http.post("/conversations/1/messages", json={"message": "after"}).json()["id"] > latest


def test_a_state_file_in_a_missing_folder_stops_the_start_with_one_line(tmp_path, capsys):
    path = tmp_path / "no such folder" / "state.db"
    assert main(["serve", "--state-file", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its folder" in err and "does not exist" in err, err


def test_a_read_only_state_file_stops_the_start_with_one_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "state.db"
    create_app(MockConfig(state_file=path)).test_client().post("/conversations/1/messages", json={"message": "x"})
    path.chmod(0o444)
    if os.geteuid() == 0:  # permissions do not stop root: ask as another user would be answered
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: real(p, mode) and not (p == path and mode & os.W_OK))
    assert main(["serve", "--state-file", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be written" in err, err


def test_a_second_fake_on_one_state_file_is_refused(tmp_path):
    path = tmp_path / "state.db"
    with served("--no-demo", "--state-file", str(path)):
        argv = [sys.executable, "-m", "message_api_kit.mockserver", "serve", "--state-file", str(path), "--port", "0"]
        second = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1 and "is in use by another fake" in second.stderr, second.stderr


def test_a_full_disk_answers_507_changes_nothing_and_the_fake_goes_on(tmp_path, monkeypatch):
    path = tmp_path / "state.db"
    app = create_app(MockConfig(state_file=path))
    client = app.test_client()
    client.post("/conversations/1/messages", json={"message": "kept"})
    state = app.extensions["mockserver"].default._log  # the StateFile the default session writes
    pages = state._db.execute("PRAGMA page_count").fetchone()[0]
    state._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
    refused = client.post("/conversations/1/messages", json={"message": "x" * 100_000})
    assert refused.status_code == 507
    assert refused.get_json()["type"] == "urn:mockserver:problem:insufficient-storage"
    assert "refused the write" in refused.get_json()["detail"]
    assert texts(client) == ["kept"]  # memory did not change either

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(state, "cleared", full)
    assert client.post("/__mock__/reset", headers=ADMIN).status_code == 507
    assert texts(client) == ["kept"]  # the reset did not happen in memory either
    monkeypatch.undo()
    state._db.execute("PRAGMA max_page_count = 1000000")  # room again: the fake goes on
    assert client.post("/conversations/1/messages", json={"message": "after"}).status_code == 201
    assert texts(client) == ["kept", "after"]
    assert texts(create_app(MockConfig(state_file=path)).test_client()) == ["kept", "after"]


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ("UPDATE messages SET date = 'yesterday' WHERE id = 1", "table messages, row id 1: date is 'yesterday'"),
        ("UPDATE messages SET conversation = 'x' WHERE id = 2", "table messages, row id 2: conversation is 'x'"),
        (
            "UPDATE messages SET message = x'00ff' WHERE id = 2",
            "table messages, row id 2: message is b'\\x00\\xff', not text",
        ),
        ("UPDATE messages SET parent = 99 WHERE id = 2", "table messages, row id 2: parent 99 is no earlier message"),
        ("UPDATE messages SET author = 5 WHERE id = 1", "table messages, row id 1: author 5 is no user"),
        ("UPDATE users SET json = '{not json' WHERE id = 1", "table users, row id 1: json is not a user"),
        ("""UPDATE users SET json = '{"id": "one", "name": "x"}' WHERE id = 1""", "table users, row id 1: json is"),
        ("INSERT INTO conversations VALUES (-3)", "table conversations, row id -3: the id is not an integer"),
    ],
)
def test_a_row_edited_by_hand_stops_the_start_with_one_line_naming_it(tmp_path, capsys, edit, said):
    # Before: the fake served "date": "yesterday", or crashed its worker with a traceback.
    path = tmp_path / "state.db"
    client = create_app(MockConfig(state_file=path)).test_client()
    root = client.post("/conversations/1/messages", json={"message": "root"}).get_json()
    client.post("/conversations/1/messages", json={"message": "reply", "parent_id": root["id"]})
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(edit)
        db.commit()
    assert main(["serve", "--state-file", str(path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and str(path) in err, err
