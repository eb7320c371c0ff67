"""The same command mix as the HTTP load, straight into CardLedger (no HTTP),
run in its own process by bench.command_path, with the store from CARDLEDGER_*.

    python -m bench.direct --concurrency 4 --seconds 10 --prefix d1-

--concurrency threads, each with its own customers, closed loop. Prints one JSON
object: latencies (s), commands, duration.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from bench.workload import run_op, scripts
from cardledger.processors.sandbox import SandboxProcessor
from cardledger.settings import get_settings
from cardledger.wiring import open_runtime


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--customers", type=int, default=5, help="customers per thread")
    p.add_argument("--prefix", default="direct-")
    args = p.parse_args(argv)
    latencies: list[float] = []
    failures: list[str] = []
    with open_runtime(get_settings(), processor=SandboxProcessor(), run_projector=False) as rt:
        end = time.perf_counter() + args.seconds

        def client(n: int) -> None:
            mine = scripts(n * args.customers, args.customers, prefix=args.prefix)
            i = 0
            while time.perf_counter() < end:
                script = mine[i % len(mine)]
                op = script.next()
                started = time.perf_counter()
                try:
                    outcome = run_op(rt.ledger, op)
                except Exception as e:  # noqa: BLE001 (counted and reported, not hidden)
                    failures.append(f"{type(e).__name__}: {e}"[:200])
                    continue
                latencies.append(time.perf_counter() - started)
                script.done(outcome.card_id)
                i += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    json.dump({"seconds": elapsed, "latencies": latencies, "failures": failures[:20],
               "failed": len(failures)}, sys.stdout)


if __name__ == "__main__":
    main()
