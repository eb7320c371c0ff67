"""2. Card list read: statements per request and p99 latency for customers with
1, 5 and 10 cards and about 10 or 1,000 history entries.

    .venv/bin/python -m bench.card_list --store postgres

Two ways in, side by side: straight to the read model (ReadModel.card_list and
.history), and through the HTTP API (GET .../payment-methods and .../history) of
a real `cardledger serve` subprocess. Statements are counted by wrapping the
database cursors (every psycopg cursor and the library's SQLite cursor), not
estimated: for the direct reads in this process, for HTTP on the same app served
by uvicorn in a thread of this process (no projector thread, so nothing else
talks to the database meanwhile).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.common import (
    Deadline,
    Report,
    StatementCounter,
    latency_summary,
    parser,
    ratio,
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
from bench.server import OFFICE_KEY, api_server, bench_settings, free_port
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.wiring import Runtime, open_runtime

CARDS = (1, 5, 10)
HISTORY = (10, 1000)


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--calls", type=int, default=2000, help="reads per customer and view")
    p.add_argument("--seconds", type=float, default=5.0, help="time budget per customer and view")
    p.add_argument("--history-limit", type=int, default=100,
                   help="history entries per page (the API's default page)")
    p.add_argument("--no-http", action="store_true", help="only the direct reads")
    p.add_argument("--baseline", type=Path, default=None,
                   help="also read through a server of this source tree (an older commit, "
                        "e.g. git archive), way http-base, right after each http read")
    p.add_argument("--history", default=",".join(map(str, HISTORY)),
                   help="past events per customer (about one history entry each)")
    args = p.parse_args(argv)
    histories = [int(h) for h in args.history.split(",")]
    report = Report("card_list", {"store": args.store, "calls": args.calls,
                                  "seconds": args.seconds, "history_limit": args.history_limit,
                                  "cards": CARDS, "history": histories})
    with store_settings(args.store) as settings, \
            open_runtime(bench_settings(settings), processor=SandboxProcessor(),
                         run_projector=False) as rt:
        report.versions = versions(settings.postgres_dbname if args.store == "postgres" else None)
        open_company(rt.ledger)
        customers = {(c, h): seed(rt, f"read-{c}-{h}", c, h) for c in CARDS for h in histories}
        rt.projector.catch_up()
        worst: dict[str, float] = {"direct": 0.0, "http": 0.0, "http-base": 0.0}
        statements: dict[str, set[float]] = {"direct": set(), "http": set()}
        counts = {} if args.no_http else http_statement_counts(rt, customers, args)
        with tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp, \
                _maybe_server(settings, args.no_http, Path(tmp)) as url, \
                _maybe_server(settings, args.no_http or args.baseline is None, Path(tmp),
                              source=args.baseline) as base_url:
            servers = [("http", url), ("http-base", base_url)]
            # The floors, measured in the same run: a bare round trip to the
            # database through the same pool, and an HTTP request that touches nothing.
            floors = [("direct", "floor: SELECT 1", (lambda: len(rt.read_model.db.read("SELECT 1")), 1))]
            floors += [(way, "floor: GET /healthz", healthz_reader(at))
                       for way, at in servers if at]
            for way, name, (read, rows) in floors:
                figures = measure(read, args, count=way == "direct")
                report.row(way=way, view=name, cards="", history_entries="", rows=rows, **figures)
                report.figures[f"{way}_floor_p99_ms"] = figures["p99_ms"]
            for (cards, history), customer in customers.items():
                for view in ("card_list", "history"):
                    ways = [("direct", direct_reader(rt, view, customer, args))]
                    ways += [(way, http_reader(at, view, customer, args))
                             for way, at in servers if at]
                    for way, (read, rows) in ways:
                        figures = measure(read, args, count=way == "direct")
                        if way == "http":
                            figures["statements_per_read"] = counts[(view, customer)]
                        worst[way] = max(worst[way], figures["p99_ms"])
                        if way in statements:
                            statements[way].add(figures["statements_per_read"])
                        report.row(way=way, view=view, cards=cards, history_entries=history,
                                   rows=rows, **figures)
        if args.baseline is not None and not args.no_http:
            report.figures["http-base_worst_p99_ms"] = worst["http-base"]
            report.figures["http_worst_p99_vs_base"] = ratio(worst["http"], worst["http-base"])
        for way in ("direct", "http") if not args.no_http else ("direct",):
            report.figures[f"{way}_statements_per_read_seen"] = sorted(statements[way])
            report.figures[f"{way}_worst_p99_ms"] = worst[way]
            report.figures[f"{way}_worst_p99_vs_floor_p99"] = ratio(
                worst[way], report.figures[f"{way}_floor_p99_ms"])
            report.goal(f"{way} read p99 (ms), worst customer", worst[way], 5.0,
                        higher_is_better=False)
        report.note("statements per read, as counted here: on PostgreSQL the query alone (the "
                    "pool's pre-ping is off by default, CARDLEDGER_POSTGRES_PRE_PING); on SQLite "
                    "the library's BEGIN besides")
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


Reader = Callable[[], int]


def direct_reader(rt: Runtime, view: str, customer: str, args: Any) -> tuple[Reader, int]:
    views = rt.read_model
    if view == "card_list":
        def read() -> int:
            listed = views.card_list(COMPANY, customer)
            assert listed is not None
            return len(listed[1])
    else:
        def read() -> int:
            return len(views.history(COMPANY, customer, limit=args.history_limit))
    return read, read()  # the first read also warms connections and prepared statements


def http_reader(url: str, view: str, customer: str, args: Any,
                client: httpx.Client | None = None) -> tuple[Reader, int]:
    client = client or httpx.Client(base_url=url, timeout=10,
                                    headers={"Authorization": f"Bearer {OFFICE_KEY}"})
    path = f"/v1/companies/{COMPANY}/customers/{customer}/payment-methods"
    if view == "card_list":
        def read() -> int:
            response = client.get(path)
            response.raise_for_status()
            return len(response.json()["payment_methods"])
    else:
        def read() -> int:
            response = client.get(path + "/history", params={"limit": args.history_limit})
            response.raise_for_status()
            return len(response.json()["history"])
    return read, read()


def healthz_reader(url: str) -> tuple[Reader, int]:
    client = httpx.Client(base_url=url, timeout=10)

    def read() -> int:
        client.get("/healthz").raise_for_status()
        return 1

    return read, read()


def measure(read: Reader, args: Any, *, count: bool) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = Deadline(args.seconds)
    with StatementCounter() as counter:
        while len(latencies) < args.calls and not deadline.passed():
            started = time.perf_counter()
            read()
            latencies.append(time.perf_counter() - started)
    per_read = round(counter.count / len(latencies), 2) if count else None
    return {"statements_per_read": per_read, **latency_summary(latencies)}


def http_statement_counts(rt: Runtime, customers: dict[Any, str],
                          args: Any) -> dict[tuple[str, str], float]:
    """Statements per HTTP read, counted on the app served in a thread here."""
    from api.app import create_app  # noqa: PLC0415
    from api.auth import KeyRing  # noqa: PLC0415

    # rt was opened with bench_settings: the bench's keys, and no rate limit.
    app = create_app(rt, keys=KeyRing.from_settings(rt.settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    counts = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                          headers={"Authorization": f"Bearer {OFFICE_KEY}"}) as client:
            for customer in customers.values():
                for view in ("card_list", "history"):
                    read, _ = http_reader("", view, customer, args, client)
                    reads = 20
                    with StatementCounter() as counter:
                        for _ in range(reads):
                            read()
                    counts[(view, customer)] = round(counter.count / reads, 2)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return counts


@contextmanager
def _maybe_server(settings: Any, skip: bool, tmp: Path,
                  source: Path | None = None) -> Iterator[str | None]:
    if skip:
        yield None
        return
    with api_server(settings, 1, tmp, source=source) as server:
        yield server.url


if __name__ == "__main__":
    main()
