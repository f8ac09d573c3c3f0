"""``--upstream --watch``: live traffic judged by the contract's rules; ``--record`` keeps it as a seed."""

from __future__ import annotations

import json
import stat
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from message_api_kit.contracts import RunConfig, run
from message_api_kit.mockserver import LiveServer, MockConfig, create_app
from message_api_kit.mockserver.app import sessions_of
from message_api_kit.mockserver.cli import load_seed as serve_seed
from message_api_kit.mockserver.validation import validate
from tests.contracts.broken_fakes import BROKEN_FAKES
from tests.contracts.hostile_servers import serving
from tests.contracts.lenient_fakes import LENIENT_FAKES

pytestmark = pytest.mark.slow


@contextmanager
def watching(real, **config) -> Iterator[httpx.Client]:
    """A client of a fake passing everything on to ``real`` (a WSGI app served on loopback), judging what passes.

    The fake is called in process (its upstream is a real server): the hop that matters is the one it makes.
    """
    with LiveServer(real) as upstream:
        proxy = create_app(MockConfig(upstream=upstream.url, watch=True, **config))
        with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://127.0.0.1") as client:
            yield client


def contract_run_through(client: httpx.Client, *, exit_first: bool = False) -> int:
    config = RunConfig(
        base_url=str(client.base_url),
        conversation=1,
        other_conversation=2,
        seed=0,
        max_examples=1,
        exit_first=exit_first,
    )
    return run(config, client=client).exit_code


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_defect_a_contract_run_catches_is_flagged_when_its_requests_pass_the_proxy(name):
    with watching(BROKEN_FAKES[name]()) as proxy:
        # Up to the first check the run fails: what it sent, the watch judged alike.
        assert contract_run_through(proxy, exit_first=True) == 1
        violations = proxy.get("/__mock__/violations").json()
        journal = proxy.get("/__mock__/journal", params={"limit": 100000}).json()["entries"]
    assert violations["watching"] is True and violations["violations"], name
    validate("violations", violations)
    flagged = [e for e in journal if e["verdict"].startswith("violation")]
    assert flagged and all(e["proxied"] for e in flagged)
    first = violations["violations"][0]
    assert any(first["title"] in e["verdict"] for e in flagged)


@pytest.mark.parametrize("name", ["correct", *sorted(LENIENT_FAKES)])
def test_a_correct_or_lenient_server_seen_through_the_proxy_breaks_nothing(name):
    real = create_app() if name == "correct" else LENIENT_FAKES[name]()
    with watching(real) as proxy:
        contract_run_through(proxy)
        violations = proxy.get("/__mock__/violations").json()["violations"]
        verdicts = {e["verdict"].split(":")[0] for e in proxy.get("/__mock__/journal").json()["entries"]}
    assert violations == [], violations[:3]
    # Requests outside the documented domain were sent too: judged as a contract run judges them, and noted.
    assert "kept" in verdicts and "noted" in verdicts


def test_without_watch_the_list_is_empty_and_says_so():
    with LiveServer(create_app()) as fake:
        assert httpx.get(f"{fake.url}/__mock__/violations").json() == {
            "watching": False,
            "judged": 0,
            "not_judged": {},
            "violations": [],
        }


def load_seed(path):
    """The seed ``mockserver serve --seed PATH`` starts with."""
    return serve_seed(path, demo=False)


def test_record_writes_the_real_creations_as_a_seed_the_fake_loads(tmp_path):
    target = tmp_path / "recorded.json"
    with watching(create_app(), record=target) as proxy:
        root = proxy.post("/conversations/5/messages", json={"message": "from the real API"}).json()
        proxy.post("/conversations/5/messages", json={"message": "a reply", "parent_id": root["id"]})
        proxy.post("/conversations/5/messages", content=b"not json", headers={"Content-Type": "text/plain"})
    lines = target.read_text().splitlines()
    assert len(lines) == 2  # one line a creation, each a seed document of its own
    for line in lines:
        validate("seed", json.loads(line))
    seed = load_seed(target)
    assert [(m.message, m.parent_id) for m in seed.messages] == [("from the real API", None), ("a reply", root["id"])]
    assert seed.conversations == (5,) and seed.users[0]["id"] == root["author"]["id"]
    with LiveServer(create_app(MockConfig(seed=seed))) as replay:
        listed = httpx.get(f"{replay.url}/__mock__/conversations/5/messages").json()["items"]
    assert [m["message"] for m in listed] == ["from the real API", "a reply"]
    assert listed[1]["parent"]["id"] == root["id"]


@pytest.mark.parametrize(
    ("kind", "title"),
    [("endless-body", "answer is not JSON"), ("gzip-bomb", "answer is not JSON"), ("nested-100000-deep", "not JSON")],
)
def test_a_hostile_real_api_is_flagged_and_passed_on_in_bounded_memory(kind, title):
    # The answers of "Hardening, second round": no end, a gigabyte from 1 MiB on the wire, nesting past reading.
    with serving(kind) as real:
        proxy = create_app(MockConfig(upstream=real, watch=True, upstream_timeout=5))
        tracemalloc.start()  # the peak of what the fake allocates, however briefly
        with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://127.0.0.1") as client:
            with client.stream("POST", "/conversations/1/messages", json={"message": "hi"}) as answer:
                received = 0
                for chunk in answer.iter_raw():  # the app gets the real bytes as sent; it stops reading when it likes
                    received += len(chunk)
                    if received > 8 * 2**20:
                        break
            assert answer.status_code == 201 and received
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            (violation,) = client.get("/__mock__/violations").json()["violations"]
            (entry,) = client.get("/__mock__/journal").json()["entries"]
    assert title in violation["title"] and violation["status"] == 201
    assert entry["proxied"] and entry["verdict"].startswith("violation:")
    assert peak < 64, f"{peak:.0f} MiB held for one answer"


#: What Chromium sends with a fetch() of JSON: every API a browser talks to sees these.
BROWSER_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Accept-Language": "en-US,en;q=0.9",
    "Origin": "http://localhost:5173",
    "Referer": "http://localhost:5173/",
    "Sec-Ch-Ua": '"Chromium";v="156", "Not.A/Brand";v="99"',
    "Sec-Fetch-Dest": "empty",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-site",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0"
    " Safari/537.36",
}


def compressing(app, coding: str):
    """``app`` behind a compressing layer, as most real APIs are: each answer in ``coding`` when the client takes it."""
    import gzip

    import brotli

    squeeze = {"gzip": gzip.compress, "br": brotli.compress}[coding]

    def wrapped(environ, start_response):
        if coding not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return app(environ, start_response)
        seen = {}

        def start(status, headers, exc_info=None):
            seen["head"] = status, headers
            return lambda data: None

        body = squeeze(b"".join(app(environ, start)))
        status, headers = seen["head"]
        kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*kept, ("Content-Encoding", coding), ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_compressed_answer_is_judged_decoded_and_reaches_the_client_as_sent(coding):
    # Before, every creation through an API that compresses was "answer is not JSON", and br was never decoded.
    with watching(compressing(create_app(), coding)) as proxy:
        answers = [
            proxy.post("/conversations/3/messages", json={"message": f"hello {n}"}, headers=BROWSER_HEADERS)
            for n in range(3)
        ]
        reply = proxy.post(
            "/conversations/3/messages",
            json={"message": "re", "parent_id": answers[0].json()["id"]},
            headers=BROWSER_HEADERS,
        )
        violations = proxy.get("/__mock__/violations").json()
        journal = proxy.get("/__mock__/journal").json()["entries"]
    for answer in [*answers, reply]:  # the client decodes what the real API sent, Content-Encoding and all
        assert answer.status_code == 201 and answer.headers["content-encoding"] == coding
    assert reply.json()["parent"]["id"] == answers[0].json()["id"]
    assert violations["violations"] == [] and violations["judged"] == 4
    assert [e["verdict"] for e in journal] == ["kept"] * 4
    assert json.loads(journal[0]["response_body"])["message"] == "hello 0"  # the journal shows it decoded


def test_the_violations_say_how_many_were_judged_and_why_the_rest_were_not():
    # Before, an unreachable real API gave "violations: []" and a CI job went green having judged nothing.
    proxy = create_app(MockConfig(upstream="http://127.0.0.1:9", watch=True))
    with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://127.0.0.1") as client:
        for _ in range(3):
            assert client.post("/conversations/1/messages", json={"message": "hi"}).status_code == 502
        listed = client.get("/__mock__/violations").json()
        journal = client.get("/__mock__/journal").json()["entries"]
    validate("violations", listed)
    assert listed["judged"] == 0 and listed["violations"] == []
    assert listed["not_judged"] == {"502 Bad Gateway: the upstream gave no answer": 3}
    assert all(e["verdict"].startswith("not judged: 502") for e in journal)


def test_record_under_concurrent_clients_answers_every_creation_and_keeps_every_one(tmp_path):
    # Before, 4 clients at once got 500s for creations the real API had made (one temporary name for all).
    target = tmp_path / "recorded.json"
    with watching(create_app(), record=target) as proxy:

        def create(n: int) -> int:
            return proxy.post(f"/conversations/{1 + n % 4}/messages", json={"message": f"m{n}"}).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(create, range(160)))
    assert statuses == [201] * 160
    seed = load_seed(target)
    assert sorted(m.message for m in seed.messages) == sorted(f"m{n}" for n in range(160))
    assert seed.conversations == (1, 2, 3, 4)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the recording is private


def test_record_follows_no_link_planted_beside_its_file(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "recorded.json"
    for planted in (target, tmp_path / "recorded.json.tmp"):
        planted.unlink(missing_ok=True)
        planted.symlink_to(victim)
        with watching(create_app(), record=target) as proxy:
            assert proxy.post("/conversations/1/messages", json={"message": "hi"}).status_code == 201
        assert victim.read_text() == "precious"
        assert not target.is_symlink() and [m.message for m in load_seed(target).messages] == ["hi"]


def test_a_recording_that_cannot_be_written_never_turns_a_creation_into_an_error(tmp_path, caplog):
    target = tmp_path / "recorded.json"
    with watching(create_app(), record=target) as proxy:
        proxy.post("/conversations/1/messages", json={"message": "kept"})
        recorder = sessions_of(proxy._transport.app).watch.recorder
        recorder.close()  # as a full disk would: every write now fails
        answer = proxy.post("/conversations/1/messages", json={"message": "lost"})
    assert answer.status_code == 201 and answer.json()["message"] == "lost"
    assert recorder.failed == 1 and "could not be written" in caplog.text
    assert [m.message for m in load_seed(target).messages] == ["kept"]


def test_a_recording_cut_short_in_its_last_line_still_loads(tmp_path):
    target = tmp_path / "recorded.json"
    with watching(create_app(), record=target) as proxy:
        for n in range(3):
            proxy.post("/conversations/1/messages", json={"message": f"m{n}"})
    text = target.read_text()
    target.write_text(text[: len(text) - 10])  # the fake stopped in the middle of writing the last line
    assert [m.message for m in load_seed(target).messages] == ["m0", "m1"]
