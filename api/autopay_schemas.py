"""Autopay's request and response shapes (issue 13's contract), kept beside
api/schemas.py in the same naming scheme."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.autopay import Autopay
from domain.autopay_charge import AutopayCharge
from domain.payments import MAX_AMOUNT
from projections.autopay_views import ExpiringCard

_ID = {"min_length": 1, "max_length": 64, "pattern": r"^[A-Za-z0-9_-]+$"}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AutopaySettingsBody(_Request):
    fallback_to_other_cards: bool = Field(
        description="A declined charge tries the customer's other unexpired cards "
                    "(primary first, then newest) within the same charge")
    retry_schedule_days: list[int] = Field(
        max_length=10, description="Days after the first attempt on which a charge whose "
                                   "cards declined softly (insufficient_funds, "
                                   "processing_error) is tried again; increasing, 1-60",
        examples=[[1, 3, 7]])


class ConsentIn(_Request):
    text_version: str = Field(min_length=1, max_length=64,
                              description="Which wording of the autopay terms was accepted",
                              examples=["autopay-terms-2026-11"])
    channel: Literal["portal", "phone", "paper", "in_person"]


class AutopayChange(_Request):
    enabled: bool
    payment_method_id: str | None = Field(None, **_ID,  # type: ignore[arg-type]
                                          description="null: autopay follows the primary card")
    consent: ConsentIn | None = Field(None, description="Required to turn autopay on")


class ConsentOut(BaseModel):
    id: str
    text_version: str
    channel: str
    accepted_at: datetime
    accepted_by: str
    accepted_from: str


class AutopayState(BaseModel):
    enabled: bool
    payment_method_id: str | None = Field(description="The card autopay names; null: it "
                                                      "follows the primary card (or is off)")
    follows_primary: bool
    consent: ConsentOut | None = Field(description="The consent autopay charges under; null "
                                                   "when off")
    version: int = Field(description="The customer's version; send it as If-Match")

    @classmethod
    def of(cls, autopay: Autopay, version: int) -> AutopayState:
        consent = autopay.consent
        return cls(
            enabled=autopay.enabled, payment_method_id=autopay.card_id,
            follows_primary=autopay.enabled and autopay.card_id is None,
            consent=ConsentOut(id=consent.consent_id, text_version=consent.text_version,
                               channel=consent.channel,
                               accepted_at=datetime.fromisoformat(consent.accepted_at),
                               accepted_by=consent.accepted_by,
                               accepted_from=consent.accepted_from) if consent else None,
            version=version)


class AutopayChargeIn(_Request):
    invoice_id: str = Field(**_ID, examples=["INV-1042"])  # type: ignore[arg-type]
    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True,
                        description="In the currency's minor units", examples=[12500])
    currency: str = Field(pattern=r"^[a-z]{3}$", description="ISO 4217, lower case",
                          examples=["usd"])


class AttemptOut(BaseModel):
    payment_method_id: str
    outcome: Literal["succeeded", "declined", "pending"]
    decline_code: str | None
    selection: Literal["autopay", "fallback"]
    round: int = Field(description="0: the office's charge; n: the n-th scheduled retry")


class AutopayChargeOut(BaseModel):
    id: str
    invoice_id: str
    amount: int
    currency: str
    status: Literal["succeeded", "failed", "retry_scheduled", "in_progress"]
    payment_method_id: str | None = Field(description="The card that paid, else the last "
                                                      "card tried")
    attempts: list[AttemptOut]
    initiated_by: Literal["merchant"] = "merchant"
    consent_id: str
    next_retry_at: datetime | None
    failure_code: str | None = Field(description="Why a charge failed without a decline: "
                                                 "no-usable-card, autopay-not-enabled, "
                                                 "online-payments-disabled")

    @classmethod
    def of(cls, charge: AutopayCharge) -> AutopayChargeOut:
        return cls(
            id=charge.charge_id, invoice_id=charge.invoice_id, amount=charge.amount,
            currency=charge.currency, status=charge.status,  # type: ignore[arg-type]
            payment_method_id=charge.payment_method_id,
            attempts=[AttemptOut(payment_method_id=a.card_id,
                                 outcome=a.outcome or "pending",  # type: ignore[arg-type]
                                 decline_code=a.decline_code,
                                 selection=a.selection,  # type: ignore[arg-type]
                                 round=a.round) for a in charge.attempts],
            consent_id=charge.consent_id,
            next_retry_at=(datetime.fromisoformat(charge.next_retry_at)
                           if charge.next_retry_at else None),
            failure_code=charge.failure_code)


class ExpiringCardOut(BaseModel):
    customer_id: str
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_primary: bool
    autopay: bool = Field(description="Autopay charges this card")

    @classmethod
    def of(cls, card: ExpiringCard) -> ExpiringCardOut:
        return cls(**{name: getattr(card, name) for name in cls.model_fields})


class ExpiringCards(BaseModel):
    cards: list[ExpiringCardOut] = Field(description="By expiry, soonest first")
    has_more: bool
    next_after: str | None = Field(description="Pass as `after` for the next page")
    as_of: date = Field(description="The day the window starts")
    within_days: int
