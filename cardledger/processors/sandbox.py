"""The in-process sandbox processor: Stripe's public test payment methods.

Answers like Stripe's test mode would, deterministically, fingerprints
included. Extra cards can be registered (tests use that for many cards).
Processor customer references are derived from the cardledger ids (and can be
read back), so they are the same in every process and every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from cardledger.processors.stripe_currencies import STRIPE_CURRENCIES
from domain.errors import UnknownToken
from domain.processor import AttachedCard, CardDetails, ChargeResult


def _fingerprint(test_number_tail: str) -> str:
    # Stable per card, distinct per card, like Stripe's 16-char fingerprints.
    return hashlib.sha256(f"sandbox/{test_number_tail}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TestCard:
    details: CardDetails
    decline_code: str | None = None  # declined at charge time


def _card(brand: str, last4: str, *, funding: str = "credit", country: str = "US",
          exp: tuple[int, int] = (12, 2034), key: str = "", decline: str | None = None) -> TestCard:
    return TestCard(
        CardDetails(brand=brand, last4=last4, exp_month=exp[0], exp_year=exp[1],
                    fingerprint=_fingerprint(key or f"{brand}/{last4}/{funding}"),
                    funding=funding, country=country),
        decline,
    )


_TODAY = date.today()

TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": _card("visa", "4242"),
    "pm_card_visa_debit": _card("visa", "5556", funding="debit"),
    "pm_card_mastercard": _card("mastercard", "4444"),
    "pm_card_mastercard_debit": _card("mastercard", "8210", funding="debit"),
    "pm_card_mastercard_prepaid": _card("mastercard", "5100", funding="prepaid"),
    "pm_card_amex": _card("amex", "8431"),
    "pm_card_discover": _card("discover", "9424"),
    "pm_card_diners": _card("diners", "0004"),
    "pm_card_jcb": _card("jcb", "0505"),
    "pm_card_unionpay": _card("unionpay", "0005"),
    # Attach fine, decline when charged (Stripe's decline test cards).
    "pm_card_chargeDeclined": _card("visa", "0341", key="decline-generic", decline="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": _card(
        "visa", "9995", key="decline-funds", decline="insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": _card(
        "visa", "0069", key="decline-expired", decline="expired_card"),
    "pm_card_chargeDeclinedProcessingError": _card(
        "visa", "0119", key="decline-processing", decline="processing_error"),
    "pm_card_authenticationRequired": _card(
        "visa", "3184", key="auth-required", decline="authentication_required"),
    # Sandbox-only: a card whose expiry has passed, to exercise CardExpired.
    "pm_card_expired": _card("visa", "0010", exp=(1, 2020), key="expired"),
    # Sandbox-only: a card that expires at the end of the current month (by this
    # machine's clock when the module loads), for expiry reminders and the report.
    "pm_card_expiringThisMonth": _card("visa", "0077", exp=(_TODAY.month, _TODAY.year),
                                       key="expiring-this-month"),
}


class SandboxProcessor:
    currencies = STRIPE_CURRENCIES  # what Stripe's test mode would accept

    def __init__(self, extra_cards: dict[str, CardDetails] | None = None) -> None:
        self.cards = dict(TEST_CARDS)
        for token, details in (extra_cards or {}).items():
            self.cards[token] = TestCard(details)
        self.attached: dict[str, str] = {}  # token -> customer ref
        self.charges: dict[str, ChargeResult] = {}  # idempotency key -> result
        self.by_attempt: dict[str, ChargeResult] = {}  # attempt id -> result
        self.attempts: list[ChargeResult] = []  # every charge it ran (declines too), in order

    def retrieve(self, token: str) -> CardDetails:
        try:
            return self.cards[token].details
        except KeyError:
            raise UnknownToken("The processor does not know this payment-method token") from None

    def create_customer(self, company_id: str, customer_id: str) -> str:
        # '.' cannot occur in cardledger ids, so the reference reads back unambiguously.
        return f"cus_sandbox.{company_id}.{customer_id}"

    def customer_owner(self, customer_ref: str) -> tuple[str, str] | None:
        parts = customer_ref.split(".")
        if len(parts) != 3 or parts[0] != "cus_sandbox":
            return None
        return parts[1], parts[2]

    def attach(self, customer_ref: str, token: str) -> None:
        self.retrieve(token)
        self.attached[token] = customer_ref

    def detach(self, token: str) -> None:
        self.attached.pop(token, None)

    def attached_cards(self, customer_ref: str) -> list[AttachedCard]:
        return [AttachedCard(token, d.brand, d.last4, d.exp_month, d.exp_year)
                for token, ref in self.attached.items() if ref == customer_ref
                for d in [self.cards[token].details]]

    def charge(self, token: str, amount: int, currency: str, invoice_id: str,
               idempotency_key: str, customer_ref: str | None = None,
               attempt_id: str | None = None) -> ChargeResult:
        if idempotency_key in self.charges:
            return self.charges[idempotency_key]
        card = self.cards.get(token)
        if card is None:
            raise UnknownToken("The processor does not know this payment-method token")
        if card.decline_code:
            result = ChargeResult(False, decline_code=card.decline_code)
        else:
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
            result = ChargeResult(True, processor_payment_id=f"pi_sandbox_{digest}")
        self.charges[idempotency_key] = result
        self.attempts.append(result)
        if attempt_id is not None:
            self.by_attempt[attempt_id] = result
        return result

    def find_charge(self, attempt_id: str, customer_ref: str | None) -> ChargeResult | None:
        return self.by_attempt.get(attempt_id)
