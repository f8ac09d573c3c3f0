"""``contracts replay``: an app's own requests, journaled by the fake, checked on real servers of two stacks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from message_api_kit.contracts.cli import main
from message_api_kit.contracts.replay import read_journal
from message_api_kit.mockserver import LiveServer, MockConfig, Seed, create_app
from message_api_kit.mockserver.seed import SeedMessage
from tests.servers import serving

pytestmark = pytest.mark.slow

#: Seeded before the app runs, so the fake's ids start past the real servers' (a parent must be mapped).
SEEDED = Seed(messages=tuple(SeedMessage(9, f"old {n}") for n in range(3)))


@pytest.fixture(scope="module")
def journal(tmp_path_factory) -> str:
    """What an app sent the fake, as ``GET /__mock__/journal`` gives it: real requests over a socket."""
    with LiveServer(create_app(MockConfig(seed=SEEDED))) as fake, httpx.Client(base_url=fake.url) as app:
        keyed = app.post("/conversations/5/messages", json={"message": "hello", "client_ref": "c-1"})
        root = app.post("/conversations/5/messages", json={"message": "plain root"}).json()
        reply = app.post("/conversations/5/messages", json={"message": "re", "parent_id": root["id"]}).json()
        app.post("/conversations/5/messages", json={"message": "re re", "parent_id": reply["id"]})
        app.get("/users/1")  # a route the kit does not declare
        app.post("/conversations/5/messages", content=b"not json", headers={"Content-Type": "application/json"})
        app.post("/conversations/6/messages", json={"message": "in the second conversation"})
        app.post("/conversations/5/messages", json={"message": "to a seeded one", "parent_id": 1})
        app.post(
            "/conversations/5/messages", json={"message": "with a token"}, headers={"Authorization": "Bearer app-token"}
        )
        assert keyed.status_code == 201 and reply["parent"]["id"] == root["id"] and root["id"] == 5
        text = app.get("/__mock__/journal").text
    path = tmp_path_factory.mktemp("journal") / "journal.json"
    path.write_text(text)
    return str(path)


def replay(journal: str, url: str, tmp_path, capsys) -> tuple[int, str, ET.Element]:
    junit = tmp_path / "replay.xml"
    args = ["replay", journal, "--base-url", url, "--conversation", "1", "--other-conversation", "2"]
    code = main([*args, "--junit-xml", str(junit)])
    return code, capsys.readouterr().out, ET.parse(junit).getroot()


def test_a_key_the_fake_took_and_a_real_server_refuses_fails_the_replay(journal, tmp_path, capsys):
    with serving("aiohttp", UNKNOWN_KEYS="refuse") as url:
        code, out, junit = replay(journal, url, tmp_path, capsys)
    assert code == 1, out
    (failed,) = [case for case in junit if case.find("failure") is not None]
    assert failed.get("name") == "#0 POST /conversations/5/messages"
    assert "the fake accepted it, the real server refused it" in out
    text = failed.find("failure").text
    assert '"client_ref":"c-1"' in text and "unknown keys: client_ref" in text  # the request and both answers
    assert "the fake:  201" in text and "curl -i -X POST" in text and "/conversations/1/messages" in text
    assert "1 failed" in out


def test_a_server_that_ignores_unknown_keys_passes_with_every_parent_mapped(journal, tmp_path, capsys):
    with serving("fastify") as url:
        code, out, junit = replay(journal, url, tmp_path, capsys)
    # The replies name the real server's copies of their parents (the fake's ids are 3 past Fastify's): an id sent
    # as journaled would be a 404 there, and the replay would fail.
    assert code == 0, out
    skipped = {
        case.get("name"): case.find("skipped").get("message") for case in junit if case.find("skipped") is not None
    }
    with open(journal) as file:
        replayed = len(read_journal(file.read())) - len(skipped)
    assert f"{replayed} passed, 0 failed, {len(skipped)} skipped" in out
    assert skipped == {
        "#4 GET /users/1": "not an operation the kit declares",
        "#5 POST /conversations/5/messages": "the fake refused it (400): outside the documented domain",
        "#7 POST /conversations/5/messages": "a reply to a message not made in this journal: nothing to map it to",
    }
    assert "Bearer app-token" not in out  # the journal redacted it; the run's --header carries the real one


def test_a_journal_is_read_whole_or_one_test_a_line(journal):
    with open(journal) as file:
        doc = json.load(file)
    whole = read_journal(json.dumps(doc))
    lines = read_journal("\n".join(json.dumps({"test": f"t{n}", "entries": doc["entries"]}) for n in range(2)))
    assert len(lines) == 2 * len(whole) and {entry.journal for entry in lines} == {"t0", "t1"}
    with pytest.raises(ValueError, match="no journal"):
        read_journal('{"items": []}')
