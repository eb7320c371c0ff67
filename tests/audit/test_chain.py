"""Tamper evidence: every event carries a hash-chain link, checkpoints sign
the heads, and the check reads the stored records, not the views.

Given a customer's history (and a signed checkpoint), when someone with write
access edits, rewrites or removes stored events and rebuilds the views, then
check_chains names the first broken customer and version; a checkpoint that
is forged or replayed is refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from cardledger.checkpoints import make_checkpoints
from cardledger.wiring import Runtime
from domain.checkpoints import CHECKPOINTS_ID, CheckpointKey, Checkpoints
from domain.ids import customer_aggregate_id
from domain.provenance import Provenance
from projections.chain_check import ChainSummary, check_chains
from projections.rebuild import rebuild
from projections.verify import verify
from tests.audit.stored import delete_event, edit_event, relink_from
from tests.builders import three_cards

KEY = CheckpointKey("k1", b"a secret the database never sees")
KEYS = {"k1": KEY}
PORTAL = Provenance("customer:1001", "portal")
STREAM = customer_aggregate_id("acme", "1001")


@pytest.fixture
def history(runtime: Runtime) -> Runtime:
    """Given company acme (online payments on) and customer 1001 with three
    cards (versions 1-7) and a paid invoice (8-9)."""
    three_cards(runtime)
    runtime.ledger.pay_invoice("acme", "1001", invoice_id="INV-1", amount=1250, currency="usd",
                               by=PORTAL, idempotency_key="pay-1")
    return runtime


def problems_after_rebuild(runtime: Runtime) -> list[str]:
    rebuild(runtime.ledger, runtime.read_model)
    assert verify(runtime.ledger, runtime.read_model) == []  # the views agree: no help
    return [str(p) for p in check_chains(runtime.ledger, KEYS)]


def set_last4(state: dict[str, Any]) -> None:
    state["last4"] = "0000"


def test_an_untouched_store_verifies(history: Runtime) -> None:
    summary = ChainSummary()
    make_checkpoints(history.ledger, KEY)
    assert check_chains(history.ledger, KEYS, summary=summary) == []
    assert (summary.streams, summary.events, summary.linked) == (2, 11, 11)
    assert (summary.checkpoints, summary.pinned) == (1, 2)


def test_every_event_links_to_the_one_before(history: Runtime) -> None:
    events = history.ledger.customer_events("acme", "1001")
    links = [e.chain_link for e in events]
    assert all(links) and len(set(links)) == len(links)
    assert history.ledger.get_customer("acme", "1001").chain_head == links[-1]


def test_an_edited_event_is_named_after_the_views_were_rebuilt(history: Runtime) -> None:
    edit_event(history.ledger, STREAM, 2, set_last4)  # the visa's CardAdded
    assert problems_after_rebuild(history) == [
        "customer 1001 of company acme, version 2: its content does not match its link: "
        "the stored event was changed"]


def test_an_edited_timestamp_is_named(history: Runtime) -> None:
    edit_event(history.ledger, STREAM, 8,
               lambda s: s.update(timestamp={"_type_": "datetime_iso",
                                             "_data_": "2026-01-01T00:00:00+00:00"}))
    assert [p.split(":")[0] for p in problems_after_rebuild(history)] == [
        "customer 1001 of company acme, version 8"]


def test_a_stream_rewritten_with_fresh_links_is_caught_by_the_checkpoint(history: Runtime) -> None:
    make_checkpoints(history.ledger, KEY)
    edit_event(history.ledger, STREAM, 2, set_last4)
    relink_from(history.ledger, STREAM, 2)
    assert problems_after_rebuild(history) == [
        "customer 1001 of company acme, version 9: its link differs from the one signed in "
        "checkpoint 2: the stream was rewritten"]


def test_a_removed_last_event_is_caught_by_the_checkpoint(history: Runtime) -> None:
    make_checkpoints(history.ledger, KEY)
    delete_event(history.ledger, STREAM, 9)
    assert problems_after_rebuild(history) == [
        "customer 1001 of company acme, version 9: checkpoint 2 pins this version (link "
        + check_link(history, 9) + ") but the store has no such event: events were removed"]


def check_link(runtime: Runtime, version: int) -> str:
    signed = list(runtime.ledger.events.get(CHECKPOINTS_ID))[-1]
    return next(head[4] for head in signed.heads if head[3] == version)


def test_a_removed_middle_event_is_named(history: Runtime) -> None:
    delete_event(history.ledger, STREAM, 4)  # (the views cannot even be rebuilt now)
    assert str(check_chains(history.ledger, KEYS)[0]) == (
        "customer 1001 of company acme, version 5: follows version 3: events are missing")


def test_a_checkpoint_with_a_wrong_signature_is_refused(history: Runtime) -> None:
    make_checkpoints(history.ledger, CheckpointKey("k1", b"a key the forger guessed"))
    problems = [str(p) for p in check_chains(history.ledger, KEYS)]
    assert problems == ["checkpoints, version 2: checkpoint refused: its signature does not "
                        "match its content"]


def test_a_checkpoint_edited_in_the_store_is_refused(history: Runtime) -> None:
    make_checkpoints(history.ledger, KEY)
    edit_event(history.ledger, CHECKPOINTS_ID, 2, lambda s: s["heads"][0].__setitem__(3, 1))
    assert [str(p) for p in check_chains(history.ledger, KEYS)] == [
        "checkpoints, version 2: checkpoint refused: its signature does not match its content"]


def test_a_replayed_checkpoint_is_refused(history: Runtime) -> None:
    """Given a valid checkpoint, when its exact copy is appended again later
    (say, from the Kafka topic), then the copy does not follow the newest one."""
    make_checkpoints(history.ledger, KEY)
    first = list(history.ledger.events.get(CHECKPOINTS_ID))[-1]
    history.ledger.set_online_payments("acme", False, PORTAL)
    make_checkpoints(history.ledger, KEY)
    checkpoints = history.ledger.repository.get(CHECKPOINTS_ID)
    checkpoints.trigger_event(Checkpoints.Signed, company_id="*", actor=first.actor,
                              source=first.source, position=first.position, heads=first.heads,
                              previous=first.previous, key_id=first.key_id,
                              signature=first.signature)
    history.ledger.save(checkpoints)
    assert [str(p) for p in check_chains(history.ledger, KEYS)] == [
        "checkpoints, version 4: checkpoint refused: it does not follow the checkpoint "
        "before it (one was removed or replayed)"]


def test_a_checkpoint_signed_with_an_unknown_key_is_refused(history: Runtime) -> None:
    make_checkpoints(history.ledger, CheckpointKey("k9", b"someone else's"))
    assert [str(p) for p in check_chains(history.ledger, KEYS)] == [
        "checkpoints, version 2: checkpoint refused: signed with key 'k9', which this "
        "verifier does not hold"]


def test_checkpoints_sign_only_the_streams_that_changed(history: Runtime) -> None:
    first = make_checkpoints(history.ledger, KEY)
    assert make_checkpoints(history.ledger, KEY) == []
    history.ledger.set_primary("acme", "1001", history.ledger.get_customer(
        "acme", "1001").newest_unexpired_card(history.ledger.clock().date()).card_id, by=PORTAL)
    second = make_checkpoints(history.ledger, KEY)
    assert [len(c.heads) for c in first + second] == [2, 1]
    assert second[0].heads[0][:4] == [str(STREAM), "acme", "1001", 10]
    assert second[0].previous == first[0].signature


def test_a_stream_written_before_links_starts_its_chain_at_its_next_event(
        runtime: Runtime) -> None:
    """Given events stored before links existed (tests/payments/stored_by_v1.json),
    when the customer changes again, then the chain starts at that event (the
    marked start) and verifies; an edit after it is named, one before it is not
    (docs/audit.md: what the old events are covered by)."""
    from tests.payments.test_stored_before_additional import rows  # noqa: PLC0415

    runtime.ledger.recorder.insert_events(rows("company") + rows("customer"))
    old = runtime.ledger.get_customer("acme", "1001")
    assert old.chain_head is None
    runtime.ledger.set_online_payments("acme", True, PORTAL)
    runtime.ledger.add_card("acme", "1001", "pm_card_amex", by=PORTAL)
    marked = old.version + 1
    assert check_chains(runtime.ledger, KEYS) == []
    edit_event(runtime.ledger, STREAM, marked, set_last4)
    assert [str(p) for p in check_chains(runtime.ledger, KEYS)] == [
        f"customer 1001 of company acme, version {marked}: its content does not match its "
        f"link: the stored event was changed"]


def test_a_link_stripped_after_the_chain_started_is_named(history: Runtime) -> None:
    edit_event(history.ledger, STREAM, 5, lambda s: s.pop("chain_link"))
    assert [str(p) for p in check_chains(history.ledger, KEYS)] == [
        "customer 1001 of company acme, version 5: carries no link though the events before "
        "it do: its link was removed",
        # the next event's link covered the removed one, which is now unknown
        "customer 1001 of company acme, version 6: its content does not match its link: "
        "the stored event was changed"]


def test_a_customer_loaded_from_a_snapshot_goes_on_linking_from_its_head(
        runtime: Runtime) -> None:
    """Given more events than the snapshot interval (50), when the customer
    loads from its snapshot and changes again, then the chain still verifies."""
    cards = three_cards(runtime)
    for turn in range(50):
        runtime.ledger.set_primary("acme", "1001", cards.newest if turn % 2 == 0 else cards.middle,
                                   by=PORTAL)
    assert runtime.ledger.snapshots is not None
    assert list(runtime.ledger.snapshots.get(STREAM))  # a snapshot exists
    runtime.ledger.set_primary("acme", "1001", cards.oldest, by=PORTAL)
    assert check_chains(runtime.ledger, KEYS) == []
