"""``--upstream --watch``: live traffic judged by the contract's rules; ``--record`` keeps it as a seed."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from message_api_kit.contracts import RunConfig, run
from message_api_kit.mockserver import LiveServer, MockConfig, Seed, create_app
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


def contract_run_through(client: httpx.Client) -> int:
    config = RunConfig(base_url=str(client.base_url), conversation=1, other_conversation=2, seed=0, max_examples=1)
    return run(config, client=client).exit_code


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_every_defect_a_contract_run_catches_is_flagged_when_its_requests_pass_the_proxy(name):
    with watching(BROKEN_FAKES[name]()) as proxy:
        assert contract_run_through(proxy) == 1
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
        assert httpx.get(f"{fake.url}/__mock__/violations").json() == {"watching": False, "violations": []}


def test_record_writes_the_real_creations_as_a_seed_the_fake_loads(tmp_path):
    target = tmp_path / "recorded.json"
    with watching(create_app(), record=target) as proxy:
        root = proxy.post("/conversations/5/messages", json={"message": "from the real API"}).json()
        proxy.post("/conversations/5/messages", json={"message": "a reply", "parent_id": root["id"]})
        proxy.post("/conversations/5/messages", content=b"not json", headers={"Content-Type": "text/plain"})
    doc = json.loads(target.read_text())
    validate("seed", doc)
    assert [(m["message"], m.get("parent_id")) for m in doc["messages"]] == [
        ("from the real API", None),
        ("a reply", root["id"]),
    ]
    assert doc["conversations"] == [5] and doc["users"][0]["id"] == root["author"]["id"]
    with LiveServer(create_app(MockConfig(seed=Seed.from_json(doc)))) as replay:
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
