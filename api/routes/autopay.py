"""Autopay: the company's settings, a customer's enrolment (with consent),
merchant-initiated charges, and the expiring-cards report (docs/autopay.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import ROLES, ActorHeader, Principal, provenance_of, require
from api.autopay_schemas import (
    AutopayChange,
    AutopayChargeIn,
    AutopayChargeOut,
    AutopaySettingsBody,
    AutopayState,
    ExpiringCardOut,
    ExpiringCards,
)
from api.commands import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    expected_version,
    outcome_headers,
    settle,
    wait_for_views,
)
from api.openapi import raises
from api.params import CompanyPath, CustomerPath
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from domain.autopay import autopay_of
from domain.errors import (
    AutopayNotEnabled,
    CardAlreadyDeleted,
    CardExpired,
    ConsentRequired,
    CustomerErased,
    CustomerNotFound,
    IdempotencyKeyRequired,
    InvalidAmount,
    InvalidCommand,
    InvoiceAlreadyPaid,
    NoPrimaryCard,
    NoSuchCard,
    NoSuchCharge,
    OnlinePaymentsDisabled,
    PaymentInProgress,
    ProcessorUnavailable,
    UnsupportedCurrency,
    VersionConflict,
)
from domain.outcomes import Outcome
from projections.autopay_views import expiring_cards

router = APIRouter(prefix="/v1/companies/{company}", tags=["autopay"],
                   route_class=InspectedRoute)

Anyone = Annotated[Principal, Depends(require(*ROLES))]
Admin = Annotated[Principal, Depends(require("admin"))]
Enroller = Annotated[Principal, Depends(require("portal", "office"))]
Reader = Annotated[Principal, Depends(require("portal", "office", "auditor"))]
Office = Annotated[Principal, Depends(require("office"))]
Reporter = Annotated[Principal, Depends(require("office", "auditor"))]
AUTOPAY = "/customers/{customer}/autopay"
ChargePath = Annotated[str, Path(description="An autopay charge's id (`apc_...`)",
                                 pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@router.get("/settings/autopay", response_model=AutopaySettingsBody,
            operation_id="getAutopaySettings", openapi_extra=raises())
def get_autopay_settings(company: CompanyPath, runtime: RuntimeDep,
                         _: Anyone) -> AutopaySettingsBody:
    """Whether declines fall back to other cards, and the retry schedule."""
    settings = runtime.ledger.autopay.settings(company)
    return AutopaySettingsBody(fallback_to_other_cards=settings.fallback_to_other_cards,
                               retry_schedule_days=list(settings.retry_schedule_days))


@router.put("/settings/autopay", response_model=AutopaySettingsBody,
            operation_id="changeAutopaySettings",
            openapi_extra=raises(InvalidCommand, VersionConflict))
def put_autopay_settings(company: CompanyPath, change: AutopaySettingsBody,
                         actor: ActorHeader, runtime: RuntimeDep, response: Response,
                         principal: Admin) -> AutopaySettingsBody:
    """Change the settings; sending the current ones changes nothing."""
    outcome = runtime.ledger.autopay.change_settings(
        company, change.fallback_to_other_cards, change.retry_schedule_days,
        provenance_of(principal, actor, None))
    response.headers.update(outcome_headers(outcome, settle(runtime, outcome)))
    return get_autopay_settings(company, runtime, principal)


@router.put(AUTOPAY, response_model=AutopayState, operation_id="setAutopay",
            openapi_extra=raises(CustomerErased, CustomerNotFound, OnlinePaymentsDisabled, ConsentRequired,
                                 InvalidCommand, NoPrimaryCard, NoSuchCard,
                                 CardAlreadyDeleted, CardExpired))
def put_autopay(company: CompanyPath, customer: CustomerPath, change: AutopayChange,
                actor: ActorHeader, runtime: RuntimeDep, principal: Enroller,
                response: Response, idempotency_key: IdempotencyKeyHeader = None,
                if_match: IfMatchHeader = None) -> AutopayState:
    """Turn autopay on (with the customer's consent: 422 consent-required
    without it) on a saved card or following the primary, or off."""
    by = provenance_of(principal, actor, customer)
    version = expected_version(if_match)
    if change.enabled:
        consent = change.consent
        outcome = runtime.ledger.autopay.enrol(
            company, customer, card_id=change.payment_method_id,
            consent_text_version=consent.text_version if consent else None,
            consent_channel=consent.channel if consent else None, by=by,
            idempotency_key=idempotency_key, expected_version=version)
    elif change.payment_method_id is not None or change.consent is not None:
        raise Problem(422, "invalid-request", "The request is malformed",
                      'To turn autopay off send only {"enabled": false}')
    else:
        outcome = runtime.ledger.autopay.turn_off(company, customer, by=by,
                                                  idempotency_key=idempotency_key,
                                                  expected_version=version)
    response.headers.update(outcome_headers(outcome, settle(runtime, outcome)))
    state = outcome.customer or runtime.ledger.get_customer(company, customer,
                                                            version=outcome.version)
    return AutopayState.of(autopay_of(state), state.version)


@router.get(AUTOPAY, response_model=AutopayState, operation_id="getAutopay",
            openapi_extra=raises(CustomerNotFound))
def get_autopay(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                _: Reader, response: Response) -> AutopayState:
    """The customer's autopay and the consent it charges under."""
    autopay, state = runtime.ledger.autopay.of(company, customer)
    response.headers["ETag"] = f'"{state.version}"'
    return AutopayState.of(autopay, state.version)


@router.post(AUTOPAY + "/charges", status_code=201, response_model=AutopayChargeOut,
             operation_id="chargeAutopay",
             openapi_extra=raises(CustomerErased, CustomerNotFound, AutopayNotEnabled, OnlinePaymentsDisabled,
                                  NoPrimaryCard, InvoiceAlreadyPaid, PaymentInProgress,
                                  UnsupportedCurrency, InvalidAmount, IdempotencyKeyRequired,
                                  ProcessorUnavailable, VersionConflict))
def charge(company: CompanyPath, customer: CustomerPath, request: AutopayChargeIn,
           actor: ActorHeader, runtime: RuntimeDep, principal: Office, response: Response,
           idempotency_key: IdempotencyKeyHeader = None) -> Any:
    """Charge an invoice off-session under the customer's autopay consent;
    declines fall back to other cards if the company says so. 201 whatever
    the outcome: `status` says it. The same Idempotency-Key answers the same
    charge and never charges again."""
    try:
        outcome = runtime.ledger.autopay.charge(
            company, customer, invoice_id=request.invoice_id, amount=request.amount,
            currency=request.currency, by=provenance_of(principal, actor, customer),
            idempotency_key=idempotency_key)
    except PaymentInProgress as busy:
        raise Problem(409, busy.code, busy.title, busy.detail,
                      headers={"Retry-After": str(busy.retry_after)}) from None
    position = runtime.ledger.recorder.max_notification_id()
    wait_for_views(runtime, position)
    response.headers.update(outcome_headers(
        Outcome(None, outcome.version, position, outcome.replayed), position))
    return AutopayChargeOut.of(outcome.charge)


@router.get(AUTOPAY + "/charges/{charge_id}", response_model=AutopayChargeOut,
            operation_id="getAutopayCharge", openapi_extra=raises(CustomerNotFound, NoSuchCharge))
def get_charge(company: CompanyPath, customer: CustomerPath, charge_id: ChargePath,
               runtime: RuntimeDep, _: Reader) -> Any:
    """One autopay charge, its attempts and (if scheduled) its next retry."""
    return AutopayChargeOut.of(runtime.ledger.autopay.get_charge(company, customer, charge_id))


@router.get("/reports/expiring-cards", response_model=ExpiringCards,
            operation_id="listExpiringCards", tags=["reports"], openapi_extra=raises())
def expiring_cards_report(
        company: CompanyPath, runtime: RuntimeDep, _: Reporter,
        within_days: Annotated[int, Query(ge=1, le=3650)] = 30,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        after: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-[A-Za-z0-9_-]{1,64}$",
                                           description="next_after of the previous page")]
        = None) -> ExpiringCards:
    """Saved cards that expire between today and `within_days` from now (as
    the account updater last corrected them), soonest first, marking the ones
    autopay charges."""
    today = runtime.ledger.clock().date()
    cards, more = expiring_cards(runtime.read_model.db, company, today, within_days,
                                 limit=limit, after=after)
    return ExpiringCards(cards=[ExpiringCardOut.of(c) for c in cards], has_more=more,
                         next_after=cards[-1].cursor if more and cards else None,
                         as_of=today, within_days=within_days)
