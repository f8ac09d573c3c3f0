"""The benchmarks' own code still runs (no timing is asserted: figures belong in bench/RESULTS.md)."""

import re

import httpx
import pytest

from bench import store_growth
from bench._serve import PYTHON, process


def test_a_stored_message_costs_at_most_400_bytes_beyond_its_text():
    # Memory is counted by tracemalloc, not timed, so the benchmark's memory goal is held here too.
    assert 0 < store_growth.bytes_per_message(count=20_000) <= 400


@pytest.mark.slow
def test_store_growth_measures_every_size_in_its_own_worker():
    rows = store_growth.measure(sizes=(10, 20), rounds=2, batch=2)
    assert [row["size"] for row in rows] == [10, 20]
    assert all(row["create_us"] > 0 and row["gc_ms"] >= 0 for row in rows)
    assert "largest store beside smallest" in store_growth.report(rows, 200.0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [["bench.floor_app", "2"], ["bench.on_waitress", "floor", "2"], ["bench.on_waitress", "fake", "2"]],
    ids=["floor-on-granian", "floor-on-waitress", "fake-on-waitress"],
)
def test_each_baseline_server_answers_a_creation_and_prints_its_url(argv):
    with process([PYTHON, "-m", *argv]) as server:
        answer = httpx.post(f"{server.url}/conversations/1/messages", json={"message": "hi"})
        assert server.pid in server.worker_pids()
    assert answer.status_code == 201 and answer.json()["type"] == "text"


@pytest.mark.slow
def test_the_serving_bench_counts_what_an_upload_made_the_server_read():
    from bench import serving

    with process([PYTHON, "-m", "message_api_kit.mockserver", "serve", "--port", "0", "--no-demo"]) as server:
        refused = serving.upload(server, expect=True, count_reads=False)
        timed = serving.latencies("127.0.0.1", int(server.url.rsplit(":", 1)[1]), 0.2)
    assert "413" in refused and "'100 Continue' sent: no" in refused
    assert timed.failures == 0 and timed.create and timed.admin


@pytest.mark.slow
def test_the_serving_bench_parks_uploads_and_counts_what_fails_past_the_limit():
    from bench import serving

    beside = serving.many_uploads(6, 8, seconds=0.2, settle=0.3)
    past = serving.many_uploads(8, 8, seconds=0.2, settle=0.3)
    assert beside.startswith("6 slow uploads, --max-uploads 8: create") and " 0 failed" in beside
    assert "MiB resident" in beside and "threads" in beside
    total, failed = (int(n) for n in re.findall(r"(\d+) requests, (\d+) failed", past)[0])
    assert total and failed == total // 2  # every creation refused (a 503 at once), every admin read served


def test_the_seed_sweep_expects_the_right_verdicts_and_gets_them():
    from bench import seed_sweep

    jobs = seed_sweep.jobs(broken_seeds=2, correct_seeds=1)
    assert ("message-trimmed", 1, False, 1) in jobs
    assert ("(the fake)", 0, True, 0) in jobs
    assert ("go-like", 0, False, 0) in jobs and ("go-like", 0, True, 1) in jobs
    assert ("parent-as-id", 0, True, 0) in jobs
    for job in [("message-trimmed", 0, False, 1), ("go-like", 0, True, 1), ("go-like", 0, False, 0)]:
        assert seed_sweep.verdict(job) == (job, job[3])
    text = seed_sweep.report({"broken_seeds": 2, "correct_seeds": 1, "runs": 3, "wrong": [], "seconds": 1.0})
    runs = 2 * len(seed_sweep.BROKEN_FAKES)  # derived from the data: two seeds of every broken fake
    assert f"broken fakes caught: {runs}/{runs} runs" in text and "false alarms on correct servers: 0 in" in text


def test_the_state_file_bench_weighs_both_formats_on_the_same_rows(tmp_path):
    from bench import state_file

    memory = state_file.memory_per_message(tmp_path, count=2_000)
    assert memory["created bytes"] > 0 and memory["loaded bytes"] > 0
    with open(tmp_path / "j.jsonl", "w", encoding="utf-8") as journal:
        append = state_file._appender(journal, fsync=False)
        append(state_file._row(1))
    assert (tmp_path / "j.jsonl").read_text().startswith("[1, 2, ")


def test_the_diff_bench_finds_no_false_alarm_and_no_contract_difference_after_calibration():
    from bench import diff_seeds

    r = diff_seeds.measure(seeds=2, names=diff_seeds.MODELLED)  # the real servers' processes: in the bench
    assert all(alarms == [] for alarms in r["self"].values())
    assert set(r["stacks"]) == set(diff_seeds.MODELLED)
    assert all(s["contract"] == 0 and s["exits"] == 0 for s in r["stacks"].values())
    text = diff_seeds.report(r)
    assert "differences at 0 of 2 seeds" in text and "after: 0 contract differences" in text


def test_the_throughput_report_says_each_goal_and_names_a_missed_one_loudly():
    from bench import throughput

    def server(rps, p99, fake_ratio):
        return {"rps": rps, "p99_ms": p99, "errors": 0, "fake_ratio": fake_ratio}

    figures = {
        "floor on waitress": server(1000, 20, 3.0),  # the fake 3x it
        "fake on waitress": server(3000, 10, 1.0),
        throughput.FLOOR: server(4000, 10, 0.75),  # the fake at 3000 req/s: 0.75x the floor
        throughput.FAKE: server(3000, 9, 1.0),
        throughput.STATE_FILE: server(3500, 9, 0.86),
        throughput.UPSTREAM: server(3000, 9, 1.0),
    }
    text = throughput.report(figures)
    missed = [line for line in text.splitlines() if line.startswith("GOAL MISSED")]
    assert missed == ["GOAL MISSED fake / floor on granian, requests per second: 0.75 (goal >= 0.90)"]
    assert sum(line.startswith("met ") for line in text.splitlines()) == len(throughput.GOALS) - 1
