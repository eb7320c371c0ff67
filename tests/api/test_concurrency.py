"""50 simultaneous add / set-primary / delete requests on one customer, over
HTTP against PostgreSQL: every answer is 2xx or 409, exactly one primary
remains, every answered change is in the events, and the views equal them.

A request that loses the race to a delete of its card gets 409
card-already-deleted (see api/problems.py), which is why 404 never shows."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from domain.processor import CardDetails
from projections.verify import verify
from tests.api.client import Api
from tests.api.conftest import Live, api_for, base_settings, serving

REQUESTS = 50
STARTING_CARDS = 5
CARDS = {f"tok_{i}": CardDetails("visa", f"{i:04d}", 12, 2034, f"fp-{i}") for i in range(100)}


@pytest.fixture
def live_postgres(tmp_path: Path, postgres_database: str) -> Iterator[Live]:
    with serving(base_settings(tmp_path, postgres_database),
                 processor=SandboxProcessor(CARDS)) as live:
        yield live


def one_request(api: Api, n: int, customer: str, cards: list[str]) -> tuple[str, str, int]:
    """('add'|'primary'|'delete', card or token, status), in a client of its own."""
    rng = random.Random(n)
    own = Api(str(api.http.base_url), api.keys, api.company, api.other_company)
    try:
        if n % 3 == 0:
            token = f"tok_{STARTING_CARDS + n}"
            response = own.add_card(customer, token, make_primary=rng.random() < 0.5)
            return "add", response.json().get("id", token), response.status_code
        card = rng.choice(cards)
        response = (own.set_primary if n % 3 == 1 else own.delete_card)(customer, card)
        return ("primary" if n % 3 == 1 else "delete"), card, response.status_code
    finally:
        own.close()


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_fifty_simultaneous_commands_leave_one_primary_and_lose_nothing(
        live_postgres: Live) -> None:
    api = api_for(live_postgres)
    customer = "cu-busy"
    api.given_online_payments()
    cards = [api.given_card(customer, f"tok_{i}") for i in range(STARTING_CARDS)]
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[str, str, int]] = []

    def run(n: int) -> None:
        start.wait()
        answers.append(one_request(api, n, customer, cards))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=100)

    assert len(answers) == REQUESTS
    assert {status for _, _, status in answers} <= {200, 201, 204, 409}, answers
    # Deletes only aim at the starting cards, so most of them must lose a race.
    deletes = [status for kind, _, status in answers if kind == "delete"]
    assert deletes.count(409) >= len(deletes) - STARTING_CARDS
    listed = api.cards(customer).json()["payment_methods"]
    assert [c["is_primary"] for c in listed].count(True) == 1
    events = api.events(customer).json()["events"]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    added = {e["data"]["card_id"] for e in events if e["type"] == "CardAdded"}
    deleted = [e["data"]["card_id"] for e in events if e["type"] == "CardDeleted"]
    assert {card for kind, card, s in answers if kind == "add" and s == 201} <= added
    assert sorted(card for kind, card, s in answers if kind == "delete" and s == 204) == \
        sorted(deleted)
    assert len(deleted) == len(set(deleted))
    chosen = [e["data"]["to_card_id"] for e in events
              if e["type"] == "PrimaryChanged" and e["data"]["reason"] == "chosen"]
    assert sorted(card for kind, card, s in answers if kind == "primary" and s == 200) == \
        sorted(chosen)
    runtime = live_postgres.runtime
    runtime.projector.catch_up()
    assert verify(runtime.ledger, runtime.read_model) == []
    api.close()

