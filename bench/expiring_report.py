"""8. The expiring-cards report at scale: one statement per page, and its
latency against the size of the card table.

    .venv/bin/python -m bench.expiring_report --store postgres

The view tables are filled in bulk (COPY on PostgreSQL) with ``--cards`` saved
cards over ``--companies`` companies, expiries spread over ten years, a tenth
deleted, every third customer on autopay; then the report's first page
(100 cards) is read for one company over 30 and 365 days, and a later page
by its cursor. The plan is printed as a note: a range read of
``cl_payment_methods_by_expiry``, however many cards the table holds.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from bench.common import Report, StatementCounter, latency_summary, parser, store_settings, versions
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import open_runtime
from projections.autopay_views import EXPIRING_CARDS, expiring_cards, expiring_params

TODAY = date(2026, 11, 25)


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--cards", type=int, default=200_000)
    p.add_argument("--companies", type=int, default=50)
    p.add_argument("--calls", type=int, default=300, help="report reads per case")
    args = p.parse_args(argv)
    report = Report("expiring_report", {"store": args.store, "cards": args.cards,
                                        "companies": args.companies, "calls": args.calls})
    with store_settings(args.store) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        db = rt.read_model.db
        _fill(db, args.cards, args.companies)
        company = "co0"
        # What any one read costs in statements here (SQLite's datastore adds a BEGIN).
        baseline = _measure(lambda: db.read("SELECT 1"), 10)["statements"]
        report.figures["statements_of_a_bare_read"] = baseline
        for days in (30, 365):
            report.row(case=f"first page, {days} days", **_measure(
                lambda d=days: expiring_cards(db, company, TODAY, d, limit=100), args.calls))
        cards, _ = expiring_cards(db, company, TODAY, 3650, limit=100)
        after = cards[-1].cursor
        report.row(case="second page, 3650 days", **_measure(
            lambda: expiring_cards(db, company, TODAY, 3650, limit=100, after=after),
            args.calls))
        with db.transaction(commit=False) as tx:
            plan = tx.execute(("EXPLAIN " if db.postgres else "EXPLAIN QUERY PLAN ")
                              + EXPIRING_CARDS,
                              expiring_params(company, TODAY, 365, 101)).all()
        report.note("plan: " + " | ".join(str(list(r.values())[-1]) for r in plan))
        worst = max(r["p99_ms"] for r in report.rows)
        report.figures["worst_p99_ms"] = worst
        report.goal("report p99 (ms)", worst, 5.0, higher_is_better=False)
        report.goal("statements per page beyond a bare read",
                    max(r["statements"] for r in report.rows) - baseline, 0.5,
                    higher_is_better=False)
    report.finish(args.out_dir)
    return report


def _measure(read: Any, calls: int) -> dict[str, Any]:
    read()  # warm
    seconds = []
    with StatementCounter() as counter:
        for _ in range(calls):
            started = time.perf_counter()
            read()
            seconds.append(time.perf_counter() - started)
    return {"statements": counter.count / calls, **latency_summary(seconds)}


def _fill(db: Any, cards: int, companies: int) -> None:
    rng = random.Random(7)
    methods, autopay = [], []
    for n in range(cards):
        company, customer = f"co{n % companies}", f"cu{n // 3}"
        methods.append({
            "card_id": f"card_{n:09d}".replace("0", "a"), "company_id": company,
            "customer_id": customer, "brand": "visa", "last4": "4242",
            "exp_month": rng.randint(1, 12), "exp_year": rng.randint(2026, 2035),
            "funding": "credit", "is_primary": n % 3 == 0, "added_at": "2026-01-01T00:00:00",
            "added_by": "customer:x", "added_from": "portal", "added_position": n,
            "deleted_at": "2026-02-01T00:00:00" if n % 10 == 9 else None})
        if n % 9 == 0:
            autopay.append({"company_id": company, "customer_id": customer, "enabled": True,
                            "card_id": None})
    with db.transaction() as tx:
        tx.insert_many("cl_payment_methods", methods)
        tx.insert_many("cl_autopay", autopay)
        if db.postgres:
            tx.execute("ANALYZE cl_payment_methods")
            tx.execute("ANALYZE cl_autopay")
        else:
            tx.execute("ANALYZE")


if __name__ == "__main__":
    main()
