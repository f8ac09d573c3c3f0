"""Requests waiting on someone else, apart from the requests worked on: their turns and the work gate."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from message_api_kit.mockserver.waiting import Turns, work_gate


def test_past_the_limit_a_body_is_refused_at_once_and_a_turn_given_back_is_free_again():
    budget = Turns(2)
    assert budget.enter() and budget.enter() and budget.held == 2
    started = time.monotonic()
    assert budget.enter() is False
    assert time.monotonic() - started < 0.1, "a refused request gives its thread back at once"
    budget.leave()
    assert budget.enter() is True and budget.held == 2


def test_the_gate_works_on_at_most_its_limit_at_once_and_the_rest_wait_their_turn():
    gate, lock = work_gate(3), threading.Lock()
    inside, most = [0], [0]

    def work(_: int) -> None:
        with gate:
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with lock:
                inside[0] -= 1

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(work, range(48)))
    assert most[0] == 3  # every request was worked on, never more than three at once


def test_without_a_limit_the_gate_bounds_nothing():
    gate, barrier = work_gate(None), threading.Barrier(8, timeout=5)

    def work(_: int) -> None:
        with gate:
            barrier.wait()  # all eight inside at once, or this times out

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
