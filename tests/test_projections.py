"""The card list and View History on a real store: contents, exactly-once
updates, rebuilds, and the auditors' replay and consistency check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from cardledger.wiring import Runtime
from domain.errors import CustomerNotFound
from domain.provenance import Provenance
from projections.read_model import ReadModel
from projections.replay import replay_customer
from projections.runner import Projector
from projections.verify import verify
from projections.views import cards_of

ADMIN = Provenance("user:admin", "admin")
ME = Provenance("customer:1001", "portal")
OFFICE = Provenance("user:jdoe", "office")


def seed_story(runtime: Runtime) -> dict[str, str]:
    ledger = runtime.ledger
    ledger.register_customer("acme", "1001", OFFICE)
    ledger.set_online_payments("acme", True, ADMIN)
    visa = ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    mastercard = ledger.add_card("acme", "1001", "pm_card_mastercard", by=ME).card_id
    ledger.set_primary("acme", "1001", mastercard, by=ME)
    ledger.delete_card("acme", "1001", visa, by=OFFICE)
    return {"visa": visa, "mastercard": mastercard}


def test_the_card_list_shows_current_cards_primary_first(runtime: Runtime) -> None:
    cards = seed_story(runtime)
    runtime.ledger.add_card("acme", "1001", "pm_card_amex", by=ME)
    runtime.projector.catch_up()
    version, listed = runtime.read_model.card_list("acme", "1001")
    assert version == 8
    assert [(c.brand, c.last4, c.is_primary) for c in listed] == [
        ("mastercard", "4444", True), ("amex", "8431", False)]
    assert listed[0].id == cards["mastercard"] and listed[0].added_by == "customer:1001"


def test_the_history_shows_every_change_newest_first_with_who_and_where(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    rows = [(h.action, h.brand, h.last4, h.actor, h.source, h.detail)
            for h in runtime.read_model.history("acme", "1001")]
    assert rows == [
        ("deleted", "visa", "4242", "user:jdoe", "office", "removed"),
        ("set_primary", "mastercard", "4444", "customer:1001", "portal", "chosen"),
        ("added", "mastercard", "4444", "customer:1001", "portal", ""),
        ("set_primary", "visa", "4242", "customer:1001", "portal", "first-card"),
        ("added", "visa", "4242", "customer:1001", "portal", ""),
        ("online_payments_enabled", None, None, "user:admin", "admin", ""),
    ]


def test_an_unknown_customer_has_no_card_list(runtime: Runtime) -> None:
    runtime.projector.catch_up()
    assert runtime.read_model.card_list("acme", "nobody") is None


def test_the_views_equal_the_replay_of_the_events(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    assert verify(runtime.ledger, runtime.read_model) == []


def test_verify_reports_a_view_that_differs_from_the_events(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    with runtime.read_model.db.transaction() as tx:
        tx.execute("UPDATE cl_payment_methods SET last4 = '0000'")
        tx.execute("DELETE FROM cl_history WHERE action = 'added'")
    problems = verify(runtime.ledger, runtime.read_model)
    assert any("cards differ" in p for p in problems)
    assert sum("history at position" in p for p in problems) == 2


def test_rebuilding_from_scratch_gives_the_same_views(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    before = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    runtime.read_model.reset()
    assert runtime.read_model.card_list("acme", "1001") is None
    runtime.projector.catch_up()
    after = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    assert after == before


def test_two_projectors_at_once_apply_each_event_exactly_once(runtime: Runtime) -> None:
    for n in range(20):
        runtime.ledger.set_online_payments("acme", n % 2 == 0, ADMIN)
    seed_story(runtime)
    projectors = [Projector(runtime.ledger, ReadModel(runtime.read_model.db), batch_size=3)
                  for _ in range(2)]
    threads = [threading.Thread(target=p.catch_up) for p in projectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runtime.projector.catch_up()
    assert runtime.read_model.position() == runtime.ledger.recorder.max_notification_id()
    assert verify(runtime.ledger, runtime.read_model) == []


class FailingReadModel(ReadModel):
    """Breaks on a chosen event, to show a batch is all-or-nothing."""

    def __init__(self, read_model: ReadModel, fail_on: type) -> None:
        super().__init__(read_model.db)
        self.fail_on = fail_on

    def _apply(self, event: Any, tx: Any, position: int) -> None:
        if isinstance(event, self.fail_on):
            raise RuntimeError("disk full")
        super()._apply(event, tx, position)


def test_a_batch_that_fails_midway_leaves_no_rows_and_no_position(runtime: Runtime) -> None:
    from domain.customer import Customer

    seed_story(runtime)
    failing = Projector(runtime.ledger, FailingReadModel(runtime.read_model, Customer.CardDeleted))
    with pytest.raises(RuntimeError):
        failing.run_once()
    assert runtime.read_model.position() == 0
    assert runtime.read_model.card_list("acme", "1001") is None
    assert runtime.read_model.history("acme", "1001") == []
    runtime.projector.catch_up()
    assert verify(runtime.ledger, runtime.read_model) == []


def test_replay_as_of_an_instant_shows_the_cards_of_that_moment(runtime: Runtime) -> None:
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, ADMIN)
    visa = ledger.add_card("acme", "1001", "pm_card_visa", by=ME).card_id
    between = datetime.now(tz=UTC)
    amex = ledger.add_card("acme", "1001", "pm_card_amex", by=ME, make_primary=True).card_id
    then = replay_customer(ledger, "acme", "1001", as_of=between)
    now = replay_customer(ledger, "acme", "1001")
    assert [(c.id, c.is_primary) for c in cards_of(then)] == [(visa, True)]
    assert [(c.id, c.is_primary) for c in cards_of(now)] == [(amex, True), (visa, False)]


def test_replay_as_of_a_version(runtime: Runtime) -> None:
    seed_story(runtime)
    at_five = replay_customer(runtime.ledger, "acme", "1001", version=5)
    assert at_five.version == 5 and len(at_five.cards) == 2


def test_replay_before_the_customer_existed_is_not_found(runtime: Runtime) -> None:
    before = datetime.now(tz=UTC)
    seed_story(runtime)
    with pytest.raises(CustomerNotFound):
        replay_customer(runtime.ledger, "acme", "1001", as_of=before)


def test_waiting_for_a_commands_position_makes_it_visible(runtime: Runtime) -> None:
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    outcome = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert runtime.projector.wait_for(outcome.position, timeout=5)
    assert runtime.read_model.card_list("acme", "1001")[0] == outcome.version


def test_the_background_projector_keeps_the_views_current(runtime: Runtime) -> None:
    runtime.projector.start()
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    outcome = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    runtime.projector.notify()
    assert runtime.projector.wait_for(outcome.position, timeout=5, help_out=False)


def dump_views(read_model: ReadModel) -> dict[str, list[dict[str, Any]]]:
    from projections.schema import VIEW_TABLES

    return {t: read_model.db.read(f"SELECT * FROM {t} ORDER BY 1") for t in VIEW_TABLES}  # noqa: S608


def test_the_bulk_rebuild_writes_exactly_the_rows_the_projector_writes(runtime: Runtime) -> None:
    from projections.rebuild import rebuild

    seed_story(runtime)
    runtime.ledger.add_card("acme", "2002", "pm_card_amex", by=Provenance("customer:2002", "portal"))
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    with runtime.read_model.db.transaction() as tx:
        tx.execute("DELETE FROM cl_history")
    assert rebuild(runtime.ledger, runtime.read_model) == runtime.ledger.recorder.max_notification_id()
    assert dump_views(runtime.read_model) == projected
    assert runtime.read_model.position() == runtime.ledger.recorder.max_notification_id()


def test_a_projector_that_ran_during_a_rebuild_carries_on_from_the_rebuilt_position(
        runtime: Runtime) -> None:
    from projections.rebuild import rebuild

    seed_story(runtime)
    runtime.projector.catch_up()
    rebuild(runtime.ledger, runtime.read_model)
    runtime.ledger.add_card("acme", "1001", "pm_card_discover", by=ME)
    assert runtime.projector.catch_up() >= 1
    assert verify(runtime.ledger, runtime.read_model) == []
