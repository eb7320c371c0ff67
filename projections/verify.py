"""The auditors' consistency check: fold every event up to the views' position
and compare the result with both views, row by row: every column of every view
table, deleted cards' rows included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from eventsourcing.application import Application

from domain.autopay import autopay_of
from domain.company import Company
from domain.customer import Customer
from projections.history import history_entry
from projections.read_model import ReadModel
from projections.views import CardView, HistoryEntry, cards_of, iso


def _events(app: Application[Any], stop: int, page: int = 1000) -> Iterator[tuple[Any, int]]:
    start = 0
    while start < stop:
        notifications = app.recorder.select_notifications(
            start=start, limit=page, stop=stop, inclusive_of_start=False)
        if not notifications:
            return
        for n in notifications:
            yield app.mapper.to_domain_event(n), n.id
        start = notifications[-1].id


def verify(app: Application[Any], read_model: ReadModel) -> list[str]:
    """Differences between replay and the views, as readable lines; [] if none."""
    stop = read_model.position()
    aggregates: dict[Any, Any] = {}
    displays: dict[str, tuple[str, str]] = {}  # every card ever seen, deleted ones too
    expected_history: dict[int, HistoryEntry] = {}
    deleted_at: dict[str, str] = {}
    for event, position in _events(app, stop):
        aggregates[event.originator_id] = event.mutate(aggregates.get(event.originator_id))
        if isinstance(event, Customer.CardAdded | Customer.CardUpdated):
            brand = getattr(event, "brand", None) or displays[event.card_id][0]
            displays[event.card_id] = (brand, event.last4)
        if isinstance(event, Customer.CardDeleted):
            deleted_at[event.card_id] = iso(event.timestamp)
        entry = history_entry(event, position, displays.get)
        if entry is not None:
            expected_history[position] = entry

    problems: list[str] = []
    customers = [a for a in aggregates.values() if isinstance(a, Customer)]
    companies = [a for a in aggregates.values() if isinstance(a, Company)]
    for customer in customers:
        problems += _compare_cards(read_model, customer)
    for company in companies:
        if read_model.online_payments(company.company_id) != company.online_payments:
            problems.append(f"company {company.company_id}: online payments "
                            f"{company.online_payments} in events, not in the view")
    problems += _compare_autopay(read_model, customers)
    problems += _compare_unlisted(read_model, customers, companies, deleted_at)
    problems += _compare_history(read_model, expected_history)
    problems += _compare_counts(read_model, len(customers), len(companies))
    return problems


def _compare_cards(read_model: ReadModel, customer: Customer) -> list[str]:
    who = f"customer {customer.company_id}/{customer.customer_id}"
    listed = read_model.card_list(customer.company_id, customer.customer_id)
    if listed is None:
        return [f"{who}: missing from the card list"]
    version, cards = listed
    problems = []
    if version != customer.version:
        problems.append(f"{who}: version {customer.version} in events, {version} in the view")
    expected = cards_of(customer)
    if cards != expected:
        problems.append(f"{who}: cards differ: events {_brief(expected)}, view {_brief(cards)}")
    return problems


def _compare_autopay(read_model: ReadModel, customers: list[Customer]) -> list[str]:
    """Autopay's view row (absent: never enrolled) against the folded customer."""
    rows = {(r["company_id"], r["customer_id"]): (bool(r["enabled"]), r["card_id"])
            for r in read_model.db.read("SELECT * FROM cl_autopay")}
    problems = []
    for c in customers:
        state = autopay_of(c)
        want = (state.enabled, state.card_id)
        got = rows.pop((c.company_id, c.customer_id), (False, None))
        if want != got:
            problems.append(f"customer {c.company_id}/{c.customer_id}: autopay {want} in "
                            f"events, {got} in the view")
    return problems + [f"autopay row for unknown customer {key}" for key in rows]


def _compare_unlisted(read_model: ReadModel, customers: list[Customer],
                      companies: list[Company], deleted_at: dict[str, str]) -> list[str]:
    """The columns the card list does not show: customers' keys and registration,
    companies' versions, and when each deleted card was deleted."""
    want = {
        "customers": {(c.id.hex, c.company_id, c.customer_id, iso(c.created_on))
                      for c in customers},
        "companies": {(c.company_id, c.version) for c in companies},
        "deleted cards": set(deleted_at.items()),
    }
    got = {
        "customers": {(r["aggregate_id"], r["company_id"], r["customer_id"], r["registered_at"])
                      for r in read_model.db.read("SELECT * FROM cl_customers")},
        "companies": {(r["company_id"], r["version"])
                      for r in read_model.db.read("SELECT * FROM cl_companies")},
        "deleted cards": {(r["card_id"], r["deleted_at"]) for r in read_model.db.read(
            "SELECT card_id, deleted_at FROM cl_payment_methods WHERE deleted_at IS NOT NULL")},
    }
    return [f"{what} differ: events {sorted(want[what] - got[what])}, "
            f"view {sorted(got[what] - want[what])}" for what in want if want[what] != got[what]]


def _compare_history(read_model: ReadModel, expected: dict[int, HistoryEntry]) -> list[str]:
    rows = read_model.db.read("SELECT * FROM cl_history ORDER BY position")
    actual = {row["position"]: HistoryEntry(**row) for row in rows}
    problems = []
    for position in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(position), actual.get(position)
        if want != got:
            problems.append(f"history at position {position}: events say "
                            f"{asdict(want) if want else 'nothing'}, view has "
                            f"{asdict(got) if got else 'nothing'}")
    return problems


def _compare_counts(read_model: ReadModel, customers: int, companies: int) -> list[str]:
    counts = read_model.db.read(
        "SELECT (SELECT COUNT(*) FROM cl_customers) AS customers, "
        "(SELECT COUNT(*) FROM cl_companies) AS companies")[0]
    problems = []
    if counts["customers"] != customers:
        problems.append(f"{counts['customers']} customers in the view, {customers} in events")
    if counts["companies"] != companies:
        problems.append(f"{counts['companies']} companies in the view, {companies} in events")
    return problems


def _brief(cards: list[CardView]) -> str:
    return "[" + ", ".join(f"{c.id}{'*' if c.is_primary else ''}" for c in cards) + "]"
