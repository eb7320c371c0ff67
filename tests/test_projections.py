"""The card list and View History on a real store: contents, exactly-once
updates, rebuilds, and the auditors' replay and consistency check."""

from __future__ import annotations

import threading
from contextvars import Context
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from cardledger import logs
from cardledger.wiring import Runtime
from domain.customer import Customer
from domain.errors import CustomerNotFound
from domain.ids import company_aggregate_id, customer_aggregate_id
from domain.provenance import Provenance
from projections.log_follower import Positions
from projections.read_model import ReadModel, StalePosition
from projections.replay import replay_customer
from projections.runner import Projector
from projections.verify import Scope, Summary, count_aggregates, differences, verify
from projections.views import cards_of
from tests.audit.stored import edit_event
from tests.builders import three_cards

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


def test_an_unknown_customer_has_no_history_though_the_company_has_switch_entries(
        runtime: Runtime) -> None:
    # given a company whose switch history is company-wide, and one customer
    seed_story(runtime)
    runtime.projector.catch_up()
    # when the history of a customer nobody registered is read
    # then it is unknown, not the company's switch entries
    assert runtime.read_model.history("acme", "9999") is None
    # while a known customer's history shows them
    assert "online_payments_enabled" in [h.action for h in runtime.read_model.history("acme", "1001")]


def test_a_known_customer_past_its_oldest_entry_has_an_empty_page(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    oldest = runtime.read_model.history("acme", "1001")[-1]
    assert runtime.read_model.history("acme", "1001", before=oldest.position) == []


def test_the_card_list_shows_current_cards_primary_first_then_newest(runtime: Runtime) -> None:
    cards = three_cards(runtime)
    runtime.projector.catch_up()
    version, listed = runtime.read_model.card_list("acme", "1001")
    assert version == 7  # registered, linked at the processor, 3 added, first-card, chosen
    assert [c.id for c in listed] == cards.listed
    assert [(c.brand, c.last4, c.is_primary) for c in listed] == [
        ("amex", "8431", True), ("mastercard", "4444", False), ("visa", "4242", False)]
    assert listed[0].added_by == "customer:1001"


def test_the_card_list_leaves_out_deleted_cards(runtime: Runtime) -> None:
    cards = seed_story(runtime)
    runtime.projector.catch_up()
    assert [c.id for c in runtime.read_model.card_list("acme", "1001")[1]] == [cards["mastercard"]]


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
    cards = seed_story(runtime)
    runtime.projector.catch_up()
    with runtime.read_model.db.transaction() as tx:
        tx.execute("UPDATE cl_payment_methods SET last4 = '0000'")
        tx.execute("DELETE FROM cl_history WHERE action = 'added'")
    problems = verify(runtime.ledger, runtime.read_model)
    assert f"customer acme/1001 card {cards['mastercard']}: last4 view='0000' replay='4444'" in problems
    assert f"customer acme/1001 card {cards['visa']}: last4 view='0000' replay='4242'" in problems
    assert sum("missing from cl_history" in p for p in problems) == 2


def test_rebuilding_from_scratch_gives_the_same_views(runtime: Runtime) -> None:
    seed_story(runtime)
    runtime.projector.catch_up()
    before = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    runtime.read_model.reset()
    assert runtime.read_model.card_list("acme", "1001") is None
    runtime.projector.catch_up()
    after = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    assert after == before


class CountingReadModel(ReadModel):
    """Records the positions of every batch whose transaction committed."""

    def __init__(self, read_model: ReadModel, committed: list[int]) -> None:
        super().__init__(read_model.db)
        self.committed = committed
        self._lock = threading.Lock()

    def apply(self, batch: Any, expected: int, new: int) -> None:
        batch = list(batch)
        super().apply(batch, expected, new)
        with self._lock:
            self.committed.extend(position for _, position in batch)


def run_together(*targets: Any) -> list[BaseException]:
    """Start the targets at the same instant in threads; the exceptions they raised."""
    start = threading.Barrier(len(targets))
    raised: list[BaseException] = []

    def run(target: Any) -> None:
        start.wait()
        try:
            target()
        except BaseException as e:  # noqa: BLE001 (reported to the test, not lost)
            raised.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return raised


@pytest.mark.projector_only
def test_two_projectors_at_once_apply_each_event_exactly_once(runtime: Runtime) -> None:
    for n in range(20):
        runtime.ledger.set_online_payments("acme", n % 2 == 0, ADMIN)
    seed_story(runtime)
    committed: list[int] = []
    counting = CountingReadModel(runtime.read_model, committed)
    projectors = [Projector(runtime.ledger, counting, batch_size=3) for _ in range(2)]
    assert run_together(*(p.catch_up for p in projectors)) == []
    every_position = [n.id for n in runtime.ledger.recorder.select_notifications(start=0, limit=1000)]
    assert sorted(committed) == every_position
    assert runtime.read_model.position() == every_position[-1]
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


@pytest.mark.projector_only
def test_a_batch_that_fails_midway_leaves_no_rows_and_no_position(runtime: Runtime) -> None:
    from domain.customer import Customer

    seed_story(runtime)
    failing = Projector(runtime.ledger, FailingReadModel(runtime.read_model, Customer.CardDeleted))
    with pytest.raises(RuntimeError):
        failing.run_once()
    assert runtime.read_model.position() == 0
    assert runtime.read_model.card_list("acme", "1001") is None
    assert runtime.read_model.history("acme", "1001") is None
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


def test_replay_as_of_an_events_own_instant_includes_that_event(runtime: Runtime) -> None:
    from datetime import timedelta

    from domain.ids import customer_aggregate_id

    cards = three_cards(runtime)
    events = list(runtime.ledger.events.get(customer_aggregate_id("acme", "1001")))
    newest_added = next(e for e in events if getattr(e, "card_id", None) == cards.newest)
    at = replay_customer(runtime.ledger, "acme", "1001", as_of=newest_added.timestamp)
    just_before = replay_customer(runtime.ledger, "acme", "1001",
                                  as_of=newest_added.timestamp - timedelta(microseconds=1))
    assert (at.version, list(at.cards)) == (newest_added.originator_version,
                                            [cards.oldest, cards.middle, cards.newest])
    assert list(just_before.cards) == [cards.oldest, cards.middle]


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


@pytest.mark.projector_only
def test_waiting_for_an_idempotent_replay_returns_at_once(runtime: Runtime) -> None:
    # given a card added with an idempotency key, and the same command again:
    # the repeat appends nothing, so it has no position to wait for
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    first = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    repeat = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME, idempotency_key="k1")
    assert (repeat.replayed, repeat.position) == (True, None)
    # when a request waits for it (the views not even caught up), then it is done at once
    assert runtime.projector.wait_for(repeat.position, timeout=5)
    assert runtime.read_model.position() == 0 < first.position  # nothing was applied for it


@pytest.mark.projector_only
def test_a_wait_for_an_event_another_projector_applied_is_answered_from_the_views(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given two projectors on one set of views (two processes), this one
    caught up and trusting the position it wrote (for as long as the test
    runs), when the other applies a new event and a request here waits for it,
    then this one's batch fails its compare-and-set and the answer comes from
    the views' position: done, not a timeout."""
    monkeypatch.setattr("projections.runner.POSITION_TRUSTED_FOR", 60.0)
    here, there = runtime.projector, Projector(runtime.ledger, runtime.read_model)
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    here.catch_up()
    outcome = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    assert there.catch_up() > 0
    assert here.wait_for(outcome.position, timeout=5)
    assert runtime.read_model.position() == outcome.position


def test_views_reset_behind_the_projectors_back_are_refilled_once_its_trust_runs_out(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given views the projector caught up, then reset by another process (no
    new event, so no compare-and-set fails to tell it), when the projector
    runs after the time it trusts its own position for (0 s here), then it
    reads the position again and refills the views from the start."""
    seed_story(runtime)
    runtime.projector.catch_up()
    before = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    monkeypatch.setattr("projections.runner.POSITION_TRUSTED_FOR", 0.0)
    ReadModel(runtime.read_model.db).reset()
    assert runtime.projector.run_once() > 0  # as its thread does: batch after batch
    while runtime.projector.run_once():
        pass
    after = (runtime.read_model.card_list("acme", "1001"), runtime.read_model.history("acme", "1001"))
    assert after == before


@pytest.mark.projector_only
def test_a_request_waiting_on_the_running_projector_applies_no_batch_itself(
        runtime: Runtime) -> None:
    """Only the projector's thread applies batches; a request wakes it and waits
    for its word, so concurrent requests never queue to apply the same batch.
    A thread that applied a batch has the views' position in its log lines
    (logs.position, set by run_once), so a request's own context shows it."""
    # given a projector thread that idles until woken (a long poll interval), caught up
    projector = Projector(runtime.ledger, runtime.read_model, poll_interval=60)
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    projector.start()
    try:
        assert projector.wait_for(runtime.ledger.recorder.max_notification_id(), timeout=5,
                                  help_out=False)
        # when a command is saved and a request (a fresh context) waits for its event
        outcome = runtime.ledger.add_card("acme", "1001", "pm_card_visa", by=ME)

        def request() -> tuple[bool, int | None]:
            return projector.wait_for(outcome.position, timeout=5), logs.position.get()

        # then the views hold it, and the request's context applied nothing
        assert Context().run(request) == (True, None)
        assert runtime.read_model.card_list("acme", "1001")[0] == outcome.version
    finally:
        projector.stop()


def dump_views(read_model: ReadModel) -> dict[str, list[dict[str, Any]]]:
    from projections.schema import VIEW_TABLES

    return {t: read_model.db.read(f"SELECT * FROM {t} ORDER BY 1") for t in VIEW_TABLES}  # noqa: S608


def stored_at_v1(runtime: Runtime, stream: UUID) -> None:
    """Rewrites the stream's stored events as the code before chain links stored
    them: no ``chain_link``, no ``class_version`` (the mapper stores it only
    above 1); a CardAdded without ``funding`` (see funding_added_in_v2)."""

    def as_v1(state: dict[str, Any]) -> None:
        state.pop("chain_link", None)
        state.pop("class_version", None)
        if "processor_token" in state:  # a CardAdded
            del state["funding"]

    for record in runtime.ledger.recorder.select_events(stream):
        edit_event(runtime.ledger, stream, record.originator_version, as_v1)


@pytest.fixture
def funding_added_in_v2(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if CardAdded v2 had added ``funding``, a field the card list shows:
    a CardAdded stored at v1 gets it from the upcaster, so a rebuild that read
    such a row as its stored dict would miss it (today's upcasters only add
    chain_link, which no view shows: the test could not tell)."""

    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["chain_link"] = None
        state["funding"] = "unknown"

    monkeypatch.setattr(Customer.CardAdded, "upcast_v1_v2", staticmethod(upcast_v1_v2))


@pytest.mark.projector_only
@pytest.mark.usefixtures("funding_added_in_v2")
def test_the_bulk_rebuild_writes_exactly_the_rows_the_projector_writes(runtime: Runtime) -> None:
    """Given events stored at their class's current version and, for one
    company and one customer, at v1 (before chain links), then the bulk
    rebuild, fast or decoding every event, leaves exactly the projector's rows."""
    from projections.rebuild import rebuild

    seed_story(runtime)
    old = Provenance("customer:3003", "portal")
    runtime.ledger.register_customer("acme", "3003", OFFICE)
    first = runtime.ledger.add_card("acme", "3003", "pm_card_visa", by=old).card_id
    runtime.ledger.add_card("acme", "3003", "pm_card_mastercard", make_primary=True, by=old)
    runtime.ledger.delete_card("acme", "3003", first, by=old)
    stored_at_v1(runtime, customer_aggregate_id("acme", "3003"))
    stored_at_v1(runtime, company_aggregate_id("acme"))
    other = Provenance("customer:2002", "portal")
    runtime.ledger.add_card("acme", "2002", "pm_card_amex", by=other)
    # Autopay's views too: a company setting, an enrolment, and a charge whose
    # soft decline leaves a retry due (the retry worker's queue).
    autopay = runtime.ledger.autopay
    autopay.change_settings("acme", False, [1, 3], by=ADMIN)
    autopay.enrol("acme", "1001", card_id=None, consent_text_version="v1",
                  consent_channel="portal", by=ME)
    autopay.enrol("acme", "2002", card_id=None, consent_text_version="v1",
                  consent_channel="portal", by=other)
    declining = runtime.ledger.add_card("acme", "2002", "pm_card_chargeDeclinedInsufficientFunds",
                                        make_primary=True, by=other)
    charged = autopay.charge("acme", "2002", invoice_id="inv-1", amount=1500, currency="usd",
                             by=ADMIN, idempotency_key="autopay-charge-1")
    assert declining.card_id and charged is not None
    runtime.projector.catch_up()
    projected = dump_views(runtime.read_model)
    assert projected["cl_autopay"] and projected["cl_autopay_due"]
    with runtime.read_model.db.transaction() as tx:
        tx.execute("DELETE FROM cl_history")
    # The v1 card's funding comes from the upcaster, the others' from their rows.
    assert {(c["customer_id"], c["funding"]) for c in projected["cl_payment_methods"]} == {
        ("1001", "credit"), ("2002", "credit"), ("3003", "unknown")}
    for fast in (True, False):
        with runtime.read_model.db.transaction() as tx:
            tx.execute("DELETE FROM cl_history")
        assert rebuild(runtime.ledger, runtime.read_model, fast=fast) == \
            runtime.ledger.recorder.max_notification_id()
        assert dump_views(runtime.read_model) == projected
        assert runtime.read_model.position() == runtime.ledger.recorder.max_notification_id()


@pytest.mark.projector_only
def test_a_projector_that_ran_during_a_rebuild_carries_on_from_the_rebuilt_position(
        runtime: Runtime) -> None:
    from projections.rebuild import rebuild

    seed_story(runtime)
    runtime.projector.catch_up()
    rebuild(runtime.ledger, runtime.read_model)
    runtime.ledger.add_card("acme", "1001", "pm_card_discover", by=ME)
    assert runtime.projector.catch_up() >= 1
    assert verify(runtime.ledger, runtime.read_model) == []


# --- verify: every field of every view it covers ------------------------------------
# Story: three cards (primary in the middle) and a fourth added and deleted, so
# there is a live primary, two live others ordered by added_position, and one
# deleted row. Each corruption changes one field of one row.
LIVE_PRIMARY = "card_id = :middle"
LIVE_OTHER = "card_id = :newest"
DELETED = "deleted_at IS NOT NULL"
CARD_ROW = "position = (SELECT MAX(position) FROM cl_history WHERE card_id IS NOT NULL)"
SWITCH_ROW = "position = (SELECT MIN(position) FROM cl_history)"
ROWS = {LIVE_PRIMARY: "primary", LIVE_OTHER: "newest", DELETED: "deleted",
        CARD_ROW: "card change", SWITCH_ROW: "company switch"}
VIEW_CORRUPTIONS = [
    ("cl_customers", "aggregate_id", "'0000'", "1=1"),
    ("cl_customers", "company_id", "'other'", "1=1"),
    ("cl_customers", "customer_id", "'other'", "1=1"),
    ("cl_customers", "version", "version + 1", "1=1"),
    ("cl_customers", "registered_at", "'2000-01-01T00:00:00.000000+00:00'", "1=1"),
    ("cl_customers", "erased_at", "'2000-01-01T00:00:00.000000+00:00'", "1=1"),
    *[("cl_payment_methods", column, value, LIVE_OTHER) for column, value in [
        ("card_id", "'card_forged'"), ("company_id", "'other'"), ("customer_id", "'other'"),
        ("brand", "'diners'"), ("last4", "'0000'"), ("exp_month", "CASE WHEN exp_month = 12 THEN 1 ELSE exp_month + 1 END"),
        ("exp_year", "exp_year + 1"), ("funding", "'prepaid'"), ("is_primary", "TRUE"),
        ("added_at", "'2000-01-01T00:00:00.000000+00:00'"), ("added_by", "'user:mallory'"),
        ("added_from", "'office'"), ("added_position", "0"),
        ("deleted_at", "'2000-01-01T00:00:00.000000+00:00'")]],
    ("cl_payment_methods", "is_primary", "FALSE", LIVE_PRIMARY),
    ("cl_payment_methods", "deleted_at", "NULL", DELETED),
    ("cl_payment_methods", "deleted_at", "'2000-01-01T00:00:00.000000+00:00'", DELETED),
    *[("cl_history", column, value, CARD_ROW) for column, value in [
        ("position", "position + 1000"), ("company_id", "'other'"), ("customer_id", "'other'"),
        ("at", "'2000-01-01T00:00:00.000000+00:00'"), ("action", "'updated'"),
        ("card_id", "'card_forged'"), ("brand", "'diners'"), ("last4", "'0000'"),
        ("actor", "'user:mallory'"), ("source", "'api'"), ("detail", "'forged'")]],
    ("cl_history", "customer_id", "'1001'", SWITCH_ROW),
    ("cl_companies", "company_id", "'other'", "1=1"),
    ("cl_companies", "online_payments", "FALSE", "1=1"),
    ("cl_companies", "version", "version + 1", "1=1"),
]


@pytest.mark.parametrize(("table", "column", "value", "where"), VIEW_CORRUPTIONS,
                         ids=[f"{t}.{c}@{ROWS.get(w, 'only')}" for t, c, _, w in VIEW_CORRUPTIONS])
def test_verify_reports_a_change_to_any_field_of_the_views(
        runtime: Runtime, table: str, column: str, value: str, where: str) -> None:
    cards = three_cards(runtime)
    fourth = runtime.ledger.add_card("acme", "1001", "pm_card_discover", by=ME).card_id
    runtime.ledger.delete_card("acme", "1001", fourth, by=OFFICE)
    runtime.projector.catch_up()
    assert verify(runtime.ledger, runtime.read_model) == []
    with runtime.read_model.db.transaction() as tx:
        tx.execute(f"UPDATE {table} SET {column} = {value} WHERE {where}",  # noqa: S608
                   vars(cards))
        assert tx.rowcount == 1
    found = list(differences(runtime.ledger, runtime.read_model))
    assert column in {d.field for d in found}, [str(d) for d in found]
    assert any(column in str(d) for d in found)


MISSING_ROWS = {
    "cl_customers": "1=1",
    "cl_payment_methods": LIVE_OTHER,
    "cl_history": SWITCH_ROW,
    "cl_companies": "1=1",
}


@pytest.mark.parametrize("table", MISSING_ROWS)
def test_verify_reports_a_missing_row_of_any_view(runtime: Runtime, table: str) -> None:
    cards = three_cards(runtime)
    runtime.projector.catch_up()
    with runtime.read_model.db.transaction() as tx:
        tx.execute(f"DELETE FROM {table} WHERE {MISSING_ROWS[table]}", vars(cards))  # noqa: S608
        assert tx.rowcount == 1
    found = list(differences(runtime.ledger, runtime.read_model))
    assert [d.kind for d in found if d.table == table] == ["missing"], [str(d) for d in found]


def test_the_company_row_says_online_payments_are_off_after_they_were_switched_off(
        runtime: Runtime) -> None:
    # Given a company that switched online payments on, and one that switched them
    # on and then off (its row exists and says off; found by mutation testing)
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    runtime.ledger.set_online_payments("globex", True, ADMIN)
    runtime.ledger.set_online_payments("globex", False, ADMIN)
    # When the views catch up
    runtime.projector.catch_up()
    # Then each row says what its last switch said, and an unknown company is off
    assert runtime.read_model.online_payments("acme") is True
    assert runtime.read_model.online_payments("globex") is False
    assert runtime.read_model.online_payments("initech") is False


def forge_row(runtime: Runtime, table: str, **row: Any) -> None:
    columns = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    with runtime.read_model.db.transaction() as tx:
        tx.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", row)  # noqa: S608


def forge_customer_row(runtime: Runtime, company: str, customer: str) -> str:
    """A customer row no event explains (its aggregate id is in no stream)."""
    aggregate_id = "0" * 32
    forge_row(runtime, "cl_customers", aggregate_id=aggregate_id, company_id=company,
              customer_id=customer, version=1, registered_at="2026-11-25T12:00:00.000000+00:00")
    return aggregate_id


def test_verify_of_one_company_reports_the_rows_no_event_explains_in_its_part_only(
        runtime: Runtime) -> None:
    # given acme's and globex's customers with cards, views current, and in
    # globex's part a customer row and a card row (of a customer the views do
    # not hold) that no event explains
    three_cards(runtime)
    three_cards(runtime, "globex", "2002", by=Provenance("customer:2002", "portal"))
    runtime.projector.catch_up()
    forge_customer_row(runtime, "globex", "9999")
    forge_row(runtime, "cl_payment_methods", card_id="card_forged", company_id="globex",
              customer_id="8888", brand="visa", last4="4242", exp_month=1, exp_year=2030,
              funding="credit", is_primary=False, added_at="2026-11-25T12:00:00.000000+00:00",
              added_by="user:mallory", added_from="office", added_position=1, deleted_at=None)
    # when each company is checked alone, and the whole store
    found = {scope: sorted((d.table, d.company, d.customer, d.kind) for d in differences(
        runtime.ledger, runtime.read_model, Scope(scope))) for scope in ("acme", "globex", None)}
    # then acme's check is clean, and globex's and the whole store's name both rows
    expected = [("cl_customers", "globex", "9999", "extra"),
                ("cl_payment_methods", "globex", "8888", "extra")]
    assert found == {"acme": [], "globex": expected, None: expected}


def test_a_row_no_event_explains_is_reported_as_its_customers_or_its_companys(
        runtime: Runtime) -> None:
    # given acme's customer 1001, views current, then rows no event explains:
    # a customer of acme, a company, and a company's own history row (customer
    # '') of a company the views do not hold
    three_cards(runtime)
    runtime.projector.catch_up()
    aggregate_id = forge_customer_row(runtime, "acme", "9999")
    forge_row(runtime, "cl_companies", company_id="initech", online_payments=True, version=1)
    forge_row(runtime, "cl_history", position=100_000, company_id="hooli", customer_id="",
              at="2026-11-25T12:00:00.000000+00:00", action="online_payments_enabled",
              card_id=None, brand=None, last4=None, actor="user:mallory", source="admin",
              detail="")
    # when verified
    found = sorted((d.table, d.company, d.customer, str(d))
                   for d in differences(runtime.ledger, runtime.read_model))
    # then the customer's row is the customer's, the others their company's
    assert found == [
        ("cl_companies", "initech", None,
         "company initech: cl_companies row with company_id='initech' that no event explains"),
        ("cl_customers", "acme", "9999",
         (f"customer acme/9999: cl_customers row with aggregate_id='{aggregate_id}' "
          "that no event explains")),
        ("cl_history", "hooli", None,
         ("company hooli history at 100000: cl_history row with position=100000 "
          "that no event explains")),
    ]


@pytest.mark.parametrize(("scope", "aggregates"), [
    (Scope(), 5), (Scope("acme"), 3), (Scope("acme", "2002"), 1), (Scope("globex"), 1)])
def test_a_check_replays_as_many_aggregates_as_its_progress_bar_counts_on(
        runtime: Runtime, scope: Scope, aggregates: int) -> None:
    # given acme with customers 1001 and 2002, globex with no customer yet, and
    # initech with customer 3003; views current
    three_cards(runtime)
    runtime.ledger.add_card("acme", "2002", "pm_card_amex", by=Provenance("customer:2002", "portal"))
    runtime.ledger.set_online_payments("globex", True, ADMIN)
    runtime.ledger.register_customer("initech", "3003", OFFICE)
    runtime.projector.catch_up()
    # when the scope is checked
    summary = Summary()
    found = list(differences(runtime.ledger, runtime.read_model, scope, summary=summary))
    # then it is clean, and it replayed the aggregates the count promised: the
    # company and its customers, one customer, or all of them
    assert found == []
    assert summary.aggregates == aggregates
    assert count_aggregates(runtime.ledger, runtime.read_model, scope) == aggregates


@pytest.mark.parametrize(("scope", "covered"), [
    (Scope(), {("acme", None), ("acme", "1001"), ("acme", "2002"), ("globex", "1001")}),
    (Scope("acme"), {("acme", None), ("acme", "1001"), ("acme", "2002")}),
    (Scope("acme", "1001"), {("acme", "1001")})])
def test_a_scope_covers_every_aggregate_its_company_or_its_one_customer(
        scope: Scope, covered: set[tuple[str, str | None]]) -> None:
    # given a company's own aggregate (customer None) and customers of two companies
    aggregates = {("acme", None), ("acme", "1001"), ("acme", "2002"), ("globex", "1001")}
    # then the scope covers exactly its part
    assert {a for a in aggregates if scope.covers(*a)} == covered


@pytest.mark.projector_only
def test_a_batch_whose_compare_and_set_fails_writes_nothing(runtime: Runtime) -> None:
    """Given views caught up to the log, and the next events (a card added),
    when a batch of them is applied by a projector that expects the views at
    an older position (another projector moved them), then it fails with
    StalePosition and not one of its rows is written: on PostgreSQL the
    writes are pipelined behind the compare-and-set, and must not outrun it."""
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, ADMIN)
    runtime.projector.catch_up()
    at = runtime.read_model.position()
    ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
    notifications = ledger.notification_log.select(start=at + 1, limit=10)
    batch = [(ledger.mapper.to_domain_event(n), n.id) for n in notifications]
    with pytest.raises(StalePosition):
        runtime.read_model.apply(batch, expected=at - 1, new=notifications[-1].id)
    assert runtime.read_model.position() == at
    assert runtime.read_model.card_list("acme", "1001") is None
    # and the same batch from the right position goes in whole
    runtime.read_model.apply(batch, expected=at, new=notifications[-1].id)
    assert len(runtime.read_model.card_list("acme", "1001")[1]) == 1
    assert "added" in [e.action for e in runtime.read_model.history("acme", "1001")]


@pytest.mark.projector_only
@pytest.mark.parametrize("store_settings", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_the_views_commit_without_waiting_for_the_disk_and_only_theirs(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The views' transaction commits with synchronous_commit off (views and
    position are lost together in a crash and applied again); the setting is
    that transaction's alone, so appends and other statements keep waiting
    for the disk."""
    seen: list[str] = []
    advance = Positions.advance_in

    def watched(tx: Any, *args: Any) -> bool:
        seen.append(tx.execute("SHOW synchronous_commit").one()["synchronous_commit"])
        return advance(tx, *args)

    monkeypatch.setattr(Positions, "advance_in", staticmethod(watched))
    runtime.ledger.set_online_payments("acme", True, ADMIN)
    runtime.projector.catch_up()
    assert seen and set(seen) == {"off"}
    outside = [runtime.read_model.db.read("SHOW synchronous_commit")[0]["synchronous_commit"]
               for _ in range(5)]
    assert set(outside) == {"on"}


def test_a_batch_shows_the_cards_it_changes_as_they_are_after_each_event(
        runtime: Runtime) -> None:
    # Given three saved cards, already in the views
    cards = three_cards(runtime)
    runtime.projector.catch_up()
    # and, reaching the views in one batch (no inline writer), the visa's
    # number renewed at the processor and then the visa deleted
    ledger = runtime.ledger
    ledger.in_same_transaction = None
    ledger.record_processor_update("cus_sandbox.acme.1001", "pm_card_visa", last4="1881",
                                   exp_month=3, exp_year=2036, reason="account-updater",
                                   event_id="evt_1")
    ledger.delete_card("acme", "1001", cards.oldest, by=OFFICE)

    # When the projector applies the batch (the cards it shows read once, before it)
    assert runtime.projector.catch_up() == 2

    # Then both rows show the visa with its new number, as a replay does
    history = runtime.read_model.history("acme", "1001")
    assert history is not None
    assert [(h.action, h.brand, h.last4) for h in history[:2]] == [
        ("deleted", "visa", "1881"), ("updated", "visa", "1881")]
    assert verify(ledger, runtime.read_model) == []
