"""The memory budget of ``mockserver serve`` (``python -m bench.memory``).

1. Sharing: one session seeded with 120,000 messages, then 64 snapshots taken: the resident
   memory before and after the snapshots (they share the session's tables until it changes).
2. The budget: ``--max-memory 512``; 64 sessions, each seeded in batches until the fake answers
   507, with a snapshot taken between batches; the peak resident memory of the serving process
   (its worker), sampled after every request. Goal: under the budget plus 20%. Then every
   session is deleted: the memory the fake gives back.

Linux only (/proc).
"""

from __future__ import annotations

import json
import sys

import httpx

from bench._serve import PYTHON, Running, process, report

MiB = 1024 * 1024
BUDGET_MIB = 512
SESSIONS = 64
BATCH = 4000
SHARED_MESSAGES, SNAPSHOTS = 120_000, 64


def _rss(server: Running) -> int:
    """The resident bytes of the process that serves (granian's worker), from /proc."""
    pid = server.worker_pids()[-1]
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def _batch(start: int, size: int = BATCH) -> bytes:
    text = "a message of about sixty characters, as a chat has many of: "
    messages = [{"conversation": 1 + i % 10, "message": f"{text}{start + i}"} for i in range(size)]
    return json.dumps({"messages": messages}).encode()


def _client(server: Running, session: str) -> httpx.Client:
    headers = {"X-Mock-Session": session, "X-Mock-Admin": "1", "Content-Type": "application/json"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def sharing() -> list[str]:
    """Resident memory of one large session before and after 64 snapshots of it."""
    argv = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]
    with process(argv) as server, _client(server, "big") as client:
        for start in range(0, SHARED_MESSAGES, BATCH):
            client.post("/__mock__/seed", content=_batch(start)).raise_for_status()
        before = _rss(server)
        for n in range(SNAPSHOTS):
            client.post("/__mock__/snapshots", json={"name": f"s{n}"}).raise_for_status()
        after = _rss(server)
        client.post("/conversations/1/messages", json={"message": "one change"}).raise_for_status()
        changed = _rss(server)
    return [
        f"{SHARED_MESSAGES} messages in one session: {before / MiB:.0f} MiB resident;"
        f" after {SNAPSHOTS} snapshots {after / MiB:.0f} MiB (+{(after - before) / MiB:.1f});"
        f" after one more message (the session's own copy) {changed / MiB:.0f} MiB"
    ]


def budget() -> list[str]:
    """64 sessions seeded to the budget, with snapshots: the peak resident memory, and what deletion gives back."""
    argv = [PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]
    with process([*argv, "--max-memory", str(BUDGET_MIB), "--max-sessions", str(SESSIONS)]) as server:
        start_rss = peak = _rss(server)
        refused = stored = snapshots = 0
        for n in range(SESSIONS):
            with _client(server, f"s{n}") as client:
                for batch in range(10_000):
                    answer = client.post("/__mock__/seed", content=_batch(batch * BATCH))
                    peak = max(peak, _rss(server))
                    if answer.status_code == 507:
                        refused += 1
                        break
                    answer.raise_for_status()
                    stored += BATCH
                    made = client.post("/__mock__/snapshots", json={"name": f"after-{batch}"})
                    snapshots += made.status_code == 201
                    peak = max(peak, _rss(server))
        full = _rss(server)
        with httpx.Client(base_url=server.url, headers={"X-Mock-Admin": "1"}, timeout=60) as client:
            for n in range(SESSIONS):
                client.delete(f"/__mock__/sessions/s{n}")
        emptied = _rss(server)
    goal = BUDGET_MIB * 1.2
    return [
        f"--max-memory {BUDGET_MIB}: started at {start_rss / MiB:.0f} MiB; {SESSIONS} sessions seeded until refused:"
        f" {stored} messages stored, {snapshots} snapshots, {refused} seeds refused with 507",
        f"  peak resident {peak / MiB:.0f} MiB (goal: under {goal:.0f}, the budget plus 20%:"
        f" {'met' if peak < goal * MiB else 'NOT met'}); {full / MiB:.0f} MiB at the end",
        f"  after deleting every session: {emptied / MiB:.0f} MiB",
    ]


def measure() -> list[str]:
    """Every figure, as lines."""
    if not sys.platform.startswith("linux"):
        raise SystemExit("bench.memory reads /proc: Linux only")
    return [*sharing(), *budget()]


if __name__ == "__main__":
    print(report(measure()))
