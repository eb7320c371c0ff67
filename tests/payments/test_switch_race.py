"""An admin switching online payments off while cards are added and invoices
paid, on SQLite and PostgreSQL.

The rule (docs/payments-rules.md): a charge is sent only if the switch, read
from the store after the payment was recorded and right before the processor
is called, was on. A switch-off that commits after that read does not stop
that charge. A card is saved only if the switch, read after the processor
calls and right before the append, was on.

Given a switch-off at each point of a payment or a card add, then exactly the
documented outcome; and under load, with a processor that takes real time and
an admin toggling the switch, no charge reaches the processor for a payment
that the recorded switch did not allow.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime
from domain.errors import OnlinePaymentsDisabled
from domain.processor import ChargeResult
from domain.provenance import Provenance
from domain.service import CardLedger
from tests.conftest import Clock
from tests.payments.faults import (
    CountingCharges,
    CrashAfterCharge,
    CrashBeforeCharge,
    SimulatedCrash,
)

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")
STOPPED = "online-payments-disabled"


@pytest.fixture
def sandbox(runtime: Runtime) -> SandboxProcessor:
    return runtime.ledger.processor  # type: ignore[return-value]


@pytest.fixture
def card(runtime: Runtime) -> str:
    """Given online payments on and a customer with a Visa (primary)."""
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    card_id = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    assert card_id
    return card_id


def switch(runtime: Runtime, on: bool) -> None:
    runtime.ledger.set_online_payments("acme", on, ADMIN)


def pay(runtime: Runtime, key: str = "key-1", invoice_id: str = "INV-1",
        customer: str = "1001") -> Any:
    by = Provenance(f"customer:{customer}", "portal")
    return runtime.ledger.pay_invoice("acme", customer, invoice_id=invoice_id, amount=12_50,
                                      currency="usd", by=by, idempotency_key=key)


def kinds(runtime: Runtime) -> list[str]:
    return [type(e).__name__ for e in runtime.ledger.customer_events("acme", "1001")]


# --- a switch-off at each point of a payment ---------------------------------------------------

def test_a_switch_off_committed_after_the_payment_was_recorded_stops_it_uncharged(
        runtime: Runtime, card: str, sandbox: SandboxProcessor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, save = runtime.ledger, runtime.ledger.save

    def save_then_admin_switches_off(*aggregates: Any) -> Any:
        recordings = save(*aggregates)
        if any(type(r.domain_event).__name__ == "PaymentStarted" for r in recordings):
            ledger.set_online_payments("acme", False, ADMIN)
        return recordings

    monkeypatch.setattr(ledger, "save", save_then_admin_switches_off)
    counting = ledger.processor = CountingCharges(sandbox)
    outcome = pay(runtime)
    assert kinds(runtime)[-2:] == ["PaymentStarted", "PaymentFailed"]
    assert (outcome.payment.status, outcome.payment.decline_code) == ("failed", STOPPED)
    assert outcome.payment.processor_payment_id is None
    assert counting.asked == 0 and sandbox.attempts == []


def test_a_switch_off_committed_while_the_charge_is_on_its_way_does_not_stop_it(
        runtime: Runtime, card: str, sandbox: SandboxProcessor) -> None:
    class AdminSwitchesOffMeanwhile(CountingCharges):
        def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
            switch(runtime, False)  # commits after the charge's read of the switch
            return super().charge(*args, **kwargs)

    runtime.ledger.processor = AdminSwitchesOffMeanwhile(sandbox)
    assert pay(runtime).payment.status == "succeeded"
    assert len(sandbox.attempts) == 1
    with pytest.raises(OnlinePaymentsDisabled):  # the next payment sees it off
        pay(runtime, key="key-2", invoice_id="INV-2")


def test_a_stopped_payment_does_not_hold_its_invoice_once_payments_are_back_on(
        runtime: Runtime, card: str, sandbox: SandboxProcessor, clock: Clock) -> None:
    runtime.ledger.processor = CrashBeforeCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime, key="key-1")
    switch(runtime, False)
    runtime.ledger.processor = sandbox
    clock.now += timedelta(seconds=61)
    assert pay(runtime, key="key-1").payment.decline_code == STOPPED
    switch(runtime, True)
    assert pay(runtime, key="key-2").payment.status == "succeeded"


def test_a_retry_after_the_switch_went_off_never_sends_an_attempt_that_was_not_sent(
        runtime: Runtime, card: str, sandbox: SandboxProcessor, clock: Clock) -> None:
    runtime.ledger.processor = CrashBeforeCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    switch(runtime, False)
    restarted = runtime.ledger.processor = CountingCharges(sandbox)
    clock.now += timedelta(seconds=61)  # past the first attempt's in-flight window
    outcome = pay(runtime)
    assert (outcome.replayed, outcome.payment.status, outcome.payment.decline_code) == (
        True, "failed", STOPPED)
    assert restarted.asked == 0 and sandbox.attempts == []
    again = pay(runtime)  # and that answer is the payment's from now on
    assert again.payment == outcome.payment and restarted.asked == 0


def test_a_retry_after_the_switch_went_off_still_records_a_charge_made_before(
        runtime: Runtime, card: str, sandbox: SandboxProcessor) -> None:
    runtime.ledger.processor = CrashAfterCharge(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime)
    switch(runtime, False)
    runtime.ledger.processor = sandbox
    outcome = pay(runtime)  # the money moved while the switch was on: record it
    assert outcome.payment.status == "succeeded" and len(sandbox.attempts) == 1


# --- a switch-off while a card is being added ----------------------------------------------------

def test_a_card_being_attached_when_the_switch_goes_off_is_not_saved_and_is_detached(
        runtime: Runtime, card: str, sandbox: SandboxProcessor) -> None:
    class AdminSwitchesOffDuringAttach(CountingCharges):
        def attach(self, customer_ref: str, token: str) -> None:
            switch(runtime, False)
            self.inner.attach(customer_ref, token)

    before = kinds(runtime)
    runtime.ledger.processor = AdminSwitchesOffDuringAttach(sandbox)
    with pytest.raises(OnlinePaymentsDisabled, match="switched off while the card"):
        runtime.ledger.add_card("acme", "1001", "pm_card_mastercard", by=ME)
    assert kinds(runtime) == before
    assert "pm_card_mastercard" not in sandbox.attached


# --- the switch is read from the store, whatever the application caches ------------------------

@pytest.fixture
def caching_ledger(store_settings: Settings, runtime: Runtime,
                   clock: Clock) -> Iterator[CardLedger]:
    """A second API process on the same store, whose repository caches
    aggregates and never brings a cached one up to date."""
    env = {**store_settings.event_store_env(), "AGGREGATE_CACHE_MAXSIZE": "100",
           "AGGREGATE_CACHE_FASTFORWARD": "n"}
    ledger = CardLedger(env, processor=SandboxProcessor(), clock=clock)
    yield ledger
    ledger.close()


def test_a_process_that_caches_aggregates_still_sees_a_switch_off_made_elsewhere(
        runtime: Runtime, card: str, caching_ledger: CardLedger) -> None:
    caching_ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=12_50,
                               currency="usd", by=ME, idempotency_key="key-1")
    switch(runtime, False)  # through the other process
    with pytest.raises(OnlinePaymentsDisabled):
        caching_ledger.pay_invoice("acme", "1001", invoice_id="INV-2", amount=12_50,
                                   currency="usd", by=ME, idempotency_key="key-2")
    assert len(caching_ledger.processor.attempts) == 1  # type: ignore[attr-defined]


# --- under load -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrival:
    """A charge as the processor saw it: which attempt, and how far the event
    log had got (its highest committed position) when the charge arrived."""

    attempt_id: str
    log_position: int


class LatentProcessor(CountingCharges):
    """The sandbox behind a network: every charge takes 10-60 ms."""

    def __init__(self, inner: SandboxProcessor, ledger: CardLedger) -> None:
        super().__init__(inner)
        self.ledger = ledger
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        arrival = Arrival(kwargs["attempt_id"], self.ledger.recorder.max_notification_id() or 0)
        with self._lock:
            self.arrivals.append(arrival)
        time.sleep(random.uniform(0.01, 0.06))  # noqa: S311
        return super().charge(*args, **kwargs)


def log_in_order(ledger: CardLedger) -> tuple[list[tuple[int, bool]], dict[str, int]]:
    """The switch's changes (position, on) and each payment's PaymentStarted
    position, in commit order: the notification log."""
    switches: list[tuple[int, bool]] = []
    started: dict[str, int] = {}
    for n in ledger.recorder.select_notifications(start=1, limit=10**6):
        event: Any = ledger.mapper.to_domain_event(n)
        name = type(event).__name__
        if name in ("OnlinePaymentsEnabled", "OnlinePaymentsDisabled"):
            switches.append((n.id, name == "OnlinePaymentsEnabled"))
        elif name == "PaymentStarted":
            started[event.payment_id] = n.id
    return switches, started


def allowed(switches: list[tuple[int, bool]], recorded_at: int, arrived_at: int) -> bool:
    """Whether the recorded switch could have allowed a charge for a payment
    recorded at ``recorded_at`` that reached the processor when the log was at
    ``arrived_at``: it was on when the payment was recorded, or was switched
    on between then and the charge's arrival (the charge's read of the switch
    lies between the two)."""
    on_when_recorded = [on for position, on in switches if position < recorded_at][-1]
    switched_on_since = any(on for position, on in switches
                            if recorded_at < position <= arrived_at)
    return on_when_recorded or switched_on_since


def test_no_charge_reaches_the_processor_unless_the_recorded_switch_allowed_it(
        runtime: Runtime) -> None:
    ledger = runtime.ledger
    customers = [f"cu{n}" for n in range(8)]
    switch(runtime, True)
    for customer in customers:
        ledger.add_card("acme", customer, "pm_card_visa", by=Provenance("user:jdoe", "office"))
    sandbox = ledger.processor
    assert isinstance(sandbox, SandboxProcessor)
    processor = ledger.processor = LatentProcessor(sandbox, ledger)
    done = threading.Event()

    def admin() -> None:
        while not done.is_set():
            time.sleep(random.uniform(0.05, 0.15))  # noqa: S311
            switch(runtime, False)
            time.sleep(random.uniform(0.05, 0.15))  # noqa: S311
            switch(runtime, True)

    def customer_pays(n: int) -> str:
        try:
            return str(pay(runtime, key=f"key-{n}", invoice_id=f"INV-{n}",
                           customer=customers[n % len(customers)]).payment.status)
        except OnlinePaymentsDisabled:
            return "refused"

    toggling = threading.Thread(target=admin)
    toggling.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(customer_pays, range(120)))
    finally:
        done.set()
        toggling.join()

    switches, started = log_in_order(ledger)
    # Every charge the processor received was allowed by the switch as recorded.
    forbidden = [a for a in processor.arrivals
                 if not allowed(switches, started[a.attempt_id], a.log_position)]
    assert forbidden == []
    # Every payment recorded ended: charged exactly when it succeeded, or failed
    # uncharged because the switch was off at its last moment.
    payments = [p for c in customers for p in ledger.payments("acme", c)]
    assert {p.status for p in payments} <= {"succeeded", "failed"}
    charged = {a.attempt_id for a in processor.arrivals}
    assert charged == {p.payment_id for p in payments if p.status == "succeeded"}
    assert all(p.decline_code == STOPPED for p in payments if p.status == "failed")
    assert len(processor.arrivals) == processor.asked == len(charged)  # each sent once
    # The race happened: payments were charged, and payments were refused or stopped.
    assert "succeeded" in answers and {"refused", "failed"} & set(answers)
    assert len(switches) > 2
