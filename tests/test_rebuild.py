"""rebuild-projections folds the views itself (set-based, for speed); these hold
its rows equal to the ones the incremental projector writes, for every kind of
event, on both stores."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from eventsourcing.utils import resolve_topic

from cardledger.checkpoints import make_checkpoints
from cardledger.wiring import Runtime
from domain.checkpoints import CheckpointKey
from domain.ids import company_aggregate_id, customer_aggregate_id
from domain.provenance import Provenance
from projections.read_model import ReadModel
from projections.rebuild import HISTORY_COLUMNS, rebuild
from projections.schema import VIEW_TABLES
from projections.verify import verify
from tests.audit.stored import edit_event
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


def stored_as_first_versions(runtime: Runtime, stream: UUID) -> None:
    """Rewrites the stream's stored events as each class's v1 stored them:
    without ``class_version`` (the mapper stores it only above 1) and without
    the fields its upcasters add (found by running them on an empty state)."""
    for record in runtime.ledger.recorder.select_events(stream):
        cls = resolve_topic(record.topic)
        added: dict[str, Any] = {}
        for version in range(1, getattr(cls, "class_version", 1)):
            getattr(cls, f"upcast_v{version}_v{version + 1}")(added)

        def as_v1(state: dict[str, Any], added: dict[str, Any] = added) -> None:
            for name in ["class_version", *added]:
                state.pop(name, None)

        edit_event(runtime.ledger, stream, record.originator_version, as_v1)


def test_a_rebuild_of_events_stored_at_older_class_versions_writes_the_projectors_rows(
        runtime: Runtime) -> None:
    """Given every kind of event, customer 1001's and the company's stored by
    each class's v1 and customer 2002's by the current classes, when the views
    are rebuilt (fast, or decoding every event), then they are the projector's."""
    every_kind_of_event(runtime)
    stored_as_first_versions(runtime, customer_aggregate_id("acme", "1001"))
    stored_as_first_versions(runtime, company_aggregate_id("acme"))
    states = [json.loads(bytes(r.state)) for r in runtime.ledger.recorder.select_events(
        customer_aggregate_id("acme", "1001"))]
    assert not any("class_version" in s or "chain_link" in s for s in states)
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    assert {row["customer_id"] for row in projected["cl_payment_methods"]} == {"1001", "2002"}
    for fast in (True, False):
        assert rebuild(runtime.ledger, runtime.read_model, fast=fast) == \
            runtime.ledger.recorder.max_notification_id()
        assert dump_views(runtime.read_model) == projected
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_rebuild_passes_over_a_stream_that_is_neither_a_company_nor_a_customer(
        runtime: Runtime) -> None:
    """Given every kind of event and then a signed checkpoint of the chain
    heads (the checkpoints stream: no view row comes from it), when the views
    are rebuilt (fast, or decoding every event), then they are the projector's,
    up to the checkpoint's position."""
    every_kind_of_event(runtime)
    assert make_checkpoints(runtime.ledger, CheckpointKey("k1", b"a checkpoint signing key"))
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    end = runtime.ledger.recorder.max_notification_id()
    for fast in (True, False):
        assert rebuild(runtime.ledger, runtime.read_model, fast=fast) == end
        assert dump_views(runtime.read_model) == projected
        assert runtime.read_model.position() == end


def test_a_rebuild_writes_the_row_of_a_customer_registered_without_any_card(
        runtime: Runtime) -> None:
    """Given every kind of event, and customer 3003 registered by the office
    and nothing more (one event), when the views are rebuilt, then every row,
    3003's too, is the projector's."""
    every_kind_of_event(runtime)
    runtime.ledger.register_customer("acme", "3003", OFFICE)
    assert len(runtime.ledger.customer_events("acme", "3003")) == 1
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    assert "3003" in {row["customer_id"] for row in projected["cl_customers"]}
    rebuild(runtime.ledger, runtime.read_model)
    assert dump_views(runtime.read_model) == projected


@pytest.mark.projector_only
def test_events_stamped_on_a_whole_second_are_rebuilt_with_the_views_fixed_width_time(
        runtime: Runtime) -> None:
    """Given a customer whose events were stamped at 12:00:00 exactly (stored
    without a fraction of a second, as for about one event in a million), when
    the views are rebuilt, then every instant is written with its
    microseconds, as the projector writes it."""
    three_cards(runtime)
    stream = customer_aggregate_id("acme", "1001")

    def on_the_second(state: dict[str, Any]) -> None:
        state["timestamp"]["_data_"] = "2026-11-25T12:00:00+00:00"

    for record in runtime.ledger.recorder.select_events(stream):
        edit_event(runtime.ledger, stream, record.originator_version, on_the_second)
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    assert {row["added_at"] for row in projected["cl_payment_methods"]} == {
        "2026-11-25T12:00:00.000000+00:00"}
    rebuild(runtime.ledger, runtime.read_model)
    assert dump_views(runtime.read_model) == projected


def test_a_rebuild_of_an_empty_log_leaves_empty_views(runtime: Runtime) -> None:
    assert rebuild(runtime.ledger, runtime.read_model) == 0
    assert all(rows == [] for rows in dump_views(runtime.read_model).values())


def test_a_rebuild_deletes_old_rows_spread_over_many_pages_a_page_range_at_a_time(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # given the projected views and 3,000 stale history rows no event made
    # (several pages of the table on PostgreSQL), deleted a page per statement
    every_kind_of_event(runtime)
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    stale = [(10_000_000 + n, "acme", "1001", "2026-01-01T00:00:00.000000+00:00", "added",
              None, None, None, "ghost", "portal", "") for n in range(3000)]
    with runtime.read_model.db.transaction() as tx:
        tx.copy_rows("cl_history", HISTORY_COLUMNS, stale)
    monkeypatch.setattr("projections.rebuild.DELETE_PAGES", 1)
    # when the views are rebuilt
    rebuild(runtime.ledger, runtime.read_model)
    # then not one stale row is left, and the rest is as the projector left it
    assert dump_views(runtime.read_model) == projected


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


def test_a_rebuild_whose_bulk_copy_fails_raises_that_error_and_leaves_the_views_as_they_were(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # given projected views, and a store that refuses the rebuild's first bulk copy
    # (on PostgreSQL the copies run on a thread of their own: its error is the caller's)
    every_kind_of_event(runtime)
    runtime.projector.catch_up()
    before = dump_views(runtime.read_model)

    def refused(*args: Any) -> None:
        raise RuntimeError("copy refused")

    monkeypatch.setattr("projections.database.Transaction.copy_rows", refused)
    # when the views are rebuilt, then the copy's error reaches the caller
    with pytest.raises(RuntimeError, match="copy refused"):
        rebuild(runtime.ledger, runtime.read_model)
    # and the views and their position are as they were
    assert dump_views(runtime.read_model) == before
    assert runtime.read_model.position() == runtime.ledger.recorder.max_notification_id()
