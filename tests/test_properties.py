"""Stateful property tests: random sequences of commands keep every
invariant, and replay of the events equals both views."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cardledger.processors import sandbox
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from domain.autopay import autopay_of, charges_of
from domain.errors import DomainError
from domain.processor import CardDetails
from domain.provenance import Provenance
from domain.service import CardLedger
from projections.verify import verify
from tests.conftest import Clock

MAX_CARDS = 4
# Cards that expire at different times, two of them sharing a fingerprint.
CARDS = {
    "tok_a": CardDetails("visa", "1111", 12, 2026, "fp-a"),
    "tok_b": CardDetails("mastercard", "2222", 6, 2027, "fp-b"),
    "tok_c": CardDetails("amex", "3333", 12, 2028, "fp-c"),
    "tok_c2": CardDetails("amex", "3333", 12, 2028, "fp-c"),
    "tok_d": CardDetails("discover", "4444", 3, 2027, "fp-d"),
    "tok_e": CardDetails("visa", "5555", 1, 2030, "fp-e"),
    "tok_old": CardDetails("visa", "6666", 1, 2020, "fp-old"),
}
ACTORS = [Provenance("customer:1001", "portal"), Provenance("user:jdoe", "office")]
# Autopay's declining cards: one soft (retried later), one hard.
DECLINING = {"tok_soft": sandbox.TestCard(CardDetails("visa", "7777", 5, 2029, "fp-soft"),
                                          "insufficient_funds"),
             "tok_hard": sandbox.TestCard(CardDetails("visa", "8888", 8, 2029, "fp-hard"),
                                          "generic_decline")}


class CustomerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.clock = Clock()
        store = Settings(_env_file=None, data_dir=Path(self.dir.name),
                         max_cards_per_customer=MAX_CARDS)
        processor = SandboxProcessor(CARDS)
        processor.cards.update(DECLINING)
        self.runtime = open_runtime(store, processor=processor,
                                    clock=self.clock, run_projector=False)
        self.ledger = self.runtime.ledger
        # Another API process on the same store, with its own kept customers
        # and switch (domain/basis.py); its changes reach the views through
        # the projector, so this process's inline writes find them behind.
        self.elsewhere = CardLedger(store.event_store_env(), processor=processor,
                                    clock=self.clock, max_cards=MAX_CARDS)
        self.ledger.set_online_payments("acme", True, Provenance("user:admin", "admin"))
        self.online = True
        self.known_cards: list[str] = ["card_unknown"]

    def _try(self, command, *args, **kwargs) -> Any:  # noqa: ANN001
        try:
            outcome = command("acme", "1001", *args, **kwargs)
        except DomainError:
            return None
        if outcome.card_id and outcome.card_id not in self.known_cards:
            self.known_cards.append(outcome.card_id)
        if getattr(outcome, "customer", None) is not None:
            # The answer is what was committed, whichever process decided it
            # and whatever it had kept
            stored = self.ledger.get_customer("acme", "1001", version=outcome.version)
            assert (outcome.customer.cards, outcome.customer.primary_card_id) == (
                stored.cards, stored.primary_card_id)
        return outcome

    def _via(self, elsewhere: bool) -> CardLedger:
        return self.elsewhere if elsewhere else self.ledger

    @rule(token=st.sampled_from(sorted(CARDS | DECLINING)), make_primary=st.booleans(),
          by=st.sampled_from(ACTORS), key=st.sampled_from([None, "k1", "k2"]),
          elsewhere=st.booleans())
    def add(self, token: str, make_primary: bool, by: Provenance, key: str | None,
            elsewhere: bool) -> None:
        added = self._try(self._via(elsewhere).add_card, token, make_primary=make_primary,
                          by=by, idempotency_key=key)
        # A card is saved only while online payments are on, wherever they
        # were last switched (this process may have kept an older reading)
        assert added is None or added.replayed or self.online

    @rule(data=st.data(), by=st.sampled_from(ACTORS), elsewhere=st.booleans())
    def set_primary(self, data: st.DataObject, by: Provenance, elsewhere: bool) -> None:
        self._try(self._via(elsewhere).set_primary,
                  data.draw(st.sampled_from(self.known_cards)), by=by)

    @rule(data=st.data(), by=st.sampled_from(ACTORS), elsewhere=st.booleans())
    def delete(self, data: st.DataObject, by: Provenance, elsewhere: bool) -> None:
        self._try(self._via(elsewhere).delete_card,
                  data.draw(st.sampled_from(self.known_cards)), by=by)

    # --- autopay -----------------------------------------------------------------------

    @rule(data=st.data(), by=st.sampled_from(ACTORS), follow_primary=st.booleans())
    def enrol_autopay(self, data: st.DataObject, by: Provenance, follow_primary: bool) -> None:
        card = None if follow_primary else data.draw(st.sampled_from(self._saved_first()))
        self._try(self.ledger.autopay.enrol, card_id=card, consent_text_version="v1",
                  consent_channel="portal", by=by)

    @rule(by=st.sampled_from(ACTORS))
    def turn_off_autopay(self, by: Provenance) -> None:
        self._try(self.ledger.autopay.turn_off, by=by)

    @rule(data=st.data(), by=st.sampled_from(ACTORS))
    def force_delete(self, data: st.DataObject, by: Provenance) -> None:
        self._try(self.ledger.delete_card, data.draw(st.sampled_from(self._saved_first())),
                  by=by, force=True)

    def _saved_first(self) -> list[str]:
        """Autopay's card and the saved cards (what autopay rules are about), then the rest."""
        customer = self._customer()
        saved = [autopay_of(customer).card_id or "", *customer.cards] if customer else []
        return [c for c in saved if c] * 3 + self.known_cards

    @rule(invoice=st.sampled_from(["INV-1", "INV-2", "INV-3"]),
          key=st.sampled_from(["c1", "c2", "c3", "c4"]))
    def autopay_charge(self, invoice: str, key: str) -> None:
        today = self.clock.now.date()
        try:
            before = self.ledger.get_customer("acme", "1001")
            outcome = self.ledger.autopay.charge("acme", "1001", invoice_id=invoice,
                                                 amount=1000, currency="usd", by=ACTORS[1],
                                                 idempotency_key=key)
        except DomainError:
            return
        if not outcome.replayed:
            # Every card this charge tried was saved and unexpired when tried.
            for attempt in outcome.charge.attempts:
                assert attempt.card_id in before.cards
                assert not before.cards[attempt.card_id].is_expired(today)

    @rule()
    def retries_fall_due(self) -> None:
        customer = self._customer()
        for charge_id in list(charges_of(customer)) if customer else []:
            try:
                self.ledger.autopay.make_retry("acme", "1001", charge_id)
            except DomainError:
                pass

    def _customer(self):  # noqa: ANN202
        try:
            return self.ledger.get_customer("acme", "1001")
        except DomainError:
            return None

    @invariant()
    def autopay_never_names_a_deleted_or_expired_card(self) -> None:
        customer = self._customer()
        if customer is None:
            return
        autopay = autopay_of(customer)
        if not autopay.enabled:
            assert autopay.card_id is None and autopay.consent is None
            return
        assert autopay.consent is not None
        if autopay.card_id is not None:
            assert autopay.card_id in customer.cards  # never a deleted card
        charged = autopay.card_to_charge(customer, self.clock.now.date())
        assert charged is None or not charged.is_expired(self.clock.now.date())
        assert customer.cards, "autopay on with no card left"

    @rule(enabled=st.booleans(), elsewhere=st.booleans())
    def switch_online_payments(self, enabled: bool, elsewhere: bool) -> None:
        self._via(elsewhere).set_online_payments("acme", enabled,
                                                 Provenance("user:admin", "admin"))
        self.online = enabled

    @rule(days=st.integers(min_value=1, max_value=400))
    def time_passes(self, days: int) -> None:
        self.clock.now += timedelta(days=days)

    @invariant()
    def cards_keep_every_rule(self) -> None:
        try:
            customer = self.ledger.get_customer("acme", "1001")
        except DomainError:
            return
        today = self.clock.now.date()
        cards = customer.cards
        assert len(cards) <= MAX_CARDS
        assert len({c.fingerprint for c in cards.values()}) == len(cards)
        if customer.primary_card_id is not None:
            assert customer.primary_card_id in cards
        else:
            # No primary only when every saved card has expired.
            assert all(c.is_expired(today) for c in cards.values())

    def teardown(self) -> None:
        try:
            self.runtime.projector.catch_up()
            assert verify(self.ledger, self.runtime.read_model) == []
        finally:
            self.elsewhere.close()
            self.runtime.close()
            self.dir.cleanup()


CustomerMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_random_commands_keep_every_rule_and_views_equal_replay = CustomerMachine.TestCase
