"""Autopay's events: Customer events with their own stable topics.

Public contracts like every event (docs/autopay.md lists them): explicit
topics, a class_version each, primitive fields only. The office learns from
``AutopayDisabled`` and ``AutopayCardChanged`` (published by the Kafka relay)
that autopay stopped or moved off a card.
"""

from __future__ import annotations

from dataclasses import replace

from eventsourcing.utils import register_topic

from domain.autopay import Autopay, AutopaySettings, Consent, autopay_of, charges_of, reminders_of
from domain.autopay_charge import AutopayAttempt, AutopayCharge
from domain.company import Company
from domain.customer import Customer
from domain.personal_data import is_sealed


class AutopaySettingsChanged(Company.Event):
    TOPIC = "cardledger/Company.AutopaySettingsChanged"
    class_version = 1
    fallback_to_other_cards: bool
    retry_schedule_days: list[int]

    @property
    def summary(self) -> str:
        days = ", ".join(str(d) for d in self.retry_schedule_days) or "none"
        return (f"fallback to other cards {'on' if self.fallback_to_other_cards else 'off'}; "
                f"retries on days {days}")

    def apply(self, company: Company) -> None:
        company.__dict__["autopay_settings"] = AutopaySettings(
            self.fallback_to_other_cards, tuple(self.retry_schedule_days))


class AutopayEnabled(Customer.Event):
    TOPIC = "cardledger/Customer.AutopayEnabled"
    class_version = 1
    card_id: str | None  # None: autopay follows the primary card
    consent_id: str
    text_version: str
    channel: str

    @property
    def summary(self) -> str:
        card = "the primary card" if self.card_id is None else "the chosen card"
        return f"charges {card}; consent {self.consent_id} ({self.text_version}, {self.channel})"

    def change(self, customer: Customer) -> None:
        customer.__dict__["autopay"] = Autopay(True, self.card_id, Consent(
            self.consent_id, self.text_version, self.channel, self.timestamp.isoformat(),
            self.actor, self.source))


class AutopayDisabled(Customer.Event):
    TOPIC = "cardledger/Customer.AutopayDisabled"
    class_version = 1
    card_id: str | None  # the card autopay named until now (None: it followed the primary)
    reason: str  # turned-off, no-card-left

    def change(self, customer: Customer) -> None:
        customer.__dict__["autopay"] = Autopay()


class AutopayCardChanged(Customer.Event):
    """Autopay's card changed without a new consent (its card was deleted)."""

    TOPIC = "cardledger/Customer.AutopayCardChanged"
    class_version = 1
    from_card_id: str | None
    to_card_id: str | None  # None: now follows the primary card
    reason: str  # card-removed

    @property
    def card_in_question(self) -> str | None:
        return self.from_card_id

    def change(self, customer: Customer) -> None:
        customer.__dict__["autopay"] = replace(autopay_of(customer), card_id=self.to_card_id)


class AutopayChargeStarted(Customer.Event):
    """The office asked for a merchant-initiated charge of an invoice."""

    TOPIC = "cardledger/Customer.AutopayChargeStarted"
    class_version = 1
    charge_id: str
    invoice_id: str
    amount: int
    currency: str
    consent_id: str
    initiated_by: str  # "merchant": off-session, under the consent
    started_at: str  # ISO instant by the service's clock; retries are due days after it

    def change(self, customer: Customer) -> None:
        charges_of(customer)[self.charge_id] = AutopayCharge(
            charge_id=self.charge_id, invoice_id=self.invoice_id, amount=self.amount,
            currency=self.currency, consent_id=self.consent_id,
            request_hash=self.request_hash or "", started_at=self.started_at)


class AutopayAttemptStarted(Customer.Event):
    """Recorded before the card is charged: the never-charge-twice guard."""

    TOPIC = "cardledger/Customer.AutopayAttemptStarted"
    class_version = 1
    charge_id: str
    attempt_id: str
    card_id: str
    selection: str  # "autopay" (the round's first card) or "fallback"
    card_version: int  # the customer's version when the card was chosen (see docs)
    consent_id: str
    round: int
    in_flight_until: str

    def change(self, customer: Customer) -> None:
        charges = charges_of(customer)
        charge = charges[self.charge_id]
        attempt = AutopayAttempt(
            attempt_id=self.attempt_id, card_id=self.card_id,
            processor_token=customer.cards[self.card_id].processor_token,
            selection=self.selection, round=self.round, in_flight_until=self.in_flight_until)
        charges[self.charge_id] = replace(charge, attempts=(*charge.attempts, attempt))


class AutopayAttemptTakenOver(Customer.Event):
    """A worker resumes an attempt whose sender went quiet (crashed): only the
    one whose append wins may send it, so two resumers cannot both charge."""

    TOPIC = "cardledger/Customer.AutopayAttemptTakenOver"
    class_version = 1
    charge_id: str
    attempt_id: str
    in_flight_until: str

    def change(self, customer: Customer) -> None:
        charges = charges_of(customer)
        charges[self.charge_id] = charges[self.charge_id].with_attempt(
            self.attempt_id, in_flight_until=self.in_flight_until)


class AutopayAttemptFinished(Customer.Event):
    TOPIC = "cardledger/Customer.AutopayAttemptFinished"
    class_version = 1
    charge_id: str
    attempt_id: str
    card_id: str
    outcome: str  # succeeded, declined
    decline_code: str | None
    processor_payment_id: str | None

    @property
    def summary(self) -> str:
        charge = f"autopay {self.charge_id}"
        return f"{charge}: {self.outcome}" + (f", {self.decline_code}"
                                              if self.decline_code else "")

    def change(self, customer: Customer) -> None:
        charges = charges_of(customer)
        charges[self.charge_id] = charges[self.charge_id].with_attempt(
            self.attempt_id, outcome=self.outcome, decline_code=self.decline_code,
            processor_payment_id=self.processor_payment_id)


class AutopayChargeSettled(Customer.Event):
    """Where the charge ended this round: succeeded, failed, retry_scheduled."""

    TOPIC = "cardledger/Customer.AutopayChargeSettled"
    class_version = 1
    charge_id: str
    invoice_id: str
    amount: int
    currency: str
    status: str
    card_id: str | None  # the card that paid, else the last tried
    next_retry_at: str | None
    failure_code: str | None

    @property
    def summary(self) -> str:
        text = f"invoice {self.invoice_id}: {self.amount} {self.currency}, {self.status}"
        if self.next_retry_at:
            text += f" (next {self.next_retry_at[:10]})"
        return text + (f", {self.failure_code}" if self.failure_code else "")

    def change(self, customer: Customer) -> None:
        charges = charges_of(customer)
        charges[self.charge_id] = replace(
            charges[self.charge_id], status=self.status, next_retry_at=self.next_retry_at,
            failure_code=self.failure_code)


class AutopayRetryStarted(Customer.Event):
    """A scheduled retry is being made (a new round of attempts)."""

    TOPIC = "cardledger/Customer.AutopayRetryStarted"
    class_version = 1
    charge_id: str
    round: int

    def change(self, customer: Customer) -> None:
        charges = charges_of(customer)
        charges[self.charge_id] = replace(charges[self.charge_id], status="in_progress",
                                          round=self.round, next_retry_at=None)


class ExpiryReminderSent(Customer.Event):
    """Recorded before the e-mail is sent, so a customer gets it at most once
    per card per expiry; a failed send is recorded (ExpiryReminderFailed) and
    tried again by the next run."""

    TOPIC = "cardledger/Customer.ExpiryReminderSent"
    class_version = 1
    card_id: str
    exp_month: int
    exp_year: int
    autopay: bool  # the e-mail says autopay charges this card

    @property
    def summary(self) -> str:
        return f"expires {self.exp_month:02d}/{self.exp_year}" + (
            ", autopay card" if self.autopay else "")

    def change(self, customer: Customer) -> None:
        reminders_of(customer)[reminder_key(self.card_id, self.exp_month, self.exp_year)] = (
            self.timestamp.isoformat())


class ExpiryReminderFailed(Customer.Event):
    TOPIC = "cardledger/Customer.ExpiryReminderFailed"
    class_version = 1
    card_id: str
    exp_month: int
    exp_year: int
    error: str  # the mail server's answer, one line; sealed (it may quote the address)

    @property
    def summary(self) -> str:
        # A sealed answer stays out of the history; one stored in the clear
        # before sealing existed is shown as it always was.
        error = "not sent" if is_sealed(self.error) else self.error
        return f"expires {self.exp_month:02d}/{self.exp_year}: {error}"

    def change(self, customer: Customer) -> None:
        reminders_of(customer).pop(reminder_key(self.card_id, self.exp_month, self.exp_year),
                                   None)


def reminder_key(card_id: str, exp_month: int, exp_year: int) -> str:
    return f"{card_id}/{exp_month:02d}/{exp_year}"


def autopay_settings_of(company: Company | None) -> AutopaySettings:
    from domain.autopay import DEFAULT_SETTINGS  # noqa: PLC0415

    return company.__dict__.get("autopay_settings", DEFAULT_SETTINGS) if company else \
        DEFAULT_SETTINGS


# The library registers explicit topics of events nested in an aggregate
# class; these live beside it, so they are registered here.
for _event in (AutopaySettingsChanged, AutopayEnabled, AutopayDisabled, AutopayCardChanged,
               AutopayChargeStarted, AutopayAttemptStarted, AutopayAttemptTakenOver,
               AutopayAttemptFinished, AutopayChargeSettled, AutopayRetryStarted,
               ExpiryReminderSent, ExpiryReminderFailed):
    register_topic(_event.TOPIC, _event)
