"""A customer's saved cards: list (from the views, or replayed as of an
instant), add by processor token, choose the primary, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.auth import ActorHeader, Principal, provenance_of, require
from api.commands import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    MinPositionHeader,
    expected_version,
    outcome_headers,
    settle,
    wait_for_views,
)
from api.openapi import raises
from api.params import CardPath, CompanyPath, CustomerPath
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import AddCard, Card, PaymentMethods
from cardledger.wiring import Runtime
from domain.errors import (
    AlreadyPrimary,
    CardAlreadyDeleted,
    CardAlreadySaved,
    CardDeclined,
    CardExpired,
    CardInUseByAutopay,
    CustomerErased,
    CustomerNotFound,
    NoSuchCard,
    OnlinePaymentsDisabled,
    ProcessorUnavailable,
    TooManyCards,
    UnknownToken,
    VersionConflict,
)
from domain.service import Outcome
from projections.replay import replay_customer
from projections.views import cards_of

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payment-methods",
                   tags=["payment methods"],
                   route_class=InspectedRoute)

Reader = Annotated[Principal, Depends(require("portal", "office", "auditor"))]
Writer = Annotated[Principal, Depends(require("portal", "office"))]
REPLAY_ROLES = ("auditor", "office")

Force = Annotated[bool, Query(
    description="Also delete the card autopay charges: autopay then follows the primary "
                "card, or is turned off when no card is left")]
AsOf = Annotated[datetime | None, Query(
    description="ISO-8601 instant (UTC when no offset): the cards as they were then, replayed "
                "from the events (auditor and office keys)")]


@router.get("", response_model=PaymentMethods, operation_id="listPaymentMethods",
            responses={200: {"headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}},
            openapi_extra=raises(CustomerErased, CustomerNotFound))
def list_payment_methods(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                         principal: Reader, response: Response, as_of: AsOf = None,
                         min_position: MinPositionHeader = None) -> PaymentMethods:
    """Current cards, primary first then newest first, and the customer's
    version (also the ETag, for If-Match)."""
    wait_for_views(runtime, min_position)
    if as_of is not None:
        if principal.role not in REPLAY_ROLES:
            raise Problem(403, "wrong-role", "Only auditor and office keys may replay",
                          f"Allowed roles: {', '.join(REPLAY_ROLES)}")
        as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        state = replay_customer(runtime.ledger, company, customer, as_of=as_of)
        version, cards = state.version, cards_of(state)
    else:
        listed = runtime.read_model.card_list(company, customer)
        if listed is None:
            raise CustomerNotFound(f"No customer {customer} in company {company}")
        version, cards = listed
    response.headers["ETag"] = f'"{version}"'
    return PaymentMethods(payment_methods=[Card.of(c) for c in cards], version=version,
                          as_of=as_of)


@router.post("", status_code=201, response_model=Card, operation_id="addPaymentMethod",
             openapi_extra=raises(CustomerErased, OnlinePaymentsDisabled, CardAlreadySaved, TooManyCards,
                                  CardExpired, UnknownToken, CardDeclined,
                                  ProcessorUnavailable, VersionConflict))
def add_payment_method(company: CompanyPath, customer: CustomerPath, card: AddCard,
                       actor: ActorHeader, runtime: RuntimeDep, principal: Writer,
                       response: Response, idempotency_key: IdempotencyKeyHeader = None,
                       if_match: IfMatchHeader = None) -> Card:
    """Save a card by its processor token. The first card, or one sent with
    make_primary, becomes primary. A new customer is registered on the way."""
    outcome = runtime.ledger.add_card(
        company, customer, card.token, make_primary=card.make_primary,
        by=provenance_of(principal, actor, customer), idempotency_key=idempotency_key,
        expected_version=expected_version(if_match))
    return _answer(runtime, company, customer, outcome, response)


@router.post("/{id}/primary", response_model=Card, operation_id="setPrimaryPaymentMethod",
             openapi_extra=raises(CustomerErased, CustomerNotFound, NoSuchCard, CardAlreadyDeleted,
                                  AlreadyPrimary, CardExpired, VersionConflict))
def set_primary(company: CompanyPath, customer: CustomerPath, card_id: CardPath,
                actor: ActorHeader, runtime: RuntimeDep, principal: Writer, response: Response,
                idempotency_key: IdempotencyKeyHeader = None,
                if_match: IfMatchHeader = None) -> Card:
    """Make the card the primary one."""
    outcome = runtime.ledger.set_primary(
        company, customer, card_id, by=provenance_of(principal, actor, customer),
        idempotency_key=idempotency_key, expected_version=expected_version(if_match))
    return _answer(runtime, company, customer, outcome, response)


@router.delete("/{id}", status_code=204, response_class=Response,
               operation_id="deletePaymentMethod",
               openapi_extra=raises(CustomerErased, CustomerNotFound, NoSuchCard, CardAlreadyDeleted,
                                    CardInUseByAutopay, VersionConflict))
def delete_payment_method(company: CompanyPath, customer: CustomerPath, card_id: CardPath,
                          actor: ActorHeader, runtime: RuntimeDep, principal: Writer,
                          idempotency_key: IdempotencyKeyHeader = None,
                          if_match: IfMatchHeader = None, force: Force = False) -> Response:
    """Delete the card. Deleting the primary promotes the newest unexpired card.
    The card autopay charges (or the last card while autopay is on) is 409
    card-in-use-by-autopay unless force=true (docs/autopay.md)."""
    outcome = runtime.ledger.delete_card(
        company, customer, card_id, by=provenance_of(principal, actor, customer),
        idempotency_key=idempotency_key, expected_version=expected_version(if_match),
        force=force)
    position = settle(runtime, outcome)
    return Response(status_code=204, headers=outcome_headers(outcome, position))


def _answer(runtime: Runtime, company: str, customer: str, outcome: Outcome,
            response: Response) -> Card:
    """The card as it was right after the command: from the customer the
    command left in memory, or (a retried request, an idempotent replay) the
    customer loaded at the command's version, so a retry gets the same body
    as the first, whatever happened since."""
    position = settle(runtime, outcome)
    response.headers.update(outcome_headers(outcome, position))
    state = outcome.customer or runtime.ledger.get_customer(company, customer,
                                                            version=outcome.version)
    cards = {card.id: card for card in cards_of(state)}
    return Card.of(cards[str(outcome.card_id)])
