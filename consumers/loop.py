"""The loop the relay and the consumers run in: a step over and over, backing
off exponentially (jittered, capped) while it fails, so a broker outage costs
retries, not a crash, and many processes don't retry in lockstep."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

log = logging.getLogger("cardledger.consumers")


class Loop:
    def __init__(self, name: str, step: Callable[[], int], *, idle_wait: float = 0.0,
                 max_backoff: float = 30.0) -> None:
        self.name = name
        self.step = step  # returns how much it did; 0 means idle
        self.idle_wait = idle_wait
        self.max_backoff = max_backoff
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_forever(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                done = self.step()
            except Exception as e:  # noqa: BLE001 (any failure: back off, the work comes again)
                failures += 1
                jitter = random.uniform(0.5, 1.0)  # noqa: S311 (not for secrets)
                delay = min(self.max_backoff, 0.1 * 2**failures) * jitter
                log.warning("%s failed (attempt %d, retry in %.1fs): %s",
                            self.name, failures, delay, e)
                self._stopping.wait(delay)
                continue
            if failures:
                log.warning("%s recovered after %d failed attempt(s)", self.name, failures)
                failures = 0
            if not done and self.idle_wait:
                self._stopping.wait(self.idle_wait)

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
