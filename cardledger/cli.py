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

from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from cardledger import logs
from cardledger.metrics import LagCollector, serve_worker_metrics
from cardledger.schema import SchemaBehind
from cardledger.settings import Settings, get_settings
from cardledger.signals import StopRequested, interrupt_on_stop_signals
from cardledger.wiring import migrate_store, open_runtime
from domain.errors import DomainError
from projections.rebuild import rebuild
from projections.replay import replay_customer
from projections.verify import verify
from projections.views import cards_of

log = logging.getLogger("cardledger.cli")


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    with open_runtime(run_projector=False) as runtime:
        if not args.no_catch_up:
            runtime.projector.catch_up()
        problems = verify(runtime.ledger, runtime.read_model)
        position = runtime.read_model.position()
    for line in problems:
        print(line)
    print(f"verified the views at position {position}: "
          f"{'OK' if not problems else f'{len(problems)} difference(s)'}")
    return 1 if problems else 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    with open_runtime(run_projector=False) as runtime:
        count = rebuild(runtime.ledger, runtime.read_model)
    print(f"rebuilt the card list and history from {count} events")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    interrupt_on_stop_signals()
    with open_runtime(run_projector=False) as runtime:
        serve_worker_metrics(runtime.settings.metrics_port,
                             LagCollector(runtime.ledger, runtime.read_model))
        log.info("projecting into the views from position %d", runtime.read_model.position())
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
    verify_ = add("verify", cmd_verify, "compare replay of every customer with both views")
    verify_.add_argument("--no-catch-up", action="store_true",
                         help="check the views where they are, without applying new events")
    add("rebuild-projections", cmd_rebuild, "rebuild the card list and history from scratch")
    add("project", cmd_project, "keep the views current (production worker)")
    add("relay", cmd_relay, "publish every event to Kafka (production worker)")
    lag = add("relay-lag", cmd_relay_lag, "how many events the Kafka relay is behind")
    lag.add_argument("--json", action="store_true", help="print position, head and behind as JSON")
    office = add("office-consumer", cmd_office_consumer, "an office system consuming Kafka")
    office.add_argument("which", nargs="?", choices=("read-model", "notifier"),
                        default="read-model", help="the office read model or the card notifier")
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
    except OSError as e:
        print(f"cardledger: {e}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
