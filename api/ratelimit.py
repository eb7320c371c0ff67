"""A per-key token bucket inside one API process.

A safety net against a runaway client, not the production rate limit: each
worker process keeps its own buckets, so the real limit across processes
belongs to the gateway in front of the API.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_second: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key_id: str) -> int:
        """0 when the request may go ahead, else whole seconds until it may."""
        if self.per_second <= 0:
            return 0
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self.per_second))
            self._buckets[key_id] = (tokens - 1, now)
            return 0
