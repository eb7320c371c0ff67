"""Card entry for browsers: what a client needs to collect a card without
cardledger seeing its number (cardledger/card_setup.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import Principal, require
from api.openapi import raises
from api.params import CompanyPath, CustomerPath
from api.problems import Problem
from api.routing import InspectedRoute
from api.runtime import RuntimeDep
from api.schemas import CardSetup, TestCardChoice
from cardledger.card_setup import CardSetupNotConfigured, card_setup
from domain.errors import ProcessorUnavailable

router = APIRouter(prefix="/v1/companies/{company}/customers/{customer}/payment-methods",
                   tags=["payment methods"], route_class=InspectedRoute)


@router.post("/setup", response_model=CardSetup, operation_id="startCardSetup",
             # Records nothing: only the processor is asked (a Stripe SetupIntent).
             openapi_extra=raises("card-setup-not-configured", ProcessorUnavailable,
                                  store=False))
def setup_card_entry(company: CompanyPath, customer: CustomerPath, runtime: RuntimeDep,
                           _: Annotated[Principal, Depends(require("portal", "office"))],
                           ) -> CardSetup:
    """Start collecting one new card. Stripe: a SetupIntent's client secret for
    Stripe.js; sandbox: the test cards by name. Records nothing."""
    try:
        setup = card_setup(runtime.ledger.processor, runtime.settings, company, customer)
    except CardSetupNotConfigured as missing:
        raise Problem(503, "card-setup-not-configured", "Card entry is not configured",
                      str(missing), headers={"Retry-After": "60"}) from None
    return CardSetup(processor=setup.processor,  # type: ignore[arg-type]
                     client_secret=setup.client_secret,
                     publishable_key=setup.publishable_key,
                     test_cards=[TestCardChoice(token=c.token, label=c.label)
                                 for c in setup.test_cards])
