"""The guard's two bench scripts run end to end with tiny parameters and
write their reports (as tests/test_bench_smoke.py does for the others).
Not timing tests: the figures are bench/README.md's."""

from __future__ import annotations

import json
from pathlib import Path

from bench import guard_cost, guard_fuzz


def report(out_dir: Path, name: str) -> dict[str, object]:
    [path] = out_dir.glob(f"{name}-*.json")
    return json.loads(path.read_text())


def test_the_fuzz_script_counts_every_case_and_files_every_miss(tmp_path: Path) -> None:
    guard_fuzz.main(["--cases", "300", "--workers", "1", "--out-dir", str(tmp_path)])
    document = report(tmp_path, "guard_fuzz")
    every = document["rows"][-1]
    assert every["kind"] == "all" and every["cases"] == 300
    assert every["refused"] + every["passed"] == 300
    assert sum(document["figures"]["misses_by_gap"].values()) == (
        every["false_negatives"] + every["false_positives"])


def test_the_cost_script_measures_every_input_at_every_size(tmp_path: Path) -> None:
    guard_cost.main(["--sizes", "4,8", "--budget", "0", "--no-live",
                     "--out-dir", str(tmp_path)])
    document = report(tmp_path, "guard_cost")
    sizes = {row["size_kib"] for row in document["rows"]}
    assert sizes == {4, 8}
    assert document["figures"]["worst_cpu_s_per_mib"] > 0
