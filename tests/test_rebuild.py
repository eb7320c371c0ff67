"""rebuild-projections folds the views itself (set-based, for speed); these hold
its rows equal to the ones the incremental projector writes, for every kind of
event, on both stores."""

from __future__ import annotations

from typing import Any

from cardledger.wiring import Runtime
from domain.provenance import Provenance
from projections.read_model import ReadModel
from projections.rebuild import rebuild
from projections.schema import VIEW_TABLES
from projections.verify import verify
from tests.builders import three_cards

ME = Provenance("customer:1001", "portal")
OTHER = Provenance("customer:2002", "portal")
ADMIN = Provenance("user:admin", "admin")
OFFICE = Provenance("user:jdoe", "office")


def dump_views(read_model: ReadModel) -> dict[str, list[dict[str, Any]]]:
    return {t: read_model.db.read(f"SELECT * FROM {t} ORDER BY 1") for t in VIEW_TABLES}  # noqa: S608


def every_kind_of_event(runtime: Runtime) -> None:
    """Given three cards (one primary), a card updated at the processor, a paid
    and a declined invoice, a deleted primary, a second customer, and the
    company's switch turned off and on again."""
    ledger = runtime.ledger
    cards = three_cards(runtime)
    ledger.record_processor_update("cus_sandbox.acme.1001", "pm_card_visa", last4="4242",
                                   exp_month=3, exp_year=2036, reason="account-updater",
                                   event_id="evt_1")
    ledger.pay_invoice("acme", "1001", by=ME, idempotency_key="key-1", invoice_id="INV-1",
                       amount=1250, currency="usd")
    declined = ledger.add_card("acme", "1001", "pm_card_chargeDeclined", by=ME).card_id
    ledger.pay_invoice("acme", "1001", by=ME, idempotency_key="key-2", invoice_id="INV-2",
                       amount=990, currency="usd", card_id=declined)
    ledger.delete_card("acme", "1001", cards.middle, by=OFFICE)
    ledger.add_card("acme", "2002", "pm_card_amex", by=OTHER)
    ledger.set_online_payments("acme", False, ADMIN)
    ledger.set_online_payments("acme", True, ADMIN)


def test_a_rebuild_writes_exactly_the_rows_the_projector_writes(runtime: Runtime) -> None:
    every_kind_of_event(runtime)
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    assert {row["action"] for row in projected["cl_history"]} >= {
        "added", "set_primary", "deleted", "updated", "payment_succeeded", "payment_failed",
        "online_payments_enabled", "online_payments_disabled"}
    # when the views are rebuilt from the events
    count = rebuild(runtime.ledger, runtime.read_model)
    # then every row of every view is as the projector left it
    assert count == runtime.ledger.recorder.max_notification_id()
    assert dump_views(runtime.read_model) == projected
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_rebuild_of_an_empty_log_leaves_empty_views(runtime: Runtime) -> None:
    assert rebuild(runtime.ledger, runtime.read_model) == 0
    assert all(rows == [] for rows in dump_views(runtime.read_model).values())


def test_a_rebuild_reports_progress_in_events(runtime: Runtime) -> None:
    every_kind_of_event(runtime)
    seen: list[int] = []
    count = rebuild(runtime.ledger, runtime.read_model, progress=seen.append)
    assert sum(seen) == count


def test_a_rebuild_that_fails_midway_leaves_the_views_as_they_were(runtime: Runtime) -> None:
    every_kind_of_event(runtime)
    runtime.projector.catch_up()
    before = dump_views(runtime.read_model)

    def interrupted(events: int) -> None:
        raise KeyboardInterrupt

    try:
        rebuild(runtime.ledger, runtime.read_model, progress=interrupted)
    except KeyboardInterrupt:
        pass
    assert dump_views(runtime.read_model) == before
    assert runtime.read_model.position() == runtime.ledger.recorder.max_notification_id()
