"""Stateful property tests: random sequences of commands keep every
invariant, and replay of the events equals both views."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import Settings
from cardledger.wiring import open_runtime
from domain.errors import DomainError
from domain.processor import CardDetails
from domain.provenance import Provenance
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


class CustomerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.clock = Clock()
        store = Settings(_env_file=None, data_dir=Path(self.dir.name),
                         max_cards_per_customer=MAX_CARDS)
        self.runtime = open_runtime(store, processor=SandboxProcessor(CARDS),
                                    clock=self.clock, run_projector=False)
        self.ledger = self.runtime.ledger
        self.ledger.set_online_payments("acme", True, Provenance("user:admin", "admin"))
        self.known_cards: list[str] = ["card_unknown"]

    def _try(self, command, *args, **kwargs) -> None:  # noqa: ANN001
        try:
            outcome = command("acme", "1001", *args, **kwargs)
        except DomainError:
            return
        if outcome.card_id and outcome.card_id not in self.known_cards:
            self.known_cards.append(outcome.card_id)

    @rule(token=st.sampled_from(sorted(CARDS)), make_primary=st.booleans(),
          by=st.sampled_from(ACTORS), key=st.sampled_from([None, "k1", "k2"]))
    def add(self, token: str, make_primary: bool, by: Provenance, key: str | None) -> None:
        self._try(self.ledger.add_card, token, make_primary=make_primary, by=by,
                  idempotency_key=key)

    @rule(data=st.data(), by=st.sampled_from(ACTORS))
    def set_primary(self, data: st.DataObject, by: Provenance) -> None:
        self._try(self.ledger.set_primary, data.draw(st.sampled_from(self.known_cards)), by=by)

    @rule(data=st.data(), by=st.sampled_from(ACTORS))
    def delete(self, data: st.DataObject, by: Provenance) -> None:
        self._try(self.ledger.delete_card, data.draw(st.sampled_from(self.known_cards)), by=by)

    @rule(enabled=st.booleans())
    def switch_online_payments(self, enabled: bool) -> None:
        self.ledger.set_online_payments("acme", enabled, Provenance("user:admin", "admin"))

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
            self.runtime.close()
            self.dir.cleanup()


CustomerMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_random_commands_keep_every_rule_and_views_equal_replay = CustomerMachine.TestCase
