"""The audit commands behind `cardledger verify` and `cardledger
rebuild-projections`: arguments in, one exit code out (0 equal / done, 1 views
differ, 2 bad input, 130 interrupted). docs/audit-tools.md is their manual."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from cardledger.audit_progress import INTERRUPTED, Interrupted, Watch, watched
from cardledger.checkpoints import verifying_keys
from cardledger.wiring import Runtime, open_runtime
from projections.chain_check import ChainSummary, check_chains
from projections.rebuild import rebuild
from projections.verify import Difference, Scope, Summary, count_aggregates, differences


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--company", help="check only this company: its customers, its row "
                                          "and its switches")
    parser.add_argument("--customer", help="check only this customer (needs --company)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document with every difference")
    parser.add_argument("--no-catch-up", action="store_true",
                        help="check the views where they are, without applying new events")


def _fail(message: str) -> int:
    print(f"cardledger: {message}", file=sys.stderr)
    return 2


def verify_command(args: argparse.Namespace) -> int:
    try:
        scope = Scope(args.company, args.customer)
    except ValueError as e:
        return _fail(str(e))
    with open_runtime(run_projector=False) as runtime:
        try:
            with watched("catching up") as watch:
                if not args.no_catch_up:
                    _catch_up(runtime, watch)
                watch.restart("verifying", count_aggregates(runtime.ledger,
                                                            runtime.read_model, scope))
                return _report(runtime, scope, watch, as_json=args.json, out=sys.stdout)
        except Interrupted:
            print("cardledger: verify interrupted; the views were only read, not changed",
                  file=sys.stderr)
            return INTERRUPTED


def _catch_up(runtime: Runtime, watch: Watch) -> None:
    behind = max(0, (runtime.ledger.recorder.max_notification_id() or 0)
                 - runtime.read_model.position())
    watch.restart("catching up", behind)
    while applied := runtime.projector.run_once():
        watch.advance(applied)


def _report(runtime: Runtime, scope: Scope, watch: Watch, *, as_json: bool, out: TextIO) -> int:
    summary = Summary()
    found = differences(runtime.ledger, runtime.read_model, scope, watch.advance, summary)
    if as_json:
        count = _json_report(found, scope, summary, out)
    else:
        count = 0
        for difference in found:
            print(difference, file=out, flush=True)
            count += 1
    if (scope.company or scope.customer) and not summary.aggregates and not count:
        who = f"customer {scope.customer} in " if scope.customer else ""
        return _fail(f"nothing to verify: no {who}company {scope.company} in the events "
                     "or the views")
    if not as_json:
        print(f"verified {summary.aggregates} aggregates at position {summary.position}: "
              f"{'OK' if not count else f'{count} difference(s)'}", file=out)
    if not (scope.company or scope.customer) and not as_json:
        count += _check_chains(runtime, out)
    return 1 if count else 0


def _check_chains(runtime: Runtime, out: TextIO) -> int:
    """The views can be rebuilt from edited events and still agree with them: the
    hash chains (and, with the key, the signed checkpoints) say whether the events
    themselves were changed (docs/audit.md)."""
    keys = verifying_keys(runtime.settings) or None
    chain = ChainSummary()
    problems = check_chains(runtime.ledger, keys, summary=chain)
    if problems:
        print(f"first break: {problems[0]}", file=out)
    print(f"checked the hash chains of {chain.streams} streams"
          + (f" and {chain.checkpoints} signed checkpoints" if keys else
             " (links only: no CARDLEDGER_CHAIN_KEY to check checkpoints)")
          + f": {'OK' if not problems else f'{len(problems)} problem(s)'}", file=out)
    return len(problems)


def _json_report(found: Any, scope: Scope, summary: Summary, out: TextIO) -> int:
    """One document, written as the check goes (the differences are not held)."""
    out.write('{"scope": ' + json.dumps({"company": scope.company, "customer": scope.customer})
              + ', "differences": [')
    count = 0
    for difference in found:
        out.write((",\n  " if count else "\n  ") + json.dumps(_jsonable(difference)))
        count += 1
    out.write("\n], " + json.dumps({"position": summary.position,
                                    "aggregates": summary.aggregates,
                                    "count": count, "ok": not count})[1:] + "\n")
    return count


def _jsonable(difference: Difference) -> dict[str, Any]:
    return {k: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            for k, v in difference.as_dict().items()}


def rebuild_command(args: argparse.Namespace) -> int:
    with open_runtime(run_projector=False) as runtime:
        try:
            with watched("rebuilding") as watch:
                head = runtime.ledger.recorder.max_notification_id() or 0
                watch.restart("rebuilding", head)
                count = rebuild(runtime.ledger, runtime.read_model, progress=watch.advance)
        except Interrupted:
            print("cardledger: rebuild-projections interrupted; nothing was committed, the "
                  "views are as they were", file=sys.stderr)
            return INTERRUPTED
    print(f"rebuilt the card list and history from {count} events")
    return 0
