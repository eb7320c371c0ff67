"""The Stripe processor, through the official SDK's StripeClient.

Every SDK error becomes a domain answer: timeouts, connection failures, rate
limits and 5xx are ProcessorUnavailable (the caller may retry; nothing was
recorded); an unknown or refused payment method is UnknownToken; a card the
processor will not keep is CardDeclined; an amount Stripe refuses outright is
InvalidAmount; a declined charge is a ChargeResult with one of the stable
DECLINE_CODES. The SDK's own network retries are off:
a retried POST is only safe where Stripe honours idempotency keys, and
cardledger must not depend on that (localstripe does not).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import stripe

from cardledger.processors.stripe_currencies import STRIPE_CURRENCIES, to_stripe_amount
from domain.errors import CardDeclined, InvalidAmount, ProcessorUnavailable, UnknownToken
from domain.processor import DECLINE_CODES, AttachedCard, CardDetails, ChargeResult

if TYPE_CHECKING:
    from cardledger.settings import Settings

log = logging.getLogger("cardledger.processors.stripe")
T = TypeVar("T")

PAYMENT_ID_KEY = "cardledger_payment_id"  # PaymentIntent metadata: which attempt it is
OWNER_KEYS = ("cardledger_company_id", "cardledger_customer_id")  # Customer metadata
AMOUNT_REFUSED = ("amount_too_small", "amount_too_large")  # Stripe's codes: nothing charged


class StripeProcessor:
    currencies = STRIPE_CURRENCIES

    def __init__(self, client: stripe.StripeClient) -> None:
        self.api = client.v1

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProcessor:
        key = settings.stripe_api_key.get_secret_value()
        if not key:
            raise ValueError(
                "CARDLEDGER_STRIPE_API_KEY must be set when CARDLEDGER_PROCESSOR=stripe")
        return cls(stripe.StripeClient(
            key,
            base_addresses={"api": settings.stripe_api_base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.processor_timeout),
        ))

    # --- cards --------------------------------------------------------------------------

    def retrieve(self, token: str) -> CardDetails:
        pm = _data(_call(self.api.payment_methods.retrieve, token))
        card = pm.get("card")
        if pm.get("type") != "card" or not card:
            raise UnknownToken("The payment method is not a card")
        return CardDetails(
            brand=card["brand"], last4=card["last4"], exp_month=int(card["exp_month"]),
            exp_year=int(card["exp_year"]), fingerprint=card["fingerprint"],
            funding=card.get("funding") or "unknown", country=card.get("country") or "",
            cardholder_name=(pm.get("billing_details") or {}).get("name"),
            payment_method_id=pm["id"],
        )

    def create_customer(self, company_id: str, customer_id: str) -> str:
        owner = dict(zip(OWNER_KEYS, (company_id, customer_id), strict=True))
        return str(_call(self.api.customers.create, params={"metadata": owner}).id)

    def customer_owner(self, customer_ref: str) -> tuple[str, str] | None:
        try:
            customer = _data(_call(self.api.customers.retrieve, customer_ref))
        except UnknownToken:
            return None
        metadata = customer.get("metadata") or {}
        company_id, customer_id = (metadata.get(key) for key in OWNER_KEYS)
        return (company_id, customer_id) if company_id and customer_id else None

    def attach(self, customer_ref: str, token: str) -> None:
        _call(self.api.payment_methods.attach, token, params={"customer": customer_ref})

    def detach(self, token: str) -> None:
        _call(self.api.payment_methods.detach, token)

    def create_setup_intent(self, company_id: str, customer_id: str) -> str:
        """A SetupIntent for one new card, confirmed in the browser by Stripe.js;
        returns its client secret. No Stripe customer on it: cardledger attaches
        the resulting pm_... when the card is added, as with any other token."""
        owner = dict(zip(OWNER_KEYS, (company_id, customer_id), strict=True))
        intent = _call(self.api.setup_intents.create, params={
            "usage": "off_session", "payment_method_types": ["card"], "metadata": owner})
        return str(intent.client_secret)

    def attached_cards(self, customer_ref: str) -> list[AttachedCard]:
        listed = _call(self.api.payment_methods.list,
                       params={"customer": customer_ref, "type": "card", "limit": 100})
        methods = _call(lambda: [_data(m) for m in listed.auto_paging_iter()])
        return [AttachedCard(token=m["id"], brand=m["card"]["brand"], last4=m["card"]["last4"],
                             exp_month=int(m["card"]["exp_month"]),
                             exp_year=int(m["card"]["exp_year"]), created=m.get("created"))
                for m in methods if m.get("card")]

    # --- charges ----------------------------------------------------------------------------

    def charge(self, token: str, amount: int, currency: str, invoice_id: str,
               idempotency_key: str, customer_ref: str | None = None,
               attempt_id: str | None = None) -> ChargeResult:
        params: dict[str, Any] = {
            "amount": to_stripe_amount(amount, currency), "currency": currency,
            "payment_method": token,
            "confirm": True, "off_session": True,
            "metadata": {PAYMENT_ID_KEY: attempt_id or "", "invoice_id": invoice_id},
        }
        if customer_ref:
            params["customer"] = customer_ref
        try:
            intent = _data(_call(self.api.payment_intents.create, params=params,
                                 options={"idempotency_key": idempotency_key}))
        except _Declined as declined:
            return ChargeResult(False, declined.payment_intent, declined.decline_code)
        if intent["status"] in ("succeeded", "processing", "requires_capture"):
            return ChargeResult(True, intent["id"])
        if intent["status"] == "requires_action":  # off session, nobody can do 3-D Secure
            return ChargeResult(False, intent["id"], "authentication_required")
        error = intent.get("last_payment_error") or {}
        return ChargeResult(False, intent["id"], decline_code(error.get("decline_code") or
                                                              error.get("code")))

    def find_charge(self, attempt_id: str, customer_ref: str | None) -> ChargeResult | None:
        """Lists the customer's charges (consistent, unlike Stripe's search
        index) and matches their PaymentIntent's metadata. Money moves only as
        a charge, so a PaymentIntent without one (3-D Secure needed) moved none."""
        if not customer_ref:
            return None
        charges = _call(self.api.charges.list, params={
            "customer": customer_ref, "limit": 100, "expand": ["data.payment_intent"]})
        for charge in _call(lambda: [_data(c) for c in charges.auto_paging_iter()]):
            intent = charge.get("payment_intent") or {}
            if (intent.get("metadata") or {}).get(PAYMENT_ID_KEY) != attempt_id:
                continue
            if charge["status"] == "failed":
                outcome = charge.get("outcome") or {}
                return ChargeResult(False, intent["id"], decline_code(
                    outcome.get("reason") or charge.get("failure_code")))
            return ChargeResult(True, intent["id"])  # succeeded, or pending and on its way
        return None


def decline_code(stripe_code: str | None) -> str:
    """Stripe's many decline codes folded into cardledger's stable few."""
    return stripe_code if stripe_code in DECLINE_CODES else "generic_decline"


class _Declined(CardDeclined):
    def __init__(self, error: stripe.CardError) -> None:
        super().__init__(error.user_message or "The card was declined")
        body = _data(error.error) if error.error else {}
        intent = body.get("payment_intent")  # Stripe sends it; localstripe does not
        self.payment_intent: str | None = intent.get("id") if intent else None
        self.decline_code = decline_code(body.get("decline_code") or error.code)


def _data(obj: Any) -> dict[str, Any]:
    # The SDK's objects are not dicts: optional fields read more plainly from one.
    return dict(obj.to_dict())


def _call(method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return method(*args, **kwargs)
    except stripe.CardError as e:
        raise _Declined(e) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as e:
        raise ProcessorUnavailable(f"Stripe did not answer: {type(e).__name__}") from None
    except (stripe.AuthenticationError, stripe.PermissionError) as e:
        # Our configuration, not the caller's request: retryable once fixed.
        log.error("Stripe refused cardledger's credentials: %s", e.user_message)
        raise ProcessorUnavailable(
            "The payment processor refused cardledger's credentials") from None
    except stripe.InvalidRequestError as e:
        if (e.http_status or 0) >= 500:
            raise ProcessorUnavailable("Stripe failed") from None
        if e.code in AMOUNT_REFUSED:  # e.g. under the minimum once converted at the day's rate
            raise InvalidAmount(f"The processor refused the amount: {e.user_message}") from None
        raise UnknownToken(f"The processor refused the request: {e.user_message}") from None
    except stripe.StripeError as e:
        if (e.http_status or 500) >= 500:
            raise ProcessorUnavailable(f"Stripe failed: {type(e).__name__}") from None
        raise
