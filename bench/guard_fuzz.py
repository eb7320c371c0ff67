"""Guard fuzz: a million generated requests through ``api.guard.inspect_request``.

    .venv/bin/python -m bench.guard_fuzz                 # 1,000,000 cases on every core
    .venv/bin/python -m bench.guard_fuzz --cases 20000   # a quick look

The cases come from the builders the property tests use (tests/guard/cases.py),
their choices drawn from a seeded ``random.Random`` instead of hypothesis: the
same requests, without the per-example overhead or shrinking. Attacks (a card
number of a real brand in a disguise and a place, or a field named like card
data) must be refused; ordinary requests (timestamps, amounts, versions, ids,
Luhn-invalid numbers, text) must pass untouched.

Every miss is filed under the known gap it shows (each has a failing test in
tests/guard/test_known_gaps.py) or as ``unexplained`` (a new bug: look at the
examples in the JSON). Same seed, same cases: a run can be repeated exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote_plus

from api.guard import inspect_request
from api.problems import Problem
from bench.common import RESULTS_DIR, Report, ratio
from cardledger.card_data import looks_like_card_number
from tests.guard import cases
from tests.guard.cases import Attack, Ordinary
from tests.guard.choices import RandomChooser

# What the mix is made of, and how much of each (in hundredths).
ATTACKS: dict[str, tuple[Callable[..., Attack], int]] = {
    "body string": (cases.attack_in_body_text, 12),
    "body key": (cases.attack_as_key, 8),
    "body number": (cases.attack_as_number, 8),
    "body in UTF-16/32 or with a BOM": (cases.attack_in_foreign_encoding, 5),
    "path segment": (cases.attack_in_path, 10),
    "query": (cases.attack_in_query, 10),
    "header value": (cases.attack_in_header, 10),
    "header name": (cases.attack_in_header_name, 3),
    "any separator": (cases.attack_split_by_any_separator, 4),
    "field named like card data": (cases.sensitive_field, 4),
    "stored field": (cases.attack_in_a_stored_field, 6),
}
ORDINARY: dict[str, tuple[Callable[..., Ordinary], int]] = {
    "ordinary body": (cases.ordinary_body, 10),
    "ordinary headers and query": (cases.ordinary_headers, 10),
}
KINDS = [name for name, (_, weight) in {**ATTACKS, **ORDINARY}.items() for _ in range(weight)]
CHUNK = 5000
EXAMPLES_PER_GAP = 3


@dataclass
class Tally:
    """What one chunk of cases came to, per kind of case."""
    cases: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    false_negatives: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    gaps: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for name in ("cases", "refused", "passed", "false_negatives", "false_positives",
                     "seconds", "gaps"):
            getattr(self, name).update(getattr(other, name))
        for gap, found in other.examples.items():
            kept = self.examples.setdefault(gap, [])
            kept += found[:EXAMPLES_PER_GAP - len(kept)]

    def example(self, gap: str, text: str) -> None:
        kept = self.examples.setdefault(gap, [])
        if len(kept) < EXAMPLES_PER_GAP:
            kept.append(text[:300])


def gap_of(attack: Attack) -> str:
    """The known gap (tests/guard/test_known_gaps.py) a missed attack shows."""
    how, place = attack.how, attack.place
    if place == "header name":
        return "header name not scanned" if how == "token" else "camel-case header name"
    if how == "any separator":
        return "separator that NFKC expands or makes letters"
    if "base64" in how:
        return ("base64 of non-ASCII text" if how.startswith("unicode")
                else "base64 token next to / + - _")
    if "backslash pairs" in how:
        return "surrogate pair escapes"
    if place == "number":
        return "JSON number with trailing zeros and an exponent"
    if "html" in how or "wide percent" in how or "&#" in attack.sent:
        return "percent and HTML undone in one round"
    return "unexplained"


def false_positive_of(ordinary: Ordinary, refused: Problem) -> str:
    """Why an ordinary request was refused, when the query is to blame."""
    query = ordinary.request.query_string.decode("latin-1")
    if "query" not in refused.detail or looks_like_card_number(unquote_plus(query)):
        return "unexplained"  # the query, decoded as a form, does hold a card number
    if not looks_like_card_number(query.replace("+", " ")):
        return "form-encoded space in an instant"
    return "digits of percent escapes read raw"


def run_chunk(job: tuple[int, int]) -> Tally:
    seed, count = job
    chooser, tally = RandomChooser(seed), Tally()
    for _ in range(count):
        kind = chooser.choice(KINDS)
        started = time.perf_counter()
        if kind in ATTACKS:
            _attack(tally, kind, ATTACKS[kind][0](chooser))
        else:
            _ordinary(tally, kind, ORDINARY[kind][0](chooser))
        tally.seconds[kind] += time.perf_counter() - started
        tally.cases[kind] += 1
    return tally


def _attack(tally: Tally, kind: str, attack: Attack) -> None:
    try:
        inspect_request(attack.request.scope(), attack.request.body)
    except Problem as refused:
        assert 400 <= refused.status < 500, refused
        tally.refused[kind] += 1
        return
    tally.passed[kind] += 1
    tally.false_negatives[kind] += 1
    gap = gap_of(attack)
    tally.gaps[gap] += 1
    tally.example(gap, f"{attack.place}, {attack.how}: {attack.sent!r} in {attack.request!r}")


def _ordinary(tally: Tally, kind: str, ordinary: Ordinary) -> None:
    try:
        document = inspect_request(ordinary.request.scope(), ordinary.request.body)
    except Problem as refused:
        tally.refused[kind] += 1
        tally.false_positives[kind] += 1
        cause = false_positive_of(ordinary, refused)
        tally.gaps[cause] += 1
        tally.example(cause, repr(ordinary.request))
        return
    assert document == ordinary.document, ordinary
    tally.passed[kind] += 1


def main(argv: list[str] | None = None) -> Report:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20261125)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR)
    args = p.parse_args(argv)
    report = Report("guard_fuzz", {"cases": args.cases, "seed": args.seed,
                                   "workers": args.workers, "chunk": CHUNK,
                                   "mix_percent": {k: w for k, (_, w) in {**ATTACKS,
                                                                           **ORDINARY}.items()}})
    report.versions = {"python": platform.python_version(), "hypothesis": version("hypothesis")}
    jobs = [(args.seed * 100_000 + index, min(CHUNK, args.cases - start))
            for index, start in enumerate(range(0, args.cases, CHUNK))]
    total, started = Tally(), time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for done, tally in enumerate(pool.map(run_chunk, jobs), start=1):
            total.add(tally)
            if done % 20 == 0 or done == len(jobs):
                _progress(total, time.perf_counter() - started)
    _report(report, total, time.perf_counter() - started, args.workers)
    path = report.finish(args.out_dir)
    _add_examples(path, total.examples)
    return report


def _add_examples(path: Path, examples: dict[str, list[str]]) -> None:
    """The first cases of each gap, in the JSON only (too long for the table)."""
    document = json.loads(path.read_text())
    document["examples"] = examples
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _progress(total: Tally, seconds: float) -> None:
    cases = sum(total.cases.values())
    print(f"  {cases:>9,} cases  {cases / seconds:7.0f}/s  false negatives "
          f"{sum(total.false_negatives.values()):,}  false positives "
          f"{sum(total.false_positives.values()):,}", flush=True)


def _report(report: Report, total: Tally, seconds: float, workers: int) -> None:
    for kind in [*ATTACKS, *ORDINARY]:
        report.row(kind=kind, attack=kind in ATTACKS, cases=total.cases[kind],
                   refused=total.refused[kind], passed=total.passed[kind],
                   false_negatives=total.false_negatives[kind],
                   false_positives=total.false_positives[kind],
                   cases_per_s_per_core=ratio(total.cases[kind], total.seconds[kind]))
    cases = sum(total.cases.values())
    report.row(kind="all", attack="", cases=cases, refused=sum(total.refused.values()),
               passed=sum(total.passed.values()),
               false_negatives=sum(total.false_negatives.values()),
               false_positives=sum(total.false_positives.values()),
               cases_per_s_per_core=ratio(cases, sum(total.seconds.values())))
    attacks = sum(total.cases[kind] for kind in ATTACKS)
    report.figures.update({
        "cases": cases, "wall_seconds": round(seconds, 1), "cases_per_s": ratio(cases, seconds),
        "workers": workers, "attack_cases": attacks, "ordinary_cases": cases - attacks,
        "false_negative_rate": ratio(sum(total.false_negatives.values()), attacks),
        "false_positive_rate": ratio(sum(total.false_positives.values()), cases - attacks),
        "misses_by_gap": dict(total.gaps.most_common()),
    })
    report.goal("false negatives", sum(total.false_negatives.values()), 1,
                higher_is_better=False)
    report.goal("false positives", sum(total.false_positives.values()), 1,
                higher_is_better=False)
    report.goal("unexplained misses", total.gaps["unexplained"], 1, higher_is_better=False)


if __name__ == "__main__":
    main()
