"""Soak: the suite's hypothesis state machine (tests/test_properties.py) at many
more examples than CI runs (40), outside CI.

    .venv/bin/python -m bench.soak --examples 10000

Every example is a fresh store, a random run of commands (add, set primary,
delete, switch online payments, time passing) with every invariant checked
after each step, and at the end the views compared with a replay of the
events (verify). A failure prints hypothesis's shrunk counterexample and
exits 1; the report records how many examples ran and how long it took.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from bench.common import Report, parser
from tests.test_properties import CustomerMachine


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__)
    p.add_argument("--examples", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=30, help="commands per example (at most)")
    args = p.parse_args(argv)
    report = Report("soak", {"examples": args.examples, "steps": args.steps,
                             "store": "sqlite (the machine's own)"})
    started = time.perf_counter()
    failure = None
    try:
        run_state_machine_as_test(CustomerMachine, settings=settings(
            max_examples=args.examples, stateful_step_count=args.steps, deadline=None,
            database=None, suppress_health_check=list(HealthCheck)))
    except Exception as e:  # noqa: BLE001 (reported, then exit 1)
        failure = f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - started
    report.row(examples=args.examples, steps_at_most=args.steps, seconds=round(seconds, 1),
               examples_per_s=round(args.examples / seconds, 1),
               result="failed" if failure else "passed")
    report.goal("state machine examples without a failure", 0 if failure else args.examples,
                10_000, higher_is_better=True)
    if failure:
        report.note(failure[:2000])
    report.finish(args.out_dir)
    if failure:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()
