"""The evidence pack of one payment, over HTTP, on both stores: given a
customer who paid one invoice with the primary card and had another declined
on a card named for it, and a signed checkpoint, when the office or an
auditor asks for a payment's evidence, then one document tells its story."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from api.evidence_page import render
from cardledger.checkpoints import make_checkpoints, signing_key
from tests.api.client import Api
from tests.api.conftest import Live, api_for, base_settings, fresh_id, serving
from tests.api.test_errors import assert_problem
from tests.conftest import throwaway_database

CHAIN_KEY = "evidence-test-chain-key"


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def keyed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          ) -> Iterator[Live]:
    """A server whose settings hold the checkpoint key."""
    data_dir = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        with serving(base_settings(data_dir, chain_key=SecretStr(CHAIN_KEY))) as live:
            yield live
        return
    with throwaway_database("cardledger_api_") as database, \
            serving(base_settings(data_dir, database, chain_key=SecretStr(CHAIN_KEY))) as live:
        yield live


@pytest.fixture
def api(keyed: Live) -> Iterator[Api]:
    client = api_for(keyed)
    yield client
    client.close()


def pay(api: Api, customer: str, invoice: str, card_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"invoice_id": invoice, "amount": 1250, "currency": "usd"}
    if card_id:
        body["payment_method_id"] = card_id
    response = api._command("POST", f"{api.company_path()}/customers/{customer}/payments",
                            customer=customer, as_="portal", actor=None,
                            idempotency_key=fresh_id("key"), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def evidence(api: Api, customer: str, payment_id: str, *, as_: str = "auditor",
             **kwargs: Any) -> Any:
    return api.request(
        "GET", f"{api.company_path()}/customers/{customer}/payments/{payment_id}/evidence",
        as_=as_, **kwargs)


@pytest.fixture
def story(api: Api, keyed: Live) -> tuple[str, dict[str, Any], dict[str, Any]]:
    customer = fresh_id("cu")
    api.given_online_payments()
    api.given_card(customer, "pm_card_visa")
    declining = api.given_card(customer, "pm_card_chargeDeclined")
    paid = pay(api, customer, "INV-1")
    declined = pay(api, customer, "INV-2", declining)
    make_checkpoints(keyed.runtime.ledger, signing_key(keyed.runtime.settings))
    return customer, paid, declined


def test_the_pack_tells_the_paid_payments_story(api: Api, story: Any) -> None:
    customer, paid, _ = story
    response = evidence(api, customer, paid["id"])
    assert response.status_code == 200, response.text
    pack = response.json()
    assert pack["payment"]["status"] == "succeeded"
    assert [a["event"] for a in pack["payment"]["attempts"]] == ["started", "succeeded"]
    assert pack["payment"]["attempts"][1]["processor_payment_id"]
    card = pack["card"]
    assert (card["brand"], card["last4"], card["was_primary"]) == ("visa", "4242", True)
    assert (card["added_by"], card["added_from"]) == (f"customer:{customer}", "portal")
    assert card["fingerprint"] and card["added_at"]
    assert pack["selection"] == {"how": "primary", "card_version": card["version"]}
    assert pack["consent"] is None
    last = pack["payment"]["attempts"][-1]["version"]
    assert [h["version"] for h in pack["history"]] == list(range(1, last + 1))
    assert pack["history"][-1]["type"] == "Customer.PaymentSucceeded"
    assert not any("processor_token" in h["data"] for h in pack["history"])


def test_the_pack_names_the_chosen_card_and_its_decline(api: Api, story: Any) -> None:
    customer, _, declined = story
    pack = evidence(api, customer, declined["id"], as_="office").json()
    assert pack["payment"]["status"] == "failed"
    assert pack["payment"]["attempts"][-1]["decline_code"] == "generic_decline"
    assert (pack["card"]["last4"], pack["card"]["was_primary"]) == ("0341", False)
    assert pack["selection"]["how"] == "chosen"


def test_the_pack_carries_the_links_and_the_signed_checkpoint(api: Api, story: Any) -> None:
    customer, paid, _ = story
    chain = evidence(api, customer, paid["id"]).json()["chain"]
    checkpoint = chain["checkpoint"]
    assert chain["intact"] and chain["problems"] == []
    assert checkpoint["signature_verified"] and checkpoint["key_id"] == "k1"
    assert [link["version"] for link in chain["links"]] == list(
        range(1, checkpoint["pinned_version"] + 1))
    assert chain["links"][-1]["link"] == checkpoint["pinned_link"]


def test_the_pack_prints_as_html(api: Api, story: Any) -> None:
    customer, paid, _ = story
    by_accept = evidence(api, customer, paid["id"], headers={"Accept": "text/html"})
    by_query = evidence(api, customer, paid["id"], params={"format": "html"})
    for response in (by_accept, by_query):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert paid["id"] in response.text and "Card as charged" in response.text


def test_only_office_and_auditors_read_evidence(api: Api, story: Any) -> None:
    customer, paid, _ = story
    assert_problem(evidence(api, customer, paid["id"], as_="portal"), 403, "wrong-role")
    assert_problem(evidence(api, customer, paid["id"], as_="admin"), 403, "wrong-role")


def test_an_unknown_payment_is_404(api: Api, story: Any) -> None:
    customer, _, _ = story
    assert_problem(evidence(api, customer, "pay_nosuchpayment"), 404, "no-such-payment")


def test_the_page_escapes_every_value() -> None:
    hostile = "<script>alert(1)</script>"
    pack = {"company_id": hostile, "customer_id": "c", "consent": None, "kind": "invoice",
            "payment": {"payment_id": hostile, "attempts": [{"actor": hostile}]},
            "card": {"cardholder_name": hostile}, "cards": [{"brand": hostile}],
            "selection": {"how": hostile},
            "history": [{"data": {"x": hostile}}],
            "chain": {"stream": "s", "start": "a", "intact": True, "problems": [],
                      "links": [], "checkpoint": None}}
    page = render(pack)
    assert "<script>" not in page and "&lt;script&gt;" in page
