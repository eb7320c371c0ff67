"""Tamper evidence's and erasure's costs: the hash-chain link and the sealing
of personal fields per command, and the chain check and checkpoint beside
the views' verify.

    .venv/bin/python -m bench.chain_cost --store postgres

Commands (add card / set primary / delete, bench.workload's mix) run straight
into CardLedger; every call of the link computation (domain.chain.link_for)
is timed inside them, so the share is measured in the same commands, not in
a separate run. Every sandbox card carries a cardholder name here, so every
card added is sealed (AES-GCM under the customer's key, cardledger/personal_data.py,
its key read or made in the store): that call is timed the same way. Then, on the same store: `check_chains` (every link and the
signed checkpoint) vs `verify` (views vs replay), and `make_checkpoints`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import domain.chain
from bench.common import Deadline, Report, latency_summary, parser, ratio, store_settings, versions
from bench.workload import open_company, run_op, scripts
from cardledger.checkpoints import make_checkpoints
from cardledger.processors.sandbox import TEST_CARDS, SandboxProcessor
from cardledger.wiring import open_runtime
from domain.checkpoints import CheckpointKey
from projections.chain_check import ChainSummary, check_chains
from projections.verify import verify

KEY = CheckpointKey("bench", b"bench-secret")


class _Timed:
    """Wraps link_for and sums the time spent in it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        started = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--commands", type=int, default=3000)
    p.add_argument("--customers", type=int, default=300)
    p.add_argument("--seconds", type=float, default=60.0, help="time budget of the command phase")
    args = p.parse_args(argv)
    report = Report("chain_cost", {"store": args.store, "commands": args.commands,
                                   "customers": args.customers, "seconds": args.seconds})
    timed = _Timed(domain.chain.link_for)
    domain.chain.link_for = timed  # type: ignore[assignment]
    try:
        named = {token: replace(card.details, cardholder_name="Bench Cardholder")
                 for token, card in TEST_CARDS.items()}
        with store_settings(args.store) as settings, \
                open_runtime(settings, processor=SandboxProcessor(extra_cards=named),
                             run_projector=False) as rt:
            sealing = _Timed(rt.ledger.personal_data.seal)
            rt.ledger.personal_data.seal = sealing  # type: ignore[method-assign]
            report.versions = versions(settings.postgres_dbname if args.store == "postgres"
                                       else None)
            ledger = rt.ledger
            open_company(ledger)
            customers = scripts(0, args.customers)
            latencies: list[float] = []
            deadline = Deadline(args.seconds)
            for turn in range(args.commands):
                if deadline.passed():
                    report.note(f"command phase stopped at its deadline after {turn} commands")
                    break
                script = customers[turn % len(customers)]
                op = script.next()
                started = time.perf_counter()
                outcome = run_op(ledger, op)
                latencies.append(time.perf_counter() - started)
                script.done(outcome.card_id)
            command_seconds = sum(latencies)
            report.row(phase="commands", count=len(latencies), **latency_summary(latencies))
            report.figures["link_calls"] = timed.calls
            report.figures["link_us_each"] = round(timed.seconds / max(timed.calls, 1) * 1e6, 1)
            share = ratio(timed.seconds, command_seconds)
            report.figures["link_share_of_command_path"] = share
            report.goal("chain links' share of the command path", share, 0.05,
                        higher_is_better=False)
            report.figures["seal_calls"] = sealing.calls
            report.figures["seal_us_each"] = round(sealing.seconds / max(sealing.calls, 1) * 1e6,
                                                   1)
            report.figures["seal_share_of_command_path"] = ratio(sealing.seconds,
                                                                 command_seconds)

            rt.projector.catch_up()
            started = time.perf_counter()
            made = make_checkpoints(ledger, KEY)
            checkpoint_s = time.perf_counter() - started
            summary = ChainSummary()
            started = time.perf_counter()
            problems = check_chains(ledger, {KEY.key_id: KEY}, summary=summary)
            check_s = time.perf_counter() - started
            assert not problems, problems[:3]
            started = time.perf_counter()
            assert verify(ledger, rt.read_model) == []
            verify_s = time.perf_counter() - started
            report.row(phase="checkpoint (first, all streams)", count=len(made),
                       seconds=round(checkpoint_s, 3))
            report.row(phase="check_chains", count=summary.events, seconds=round(check_s, 3),
                       events_per_s=round(summary.events / check_s))
            report.row(phase="verify (views)", count=summary.events, seconds=round(verify_s, 3),
                       events_per_s=round(summary.events / verify_s))
            report.figures["check_chains_vs_verify_time"] = ratio(check_s, verify_s)
    finally:
        domain.chain.link_for = timed.inner  # type: ignore[assignment]
    report.finish(args.out_dir)
    return report


if __name__ == "__main__":
    main()
