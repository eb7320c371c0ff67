"""Autopay's calls on a CardLedger: each builds its command and runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.autopay import Autopay, AutopaySettings, autopay_of, charges_of, check_settings
from domain.autopay_charge import AutopayCharge
from domain.autopay_charging import AutopayCharges, AutopayOutcome
from domain.autopay_events import AutopaySettingsChanged, autopay_settings_of
from domain.commands import (
    ChargeAutopay,
    ClaimExpiryReminder,
    EnrolAutopay,
    ReleaseExpiryReminder,
    Stamp,
    TurnOffAutopay,
)
from domain.company import Company
from domain.errors import NoSuchCharge
from domain.ids import check_external_id, company_aggregate_id
from domain.outcomes import Outcome
from domain.provenance import Provenance
from domain.reminders import Reminder
from domain.retry import retry_on_conflict

if TYPE_CHECKING:
    from domain.customer import Customer
    from domain.ledger_port import Ledger


class AutopayService:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.charges = AutopayCharges(ledger)

    # --- company settings ------------------------------------------------------------

    def settings(self, company_id: str) -> AutopaySettings:
        """Folded from the company's events on every call, like the switch."""
        company: Company | None = None
        for event in self.ledger.events.get(company_aggregate_id(
                check_external_id(company_id, "company id"))):
            company = event.mutate(company)
        return autopay_settings_of(company)

    def change_settings(self, company_id: str, fallback_to_other_cards: bool,
                        retry_schedule_days: list[int], by: Provenance) -> Outcome:
        check_external_id(company_id, "company id")
        wanted = check_settings(fallback_to_other_cards, retry_schedule_days)

        def step() -> Outcome:
            ledger = self.ledger
            company = ledger.company_or_none(company_id) or Company.register(company_id, by)
            if autopay_settings_of(company) != wanted:
                company.trigger_event(
                    AutopaySettingsChanged, company_id=company_id, actor=by.actor,
                    source=by.source, fallback_to_other_cards=wanted.fallback_to_other_cards,
                    retry_schedule_days=list(wanted.retry_schedule_days))
            recordings = ledger.save(company)
            position = recordings[-1].notification.id if recordings else None
            return Outcome(None, company.version, position)

        return retry_on_conflict(step)

    # --- a customer's autopay --------------------------------------------------------

    def enrol(self, company_id: str, customer_id: str, *, card_id: str | None,
              consent_text_version: str | None, consent_channel: str | None,
              by: Provenance, idempotency_key: str | None = None,
              expected_version: int | None = None) -> Outcome:
        return self.ledger.run(
            EnrolAutopay(company_id=company_id, customer_id=customer_id, card_id=card_id,
                         consent_text_version=consent_text_version,
                         consent_channel=consent_channel),
            Stamp(by, idempotency_key), expected_version=expected_version)

    def turn_off(self, company_id: str, customer_id: str, *, by: Provenance,
                 idempotency_key: str | None = None,
                 expected_version: int | None = None) -> Outcome:
        return self.ledger.run(TurnOffAutopay(company_id=company_id, customer_id=customer_id),
                               Stamp(by, idempotency_key), expected_version=expected_version)

    def of(self, company_id: str, customer_id: str,
           version: int | None = None) -> tuple[Autopay, Customer]:
        customer = self.ledger.get_customer(company_id, customer_id, version)
        return autopay_of(customer), customer

    def charge(self, company_id: str, customer_id: str, *, invoice_id: str, amount: int,
               currency: str, by: Provenance, idempotency_key: str | None) -> AutopayOutcome:
        return self.charges.charge(
            ChargeAutopay(company_id=company_id, customer_id=customer_id,
                          invoice_id=invoice_id, amount=amount, currency=currency),
            Stamp(by, idempotency_key))

    def get_charge(self, company_id: str, customer_id: str, charge_id: str) -> AutopayCharge:
        customer = self.ledger.get_customer(company_id, customer_id)
        try:
            return charges_of(customer)[charge_id]
        except KeyError:
            raise NoSuchCharge(f"No autopay charge {charge_id}") from None

    def make_retry(self, company_id: str, customer_id: str,
                   charge_id: str) -> AutopayOutcome | None:
        return self.charges.make_retry(company_id, customer_id, charge_id)


    # --- expiry reminders (domain/reminders.py) ------------------------------------------

    def claim_reminder(self, company_id: str, customer_id: str, card_id: str,
                       by: Provenance) -> Reminder | None:
        """The reminder this caller now owns and must send, or None (already
        claimed for this expiry, or the card is gone)."""
        outcome = self.ledger.run(ClaimExpiryReminder(company_id=company_id,
                                                      customer_id=customer_id, card_id=card_id),
                                  Stamp(by))
        if outcome.position is None or outcome.customer is None:
            return None
        card = outcome.customer.cards[card_id]
        charged = autopay_of(outcome.customer).card_to_charge(outcome.customer,
                                                              self.ledger.clock().date())
        return Reminder(card_id, card.brand, card.last4, card.exp_month, card.exp_year,
                        charged is not None and charged.card_id == card_id)

    def release_reminder(self, company_id: str, customer_id: str, reminder: Reminder,
                         error: str, by: Provenance) -> None:
        self.ledger.run(ReleaseExpiryReminder(company_id=company_id, customer_id=customer_id,
                                              card_id=reminder.card_id,
                                              exp_month=reminder.exp_month,
                                              exp_year=reminder.exp_year, error=error),
                        Stamp(by))
