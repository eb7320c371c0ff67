"""The `cardledger` command. Errors come out as one readable line and exit 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from eventsourcing.persistence import PersistenceError

from cardledger import log_safety
from cardledger.audit_commands import add_verify_arguments, rebuild_command, verify_command
from cardledger.settings import get_settings
from cardledger.wiring import open_runtime
from domain.errors import DomainError
from projections.replay import replay_customer
from projections.views import cards_of


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
    return verify_command(args)


def cmd_rebuild(args: argparse.Namespace) -> int:
    return rebuild_command(args)


def cmd_project(args: argparse.Namespace) -> int:
    with open_runtime(run_projector=False) as runtime:
        print(f"projecting into the views from position {runtime.read_model.position()}",
              flush=True)
        try:
            runtime.projector.run_forever()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve  # noqa: PLC0415

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


def cmd_office_verify(args: argparse.Namespace) -> int:
    from consumers.office_audit import office_verify_command  # noqa: PLC0415

    return office_verify_command(get_settings(), args.office_db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cardledger", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.set_defaults(handler=handler)
        return p

    add("demo", cmd_demo, "tell the seed's story on the embedded default")
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
    add("rebuild-projections", cmd_rebuild, "rebuild the card list and history from scratch")
    add("project", cmd_project, "keep the views current (production worker)")
    add("relay", cmd_relay, "publish every event to Kafka (production worker)")
    lag = add("relay-lag", cmd_relay_lag, "how many events the Kafka relay is behind")
    lag.add_argument("--json", action="store_true", help="print position, head and behind as JSON")
    office = add("office-consumer", cmd_office_consumer, "an office system consuming Kafka")
    office.add_argument("which", nargs="?", choices=("read-model", "notifier"),
                        default="read-model", help="the office read model or the card notifier")
    office_verify = add("office-verify", cmd_office_verify,
                        "compare an office read model with cardledger's views")
    office_verify.add_argument("--office-db", type=Path, help="the office read model's SQLite "
                               "file (default: the office consumer's, under the data dir)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log_safety.install()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DomainError as e:
        print(f"cardledger: {e.detail}", file=sys.stderr)
    except PersistenceError as e:
        print(f"cardledger: the event store failed: {str(e).splitlines()[0]}", file=sys.stderr)
    except OSError as e:
        print(f"cardledger: {e}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
