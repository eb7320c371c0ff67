"""The loop every follower of the event log runs (projections/log_follower.py):
given a step that has work, fails or recovers, when the loop runs it, then it
neither idles while there is work nor keeps counting a failure it got over."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from projections.log_follower import Loop


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def scripted(*outcomes: int | Exception) -> tuple[Callable[[], int], list[float]]:
    """A step that answers ``outcomes`` in turn (a number: work done; an exception:
    raised), then has nothing to do; and the instants it was called at."""
    calls: list[float] = []

    def step() -> int:
        calls.append(time.monotonic())
        if len(calls) > len(outcomes):
            return 0
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return step, calls


def test_a_loop_with_work_to_do_runs_the_next_step_at_once_without_idling() -> None:
    # given a step with three batches of work, in a loop that idles 10 s when there is none
    step, calls = scripted(5, 5, 5)
    loop = Loop("test", step, idle_wait=10.0)
    # when the loop runs
    started = time.monotonic()
    loop.start()
    try:
        assert wait_until(lambda: len(calls) >= 4, timeout=3)
    finally:
        loop.stop()
    # then the three batches and the first idle step came within moments, not 10 s apart
    assert calls[3] - started < 2


def test_a_loop_logs_a_recovery_once_and_counts_the_next_failure_from_one(
        caplog: pytest.LogCaptureFixture) -> None:
    # given a step that fails, recovers for two steps, then fails once more and recovers
    step, calls = scripted(OSError("down"), 1, 1, OSError("down again"), 1, 1)
    loop = Loop("test", step, max_backoff=0.05)
    # when the loop runs through it
    with caplog.at_level(logging.WARNING, logger="cardledger.follow"):
        loop.start()
        try:
            assert wait_until(lambda: len(calls) >= 7, timeout=5)
        finally:
            loop.stop()
    # then each failure is attempt 1, and each recovery is logged once
    assert [r.getMessage().split(",")[0] for r in caplog.records] == [
        "test failed (attempt 1", "test recovered after 1 failed attempt(s)",
        "test failed (attempt 1", "test recovered after 1 failed attempt(s)"]
