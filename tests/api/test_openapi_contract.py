"""The OpenAPI document is the whole HTTP contract: every problem the API can
answer is in it, where it is answered, and explained at its type's page;
every operation has a short stable name, tags, headers and examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.openapi import GUARD_CODES
from api.problem_catalog import DOMAIN_ERRORS, REGISTRY
from api.problems import PROBLEM_JSON, problem_type
from tests.api.client import Api

ROOT = Path(__file__).resolve().parents[2]
OPERATION_ID = re.compile(r"^[a-z][A-Za-z]{2,30}$")
RAISED = re.compile(r'Problem\(\s*\d{3},\s*"([a-z-]+)"')
# A fallback for statuses no handler names; Starlette raises none of them on our routes.
UNNAMED_FALLBACK = {"http-error"}


@pytest.fixture(scope="module")
def document(live_sqlite: Any) -> dict[str, Any]:
    return live_sqlite.app.openapi()


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in document["paths"].values() for op in ops.values()]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_code_the_edge_or_the_domain_raises_is_in_the_registry() -> None:
    sources = [*ROOT.glob("api/**/*.py"), *ROOT.glob("cardledger/**/*.py")]
    raised = {code for path in sources for code in RAISED.findall(path.read_text())}
    raised |= {error.code for error in DOMAIN_ERRORS}
    raised |= {"bad-webhook-signature"}  # BadSignature.code, raised as a Problem by the route
    assert raised - UNNAMED_FALLBACK <= REGISTRY.keys()
    assert len(raised) > 30  # the scan finds the raises


def test_every_registered_code_is_in_the_document_with_its_status(
        document: dict[str, Any]) -> None:
    listed = document["x-problem-types"]
    assert listed.keys() == REGISTRY.keys()
    for code, problem in REGISTRY.items():
        assert listed[code] == {"status": problem.status, "title": problem.title,
                                "type": problem_type(code)}
    answered = {code for op in operations(document) for code in op["x-problem-codes"]}
    # Answered where no operation matched (an unknown path or method), or only by a bug.
    assert REGISTRY.keys() - answered == {"method-not-allowed", "internal-error"}


def test_every_operation_has_a_short_id_tags_and_a_response_for_each_of_its_codes(
        document: dict[str, Any]) -> None:
    ids = [op["operationId"] for op in operations(document)]
    assert len(ids) == len(set(ids))
    for op in operations(document):
        assert OPERATION_ID.match(op["operationId"]), op["operationId"]
        assert op["tags"], op["operationId"]
        assert set(GUARD_CODES) <= set(op["x-problem-codes"])
        for code in op["x-problem-codes"]:
            answer = op["responses"][str(REGISTRY[code].status)]
            example = answer["content"][PROBLEM_JSON]["examples"][code]["value"]
            assert (example["code"], example["type"]) == (code, problem_type(code))
            if REGISTRY[code].retry_after:
                assert "Retry-After" in answer["headers"], (op["operationId"], code)
        assert "X-Request-ID" in op["responses"]["default"]["headers"]


def test_the_card_operations_have_the_names_a_generated_client_uses(
        document: dict[str, Any]) -> None:
    cards = document["paths"]["/v1/companies/{company}/customers/{customer}/payment-methods"]
    assert (cards["get"]["operationId"], cards["post"]["operationId"]) == (
        "listPaymentMethods", "addPaymentMethod")
    assert "customer-not-found" in cards["get"]["x-problem-codes"]
    assert {"card-already-saved", "online-payments-disabled", "idempotency-key-reused",
            "wrong-actor", "invalid-if-match"} <= set(cards["post"]["x-problem-codes"])


def test_commands_document_the_headers_they_read_and_write(document: dict[str, Any]) -> None:
    add = document["paths"]["/v1/companies/{company}/customers/{customer}/payment-methods"]
    post, get = add["post"], add["get"]
    assert {"X-Actor", "Idempotency-Key", "If-Match"} <= {p["name"] for p in post["parameters"]}
    assert {"ETag", "Cardledger-Position", "Idempotent-Replayed", "X-Request-ID"} <= \
        post["responses"]["201"]["headers"].keys()
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "Cardledger-Min-Position" in {p["name"] for p in get["parameters"]}
    assert "WWW-Authenticate" in get["responses"]["401"]["headers"]
    assert "Retry-After" in get["responses"]["429"]["headers"]


def test_requests_and_answers_carry_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("AddCard", "Card", "PaymentMethods", "History", "PayInvoice",
                 "PaymentRecord", "OnlinePayments", "OnlinePaymentsChange"):
        assert schemas[name].get("examples"), name


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_problem_type_has_a_page_saying_what_it_means_and_what_to_do(
        sqlite_api: Api, code: str) -> None:
    page = sqlite_api.request("GET", f"/problems/{code}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "What it means" in page.text and "What to do" in page.text
    assert code in sqlite_api.request("GET", "/problems").text


def test_an_unknown_problem_type_is_a_404_problem(sqlite_api: Api) -> None:
    answer = sqlite_api.request("GET", "/problems/no-such-thing")
    assert (answer.status_code, answer.json()["code"]) == (404, "not-found")


def test_swagger_ui_and_redoc_load_their_assets_from_this_server(sqlite_api: Api) -> None:
    for page in ("/docs", "/redoc"):
        html = sqlite_api.request("GET", page).text
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert assets, page
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
            assert sqlite_api.request("GET", asset).status_code == 200
