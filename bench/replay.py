"""``contracts replay`` of a journal of 1,000 requests (``python -m bench.replay``).

An app's traffic is made against one fake (roots and replies in one conversation) and
journaled; a second fake, ``mockserver serve`` on its own CPU, stands for
the real server. The same 1,000 requests are sent to it once with a plain keep-alive client
(parents mapped by hand), then replayed from the journal (mapped, judged, compared), taking
turns over rounds. Goal: the replay takes no longer than sending them once plus a second.
"""

from __future__ import annotations

import json
import statistics
import time

import httpx

from bench._serve import PYTHON, pinned, process, report
from message_api_kit.contracts.replay import Journaled, read_journal, replay
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import LiveServer, MockConfig, create_app

REQUESTS, ROUNDS = 1000, 3
SERVE = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]


def journal(requests: int = REQUESTS) -> list[Journaled]:
    """An app's traffic, journaled by a fake: every third message a reply to the one before."""
    with LiveServer(create_app(MockConfig(journal_size=requests))) as fake, httpx.Client(base_url=fake.url) as app:
        last = None
        for n in range(requests):
            body: dict[str, object] = {"message": f"message {n}"}
            if n % 3 == 2 and last is not None:
                body["parent_id"] = last
            last = app.post("/conversations/1/messages", json=body).json()["id"]
        return read_journal(app.get("/__mock__/journal", params={"limit": requests}).text)


def send_once(url: str, entries: list[Journaled], conversation: int) -> float:
    """Seconds to send the journal's requests once, parents mapped by hand: the floor a replay is held to."""
    ids: dict[int, int] = {}
    started = time.perf_counter()
    with httpx.Client(base_url=url) as client:
        for entry in entries:
            body = json.loads(entry.body)
            if "parent_id" in body:
                body["parent_id"] = ids[body["parent_id"]]
            answer = client.post(f"/conversations/{conversation}/messages", json=body)
            ids[json.loads(entry.answer)["id"]] = answer.json()["id"]
    return time.perf_counter() - started


def replayed(url: str, entries: list[Journaled], conversation: int) -> tuple[float, int]:
    """Seconds to replay the journal, and how many requests failed."""
    started = time.perf_counter()
    transport = Transport(url)
    try:
        result = replay(entries, transport, conversation)
    finally:
        transport.close()
    assert result.exit_code in (0, 1), result.unreachable
    return time.perf_counter() - started, sum(o.status == "failed" for o in result.outcomes)


def measure() -> list[str]:
    """Every figure, as lines."""
    entries = journal()
    once, again, failed = [], [], []
    with process(pinned(1, SERVE)) as real:
        for n in range(ROUNDS):
            conversation = 10 + n
            if n % 2:
                took, bad = replayed(real.url, entries, conversation)
                once.append(send_once(real.url, entries, 100 + n))
            else:
                once.append(send_once(real.url, entries, 100 + n))
                took, bad = replayed(real.url, entries, conversation)
            again.append(took)
            failed.append(bad)
    sent, took = statistics.median(once), statistics.median(again)
    met = took <= sent + 1
    return [
        f"{len(entries):,} journaled creations (a third of them replies), {ROUNDS} rounds taking turns: sent once"
        f" {sent:.2f} s, replayed (mapped, judged, compared) {took:.2f} s, {max(failed)} failed;"
        f" the replay's cost over sending {took - sent:+.2f} s (goal: at most +1 s: {'met' if met else 'NOT met'})",
    ]


if __name__ == "__main__":
    print(report(measure()))
