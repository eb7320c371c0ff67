"""The command mix every benchmark uses, and fast generation of stored history.

A customer's script cycles add card -> set primary -> delete card, keeping at
most two saved cards, so every command is valid and about a third of the
commands are of each kind. Each load client owns its own customers, so no two
clients race on one stream (contention is measured, not provoked).

``history_for`` builds real Customer events with the aggregate's own methods
and maps them with the ledger's mapper, so bulk-loaded history is exactly what
commands would have stored.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cardledger.processors.sandbox import TEST_CARDS
from domain.company import Company
from domain.customer import Customer
from domain.provenance import Provenance
from domain.service import CardLedger, new_card_id

COMPANY = "bench-co"
ADMIN = Provenance("user:bench-admin", "admin")
TODAY = date(2026, 11, 25)
# Sandbox tokens with distinct fingerprints that never expire (declines are fine to save).
TOKENS = [t for t, c in TEST_CARDS.items() if c.details.exp_year > 2030]


def customer_id(n: int) -> str:
    return f"cust-{n}"


def portal(customer: str) -> Provenance:
    return Provenance(f"customer:{customer}", "portal")


@dataclass
class Op:
    kind: str  # add | set_primary | delete
    customer: str
    token: str | None = None
    card_id: str | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class CustomerScript:
    """What one customer does next, given what the service answered before."""

    customer: str
    cards: list[str] = field(default_factory=list)  # card ids, oldest first
    tokens: dict[str, str] = field(default_factory=dict)  # card id -> token
    primary: str | None = None
    turn: int = 0
    _pending: Op | None = None

    def next(self) -> Op:
        if len(self.cards) < 2:
            held = set(self.tokens.values())
            token = next(t for t in itertools.islice(itertools.cycle(TOKENS), self.turn,
                                                      self.turn + len(TOKENS)) if t not in held)
            op = Op("add", self.customer, token=token)
        elif self.turn % 2 == 0:
            op = Op("set_primary", self.customer, card_id=self._other())
        else:
            op = Op("delete", self.customer, card_id=self._other())
        self.turn += 1
        self._pending = op
        return op

    def done(self, card_id: str | None = None) -> None:
        """Record the answer to the last ``next()``: the new card's id for an add."""
        op, self._pending = self._pending, None
        assert op is not None
        if op.kind == "add":
            assert card_id is not None
            self.cards.append(card_id)
            self.tokens[card_id] = op.token or ""
            self.primary = self.primary or card_id
        elif op.kind == "set_primary":
            self.primary = op.card_id
        else:
            self.cards.remove(op.card_id or "")
            self.tokens.pop(op.card_id or "", None)

    def _other(self) -> str:
        return next(c for c in self.cards if c != self.primary)


def scripts(first: int, count: int, prefix: str = "") -> list[CustomerScript]:
    return [CustomerScript(prefix + customer_id(n)) for n in range(first, first + count)]


def run_op(ledger: CardLedger, op: Op) -> Any:
    """One command through the application service, as the API would call it."""
    by = portal(op.customer)
    if op.kind == "add":
        return ledger.add_card(COMPANY, op.customer, op.token or "", by=by, idempotency_key=op.key)
    if op.kind == "set_primary":
        return ledger.set_primary(COMPANY, op.customer, op.card_id or "", by=by,
                                  idempotency_key=op.key)
    return ledger.delete_card(COMPANY, op.customer, op.card_id or "", by=by,
                              idempotency_key=op.key)


def open_company(ledger: CardLedger) -> None:
    if not ledger.online_payments_enabled(COMPANY):
        ledger.set_online_payments(COMPANY, True, ADMIN)


# --- bulk history ------------------------------------------------------------------------


def company_events() -> list[Any]:
    company = Company.register(COMPANY, ADMIN)
    company.switch_online_payments(True, ADMIN)
    return list(company.collect_events())


def customer_with_history(customer: str, events: int, *,
                          keys: bool = True) -> tuple[Customer, CustomerScript]:
    """A Customer aggregate whose pending events are ``events`` long (at least),
    made by running the script's commands on the aggregate itself, and the
    script, ready to go on from there."""
    aggregate = Customer.register(COMPANY, customer, portal(customer))
    script = CustomerScript(customer)
    while len(aggregate.pending_events) < events:
        apply_op(aggregate, script, keys=keys)
    return aggregate, script


def command_events(customer: str, commands: int) -> list[list[Any]]:
    """The events each of ``commands`` commands of the mix would append (the
    first list also holds the customer's Registered event)."""
    aggregate = Customer.register(COMPANY, customer, portal(customer))
    script = CustomerScript(customer)
    groups = []
    for _ in range(commands):
        apply_op(aggregate, script)
        groups.append(list(aggregate.collect_events()))
    return groups


def apply_op(aggregate: Customer, script: CustomerScript, *, keys: bool = True) -> None:
    """The script's next command, run on the aggregate directly (no service)."""
    op = script.next()
    by = portal(script.customer)
    key = op.key if keys else None
    stamp: dict[str, Any] = {"by": by, "idempotency_key": key,
                             "request_hash": key and "h" + key[:8]}
    if op.kind == "add":
        card_id = new_card_id()
        details = TEST_CARDS[op.token or ""].details
        aggregate.add_card(card_id, op.token or "", details, make_primary=False,
                           online_payments=True, today=TODAY, max_cards=10, **stamp)
        script.done(card_id)
    elif op.kind == "set_primary":
        aggregate.set_primary(op.card_id or "", today=TODAY, **stamp)
        script.done()
    else:
        aggregate.delete_card(op.card_id or "", today=TODAY, **stamp)
        script.done()


def history_batches(first: int, customers: int, events_each: int,
                    batch_events: int) -> Iterator[list[Any]]:
    """Domain events of many customers, in batches of about ``batch_events``."""
    batch: list[Any] = []
    for n in range(first, first + customers):
        aggregate, _ = customer_with_history(customer_id(n), events_each)
        batch += aggregate.collect_events()
        if len(batch) >= batch_events:
            yield batch
            batch = []
    if batch:
        yield batch


def store_events(ledger: CardLedger, events: list[Any]) -> None:
    """Append already-made domain events with the library's recorder, no command path."""
    ledger.recorder.insert_events([ledger.mapper.to_stored_event(e) for e in events])
