"""Domain errors: one class per broken rule.

Each error has a stable ``code`` (used as the problem ``type`` by the API and in
CLI messages) and a ``kind`` that says what sort of failure it is. Adapters map
kinds to their own vocabulary (HTTP statuses, exit codes); they never re-check
the rule.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain-error"
    kind = "invalid"  # one of: invalid, not-found, conflict, forbidden, unavailable, gone
    title = "The request breaks a payment-method rule"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class InvalidCommand(DomainError):
    code = "invalid-command"
    title = "The command is malformed"


class OnlinePaymentsDisabled(DomainError):
    code = "online-payments-disabled"
    kind = "forbidden"
    title = "Online payments are switched off for this company"


class CustomerNotFound(DomainError):
    code = "customer-not-found"
    kind = "not-found"
    title = "No such customer"


class NoSuchCard(DomainError):
    code = "no-such-card"
    kind = "not-found"
    title = "No such saved card"


class CardAlreadyDeleted(NoSuchCard):
    code = "card-already-deleted"
    title = "The card was already deleted"


class CardAlreadySaved(DomainError):
    code = "card-already-saved"
    kind = "conflict"
    title = "This card is already saved for the customer"


class AlreadyPrimary(DomainError):
    code = "already-primary"
    kind = "conflict"
    title = "The card is already the primary card"


class TooManyCards(DomainError):
    code = "too-many-cards"
    kind = "conflict"
    title = "The customer has reached the saved-card limit"


class CardExpired(DomainError):
    code = "card-expired"
    title = "The card has expired"


class VersionConflict(DomainError):
    code = "version-conflict"
    kind = "conflict"
    title = "The customer changed since the version you read"


class IdempotencyKeyReused(DomainError):
    code = "idempotency-key-reused"
    title = "The idempotency key was already used for a different request"


class UnknownToken(DomainError):
    code = "unknown-token"
    title = "The processor does not know this payment-method token"


class ProcessorUnavailable(DomainError):
    code = "processor-unavailable"
    kind = "unavailable"
    title = "The payment processor did not answer; nothing was changed"

    def __init__(self, detail: str = "", retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class CardDeclined(DomainError):
    code = "card-declined"
    title = "The processor declined the card"


class NoPrimaryCard(DomainError):
    code = "no-primary-card"
    kind = "conflict"
    title = "The customer has no primary card; choose a saved card to charge"


class InvoiceAlreadyPaid(DomainError):
    code = "invoice-already-paid"
    kind = "conflict"
    title = ("The invoice already has a payment that succeeded or is in flight; "
             "send additional: true to pay it again on purpose")


class PaymentInProgress(DomainError):
    code = "payment-in-progress"
    kind = "conflict"
    title = "A payment with this Idempotency-Key is still in flight; retry later"

    def __init__(self, detail: str = "", retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UnsupportedCurrency(InvalidCommand):
    code = "unsupported-currency"
    title = "cardledger does not charge in this currency"


class InvalidAmount(InvalidCommand):
    code = "invalid-amount"
    title = "The amount cannot be charged in this currency"


class IdempotencyKeyRequired(InvalidCommand):
    code = "idempotency-key-required"
    title = "This command needs an Idempotency-Key, so a retry never repeats it"


class NoSuchPayment(DomainError):
    code = "no-such-payment"
    kind = "not-found"
    title = "No such payment"


class NoSuchCharge(DomainError):
    code = "no-such-charge"
    kind = "not-found"
    title = "No such autopay charge"


class ConsentRequired(InvalidCommand):
    code = "consent-required"
    title = "Autopay needs the customer's recorded consent"


class AutopayNotEnabled(DomainError):
    code = "autopay-not-enabled"
    kind = "conflict"
    title = "Autopay is not turned on for this customer"


class CardInUseByAutopay(DomainError):
    code = "card-in-use-by-autopay"
    kind = "conflict"
    title = "Autopay charges this card; delete it with force=true or change autopay first"


class CustomerErased(DomainError):
    code = "customer-erased"
    kind = "gone"
    title = "The customer was erased; nothing more can be read or changed for them"

    @classmethod
    def of(cls, company_id: str, customer_id: str, at: str | None = None) -> CustomerErased:
        """The one wording, whichever layer finds the customer erased."""
        when = f" at {at}" if at else ""
        return cls(f"Customer {customer_id} of company {company_id} was erased{when}")


class ErasureBlocked(DomainError):
    code = "erasure-blocked"
    kind = "conflict"
    title = "A payment for this customer is still in flight; erase after it finishes"
