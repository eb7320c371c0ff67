"""The retry worker never charges twice: killed between the charge and its
record, or two workers at once, with a processor that takes real time to
answer. Both stores."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from cardledger.autopay_jobs import make_due_retries
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from domain.processor import ChargeResult
from tests.autopay.support import COMPANY, CUSTOMER, charge, customer_with
from tests.builders import OFFICE
from tests.conftest import Clock
from tests.payments.faults import SimulatedCrash

SOFT = "pm_card_chargeDeclinedInsufficientFunds"


class SlowSandbox(SandboxProcessor):
    """A sandbox that answers as slowly as a real processor, counts every
    charge sent to it, and can die right after one went through."""

    def __init__(self, latency: float = 0.3) -> None:
        super().__init__()
        self.latency = latency
        self.sent: list[str] = []  # attempt ids, one per charge request received
        self.crash_after_charge = False
        self._lock = threading.Lock()

    def charge(self, token: str, *args: Any, **kwargs: Any) -> ChargeResult:
        time.sleep(self.latency)
        with self._lock:
            self.sent.append(kwargs["attempt_id"])
            result = super().charge(token, *args, **kwargs)
        if self.crash_after_charge:
            self.crash_after_charge = False
            raise SimulatedCrash
        return result


@pytest.fixture
def processor() -> SlowSandbox:
    return SlowSandbox()


@pytest.fixture
def runtime(store_settings: Settings, clock: Clock, processor: SlowSandbox) -> Iterator[Runtime]:
    with open_runtime(store_settings, processor=processor, clock=clock,
                      run_projector=False) as rt:
        yield rt


def scheduled_retry(runtime: Runtime, clock: Clock, processor: SlowSandbox) -> str:
    """Given a charge whose soft decline scheduled a retry, and the customer
    since added a good card as primary; the retry is due now."""
    customer_with(runtime, SOFT, fallback=False, schedule=(1,))
    outcome = charge(runtime)
    assert outcome.charge.status == "retry_scheduled"
    runtime.ledger.add_card(COMPANY, CUSTOMER, "pm_card_visa", make_primary=True, by=OFFICE)
    clock.now += timedelta(days=1)
    processor.sent.clear()
    return outcome.charge.charge_id


def test_a_worker_killed_between_charge_and_record_is_followed_by_one_that_records_it(
        runtime: Runtime, clock: Clock, processor: SlowSandbox) -> None:
    charge_id = scheduled_retry(runtime, clock, processor)
    processor.crash_after_charge = True
    with pytest.raises(SimulatedCrash):
        make_due_retries(runtime)
    assert len(processor.sent) == 1
    assert make_due_retries(runtime) == Counter()  # in its window: not offered yet
    # Offered again once the window ends; the processor has the charge, so it
    # is recorded, not sent again.
    clock.now += timedelta(seconds=61)
    assert make_due_retries(runtime) == Counter({"succeeded": 1})
    assert len(processor.sent) == 1
    final = runtime.ledger.autopay.get_charge(COMPANY, CUSTOMER, charge_id)
    assert final.status == "succeeded" and final.attempts[-1].processor_payment_id


def test_a_worker_killed_before_the_processor_answered_is_resumed_after_the_window(
        runtime: Runtime, clock: Clock, processor: SlowSandbox) -> None:
    charge_id = scheduled_retry(runtime, clock, processor)
    real_charge = processor.charge

    def dies_on_the_way(*args: Any, **kwargs: Any) -> ChargeResult:
        raise SimulatedCrash  # the request never reached the processor

    processor.charge = dies_on_the_way  # type: ignore[method-assign]
    with pytest.raises(SimulatedCrash):
        make_due_retries(runtime)
    processor.charge = real_charge  # type: ignore[method-assign]
    assert make_due_retries(runtime) == Counter()  # in its window: not offered yet
    clock.now += timedelta(seconds=61)
    assert make_due_retries(runtime) == Counter({"succeeded": 1})
    assert len(processor.sent) == 1
    assert runtime.ledger.autopay.get_charge(COMPANY, CUSTOMER, charge_id).status == "succeeded"


def test_two_workers_at_once_charge_once(runtime: Runtime, clock: Clock,
                                         processor: SlowSandbox) -> None:
    charge_id = scheduled_retry(runtime, clock, processor)
    results: list[Counter[str]] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        results.append(make_due_retries(runtime))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(processor.sent) == 1
    total = sum(results, Counter())
    assert total["succeeded"] == 1 and total["busy"] + total["nothing"] == 1, total
    assert runtime.ledger.autopay.get_charge(COMPANY, CUSTOMER, charge_id).status == "succeeded"


def test_an_office_request_that_died_after_the_charge_is_settled_by_the_worker(
        runtime: Runtime, clock: Clock, processor: SlowSandbox) -> None:
    customer_with(runtime, "pm_card_visa")
    processor.crash_after_charge = True
    with pytest.raises(SimulatedCrash):
        charge(runtime)
    clock.now += timedelta(seconds=61)
    assert make_due_retries(runtime) == Counter({"succeeded": 1})
    assert len(processor.sent) == 1
    again = charge(runtime)  # the office retries its request: the same charge, no new one
    assert again.replayed and again.charge.status == "succeeded"
    assert len(processor.sent) == 1
