"""Card entry: what a client needs to collect a new card without cardledger
ever seeing its number (docs/ui.md).

With Stripe, a SetupIntent's client secret and the publishable key: Stripe.js
confirms the SetupIntent in the browser and the client then adds the card by
the resulting ``pm_...``. With the sandbox, the test cards by name: the client
sends the chosen token; there is no number to enter at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from domain.processor import Processor


class CardSetupNotConfigured(Exception):
    """Stripe without a publishable key: browsers cannot load Stripe.js."""


@dataclass(frozen=True)
class TestCardChoice:
    token: str
    label: str


@dataclass(frozen=True)
class CardSetup:
    processor: str  # "stripe" or "sandbox"
    client_secret: str | None = None
    publishable_key: str | None = None
    test_cards: list[TestCardChoice] = field(default_factory=list)


def card_setup(processor: Processor, settings: Settings, company_id: str,
               customer_id: str) -> CardSetup:
    if isinstance(processor, SandboxProcessor):
        return CardSetup("sandbox", test_cards=sandbox_choices(processor))
    from cardledger.processors.stripe import StripeProcessor  # noqa: PLC0415 (optional)

    if not isinstance(processor, StripeProcessor):
        raise CardSetupNotConfigured("This processor has no card entry for browsers")
    if not settings.stripe_publishable_key:
        raise CardSetupNotConfigured("Set CARDLEDGER_STRIPE_PUBLISHABLE_KEY for Stripe.js")
    secret = processor.create_setup_intent(company_id, customer_id)
    return CardSetup("stripe", client_secret=secret,
                     publishable_key=settings.stripe_publishable_key)


def sandbox_choices(processor: SandboxProcessor) -> list[TestCardChoice]:
    """Each test card named as a person would pick it: brand, funding, last 4,
    expiry, and how it behaves when that is not 'works'."""
    choices = []
    for token, card in processor.cards.items():
        d = card.details
        label = (f"{d.brand.title()} {d.funding} ending {d.last4}, "
                 f"expires {d.exp_month:02d}/{d.exp_year}")
        if card.decline_code:
            label += f" (declined when charged: {card.decline_code.replace('_', ' ')})"
        choices.append(TestCardChoice(token, label))
    return choices
