"""Currencies and amounts: an ISO 4217 code the processor charges in, and a
whole number of the currency's minor units that it accepts there. Given a
processor's currency table, when an amount is checked, then it passes or is
refused with a named error, before anything is recorded."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.processors.stripe import StripeProcessor, _call
from cardledger.processors.stripe_currencies import (
    MINIMUM,
    PRESENTMENT,
    STRIPE_CURRENCIES,
    THREE_DECIMAL,
    ZERO_DECIMAL,
    stripe_exponent,
    to_stripe_amount,
)
from cardledger.wiring import Runtime
from domain.currencies import MINOR_UNITS
from domain.errors import InvalidAmount, InvalidCommand, UnsupportedCurrency
from domain.payments import MAX_AMOUNT, check_chargeable, check_payment_request, major
from domain.processor import ChargeLimits
from domain.provenance import Provenance
from tests.conftest import Clock
from tests.payments.faults import CrashBeforeCharge, SimulatedCrash

ME = Provenance("customer:1001", "portal")
ADMIN = Provenance("user:admin", "admin")


def check(amount: Any, currency: Any) -> None:
    """A new payment's checks: the request's shape, then what can be charged."""
    check_payment_request("INV-1", amount, currency, "key-1")
    check_chargeable(amount, currency, STRIPE_CURRENCIES)


# --- the ISO 4217 table ---------------------------------------------------------------------

def test_the_iso_table_gives_each_code_its_minor_unit_exponent() -> None:
    assert {c: MINOR_UNITS[c] for c in ("usd", "eur", "jpy", "krw", "kwd", "bhd", "clf",
                                        "isk", "mga")} == {
        "usd": 2, "eur": 2, "jpy": 0, "krw": 0, "kwd": 3, "bhd": 3, "clf": 4, "isk": 0, "mga": 2}
    assert all(len(code) == 3 and code.islower() for code in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) == {0, 2, 3, 4}


def test_every_code_outside_isos_zero_three_and_four_decimal_lists_has_two_decimals() -> None:
    # ISO 4217 list one (2025): the codes whose minor unit is not the cent
    zero = {"bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx",
            "uyi", "vnd", "vuv", "xaf", "xof", "xpf"}
    three = {"bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"}
    four = {"clf", "uyw"}
    expected = {code: 0 if code in zero else 3 if code in three else 4 if code in four else 2
                for code in MINOR_UNITS}
    assert MINOR_UNITS == expected
    assert zero | three | four < set(MINOR_UNITS)


def test_codes_without_a_minor_unit_and_withdrawn_codes_are_not_in_the_table() -> None:
    assert not {"xau", "xdr", "xts", "xxx", "hrk", "vef", "std", "mro"} & set(MINOR_UNITS)


# --- what the processors accept --------------------------------------------------------------

def test_both_processors_accept_what_stripe_accepts() -> None:
    assert SandboxProcessor.currencies is StripeProcessor.currencies is STRIPE_CURRENCIES
    assert set(STRIPE_CURRENCIES) == PRESENTMENT and len(PRESENTMENT) > 135


def test_every_currency_stripe_charges_in_is_a_current_iso_code() -> None:
    assert PRESENTMENT <= set(MINOR_UNITS)


def test_stripes_minor_unit_differs_from_isos_only_for_isk_and_mga() -> None:
    assert {c for c in PRESENTMENT if stripe_exponent(c) != MINOR_UNITS[c]} == {"isk", "mga"}
    assert ZERO_DECIMAL - {"mga"} == {c for c in PRESENTMENT if MINOR_UNITS[c] == 0} - {"isk"}
    assert THREE_DECIMAL == {c for c in PRESENTMENT if MINOR_UNITS[c] == 3}


@pytest.mark.parametrize(("amount", "currency", "sent"), [
    (1250, "usd", 1250), (500, "jpy", 500), (1230, "kwd", 1230),
    (5, "isk", 500),  # 5 kronur: Stripe still wants two decimals
    (10_000, "mga", 100),  # 100.00 ariary in ISO units: Stripe counts whole ariary
])
def test_amounts_are_sent_to_stripe_in_stripes_unit(amount: int, currency: str,
                                                   sent: int) -> None:
    assert to_stripe_amount(amount, currency) == sent


def test_every_limit_converts_to_a_whole_stripe_amount_of_at_most_eight_digits() -> None:
    for currency, limits in STRIPE_CURRENCIES.items():
        for amount in (limits.minimum, limits.maximum):
            assert amount % limits.step == 0, currency
            assert 1 <= to_stripe_amount(amount, currency) <= 99_999_999, currency


def test_stripes_minimum_charges_are_kept_in_iso_minor_units() -> None:
    assert (MINIMUM["usd"], MINIMUM["gbp"], MINIMUM["jpy"], MINIMUM["huf"]) == (50, 30, 50, 17500)
    assert STRIPE_CURRENCIES["usd"] == ChargeLimits(minimum=50, maximum=99_999_999, step=1)


@pytest.mark.parametrize("code", ["amount_too_small", "amount_too_large"])
def test_an_amount_stripe_refuses_is_an_invalid_amount(code: str) -> None:
    def refuse() -> None:
        raise stripe.InvalidRequestError("Amount must convert to at least 50 cents", "amount",
                                         code=code, http_status=400)

    with pytest.raises(InvalidAmount, match="refused the amount"):
        _call(refuse)


# --- the rule --------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency"), [
    (50, "usd"), (99_999_999, "usd"), (30, "gbp"), (50, "jpy"), (1, "krw"), (10, "kwd"),
    (1230, "kwd"), (200, "mga"), (1, "isk"), (999_999, "isk"), (1, "cop"),
])
def test_an_amount_the_processor_accepts_passes(amount: int, currency: str) -> None:
    check(amount, currency)


def test_an_unknown_code_is_an_unsupported_currency() -> None:
    with pytest.raises(UnsupportedCurrency, match="not an ISO 4217"):
        check(1250, "zzz")


def test_an_iso_currency_the_processor_does_not_charge_in_is_unsupported() -> None:
    with pytest.raises(UnsupportedCurrency, match="processor does not charge in kpw"):
        check(1250, "kpw")


def test_an_unsupported_currency_is_a_kind_of_invalid_command_answered_422() -> None:
    assert (UnsupportedCurrency.code, UnsupportedCurrency.kind) == ("unsupported-currency",
                                                                    "invalid")
    assert (InvalidAmount.code, InvalidAmount.kind) == ("invalid-amount", "invalid")


def test_an_upper_case_code_is_refused_naming_its_lower_case_spelling() -> None:
    with pytest.raises(InvalidCommand, match="lower case: usd, not USD"):
        check(1250, "USD")


@pytest.mark.parametrize(("amount", "currency", "says"), [
    (49, "usd", r"smallest charge in usd is 50 minor units \(0.50 usd\)"),
    (29, "gbp", r"\(0.30 gbp\)"),
    (49, "jpy", r"\(50 jpy\)"),
    (17_499, "huf", r"\(175.00 huf\)"),
])
def test_a_charge_below_the_processors_minimum_is_refused(amount: int, currency: str,
                                                         says: str) -> None:
    with pytest.raises(InvalidAmount, match=says):
        check(amount, currency)


@pytest.mark.parametrize("amount", [1235, 1, 9])
def test_a_three_decimal_amount_must_end_in_zero(amount: int) -> None:
    with pytest.raises(InvalidAmount, match=r"multiples of 10 minor units \(0.010 kwd\)"):
        check(amount, "kwd")


def test_an_ariary_amount_must_be_whole_ariary() -> None:
    with pytest.raises(InvalidAmount, match=r"multiples of 100 minor units \(1.00 mga\)"):
        check(150, "mga")


def test_an_amount_stripe_cannot_hold_in_eight_digits_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="largest charge in isk is 999999"):
        check(1_000_000, "isk")


@pytest.mark.parametrize("amount", [0, -50, MAX_AMOUNT + 1, 12.5, True, "1250", None])
def test_an_amount_that_is_not_a_whole_positive_number_up_to_the_maximum_is_refused(
        amount: Any) -> None:
    with pytest.raises(InvalidAmount, match="whole number of minor units"):
        check(amount, "usd")


def test_amounts_read_in_major_units_in_messages() -> None:
    assert [major(12345, "usd"), major(500, "jpy"), major(1230, "kwd"), major(5, "clf")] == [
        "123.45 usd", "500 jpy", "1.230 kwd", "0.0005 clf"]


# --- through the service ---------------------------------------------------------------------

@pytest.fixture
def customer(runtime: Runtime) -> str:
    """Given online payments on and a customer with a Visa (primary)."""
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    return "1001"


def pay(runtime: Runtime, amount: int, currency: str) -> Any:
    return runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=amount,
                                      currency=currency, by=ME, idempotency_key="key-1")


@pytest.mark.parametrize(("amount", "currency", "error"), [
    (1250, "zzz", UnsupportedCurrency), (1235, "kwd", InvalidAmount), (49, "usd", InvalidAmount),
])
def test_a_payment_the_processor_would_refuse_records_nothing_and_charges_nothing(
        runtime: Runtime, customer: str, amount: int, currency: str,
        error: type[Exception]) -> None:
    before = runtime.ledger.get_customer("acme", customer).version
    with pytest.raises(error):
        pay(runtime, amount, currency)
    assert runtime.ledger.get_customer("acme", customer).version == before
    assert runtime.ledger.processor.attempts == []  # type: ignore[attr-defined]


def test_a_payment_started_under_looser_limits_is_still_settled_by_its_retry(
        runtime: Runtime, customer: str, clock: Clock) -> None:
    sandbox = runtime.ledger.processor
    assert isinstance(sandbox, SandboxProcessor)

    class LooserThenCrash(CrashBeforeCharge):  # a usd minimum of 1 cent, as before the table
        currencies = {**STRIPE_CURRENCIES, "usd": ChargeLimits()}

    runtime.ledger.processor = LooserThenCrash(sandbox)
    with pytest.raises(SimulatedCrash):
        pay(runtime, 25, "usd")
    runtime.ledger.processor = sandbox  # usd minimum 50 from now on
    clock.now += timedelta(seconds=61)
    outcome = pay(runtime, 25, "usd")  # the same request, retried
    assert (outcome.replayed, outcome.payment.status, outcome.payment.amount) == (
        True, "succeeded", 25)
    with pytest.raises(InvalidAmount):  # a new payment of that amount is refused
        runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-2", amount=25,
                                   currency="usd", by=ME, idempotency_key="key-2")


@pytest.mark.parametrize(("amount", "currency"), [(500, "jpy"), (1230, "kwd"), (9_900, "eur")])
def test_a_payment_in_another_currency_is_recorded_in_its_minor_units(
        runtime: Runtime, customer: str, amount: int, currency: str) -> None:
    payment = pay(runtime, amount, currency).payment
    assert (payment.status, payment.amount, payment.currency) == ("succeeded", amount, currency)


# --- the documentation says what the code does ---------------------------------------------------

def test_the_documented_minimums_steps_and_error_codes_are_the_codes() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "payments-rules.md").read_text()
    minimums = docs[docs.index("- **Minimums**"):docs.index("Stripe states these")]
    assert dict(re.findall(r"`([a-z]{3})` (\d+)", minimums)) == {
        currency: str(amount) for currency, amount in MINIMUM.items()}
    assert f"(`{' '.join(sorted(THREE_DECIMAL))}`)" in docs
    for error in (UnsupportedCurrency, InvalidAmount):
        assert f"`{error.code}`" in docs
