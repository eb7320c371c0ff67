"""The `cardledger` command. Errors come out as one readable line and exit 2."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from cardledger import logs
from cardledger.audit_commands import add_verify_arguments, rebuild_command, verify_command
from cardledger.checkpoints import (
    NoCheckpointKey,
    make_checkpoints,
    signing_key,
    verifying_keys,
)
from cardledger.gc_tuning import tune_for_serving
from cardledger.metrics import LagCollector, serve_worker_metrics
from cardledger.schema import SchemaBehind
from cardledger.settings import Settings, get_settings
from cardledger.signals import StopRequested, interrupt_on_stop_signals
from cardledger.wiring import migrate_store, open_runtime
from domain.errors import DomainError
from domain.ids import EXTERNAL_ID
from projections.replay import replay_customer
from projections.views import cards_of

log = logging.getLogger("cardledger.cli")


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _company(text: str) -> str:
    if not EXTERNAL_ID.match(text):
        raise argparse.ArgumentTypeError(f"not a company id: {text!r}")
    return text


def cmd_demo(args: argparse.Namespace) -> int:
    from cardledger.demo import run_demo  # noqa: PLC0415

    with open_runtime(run_projector=False) as runtime:
        run_demo(runtime, print)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    with open_runtime(run_projector=False) as runtime:
        customer = replay_customer(runtime.ledger, args.company, args.customer,
                                   as_of=args.as_of, version=args.version)
        print(json.dumps({
            "company": customer.company_id, "customer": customer.customer_id,
            "version": customer.version,
            "as_of": args.as_of.isoformat() if args.as_of else None,
            "payment_methods": [c.as_dict() for c in cards_of(customer)],
        }, indent=2))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    return verify_command(args)


def cmd_verify_chain(args: argparse.Namespace) -> int:
    from projections.chain_check import ChainSummary, check_chains  # noqa: PLC0415

    keys = verifying_keys(get_settings())
    if not keys:
        raise NoCheckpointKey("CARDLEDGER_CHAIN_KEY is not set: checkpoints cannot be verified")
    summary = ChainSummary()
    with open_runtime(run_projector=False) as runtime:
        problems = check_chains(runtime.ledger, keys, summary=summary)
    if problems:
        print(f"first break: {problems[0]}")
    for problem in problems[1:args.show]:
        print(problem)
    print(f"checked {summary.events} events in {summary.streams} streams ({summary.linked} "
          f"linked) and {summary.checkpoints} checkpoints (up to position "
          f"{summary.checkpoint_position}, {summary.pinned} heads pinned): "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    key = signing_key(get_settings())
    with open_runtime(run_projector=False) as runtime:
        made = make_checkpoints(runtime.ledger, key)
    if not made:
        print("no stream changed since the last checkpoint")
    for checkpoint in made:
        print(f"checkpoint {checkpoint.originator_version}: {len(checkpoint.heads)} stream "
              f"head(s) up to position {checkpoint.position}, key {checkpoint.key_id}")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from cardledger.reconcile import Reconciler  # noqa: PLC0415

    def progress(done: int, total: int, customer: str) -> None:
        if done == total or done % 100 == 0:
            print(f"reconciled {done}/{total} customers (last: {customer})", file=sys.stderr,
                  flush=True)

    with open_runtime(run_projector=False) as runtime:
        runtime.projector.catch_up()  # so every customer is listed
        summary = Reconciler(runtime.ledger, dry_run=args.dry_run,
                             progress=progress).run(args.company)
    for change in summary.changes:
        print(("(dry run) " if args.dry_run else "") + str(change))
    if summary.resumed_after:
        print(f"resumed after {'/'.join(summary.resumed_after)}")
    counts = summary.counts()
    print(f"{'dry run: ' if args.dry_run else ''}{summary.customers} customers, "
          f"{summary.compared} with a processor customer: {counts['detach-unsaved']} unsaved "
          f"card(s) detached, {counts['deleted']} deleted, {counts['updated']} updated, "
          f"{summary.left_for_later} attached too recently to judge")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    return rebuild_command(args)


def cmd_project(args: argparse.Namespace) -> int:
    interrupt_on_stop_signals()
    with open_runtime(run_projector=False) as runtime:
        serve_worker_metrics(runtime.settings.metrics_port,
                             LagCollector(runtime.ledger, runtime.read_model))
        log.info("projecting into the views from position %d", runtime.read_model.position())
        tune_for_serving()  # its pauses would delay every command's read-your-writes
        try:
            runtime.projector.run_forever()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    applied, version = migrate_store(get_settings())
    for migration in applied:
        print(f"applied migration {migration.version}: {migration.name}")
    print(f"the database schema is at version {version}"
          + ("" if applied else " (nothing to do)"))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve  # noqa: PLC0415

    migrate_store(get_settings(), migrate=None)  # before uvicorn: one line if behind
    serve(get_settings(), host=args.host, port=args.port, workers=args.workers)
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    from consumers.commands import relay  # noqa: PLC0415 (imports kafka only when used)

    return relay(get_settings())


def cmd_relay_lag(args: argparse.Namespace) -> int:
    from consumers.commands import show_lag  # noqa: PLC0415

    return show_lag(get_settings(), as_json=args.json)


def cmd_office_consumer(args: argparse.Namespace) -> int:
    from consumers.commands import office_consumer  # noqa: PLC0415

    return office_consumer(get_settings(), args.which)


def cmd_autopay_retry(args: argparse.Namespace) -> int:
    from cardledger.autopay_jobs import make_due_retries, run_forever  # noqa: PLC0415

    def report(counts: object) -> None:
        print(json.dumps(dict(counts)), flush=True)  # type: ignore[call-overload]

    with open_runtime(run_projector=False) as runtime:
        if args.every is None:
            report(make_due_retries(runtime))
            return 0
        _as_worker(runtime.settings)
        try:
            run_forever(runtime, args.every, report)
        except KeyboardInterrupt:
            pass
    return 0


def _as_worker(settings: Settings) -> None:
    """A scheduler run with --every is a long-running worker like the relay: it
    stops on SIGTERM and shows its /metrics (its healthcheck) on the worker port."""
    interrupt_on_stop_signals()
    serve_worker_metrics(settings.metrics_port)


def cmd_remind_expiring(args: argparse.Namespace) -> int:
    from cardledger.reminders import remind_expiring  # noqa: PLC0415

    from cardledger.autopay_jobs import every  # noqa: PLC0415

    with open_runtime(run_projector=False) as runtime:
        def one_pass() -> None:
            print(json.dumps(dict(remind_expiring(runtime, within_days=args.within_days))),
                  flush=True)

        if args.every is None:
            one_pass()
            return 0
        _as_worker(runtime.settings)
        try:
            every(args.every, one_pass)
        except KeyboardInterrupt:
            pass
    return 0


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError("must be a whole number of days, 1 to 3650")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 86_400:
        raise argparse.ArgumentTypeError("must be 1 to 86400 seconds")
    return value


def cmd_office_verify(args: argparse.Namespace) -> int:
    from consumers.office_audit import office_verify_command  # noqa: PLC0415

    return office_verify_command(get_settings(), args.office_db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cardledger", description=__doc__)
    parser.add_argument("--version", action="version",
                        version=f"cardledger {installed_version('cardledger')}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.set_defaults(handler=handler)
        return p

    add("demo", cmd_demo, "tell the seed's story on the embedded default")
    add("migrate", cmd_migrate, "create or upgrade every table (a deployment step on PostgreSQL)")
    serve = add("serve", cmd_serve, "run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    replay = add("replay", cmd_replay, "a customer's cards from events alone")
    replay.add_argument("company")
    replay.add_argument("customer")
    replay.add_argument("--as-of", type=_as_of, help="ISO-8601 instant, e.g. 2026-11-01T12:00:00Z")
    replay.add_argument("--version", type=int, help="stop at this customer version")
    add_verify_arguments(add("verify", cmd_verify,
                             "compare replay of every customer with both views"))
    chain = add("verify-chain", cmd_verify_chain,
                "check every event's hash-chain link and the signed checkpoints")
    chain.add_argument("--show", type=int, default=20, help="problems to print at most")
    add("checkpoint", cmd_checkpoint, "sign the chain heads that changed (run it from cron)")
    reconcile = add("reconcile", cmd_reconcile,
                    "compare saved cards with the processor's and record the differences")
    reconcile.add_argument("--dry-run", action="store_true", help="report, change nothing")
    reconcile.add_argument("--company", type=_company, help="only this company's customers")
    add("rebuild-projections", cmd_rebuild, "rebuild the card list and history from scratch")
    add("project", cmd_project, "keep the views current (production worker)")
    add("relay", cmd_relay, "publish every event to Kafka (production worker)")
    lag = add("relay-lag", cmd_relay_lag, "how many events the Kafka relay is behind")
    lag.add_argument("--json", action="store_true", help="print position, head and behind as JSON")
    office = add("office-consumer", cmd_office_consumer, "an office system consuming Kafka")
    office.add_argument("which", nargs="?", choices=("read-model", "notifier"),
                        default="read-model", help="the office read model or the card notifier")
    retry = add("autopay-retry", cmd_autopay_retry,
                "make the autopay retries that are due (one pass, or --every N seconds)")
    retry.add_argument("--every", type=_seconds, help="keep running, a pass every N seconds")
    remind = add("remind-expiring", cmd_remind_expiring,
                 "e-mail customers whose cards expire soon (once per card per expiry)")
    remind.add_argument("--within-days", type=_days, default=30)
    remind.add_argument("--every", type=_seconds, help="keep running, a pass every N seconds")
    office_verify = add("office-verify", cmd_office_verify,
                        "compare an office read model with cardledger's views")
    office_verify.add_argument("--office-db", type=Path, help="the office read model's SQLite "
                               "file (default: the office consumer's, under the data dir)")
    return parser


def settings_problem(error: ValidationError) -> str:
    """A settings error as one line naming the variables, e.g.
    CARDLEDGER_STORE='postgre': Input should be 'sqlite' or 'postgres'."""
    prefix = Settings.model_config.get("env_prefix", "")
    return "bad setting: " + "; ".join(
        f"{prefix}{'_'.join(map(str, e['loc'])).upper()}={str(e['input'])[:40]!r}: {e['msg']}"
        if e["loc"] else e["msg"] for e in error.errors())


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure()  # JSON lines on stderr, card-data filter on the handler
    args = build_parser().parse_args(argv)
    try:
        get_settings()  # every command: a bad setting is one line, before anything starts
        code = args.handler(args)
        sys.stdout.flush()  # a closed stdout shows here, not in the exit's own flush
        return code
    except ValidationError as e:
        print(f"cardledger: {settings_problem(e)}", file=sys.stderr)
    except StopRequested:
        return 0  # SIGTERM between a worker's own handling points: still a clean stop
    except KeyboardInterrupt:
        print("cardledger: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output stopped (`cardledger demo | head -1`): not an
        # error. Point stdout at /dev/null so the exit's final flush is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DomainError as e:
        print(f"cardledger: {e.detail}", file=sys.stderr)
    except SchemaBehind as e:
        print(f"cardledger: {e}", file=sys.stderr)
    except PersistenceError as e:
        print(f"cardledger: the event store failed: {str(e).splitlines()[0]}", file=sys.stderr)
    except NoCheckpointKey as e:
        print(f"cardledger: {e}", file=sys.stderr)
    except OSError as e:
        print(f"cardledger: {e}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
