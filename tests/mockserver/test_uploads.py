"""The budget of bodies read at once: slow uploads are refused at once, fast bodies under load wait their turn."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

from message_api_kit.mockserver.uploads import MAX_WAIT, SLOW_AFTER, UploadBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_past_the_limit_a_request_is_refused_at_once_when_slow_uploads_hold_every_turn():
    clock = Clock()
    budget = UploadBudget(2, clock)
    with ExitStack() as held:
        assert all(held.enter_context(budget.reading()) for _ in range(2))
        clock.now += SLOW_AFTER + 0.1  # both reads are slow uploads now
        assert budget.slow() == 2
        started = time.monotonic()
        with budget.reading() as turn:
            assert turn is False
        assert time.monotonic() - started < MAX_WAIT / 2, "a refused request gives its thread back at once"
    with budget.reading() as turn:  # the slow ones ended: their turns are free again
        assert turn is True
    assert budget.slow() == 0


def test_a_body_waits_for_a_turn_held_by_a_fast_read_and_gets_it():
    budget = UploadBudget(1)
    released = threading.Event()
    got: list[bool] = []

    def wait_for_turn() -> None:
        with budget.reading() as turn:
            got.append(turn and released.is_set())

    with budget.reading() as first:
        assert first
        waiting = threading.Thread(target=wait_for_turn)
        waiting.start()
        time.sleep(0.2)  # young: the waiter waits rather than being refused
        assert got == []
        released.set()
    waiting.join(5)
    assert got == [True]


def test_a_turn_held_too_long_by_reads_that_look_fast_refuses_after_the_longest_wait():
    budget = UploadBudget(1, Clock())  # a clock that stands still: the read in progress stays young
    with budget.reading():
        started = time.monotonic()
        with budget.reading() as turn:
            assert turn is False
        assert MAX_WAIT * 0.9 <= time.monotonic() - started < MAX_WAIT + 1
