"""The per-key token bucket: a burst, then 429 with Retry-After, per key."""

from __future__ import annotations

from pathlib import Path

from api.ratelimit import RateLimiter
from tests.api.conftest import api_for, base_settings, serving
from tests.api.test_errors import assert_problem


def test_a_key_past_its_burst_gets_429_while_other_keys_go_on(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, api_rate_limit_per_second=0.5, api_rate_limit_burst=3)
    with serving(settings) as live:
        api = api_for(live)
        statuses = [api.online_payments(as_="office").status_code for _ in range(3)]
        limited = api.online_payments(as_="office")
        assert statuses == [200, 200, 200]
        assert_problem(limited, 429, "rate-limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert api.online_payments(as_="auditor").status_code == 200
        api.close()


def test_the_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_second=2, burst=2, clock=lambda: now[0])
    assert [limiter.take("k"), limiter.take("k")] == [0, 0]
    assert limiter.take("k") == 1
    now[0] += 0.5  # one token back
    assert (limiter.take("k"), limiter.take("k")) == (0, 1)


def test_a_rate_of_zero_switches_limiting_off() -> None:
    limiter = RateLimiter(per_second=0, burst=1)
    assert all(limiter.take("k") == 0 for _ in range(100))
