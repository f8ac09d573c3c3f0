"""One memory budget for a fake: snapshots share what has not changed, and a write past the budget is a 507."""

from __future__ import annotations

import json

import httpx
import pytest

from message_api_kit.mockserver import MockConfig, Store
from message_api_kit.mockserver.memory import CHECK_EVERY, INDEX_BYTES, MemoryBudget, resident_bytes
from message_api_kit.mockserver.store import OverBudget
from tests.serving import served

MiB = 1024 * 1024


class Meter:
    """A resident memory the test sets."""

    def __init__(self, used: int) -> None:
        self.used = used
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.used


def filled(store: Store, count: int) -> Store:
    for n in range(count):
        store.create_message(1 + n % 3, f"message {n}")
    return store


def test_snapshots_share_the_tables_until_the_session_changes():
    store = filled(Store(MockConfig()), 50)
    first = store.take_snapshot("a")
    second = store.take_snapshot("b")
    assert first.messages is second.messages, "no change between them: one copy"
    store.create_message(1, "after")
    third = store.take_snapshot("c")
    assert third.messages is not first.messages
    assert len(first.messages) == 50 and len(third.messages) == 51, "the write copied: the snapshot kept its state"
    store.restore_snapshot("a")
    assert len(store) == 50
    store.create_message(2, "after the restore")
    assert len(first.messages) == 50 and len(store) == 51, "a write after a restore does not reach the snapshot"
    store.restore_snapshot("a")
    assert [m.text for m in store.page(2, 0, 100)[0]][-1] == "message 49"


def test_the_budget_reads_the_memory_once_a_mebibyte_and_every_time_once_over():
    meter = Meter(10 * MiB)
    budget = MemoryBudget(20 * MiB, read=meter)
    assert budget.room_for(1000) is None and meter.reads == 0, "small writes are not measured one by one"
    assert budget.room_for(CHECK_EVERY) is None and meter.reads == 1
    meter.used = 20 * MiB
    assert budget.room_for(CHECK_EVERY) == 20 * MiB
    assert budget.room_for(10) == 20 * MiB and meter.reads == 3, "over: every write is measured"
    meter.used = 5 * MiB  # something was freed
    assert budget.room_for(10) is None
    assert budget.room_for(10) is None and meter.reads == 4, "back under: a mebibyte between readings again"
    assert MemoryBudget(None, read=meter).room_for(10**12) is None


def test_a_write_past_the_budget_changes_nothing():
    meter = Meter(0)
    count = CHECK_EVERY // INDEX_BYTES + 1  # a copy of the tables large enough to be measured
    store = filled(Store(MockConfig(), memory=MemoryBudget(100 * MiB, read=meter)), count)
    store.take_snapshot("base")
    meter.used = 100 * MiB - count * INDEX_BYTES + 1
    with pytest.raises(OverBudget, match=f"no room for a copy of this session's {count} messages"):
        store.create_message(1, "one too many")
    assert len(store) == count
    meter.used = 0
    assert store.create_message(1, "room again").text == "room again"  # the session has its own copy now
    meter.used = 100 * MiB
    with pytest.raises(OverBudget, match="no room for another message"):
        store.create_message(1, "x" * CHECK_EVERY)  # large enough to be measured
    assert len(store) == count + 1 and len(store.snapshots()[0][1].messages) == count


@pytest.mark.slow
def test_the_served_fake_refuses_past_its_budget_with_a_507_and_gives_memory_back():
    body = {"messages": [{"conversation": 1, "message": f"{'x' * 200} {n}"} for n in range(2000)]}
    headers = {"X-Mock-Session": "big", "X-Mock-Admin": "1"}
    with served("--no-demo", "--max-memory", "96") as fake, httpx.Client(base_url=fake.url, timeout=30) as client:
        for _ in range(200):
            answer = client.post("/__mock__/seed", json=body, headers=headers)
            if answer.status_code != 200:
                break
        assert answer.status_code == 507, answer.text[:300]
        problem = answer.json()
        assert problem["type"] == "urn:mockserver:problem:insufficient-storage"
        assert "of its 96 MiB memory budget" in problem["detail"] and "--max-memory" in problem["detail"]
        stored = client.get("/__mock__/conversations/1/messages", headers=headers).json()["total"]
        assert stored % 2000 == 0 and stored > 0, "a seed is all or nothing"
        assert client.get("/__mock__/journal").status_code == 200, "reads go on"
        refused = client.post("/conversations/1/messages", json={"message": "more"}, headers=headers)
        assert refused.status_code == 507
        assert client.delete("/__mock__/sessions/big", headers={"X-Mock-Admin": "1"}).status_code == 204
        again = client.post("/conversations/1/messages", json={"message": "room again"})
        assert again.status_code == 201 and again.json()["message"] == "room again"


def test_resident_bytes_is_this_process_memory():
    assert 1 * MiB < resident_bytes() < 64 * 1024 * MiB


@pytest.mark.slow
def test_what_grows_with_traffic_stays_within_the_budget_served():
    # The mix of "the fake keeps its budgets": large headers (journaled, refused or not), journal reads in every
    # session, snapshots of many conversations. Before: 49 to 150 MiB from headers, 311 MiB on one journal read,
    # 46 to 320 MiB from snapshots, all under --max-memory 100. Measured as the system sees it: resident memory.
    budget = 100
    big = {"X-Padding": "p" * 60_000, "X-Other": "o" * 60_000}
    with (
        served("--no-demo", "--max-memory", str(budget), "--max-sessions", "4") as fake,
        httpx.Client(base_url=fake.url, timeout=30) as client,
    ):
        peak = fake.rss_kib()
        for session in ("a", "b", "c", "d", None):
            headers = {**big, **({"X-Mock-Session": session} if session else {})}
            for n in range(300):
                body = {"message": "m" * 6000 + str(n)}
                client.post(f"/conversations/{n % 7 + 1}/messages", json=body, headers=headers)
            journal = client.get("/__mock__/journal", headers={k: v for k, v in headers.items() if k.startswith("X-M")})
            assert journal.status_code == 200
            entry = journal.json()["entries"][-1]
            sent = len(json.dumps(body, separators=(",", ":")))
            assert (len(entry["request_body"]), entry["request_body_length"]) == (4096, sent)  # cut, whole said
            name, said = entry["request_headers"][-1]
            assert name == "(cut)" and said.endswith("characters of headers in all, 8192 kept"), said
            peak = max(peak, fake.rss_kib())
        seeded = {"conversations": list(range(1, 100_001))}
        client.post("/__mock__/seed", json=seeded, headers={"X-Mock-Session": "a"})
        for n in range(64):
            client.post("/__mock__/snapshots", json={"name": f"s{n}"}, headers={"X-Mock-Session": "a"})
            peak = max(peak, fake.rss_kib())
    assert peak / 1024 < budget * 1.2, f"peak {peak / 1024:.0f} MiB against a {budget} MiB budget"
