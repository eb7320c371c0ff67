"""2. Card list read: statements per request and p99 latency for customers with
1, 5 and 10 cards and about 10 or 1,000 history entries.

    .venv/bin/python -m bench.card_list --store postgres

Statements are counted by wrapping the database cursors of this process
(every psycopg cursor and the library's SQLite cursor), not estimated. Reads go
straight to the read model here; bench.command_path measures the HTTP path.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    Deadline,
    Report,
    StatementCounter,
    latency_summary,
    parser,
    store_settings,
    versions,
)
from bench.workload import (
    COMPANY,
    TOKENS,
    CustomerScript,
    customer_with_history,
    open_company,
    portal,
    store_events,
)
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime

CARDS = (1, 5, 10)
HISTORY = (10, 1000)


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--calls", type=int, default=2000, help="reads per customer and view")
    p.add_argument("--seconds", type=float, default=5.0, help="time budget per customer and view")
    p.add_argument("--history-limit", type=int, default=50, help="history entries per page")
    p.add_argument("--history", default=",".join(map(str, HISTORY)),
                   help="past events per customer (about one history entry each)")
    args = p.parse_args(argv)
    histories = [int(h) for h in args.history.split(",")]
    report = Report("card_list", {"store": args.store, "calls": args.calls,
                                  "seconds": args.seconds, "history_limit": args.history_limit,
                                  "cards": CARDS, "history": histories})
    with store_settings(args.store) as settings, \
            open_runtime(settings, processor=SandboxProcessor(), run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        customers = {(c, h): seed(rt, f"read-{c}-{h}", c, h) for c in CARDS for h in histories}
        rt.projector.catch_up()
        worst_p99 = 0.0
        statements: set[float] = set()
        for (cards, history), customer in customers.items():
            for view in ("card_list", "history"):
                figures = measure(rt, view, customer, args)
                worst_p99 = max(worst_p99, figures["p99_ms"])
                statements.add(figures["statements_per_read"])
                report.row(view=view, cards=cards, history_entries=history, **figures)
        report.figures["statements_per_read_seen"] = sorted(statements)
        report.figures["statements_constant"] = len(statements) == 1
        report.figures["worst_p99_ms"] = worst_p99
        report.goal("direct read p99 (ms), worst customer", worst_p99, 5.0, higher_is_better=False)
    report.finish(args.out_dir)
    return report


def seed(rt: Runtime, customer: str, cards: int, history: int) -> str:
    """A customer with ``history`` past events, then exactly ``cards`` active cards."""
    aggregate, script = customer_with_history(customer, history)
    store_events(rt.ledger, aggregate.collect_events())
    adjust_cards(rt, script, cards)
    return customer


def adjust_cards(rt: Runtime, script: CustomerScript, cards: int) -> None:
    by = portal(script.customer)
    while len(script.cards) > cards:
        victim = script.cards[0]
        rt.ledger.delete_card(COMPANY, script.customer, victim, by=by)
        script.cards.remove(victim)
        script.tokens.pop(victim)
    for token in TOKENS:
        if len(script.cards) >= cards:
            break
        if token not in script.tokens.values():
            outcome = rt.ledger.add_card(COMPANY, script.customer, token, by=by)
            script.cards.append(outcome.card_id or "")
            script.tokens[outcome.card_id or ""] = token


def measure(rt: Runtime, view: str, customer: str, args: Any) -> dict[str, Any]:
    views = rt.read_model
    if view == "card_list":
        def read() -> int:
            listed = views.card_list(COMPANY, customer)
            assert listed is not None
            return len(listed[1])
    else:
        def read() -> int:
            return len(views.history(COMPANY, customer, limit=args.history_limit))
    rows = read()  # warm: connections, prepared statements
    latencies: list[float] = []
    deadline = Deadline(args.seconds)
    with StatementCounter() as counter:
        while len(latencies) < args.calls and not deadline.passed():
            started = time.perf_counter()
            read()
            latencies.append(time.perf_counter() - started)
    return {"rows": rows, "statements_per_read": round(counter.count / len(latencies), 2),
            **latency_summary(latencies)}


if __name__ == "__main__":
    main()
