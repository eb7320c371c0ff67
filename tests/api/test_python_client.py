"""The generated Python client (clients/python) matches the current OpenAPI
document, and a portal backend can tell the seed's story through it against
`cardledger serve`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import generate_client
from tests.api.test_serve import cardledger_serve, dev_keys

sys.path.insert(0, str(generate_client.CLIENT))

from cardledger_client import AuthenticatedClient
from cardledger_client.api.history import list_history
from cardledger_client.api.payment_methods import (
    add_payment_method,
    delete_payment_method,
    list_payment_methods,
    set_primary_payment_method,
)
from cardledger_client.api.payments import list_payments, pay_invoice
from cardledger_client.api.settings import set_online_payments
from cardledger_client.models import (
    AddCard,
    Card,
    History,
    OnlinePaymentsChange,
    PayInvoice,
    PaymentMethods,
    PaymentRecord,
    Payments,
    ProblemDetails,
)

COMPANY, CUSTOMER = "acme-plumbing", "cust-clientstory"


@pytest.mark.timeout(120)
def test_the_checked_in_client_is_generated_from_the_current_document(
        tmp_path: Path) -> None:
    fresh = tmp_path / "python"
    generate_client.generate(fresh)
    assert generate_client.differences(generate_client.CLIENT, fresh) == []


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[dict[str, AuthenticatedClient]]:
    with cardledger_serve(tmp_path) as (url, _):
        keys = dev_keys(tmp_path / "data")
        made = {role: AuthenticatedClient(base_url=url, token=key,
                                          raise_on_unexpected_status=True)
                for role, key in keys.items()}
        yield made
        for client in made.values():
            client.get_httpx_client().close()


@pytest.mark.timeout(120)
def test_the_seed_story_through_the_generated_client(
        clients: dict[str, AuthenticatedClient]) -> None:
    portal, office, admin = clients["portal"], clients["office"], clients["admin"]
    me = f"customer:{CUSTOMER}"
    set_online_payments.sync(COMPANY, client=admin, x_actor="user:admin",
                             body=OnlinePaymentsChange(enabled=True))
    # the customer adds a card, then a second one as primary
    visa = add_payment_method.sync(COMPANY, CUSTOMER, client=portal, x_actor=me,
                                   idempotency_key="add-visa", body=AddCard(token="pm_card_visa"))
    mastercard = add_payment_method.sync(
        COMPANY, CUSTOMER, client=portal, x_actor=me, idempotency_key="add-mastercard",
        body=AddCard(token="pm_card_mastercard", make_primary=True))
    assert isinstance(visa, Card) and isinstance(mastercard, Card)
    assert mastercard.is_primary
    # sets the Visa primary again, then the office deletes the Mastercard at the version it read
    primary = set_primary_payment_method.sync(COMPANY, CUSTOMER, visa.id, client=portal,
                                              x_actor=me, idempotency_key="primary-visa")
    assert isinstance(primary, Card) and primary.is_primary
    listed = list_payment_methods.sync_detailed(COMPANY, CUSTOMER, client=office)
    assert isinstance(listed.parsed, PaymentMethods)
    deleted = delete_payment_method.sync_detailed(
        COMPANY, CUSTOMER, mastercard.id, client=office, x_actor="user:jdoe",
        if_match=listed.headers["etag"], idempotency_key="delete-mastercard")
    assert deleted.status_code == 204
    # pays an invoice with the primary card
    paid = pay_invoice.sync(COMPANY, CUSTOMER, client=portal, x_actor=me,
                            idempotency_key="pay-inv-1042",
                            body=PayInvoice(invoice_id="INV-1042", amount=12500, currency="usd"))
    assert isinstance(paid, PaymentRecord)
    assert (paid.status, paid.payment_method_id) == ("succeeded", visa.id)
    # and the history tells it, newest first
    history = list_history.sync(COMPANY, CUSTOMER, client=office)
    assert isinstance(history, History) and history.has_more is False
    assert [h.action for h in history.history] == [
        "payment_succeeded", "deleted", "set_primary", "set_primary", "added", "set_primary",
        "added", "online_payments_enabled"]
    payments = list_payments.sync(COMPANY, CUSTOMER, client=office)
    assert isinstance(payments, Payments) and [p.id for p in payments.payments] == [paid.id]


@pytest.mark.timeout(120)
def test_a_problem_comes_back_as_problem_details(
        clients: dict[str, AuthenticatedClient]) -> None:
    unknown = list_payment_methods.sync(COMPANY, "cust-nobody", client=clients["office"])
    assert isinstance(unknown, ProblemDetails)
    assert (unknown.status, unknown.code) == (404, "customer-not-found")
