"""Concurrent writers on one customer, on the real stores: nothing lost,
exactly one primary, views equal to the events."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from domain.errors import DomainError
from domain.processor import CardDetails
from domain.provenance import Provenance
from projections.verify import verify

WRITERS = 8
COMMANDS_EACH = 12
CARDS = {f"tok_{i}": CardDetails("visa", f"{i:04d}", 12, 2030, f"fp-{i}") for i in range(200)}


@pytest.fixture
def busy_runtime(store_settings: Settings) -> Iterator[Runtime]:
    settings = store_settings.model_copy(update={"max_cards_per_customer": 100})
    with open_runtime(settings, processor=SandboxProcessor(CARDS), run_projector=False) as rt:
        rt.ledger.set_online_payments("acme", True, Provenance("user:admin", "admin"))
        yield rt


def writer(runtime: Runtime, n: int, outcomes: list, errors: list) -> None:
    rng = random.Random(n)
    me = Provenance("customer:1001", "portal")
    for i in range(COMMANDS_EACH):
        try:
            cards = list(runtime.ledger.get_customer("acme", "1001").cards) if i else []
        except DomainError:
            cards = []
        try:
            if not cards or rng.random() < 0.5:
                outcomes.append(("add", runtime.ledger.add_card(
                    "acme", "1001", f"tok_{n * COMMANDS_EACH + i}", by=me,
                    make_primary=rng.random() < 0.3)))
            elif rng.random() < 0.5:
                outcomes.append(("primary", runtime.ledger.set_primary(
                    "acme", "1001", rng.choice(cards), by=me)))
            else:
                outcomes.append(("delete", runtime.ledger.delete_card(
                    "acme", "1001", rng.choice(cards), by=me)))
        except DomainError as e:  # a rule another writer's change made true: fine
            errors.append(e.code)


def test_concurrent_writers_on_one_customer_lose_nothing_and_leave_one_primary(
        busy_runtime: Runtime) -> None:
    outcomes: list = []
    errors: list = []
    threads = [threading.Thread(target=writer, args=(busy_runtime, n, outcomes, errors))
               for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    events = list(busy_runtime.ledger.customer_events("acme", "1001"))
    versions = [o.version for _, o in outcomes]
    assert len(set(versions)) == len(versions), "two commands claim the same version"
    added = sum(1 for kind, _ in outcomes if kind == "add")
    assert added == sum(1 for e in events if type(e).__name__ == "CardAdded")
    # Rules another writer's change made true, or (rarely, with 8 writers on one
    # customer and 2 cores) retries outlasted: each answered, nothing stored.
    assert set(errors) <= {"already-primary", "no-such-card", "card-already-deleted",
                           "version-conflict"}
    assert errors.count("version-conflict") <= WRITERS * COMMANDS_EACH // 10

    customer = busy_runtime.ledger.get_customer("acme", "1001")
    assert customer.version == len(events)
    if customer.cards:
        assert customer.primary_card_id in customer.cards

    busy_runtime.projector.catch_up()
    listed = busy_runtime.read_model.card_list("acme", "1001")
    assert listed is not None
    assert sum(c.is_primary for c in listed[1]) == (1 if customer.cards else 0)
    assert verify(busy_runtime.ledger, busy_runtime.read_model) == []
