"""Erasure by crypto-shredding, on both stores (docs/erasure.md): given a
customer whose card carries the cardholder's name, when an admin erases them,
then the name is unreadable everywhere while the history, the chain and the
views still hold together."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from cardledger.personal_data import KeyWrappingMismatch, SealedWithKeys
from cardledger.processors.sandbox import TEST_CARDS, SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import Runtime, open_runtime
from domain.errors import CustomerErased, ErasureBlocked, ProcessorUnavailable
from domain.personal_data import is_sealed
from domain.provenance import Provenance
from projections.chain_check import check_chains
from projections.evidence import evidence_pack
from projections.rebuild import rebuild
from projections.verify import verify
from tests.conftest import Clock

ADMIN = Provenance("user:admin", "admin")
ME = Provenance("customer:1001", "portal")
# A name no other test data holds, so finding it anywhere is this story's leak.
NAME = "Zebulon Quartermaine-Erasable"
NAMED = "pm_card_named"


@pytest.fixture
def runtime(store_settings: Settings, clock: Clock) -> Iterator[Runtime]:
    named = replace(TEST_CARDS["pm_card_visa"].details, cardholder_name=NAME,
                    last4="1881", fingerprint="fp-named")
    processor = SandboxProcessor(extra_cards={NAMED: named})
    with open_runtime(store_settings, processor=processor, clock=clock,
                      run_projector=False) as rt:
        yield rt


def story(runtime: Runtime) -> dict[str, str]:
    """A named card (primary) and a second one, and one invoice paid."""
    ledger = runtime.ledger
    ledger.set_online_payments("acme", True, ADMIN)
    named = ledger.add_card("acme", "1001", NAMED, by=ME).card_id
    other = ledger.add_card("acme", "1001", "pm_card_mastercard", by=ME).card_id
    paid = ledger.pay_invoice("acme", "1001", invoice_id="inv-1", amount=1250, currency="usd",
                              by=ME, idempotency_key="pay-inv-1")
    runtime.projector.catch_up()
    assert paid.payment is not None
    return {"named": named, "other": other, "payment": paid.payment.payment_id}


def tables_holding(runtime: Runtime, text: str) -> list[str]:
    """Every table of the store (events, snapshots, views, keys) with a value
    holding ``text``: the store read as an attacker with a dump would."""
    db = runtime.read_model.db
    if db.postgres:
        names = [r["table_name"] for r in db.read(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
    else:
        names = [r["name"] for r in db.read(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = []
    for table in names:
        for row in db.read(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from the catalogue)
            if any(text in _text(value) for value in row.values()):
                found.append(table)
                break
    return sorted(found)


def _text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def test_the_name_is_sealed_everywhere_and_readable_only_until_the_erasure(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Given a customer whose primary card carries the cardholder's name, and a payment
    ids = story(runtime)
    # Then no table holds the name in the clear (events and snapshots hold it sealed)
    assert tables_holding(runtime, NAME) == []
    stored = runtime.ledger.get_customer("acme", "1001").cards[ids["named"]].cardholder_name
    assert is_sealed(stored)
    # And the evidence pack, read by the office, shows it
    pack = evidence_pack(runtime.ledger, "acme", "1001", ids["payment"], {})
    assert pack["card"]["cardholder_name"] == NAME
    added = next(e for e in pack["history"] if e["type"] == "Customer.CardAdded")
    assert added["data"]["cardholder_name"] == NAME
    assert pack["erased_at"] is None

    # When an admin erases the customer
    outcome = runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    runtime.projector.catch_up()

    # Then the name can no longer be read, from the events or anywhere else
    pack = evidence_pack(runtime.ledger, "acme", "1001", ids["payment"], {})
    assert pack["card"]["cardholder_name"] is None
    assert [e["data"].get("cardholder_name") for e in pack["history"]
            if e["type"] == "Customer.CardAdded"] == [None, None]
    assert pack["erased_at"] is not None
    assert tables_holding(runtime, NAME) == []
    key = runtime.read_model.db.read("SELECT data_key, destroyed_at FROM cl_data_keys")
    assert [(k["data_key"], k["destroyed_at"] is not None) for k in key] == [(None, True)]
    # And the payment record stays: amount, card facts, who and when
    assert pack["payment"]["amount"] == 1250
    assert pack["card"]["last4"] == "1881"
    # And the chain, the views and a rebuild all still agree with the events
    assert check_chains(runtime.ledger, None) == []
    assert verify(runtime.ledger, runtime.read_model) == []
    rebuild(runtime.ledger, runtime.read_model)
    assert verify(runtime.ledger, runtime.read_model) == []
    # And no log line of the whole story held the name
    assert not [r for r in caplog.records if NAME in r.getMessage()]
    assert outcome.version == runtime.ledger.get_customer("acme", "1001").version


def test_erasure_deletes_and_detaches_every_card_and_leaves_the_history(
        runtime: Runtime) -> None:
    # Given a customer with two saved cards attached at the processor
    ids = story(runtime)
    processor = runtime.ledger.processor
    assert isinstance(processor, SandboxProcessor)
    assert len(processor.attached) == 2
    # When the customer is erased
    runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    runtime.projector.catch_up()
    # Then no card is attached at the processor any more
    assert processor.attached == {}
    # And the card list is gone, while the history tells what happened, newest first
    with pytest.raises(CustomerErased):
        runtime.read_model.card_list("acme", "1001")
    history = runtime.read_model.history("acme", "1001")
    assert [(h.action, h.card_id, h.detail) for h in history[:3]] == [
        ("erased", None, ""),
        ("deleted", ids["other"], "customer-erased"),
        ("deleted", ids["named"], "customer-erased"),
    ]
    assert {h.action for h in history} >= {"added", "payment_succeeded", "erased"}
    assert runtime.read_model.has_customer("acme", "1001")


def test_every_command_on_an_erased_customer_is_refused_as_erased(runtime: Runtime) -> None:
    # Given an erased customer
    ids = story(runtime)
    first = runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    ledger = runtime.ledger
    # When anyone asks for any change, through any command
    commands = {
        "register": lambda: ledger.register_customer("acme", "1001", ADMIN),
        "add card": lambda: ledger.add_card("acme", "1001", "pm_card_visa", by=ME),
        "set primary": lambda: ledger.set_primary("acme", "1001", ids["other"], by=ME),
        "delete card": lambda: ledger.delete_card("acme", "1001", ids["other"], by=ME),
        "pay": lambda: ledger.pay_invoice("acme", "1001", invoice_id="inv-2", amount=100,
                                          currency="usd", by=ME, idempotency_key="pay-2"),
        "autopay on": lambda: ledger.autopay.enrol(
            "acme", "1001", card_id=None, consent_text_version="v1", consent_channel="portal",
            by=ME),
        "autopay charge": lambda: ledger.autopay.charge(
            "acme", "1001", invoice_id="inv-3", amount=100, currency="usd", by=ADMIN,
            idempotency_key="charge-3"),
    }
    # Then each is refused as erased (not with another rule's error), and nothing is stored
    refused = {}
    for name, command in commands.items():
        with pytest.raises(Exception) as caught:  # noqa: PT011 (the type is the assertion)
            command()
        refused[name] = type(caught.value).__name__
    assert refused == dict.fromkeys(commands, "CustomerErased")
    assert ledger.get_customer("acme", "1001").version == first.version
    # And erasing again answers the first erasure
    again = ledger.erase_customer("acme", "1001", by=ADMIN)
    assert (again.version, again.position) == (first.version, None)


def test_a_key_destroyed_before_the_erasure_was_recorded_fails_closed_and_a_retry_completes(
        runtime: Runtime) -> None:
    # Given a customer whose key was destroyed by an erasure that stopped before its
    # events were appended (a crash between the two)
    ids = story(runtime)
    runtime.ledger.personal_data.forget("acme", "1001")
    # Then the name is already unreadable, and no new name can be sealed for them
    pack = evidence_pack(runtime.ledger, "acme", "1001", ids["payment"], {})
    assert pack["card"]["cardholder_name"] is None
    runtime.ledger.delete_card("acme", "1001", ids["named"], by=ME)
    with pytest.raises(CustomerErased):
        runtime.ledger.add_card("acme", "1001", NAMED, by=ME)
    # When the erasure is sent again
    runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    runtime.projector.catch_up()
    # Then it completes
    with pytest.raises(CustomerErased):
        runtime.read_model.card_list("acme", "1001")
    assert verify(runtime.ledger, runtime.read_model) == []


def test_a_name_stored_in_the_clear_before_sealing_existed_is_unreadable_after_erasure(
        runtime: Runtime) -> None:
    # Given a card added before personal fields were sealed: its name is in the
    # event in the clear
    real = runtime.ledger.personal_data

    class InTheClear:
        def seal(self, company_id: str, customer_id: str, field: str, value: str) -> str:
            return value

    runtime.ledger.personal_data = InTheClear()  # type: ignore[assignment]
    ids = story(runtime)
    runtime.ledger.personal_data = real
    pack = evidence_pack(runtime.ledger, "acme", "1001", ids["payment"], {})
    assert pack["card"]["cardholder_name"] == NAME
    # When the customer is erased
    runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    runtime.projector.catch_up()
    # Then cardledger no longer shows it
    pack = evidence_pack(runtime.ledger, "acme", "1001", ids["payment"], {})
    assert pack["card"]["cardholder_name"] is None
    # But the events written before still hold it (the documented limit,
    # docs/erasure.md): an append-only store cannot unwrite them
    assert tables_holding(runtime, NAME) == [runtime.ledger.recorder.events_table_name]


class OutageOnce(SandboxProcessor):
    """The processor does not answer the first charge: the payment stays in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def charge(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            self.down = False
            raise ProcessorUnavailable("timed out")
        return super().charge(*args, **kwargs)


def test_a_payment_in_flight_blocks_the_erasure_until_its_retry_records_the_outcome(
        store_settings: Settings, clock: Clock) -> None:
    with open_runtime(store_settings, processor=OutageOnce(), clock=clock,
                      run_projector=False) as runtime:
        ledger = runtime.ledger
        ledger.set_online_payments("acme", True, ADMIN)
        ledger.add_card("acme", "1001", "pm_card_visa", by=ME)
        # Given a payment whose charge got no answer: started, outcome unknown
        with pytest.raises(ProcessorUnavailable):
            ledger.pay_invoice("acme", "1001", invoice_id="inv-1", amount=500,
                               currency="usd", by=ME, idempotency_key="pay-1")
        version = ledger.get_customer("acme", "1001").version
        # When an admin erases the customer
        # Then the erasure is refused, naming the payment, and nothing is destroyed
        with pytest.raises(ErasureBlocked, match="pay_"):
            ledger.erase_customer("acme", "1001", by=ADMIN)
        assert ledger.get_customer("acme", "1001").version == version
        assert runtime.read_model.db.read(
            "SELECT data_key FROM cl_data_keys WHERE data_key IS NULL") == []
        # When the payment is retried with its key, once its first try's window has
        # passed, and its outcome recorded
        clock.now += timedelta(minutes=30)
        paid = ledger.pay_invoice("acme", "1001", invoice_id="inv-1", amount=500,
                                  currency="usd", by=ME, idempotency_key="pay-1")
        assert paid.payment is not None and paid.payment.status == "succeeded"
        # Then the erasure goes through
        ledger.erase_customer("acme", "1001", by=ADMIN)
        assert ledger.get_customer("acme", "1001").erased_at is not None


def test_with_a_wrapping_key_a_copy_of_the_database_alone_opens_no_name(
        store_settings: Settings, clock: Clock) -> None:
    named = replace(TEST_CARDS["pm_card_visa"].details, cardholder_name=NAME)
    wrapped = store_settings.model_copy(
        update={"data_key_wrapping_key": SecretStr("a-long-random-secret-kept-outside")})
    # Given a named card saved by a server whose settings hold a wrapping key
    with open_runtime(wrapped, processor=SandboxProcessor(extra_cards={NAMED: named}),
                      clock=clock, run_projector=False) as runtime:
        runtime.ledger.set_online_payments("acme", True, ADMIN)
        runtime.ledger.add_card("acme", "1001", NAMED, by=ME)
        stored = runtime.ledger.get_customer("acme", "1001")
        sealed = next(iter(stored.cards.values())).cardholder_name
        assert runtime.ledger.personal_data.reveal("acme", "1001", "cardholder_name",
                                                   sealed) == NAME
        (key,) = runtime.read_model.db.read("SELECT data_key FROM cl_data_keys")
        assert key["data_key"].startswith("w1:")
    # When the same database is opened without the wrapping key (a stolen copy)
    with open_runtime(store_settings, processor=SandboxProcessor(), clock=clock,
                      run_projector=False) as runtime:
        # Then the name does not open, and the refusal says why
        with pytest.raises(KeyWrappingMismatch, match="WRAPPING_KEY"):
            runtime.ledger.personal_data.reveal("acme", "1001", "cardholder_name", sealed)


def test_reconciliation_detaches_a_card_attached_after_the_erasure_and_records_nothing(
        runtime: Runtime) -> None:
    from cardledger.reconcile import Reconciler  # noqa: PLC0415

    # Given an erased customer to whose processor-side record a card was attached
    # afterwards (in the processor's dashboard, say)
    story(runtime)
    runtime.ledger.erase_customer("acme", "1001", by=ADMIN)
    customer = runtime.ledger.get_customer("acme", "1001")
    processor = runtime.ledger.processor
    assert isinstance(processor, SandboxProcessor) and customer.processor_customer_id
    processor.attach(customer.processor_customer_id, "pm_card_visa_debit")
    # When reconciliation runs
    changes = Reconciler(runtime.ledger).reconcile_customer("acme", "1001")
    # Then the card is detached at the processor, reported, and nothing is recorded
    assert [c.kind for c in changes] == ["detach-unsaved"]
    assert processor.attached == {}
    assert runtime.ledger.get_customer("acme", "1001").version == customer.version


def test_a_value_sealed_by_this_release_opens_in_later_ones(runtime: Runtime) -> None:
    # Given a name sealed the way release 1 of the format writes it, by hand:
    # AES-256-GCM, a 12-byte nonce, the customer and field as associated data,
    # nonce + ciphertext as hex shifted to letters (docs/erasure.md)
    import os  # noqa: PLC0415

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    key, nonce = os.urandom(32), os.urandom(12)
    letters = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
    with runtime.read_model.db.transaction() as tx:
        tx.execute("INSERT INTO cl_data_keys (company_id, customer_id, data_key, created_at) "
                   "VALUES ('acme', '1001', :key, '2026-11-26T00:00:00+00:00')",
                   {"key": key.hex().translate(letters)})
    body = nonce + AESGCM(key).encrypt(nonce, NAME.encode(),
                                       b"cardledger/v1/acme/1001/cardholder_name")
    sealed = "sealed:v1:" + body.hex().translate(letters)
    personal_data = runtime.ledger.personal_data
    # Then it opens, for that customer and field only
    assert personal_data.reveal("acme", "1001", "cardholder_name", sealed) == NAME
    assert personal_data.reveal("acme", "1001", "error", sealed) is None


def test_a_sealed_value_copied_to_another_customer_does_not_open(runtime: Runtime) -> None:
    personal_data = runtime.ledger.personal_data
    sealed = personal_data.seal("acme", "1001", "cardholder_name", NAME)
    personal_data.seal("acme", "1002", "cardholder_name", "someone else")
    # Even with the other customer's own key, the value is bound to its customer:
    # it shows as unreadable (and the event's chain link as broken), never as a name
    assert personal_data.reveal("acme", "1002", "cardholder_name", sealed) is None


def test_the_loser_of_a_race_to_make_a_customers_first_key_uses_the_winners(
        runtime: Runtime) -> None:
    personal_data = runtime.ledger.personal_data
    assert isinstance(personal_data, SealedWithKeys)
    # Given another process made the customer's key between this one's read and insert
    winner = personal_data.seal("acme", "1001", "cardholder_name", NAME)
    # When this one inserts its own (the race's loser: nothing inserted)
    row = personal_data._create("acme", "1001")
    # Then it reads and uses the winner's key
    assert row["data_key"]
    assert personal_data.reveal("acme", "1001", "cardholder_name", winner) == NAME


def test_reading_never_makes_a_key(runtime: Runtime) -> None:
    personal_data = runtime.ledger.personal_data
    assert personal_data.reveal("acme", "1001", "cardholder_name", "in the clear") == (
        "in the clear")
    assert runtime.read_model.db.read("SELECT * FROM cl_data_keys") == []


def test_a_ledger_built_without_the_composition_root_keeps_no_name() -> None:
    # A CardLedger built directly (tests, tools) has no key store: personal
    # fields are dropped, never stored in the clear
    from domain.service import CardLedger  # noqa: PLC0415

    named = replace(TEST_CARDS["pm_card_visa"].details, cardholder_name=NAME)
    ledger = CardLedger({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                        processor=SandboxProcessor(extra_cards={NAMED: named}))
    ledger.set_online_payments("acme", True, ADMIN)
    card_id = ledger.add_card("acme", "1001", NAMED, by=ME).card_id
    stored = ledger.get_customer("acme", "1001").cards[card_id].cardholder_name
    assert stored is not None and is_sealed(stored) and NAME not in stored
