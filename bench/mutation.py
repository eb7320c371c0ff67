"""Mutation testing: plant one small bug at a time and see whether the tests notice.

    .venv/bin/python bench/mutation.py domain            # one target
    .venv/bin/python bench/mutation.py --list            # the targets
    .venv/bin/python bench/mutation.py all --max 80      # every target, 80 mutants each

Slow (one pytest run per mutant), so it is not part of ./run test or CI. Each
target mutates its source files and runs only the tests that guard them. The
project is copied to a scratch directory first, so the working tree is never
touched. The score and every surviving mutant go to
bench/results/mutation-<target>.md.

Mutants are made here from the AST (comparisons flipped or loosened, and/or
swapped, `not` dropped, True/False swapped, integers moved by one, + and -
swapped, a returned value replaced by None) rather than by mutmut: mutmut
3.8.1 stops with a bare AssertionError while generating mutants for this tree.
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FAST = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]

# target -> (files to mutate, tests that guard them)
TARGETS: dict[str, tuple[list[str], list[str]]] = {
    "domain": (["domain/customer.py", "domain/company.py", "domain/cards.py", "domain/ids.py",
                "domain/payments.py", "domain/currencies.py", "domain/retry.py"],
               ["tests/domain", "tests/test_service.py", "tests/payments/test_payment_rules.py",
                "tests/payments/test_currencies.py", "tests/audit/test_webhook_order.py",
                "-k", "not postgres"]),
    "projections": (["projections/read_model.py", "projections/verify.py",
                     "projections/replay.py", "projections/history.py", "projections/views.py",
                     "projections/runner.py", "projections/rebuild.py",
                     "projections/autopay_views.py", "projections/evidence.py"],
                    # every test of the views, the rebuild, verify, the waiting
                    # for them and the evidence pack that runs on SQLite (the
                    # PostgreSQL twins add time, not kills). log_follower.py is
                    # the consumers target's: its tests are the relay's.
                    ["tests/test_projections.py", "tests/test_rebuild.py",
                     "tests/test_audit_cli.py", "tests/test_concurrency.py",
                     "tests/test_properties.py", "tests/autopay/test_autopay_views.py",
                     "tests/api/test_evidence.py", "tests/audit/test_evidence_pack.py",
                     "-k", "sqlite or not postgres"]),
    # guard and auth: example tests only, seconds per mutant; the guard's
    # hypothesis properties and live fuzzing (a minute or more) and the serve
    # subprocess tests are left out (docs/testing.md says what that costs).
    "guard": (["cardledger/card_data.py", "api/guard.py", "api/json_body.py"],
              ["tests/guard/test_rule_edges.py", "tests/guard/test_request_edges.py",
               "tests/guard/test_known_gaps.py", "tests/api/test_guard.py",
               "-k", "not postgres"]),
    "auth": (["api/auth.py"],
             ["tests/api/test_keys.py", "tests/api/test_authz.py",
              "tests/api/test_errors.py::test_no_key_is_401_with_a_bearer_challenge",
              "tests/api/test_errors.py::test_an_unknown_key_is_401",
              "tests/api/test_serve.py", "tests/api/test_rate_limit.py",
              "-k", "not postgres and not test_serve_"]),
    "consumers": (["consumers/base.py", "consumers/envelope.py", "consumers/relay.py",
                   "consumers/office_read_model.py", "projections/log_follower.py"],
                  # the Kafka tests of the relay, the envelope, the consumers and the
                  # office model (about 35 s a run, broker included); left out: the
                  # AsyncAPI document, compose, stop signals, the worker CLI and
                  # metrics subprocesses and the notifier (docs/testing.md)
                  ["tests/kafka/test_consumers.py", "tests/kafka/test_envelope.py",
                   "tests/kafka/test_relay.py", "tests/kafka/test_office_store.py",
                   "tests/kafka/test_office_verify.py",
                   "tests/kafka/test_checkpoints_published.py",
                   "tests/kafka/test_event_contract.py", "tests/kafka/test_topics.py",
                   "tests/test_log_follower.py", "-k", "not postgres"]),
    # erasure: the decision, sealing and the keys (docs/erasure.md)
    "erasure": (["domain/erasure.py", "domain/personal_data.py", "cardledger/personal_data.py"],
                ["tests/domain/test_erasure.py", "tests/test_erasure.py",
                 "tests/api/test_erasure.py", "tests/autopay/test_expiry_reminders.py",
                 "-k", "not postgres"]),
}

FLIPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
    ast.Add: ast.Sub, ast.Sub: ast.Add,
}


@dataclass(frozen=True)
class Mutant:
    path: str
    index: int  # which mutation point, in ast.walk order
    line: int
    change: str


def _points(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIPS:
            yield node, f"{type(node.ops[0]).__name__} -> {FLIPS[type(node.ops[0])].__name__}"
        elif isinstance(node, ast.BoolOp | ast.BinOp) and type(node.op) in FLIPS:
            yield node, f"{type(node.op).__name__} -> {FLIPS[type(node.op)].__name__}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not dropped"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, f"{node.value} -> {not node.value}"
        elif (isinstance(node, ast.Constant) and type(node.value) is int):
            yield node, f"{node.value} -> {node.value + 1}"
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "returns None"


def _mutate(node: ast.AST) -> ast.AST:
    """The replacement for one mutation point (the tree is a fresh parse)."""
    if isinstance(node, ast.Compare):
        node.ops[0] = FLIPS[type(node.ops[0])]()
    elif isinstance(node, ast.BoolOp | ast.BinOp):
        node.op = FLIPS[type(node.op)]()
    elif isinstance(node, ast.UnaryOp):
        return node.operand
    elif isinstance(node, ast.Constant):
        node.value = (not node.value) if isinstance(node.value, bool) else node.value + 1
    elif isinstance(node, ast.Return):
        node.value = ast.Constant(None)
    return node


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST) -> None:
        self.target = target

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return _mutate(node)
        return super().visit(node)


def _skip_docstrings_and_annotations(tree: ast.Module) -> set[int]:
    """ids of nodes not worth mutating: inside annotations and type-only code."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        for annotation in [getattr(node, "annotation", None), getattr(node, "returns", None)]:
            if annotation is not None:
                skipped |= {id(n) for n in ast.walk(annotation)}
    return skipped


def mutants_of(path: str) -> list[Mutant]:
    tree = ast.parse((ROOT / path).read_text())
    skipped = _skip_docstrings_and_annotations(tree)
    return [Mutant(path, i, getattr(node, "lineno", 0), change)
            for i, (node, change) in enumerate(_points(tree)) if id(node) not in skipped]


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((ROOT / mutant.path).read_text())
    node = next(n for i, (n, _) in enumerate(_points(tree)) if i == mutant.index)
    return ast.unparse(ast.fix_missing_locations(_Replace(node).visit(tree)))


def copy_project(into: Path) -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def run_tests(workdir: Path, tests: list[str], timeout: float) -> str:
    """'killed', 'survived' or 'timeout'. PYTHONPATH puts the scratch copy first,
    ahead of the editable install of the working tree."""
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", *FAST, *tests], cwd=workdir,
                                env={"PYTHONPATH": str(workdir), "PATH": "/usr/bin:/bin",
                                     "HOME": str(Path.home())},
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if result.returncode == 0 else "killed"


def run_target(name: str, limit: int | None, seed: int) -> tuple[int, int, list[Mutant]]:
    files, tests = TARGETS[name]
    mutants = [m for path in files for m in mutants_of(path)]
    if limit is not None and len(mutants) > limit:
        mutants = sorted(random.Random(seed).sample(mutants, limit),
                         key=lambda m: (m.path, m.index))
    with tempfile.TemporaryDirectory(prefix="cardledger-mutation-") as scratch:
        workdir = Path(scratch)
        copy_project(workdir)
        started = time.monotonic()
        if run_tests(workdir, tests, timeout=1800) != "survived":
            sys.exit(f"{name}: the tests fail without any mutant; fix them first")
        timeout = 3 * (time.monotonic() - started) + 10
        survivors: list[Mutant] = []
        for n, mutant in enumerate(mutants, 1):
            original = (ROOT / mutant.path).read_text()
            (workdir / mutant.path).write_text(mutated_source(mutant))
            outcome = run_tests(workdir, tests, timeout)
            (workdir / mutant.path).write_text(original)
            if outcome == "survived":
                survivors.append(mutant)
            print(f"{name} {n}/{len(mutants)} {mutant.path}:{mutant.line} {mutant.change}: "
                  f"{outcome}", flush=True)
    return len(mutants), len(mutants) - len(survivors), survivors


def write_report(name: str, total: int, killed: int, survivors: list[Mutant],
                 limit: int | None, seed: int) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    files, tests = TARGETS[name]
    score = 100 * killed / total if total else 100.0
    lines = [f"# Mutation score: {name}", "",
             f"- files: {', '.join(files)}", f"- tests: `{' '.join(tests)}`",
             f"- mutants: {total}" + (f" (a sample, --max {limit} --seed {seed})" if limit else ""),
             f"- killed: {killed}", f"- score: {score:.1f}%", "", "## Survivors", ""]
    lines += [f"- `{m.path}:{m.line}` {m.change}" for m in survivors] or ["none"]
    report = RESULTS / f"mutation-{name}.md"
    report.write_text("\n".join(lines) + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", help=f"any of {', '.join(TARGETS)}, or all")
    parser.add_argument("--max", type=int, default=None, help="at most this many mutants each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list or not args.targets:
        for name, (files, tests) in TARGETS.items():
            print(f"{name}: {sum(len(mutants_of(f)) for f in files)} mutants; "
                  f"tests {' '.join(tests)}")
        return
    for name in TARGETS if args.targets == ["all"] else args.targets:
        total, killed, survivors = run_target(name, args.max, args.seed)
        report = write_report(name, total, killed, survivors, args.max, args.seed)
        print(f"{name}: {killed}/{total} killed; report {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
