"""Payment rules of the Customer aggregate: given past events -> when a
command -> then new events or an error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.customer import Customer
from domain.errors import (
    CardExpired,
    IdempotencyKeyRequired,
    InvalidAmount,
    InvalidCommand,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    NoSuchCard,
    OnlinePaymentsDisabled,
)
from domain.payments import check_payment_request
from domain.processor import CardDetails, ChargeResult
from tests.domain.scenario import CUSTOMER, TODAY, added, deleted, given, kinds, when

WINDOW_END = datetime(2026, 11, 25, 12, 1, tzinfo=UTC)
SOON_EXPIRED = CardDetails("visa", "1111", 11, 2026, "fp-soon")


def started(payment_id: str, card_id: str | None = None, *, online: bool = True,
            today: date = TODAY, amount: int = 1250, invoice_id: str = "INV-1",
            additional: bool = False) -> Callable[[Customer], Any]:
    def step(customer: Customer) -> Any:
        return customer.start_payment(
            payment_id, invoice_id=invoice_id, amount=amount, currency="usd", card_id=card_id,
            online_payments=online, today=today, in_flight_until=WINDOW_END, by=CUSTOMER,
            idempotency_key="key-" + payment_id, request_hash="hash-" + payment_id,
            additional=additional)
    return step


def finished(payment_id: str, result: ChargeResult) -> Callable[[Customer], Any]:
    def step(customer: Customer) -> Any:
        return customer.finish_payment(payment_id, result, by=CUSTOMER,
                                       idempotency_key="key-" + payment_id,
                                       request_hash="hash-" + payment_id)
    return step


def test_a_payment_without_a_chosen_card_starts_on_the_primary_card() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"))
    events = when(customer, started("p1"))
    assert kinds(events) == ["PaymentStarted"]
    assert (events[0].card_id, events[0].amount, events[0].currency) == ("c1", 1250, "usd")
    assert customer.payments["p1"].status == "started"


def test_a_payment_on_a_chosen_card_starts_on_that_card() -> None:
    customer = given(added("c1"), added("c2", "pm_card_amex"))
    events = when(customer, started("p1", "c2"))
    assert events[0].card_id == "c2"
    assert customer.payments["p1"].processor_token == "pm_card_amex"


def test_a_payment_without_a_primary_card_and_none_chosen_is_refused() -> None:
    customer = given(added("c1"), deleted("c1"))
    with pytest.raises(NoPrimaryCard):
        when(customer, started("p1"))
    assert customer.collect_events() == []


def test_a_payment_is_refused_while_online_payments_are_off() -> None:
    customer = given(added("c1"))
    with pytest.raises(OnlinePaymentsDisabled):
        when(customer, started("p1", online=False))


def test_a_payment_on_an_unknown_card_is_refused() -> None:
    customer = given(added("c1"))
    with pytest.raises(NoSuchCard):
        when(customer, started("p1", "nope"))


def test_a_payment_on_an_expired_card_is_refused() -> None:
    customer = given(added("c1", card=SOON_EXPIRED, today=date(2026, 11, 1)))
    with pytest.raises(CardExpired):
        when(customer, started("p1", today=date(2026, 12, 1)))


def test_a_successful_charge_finishes_the_payment_as_succeeded() -> None:
    customer = given(added("c1"), started("p1"))
    events = when(customer, finished("p1", ChargeResult(True, "pi_1")))
    assert kinds(events) == ["PaymentSucceeded"]
    assert (events[0].processor_payment_id, events[0].decline_code) == ("pi_1", None)
    assert (events[0].invoice_id, events[0].card_id) == ("INV-1", "c1")
    assert customer.payments["p1"].status == "succeeded"


def test_a_declined_charge_finishes_the_payment_as_failed_with_its_code() -> None:
    customer = given(added("c1"), started("p1"))
    events = when(customer, finished("p1", ChargeResult(False, "pi_1", "insufficient_funds")))
    assert kinds(events) == ["PaymentFailed"]
    assert events[0].decline_code == "insufficient_funds"


def test_a_decline_reason_outside_the_stable_codes_is_recorded_as_generic() -> None:
    customer = given(added("c1"), started("p1"))
    events = when(customer, finished("p1", ChargeResult(False, None, "do_not_honor")))
    assert events[0].decline_code == "generic_decline"


def test_a_finished_payment_is_never_finished_again() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", ChargeResult(True, "pi_1")))
    events = when(customer, finished("p1", ChargeResult(False, "pi_2", "generic_decline")))
    assert events == []
    assert customer.payments["p1"].processor_payment_id == "pi_1"


def stopped(payment_id: str, reason: str = "online-payments-disabled",
            ) -> Callable[[Customer], Any]:
    return lambda customer: customer.stop_payment(
        payment_id, reason=reason, by=CUSTOMER, idempotency_key="key-" + payment_id,
        request_hash="hash-" + payment_id)


def test_a_stopped_payment_fails_uncharged_with_the_reason_as_its_code() -> None:
    customer = given(added("c1"), started("p1"))
    events = when(customer, stopped("p1"))
    assert kinds(events) == ["PaymentFailed"]
    assert (events[0].processor_payment_id, events[0].decline_code) == (
        None, "online-payments-disabled")


def test_stopping_a_finished_payment_answers_it_as_it_is() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", ChargeResult(True, "pi_1")))
    payment = stopped("p1")(customer)
    assert customer.collect_events() == []
    assert (payment.payment_id, payment.status, payment.processor_payment_id) == (
        "p1", "succeeded", "pi_1")


def test_a_retry_is_recognised_by_the_fields_that_started_the_payment() -> None:
    # given a payment of INV-1, 1250 usd on card c2
    customer = given(added("c1"), added("c2", "pm_card_amex"), started("p1", "c2"))
    payment = customer.payments["p1"]
    # then the same request answers it, with its card named or not, and any other does not
    assert payment.answers("INV-1", 1250, "usd", "c2", False)
    assert payment.answers("INV-1", 1250, "usd", None, False)
    assert not payment.answers("INV-1", 1250, "usd", "c1", False)
    assert not payment.answers("INV-1", 1300, "usd", "c2", False)
    assert not payment.answers("INV-2", 1250, "usd", "c2", False)
    assert not payment.answers("INV-1", 1250, "eur", "c2", False)
    assert not payment.answers("INV-1", 1250, "usd", "c2", True)


def test_a_payment_as_callers_see_it_has_every_field_but_the_processors_handle() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", ChargeResult(True, "pi_1")))
    shown = customer.payments["p1"].as_dict()
    assert "processor_token" not in shown
    assert (shown["payment_id"], shown["invoice_id"], shown["amount"], shown["status"],
            shown["processor_payment_id"], shown["card_id"]) == (
        "p1", "INV-1", 1250, "succeeded", "pi_1", "c1")


def test_a_payment_remembers_its_idempotency_key_with_the_card_it_charged() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", ChargeResult(True, "pi_1")))
    assert customer.recall("key-p1", "hash-p1") == ("c1", customer.version)


def test_the_processor_customer_is_linked_once() -> None:
    customer = given(added("c1"),
                     lambda c: c.link_processor_customer("cus_1", by=CUSTOMER))
    events = when(customer, lambda c: c.link_processor_customer("cus_2", by=CUSTOMER))
    assert events == []
    assert customer.processor_customer_id == "cus_1"


def test_the_in_flight_window_is_kept_with_the_payment() -> None:
    customer = given(added("c1"), started("p1"))
    assert datetime.fromisoformat(customer.payments["p1"].in_flight_until) == WINDOW_END


# --- one invoice, one payment, unless the caller says otherwise ---------------------------

SUCCEEDED = ChargeResult(True, "pi_1")
DECLINED = ChargeResult(False, "pi_1", "insufficient_funds")


def test_an_invoice_with_a_succeeded_payment_is_not_paid_again_under_a_new_key() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", SUCCEEDED))
    with pytest.raises(InvoiceAlreadyPaid, match="p1"):
        when(customer, started("p2"))
    assert customer.collect_events() == []


def test_an_invoice_with_a_payment_in_flight_is_not_paid_again_under_a_new_key() -> None:
    customer = given(added("c1"), started("p1"))
    with pytest.raises(InvoiceAlreadyPaid):
        when(customer, started("p2"))


def test_an_invoice_whose_payment_failed_can_be_paid_again() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", DECLINED))
    assert kinds(when(customer, started("p2"))) == ["PaymentStarted"]


def test_an_additional_payment_pays_a_paid_invoice_again_and_says_so() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", SUCCEEDED))
    events = when(customer, started("p2", additional=True))
    assert kinds(events) == ["PaymentStarted"] and events[0].additional is True
    assert (customer.payments["p1"].additional, customer.payments["p2"].additional) == (False, True)


def test_a_first_payment_of_an_invoice_is_not_additional() -> None:
    customer = given(added("c1"), started("p1"), finished("p1", SUCCEEDED))
    events = when(customer, started("p2", invoice_id="INV-2"))
    assert events[0].additional is False


def test_the_invoice_rule_is_checked_before_the_card_is_chosen() -> None:
    # The invoice is the caller's mistake to hear about first, whatever the card.
    customer = given(added("c1"), started("p1"))
    with pytest.raises(InvoiceAlreadyPaid):
        when(customer, started("p2", "no-such-card"))


# --- the request's Idempotency-Key ------------------------------------------------------

def test_a_key_of_255_printable_characters_is_accepted() -> None:
    key = "k" * 255
    assert check_payment_request("INV-1", 1250, "usd", key) == key


@pytest.mark.parametrize("key", ["k" * 256, "key\n1", "key\x001"],
                         ids=["256 characters", "a newline", "a NUL"])
def test_a_key_too_long_or_not_printable_is_refused(key: str) -> None:
    with pytest.raises(InvalidCommand, match="1-255 printable characters"):
        check_payment_request("INV-1", 1250, "usd", key)


@pytest.mark.parametrize("key", [None, ""])
def test_a_payment_without_a_key_is_refused(key: str | None) -> None:
    with pytest.raises(IdempotencyKeyRequired):
        check_payment_request("INV-1", 1250, "usd", key)


@pytest.mark.parametrize(("amount", "accepted"), [(99_999_999, True), (100_000_000, False)])
def test_the_largest_amount_is_eight_digits_of_minor_units(amount: int, accepted: bool) -> None:
    if accepted:
        assert check_payment_request("INV-1", amount, "usd", "key-1") == "key-1"
    else:
        with pytest.raises(InvalidAmount, match="1 to 99999999"):
            check_payment_request("INV-1", amount, "usd", "key-1")
