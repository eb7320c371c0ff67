"""Every problem the API can answer, in one registry: its code, status, title,
what it means and what the caller should do.

Domain errors come from ``domain/errors.py`` (code, title and status from the
error itself); the edge's own refusals (keys, roles, the card-number guard,
headers, the store) are listed here. The OpenAPI document, the
``/problems/{code}`` pages and docs/problems.md are all rendered from this
registry, so an error cannot exist in one and be missing from another.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from domain import errors
from domain.errors import DomainError

STATUS_BY_KIND = {
    "invalid": 422,
    "not-found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unavailable": 503,
    "gone": 410,
}
# Codes whose status differs from their kind's. A card that was deleted is not
# unknown: the caller raced another change (two deletes, or a set-primary after
# a delete), which is a conflict with the current state like already-primary.
STATUS_BY_CODE = {
    "card-already-deleted": 409,
}


def status_for(error: DomainError | type[DomainError]) -> int:
    return STATUS_BY_CODE.get(error.code, STATUS_BY_KIND.get(error.kind, 422))


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str
    means: str
    do: str
    retry_after: bool = False  # answered with a Retry-After header


def _domain_errors() -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    pending = [DomainError]
    while pending:
        error = pending.pop()
        pending.extend(error.__subclasses__())
        if error is not DomainError and error.__module__ == errors.__name__:
            found.append(error)
    return sorted(found, key=lambda e: e.code)


def _advice(means: str, do: str) -> tuple[str, str]:
    return means, do


# What each domain error means to a caller and what to do about it.
_DOMAIN_ADVICE: dict[str, tuple[str, str]] = {
    "invalid-command": _advice(
        "A value the domain checks itself is malformed (an id, a currency code, an actor).",
        "Fix the value named in `detail`; sending the same request again fails the same way."),
    "online-payments-disabled": _advice(
        "The company has Online Payments switched off: no card can be added and no invoice "
        "paid (deleting cards still works).",
        "Ask the company's admin to switch it on (Settings > Invoicing > Online Payments, "
        "`PUT .../settings/online-payments`); do not retry until then."),
    "customer-not-found": _advice(
        "No customer with this id exists in this company (never registered, no card ever "
        "added, or it did not exist yet at `as_of`).",
        "Check the company and customer ids; register the customer (`PUT .../customers/{id}`) "
        "or add its first card."),
    "customer-erased": _advice(
        "The customer was erased (a GDPR or CCPA request, `DELETE .../customers/{id}`): "
        "their cards were detached and deleted and their personal data made unreadable. "
        "Nothing more can be changed or listed for them; their history stays readable.",
        "Do not retry. A returning customer starts under a new customer id."),
    "erasure-blocked": _advice(
        "A payment or autopay charge of this customer is still in flight: its outcome must "
        "be recorded before the customer's stream is closed. Nothing was erased.",
        "Retry the named payments with their Idempotency-Keys (or wait for the autopay "
        "worker), then send the DELETE again."),
    "no-such-card": _advice(
        "The customer has no saved card with this id.",
        "List the customer's payment methods and use one of their ids."),
    "card-already-deleted": _advice(
        "The card existed but was deleted: another request won a race (two deletes, or a "
        "set-primary after a delete).",
        "Read the payment methods again and decide with the current list."),
    "card-already-saved": _advice(
        "The same card (by the processor's fingerprint) is already saved for this customer.",
        "Use the saved card; nothing was added."),
    "already-primary": _advice(
        "The card is already the customer's primary card.",
        "Nothing to do; the state is what you asked for."),
    "too-many-cards": _advice(
        "The customer has the most saved cards allowed (10 by default).",
        "Delete a card before adding another."),
    "card-expired": _advice(
        "The card's expiry month has passed, so it cannot be added, made primary or charged.",
        "Ask the customer for another card."),
    "version-conflict": _advice(
        "The customer changed since the version you sent as If-Match, or too many changes "
        "raced at once. Nothing was changed.",
        "Read again (the ETag is the new version) and send the command with it."),
    "idempotency-key-reused": _advice(
        "This Idempotency-Key was already used for a different request to this customer.",
        "Use a new key for a new request; reuse a key only to retry exactly the same request."),
    "unknown-token": _advice(
        "The processor does not know this payment-method token, or it is not a card.",
        "Tokenise the card again with the processor (Stripe.js) and send the new token."),
    "processor-unavailable": _advice(
        "The payment processor did not answer in time or failed. Nothing was recorded.",
        "Retry after Retry-After seconds with the same Idempotency-Key."),
    "card-declined": _advice(
        "The processor refused to keep this card.",
        "Ask the customer for another card."),
    "no-primary-card": _advice(
        "The payment names no card and the customer has no primary card.",
        "Send `payment_method_id`, or make a card primary first."),
    "invoice-already-paid": _advice(
        "The invoice already has a payment that succeeded or is in flight.",
        "Do nothing if it was a retry by mistake; to pay it again on purpose (a partial or "
        "extra payment) send `\"additional\": true`."),
    "payment-in-progress": _advice(
        "A payment under this Idempotency-Key is still being charged by another request.",
        "Retry after Retry-After seconds with the same key; it answers the payment's outcome."),
    "unsupported-currency": _advice(
        "The processor does not charge in this currency.",
        "Charge in a currency from docs/payments-rules.md (ISO 4217, lower case)."),
    "invalid-amount": _advice(
        "The amount is not whole minor units of the currency within the processor's minimum "
        "and maximum.",
        "Send an integer in the currency's minor units within the limits in `detail`."),
    "idempotency-key-required": _advice(
        "Paying an invoice needs an Idempotency-Key, so a retry never charges twice.",
        "Send `Idempotency-Key: <a new unique key>` and keep it for retries."),
    "no-such-payment": _advice(
        "The customer has no payment with this id (a typo, another customer's payment, or "
        "a payment this customer never made).",
        "Use a `payment_id` from the payment's answer or from `GET .../payments` of the same "
        "customer."),
    "no-such-charge": _advice(
        "The customer has no autopay charge with this id.",
        "Use the `charge_id` the charge's answer gave (`apc_...`), for the same customer."),
    "consent-required": _advice(
        "Turning autopay on needs the customer's recorded consent: the version of the text "
        "they agreed to and the channel they agreed through (portal, phone, paper, "
        "in_person). Nothing was changed.",
        "Record the consent with the customer first, then send `\"consent\": "
        "{\"text_version\": ..., \"channel\": ...}` with `\"enabled\": true`."),
    "autopay-not-enabled": _advice(
        "A merchant-initiated (off-session) charge needs autopay on for this customer, under "
        "a consent; it is off, or was turned off (by the customer, or when its last card was "
        "deleted). Nothing was charged.",
        "Enrol the customer with their consent (`PUT .../autopay`), or ask them to pay the "
        "invoice themselves (`POST .../payments`). Retrying does not help until then."),
    "card-in-use-by-autopay": _advice(
        "Deleting this card would leave autopay without the card it charges: it is the card "
        "autopay names, or the last saved card while autopay is on. Nothing was deleted.",
        "Point autopay at another card (`PUT .../autopay`) or turn autopay off first; or "
        "delete with `?force=true`, which moves autopay to the primary card (or turns it "
        "off when no card is left) and records that as its own event."),
}

_EDGE = [
    ProblemType("views-behind", 503, "The views are behind the events",
                "`/readyz` only: the card list, history and reports lag the event log by more "
                "than CARDLEDGER_READY_MAX_VIEWS_LAG_EVENTS events, or an event has waited "
                "more than CARDLEDGER_READY_MAX_VIEWS_LAG_SECONDS for them (a stopped or slow "
                "projection worker). The answer carries the lag it measured.",
                "An orchestrator keeps the process out of rotation and asks again after "
                "Retry-After seconds; an operator checks that `cardledger project` runs "
                "(docs/operations.md).", retry_after=True),
    ProblemType("card-setup-not-configured", 503, "Card entry is not configured",
                "This server cannot start browser card entry: the processor has none (a "
                "sandbox without test cards) or CARDLEDGER_STRIPE_PUBLISHABLE_KEY is not "
                "set. Nothing was recorded.",
                "The operator sets the publishable key (docs/settings.md); retry after "
                "Retry-After seconds, or add cards with a token (`POST .../payment-methods`).",
                retry_after=True),
    ProblemType("unauthorized", 401, "Missing or unknown API key",
                "No `Authorization: Bearer <key>` header, or a key this server does not know.",
                "Send a valid key; ask the operator for one."),
    ProblemType("wrong-company", 403, "This key belongs to another company",
                "The key is valid, but for another company than the path's.",
                "Use the key of the company in the path."),
    ProblemType("wrong-role", 403, "This key's role may not do this",
                "The key's role (portal, office, auditor, admin) may not call this operation.",
                "Use a key of a role listed in `detail`."),
    ProblemType("wrong-actor", 403, "The X-Actor does not fit the key",
                "A portal key may act only as `customer:<the path's customer>`; office and "
                "admin keys act as `user:<id>`.",
                "Send the X-Actor `detail` names."),
    ProblemType("rate-limited", 429, "Too many requests for this key",
                "This key sent more requests than its rate allows in this process.",
                "Wait Retry-After seconds, then retry.", retry_after=True),
    ProblemType("invalid-request", 422, "The request is malformed",
                "A header, path parameter, query parameter or body field does not match the "
                "OpenAPI schema. `errors` says where; the input itself is never echoed.",
                "Fix the fields listed in `errors`."),
    ProblemType("invalid-json", 422, "The body is not JSON cardledger accepts",
                "The body is not strict UTF-8 JSON: a BOM, invalid UTF-8, a repeated key, "
                "nesting over 32 or a number over 40 characters.",
                "Send plain UTF-8 JSON."),
    ProblemType("invalid-cursor", 422, "starting_after is not one of these items",
                "`starting_after` names no item of this list (a payment of another customer, "
                "or a typo).",
                "Send the previous answer's `next_starting_after`, or none for the first page."),
    ProblemType("invalid-if-match", 422, "If-Match must be a version",
                "If-Match is not a version the API answered (an ETag such as `\"7\"`).",
                "Send the ETag of your last read, or no If-Match."),
    ProblemType("card-data-refused", 422, "The request holds something like card data",
                "Something in the path, query, a header or the body looks like a card number "
                "or CVC, or a field is named like one. Nothing was recorded.",
                "Send cards only as processor tokens (`pm_...`); ids made of letters avoid "
                "false alarms. The rule: docs/card-data.md."),
    ProblemType("ambiguous-headers", 422, "A header that must appear once appears twice",
                "Content-Type, Content-Encoding, Content-Length or Transfer-Encoding is "
                "repeated, so the body could be read two ways.",
                "Send each of them at most once."),
    ProblemType("request-timeout", 408, "The request body did not arrive in time",
                "The body took longer than 10 seconds to arrive.",
                "Send the body promptly; retry."),
    ProblemType("request-too-large", 413, "The request body is too large",
                "The body is over 64 KiB.", "Send a smaller body."),
    ProblemType("uri-too-long", 414, "The path and query are too long",
                "The path and query are over 8 KiB.", "Send a shorter request target."),
    ProblemType("unsupported-media-type", 415, "The body is not JSON",
                "The body's Content-Type is not `application/json` (UTF-8).",
                "Send `Content-Type: application/json`."),
    ProblemType("unsupported-content-encoding", 415, "Compressed bodies are not accepted",
                "The request has a Content-Encoding other than identity.",
                "Send the body uncompressed."),
    ProblemType("headers-too-large", 431, "The request's headers are too large",
                "The headers are over 16 KiB.", "Send fewer or shorter headers."),
    ProblemType("not-found", 404, "No such resource",
                "No operation has this path.", "Check the path against /openapi.json."),
    ProblemType("method-not-allowed", 405, "The method is not allowed on this resource",
                "The path exists but not with this method.",
                "Use a method /openapi.json lists for the path."),
    ProblemType("store-unavailable", 503, "The event store is unavailable",
                "The event store did not answer within the store timeout. Nothing was changed.",
                "Retry after Retry-After seconds (with the same Idempotency-Key).",
                retry_after=True),
    ProblemType("internal-error", 500, "Something went wrong on our side",
                "A bug. It was logged under the request's id (`instance`).",
                "Report the `instance`; retrying with the same Idempotency-Key is safe."),
    ProblemType("bad-webhook-signature", 400, "The webhook signature does not match",
                "Stripe-Signature is missing, does not match the body, or is too old.",
                "Only Stripe calls this endpoint; check the endpoint's signing secret."),
    ProblemType("webhook-not-configured", 503, "The Stripe webhook is not configured",
                "CARDLEDGER_STRIPE_WEBHOOK_SECRET is not set on this server.",
                "The operator sets the secret; Stripe retries meanwhile.", retry_after=True),
]


def _from_domain(error: type[DomainError]) -> ProblemType:
    means, do = _DOMAIN_ADVICE[error.code]
    return ProblemType(error.code, status_for(error), error.title, means, do,
                       retry_after="retry_after" in inspect.signature(error).parameters)


DOMAIN_ERRORS = _domain_errors()
REGISTRY: dict[str, ProblemType] = {
    p.code: p for p in [*(_from_domain(e) for e in DOMAIN_ERRORS), *_EDGE]}
