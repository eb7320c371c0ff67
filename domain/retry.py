"""Optimistic concurrency: when another writer appended to the same aggregate
first, the whole load-decide-append step runs again from a fresh load."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import RecordConflictError

from domain.errors import VersionConflict

MAX_ATTEMPTS = 30
T = TypeVar("T")


def retry_on_conflict(step: Callable[[], T]) -> T:
    """``step`` loads, runs a command and saves; a lost race repeats it."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return step()
        except RecordConflictError:
            _backoff(attempt)
    raise VersionConflict("Too many concurrent changes; try again")


def _backoff(attempt: int) -> None:
    # Exponential and jittered, so racing writers stop colliding in lockstep.
    time.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.05)))  # noqa: S311
