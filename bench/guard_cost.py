"""Guard cost: the worst CPU time the card-number guard spends per MiB of
adversarial input, at several sizes, and what an attack does to /healthz.

    .venv/bin/python -m bench.guard_cost                    # about four minutes
    .venv/bin/python -m bench.guard_cost --sizes 64 --phase-seconds 2 --rounds 1

1. Cost. Each input is built to make the rule do the most work per byte
   without finding a card number (which would stop the scan early): digit
   runs whose every span fails Luhn ("1 1 1 …", 19-digit groups), digits
   percent-encoded three times (five readings to scan), HTML and backslash
   escapes, fullwidth digits (NFKC), base64 tokens, and for bodies many small
   strings, numbers, keys and deep nesting. CPU time (``time.process_time``)
   of ``looks_like_card_number`` on the text, and of ``inspect_request`` on a
   request carrying it (as a JSON string, a header value or a path), at
   64 KiB, 256 KiB and 1 MiB: linear when the seconds per MiB stay the same
   across sizes. The API bounds a request to 64 KiB of body, 16 KiB of
   headers and 8 KiB of path and query; the larger sizes are measured in
   process, past those bounds, only to show the growth.
2. Live. ``cardledger serve`` (one worker, SQLite) while another process
   sends the costliest body and headers the bounds allow, from several
   threads in a loop, and this process polls /healthz every 20 ms: p50, p99
   and max of /healthz, quiet and under attack, in interleaved phases (a
   quiet phase is measured once the attack's last requests are answered).
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from api.guard import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_TARGET_BYTES, inspect_request
from api.problems import Problem
from bench.common import Report, latency_summary, parser, ratio, store_settings, versions
from bench.server import api_server
from cardledger.card_data import looks_like_card_number

KIB = 1024
MIB = 1024 * KIB
SIZES_KIB = (64, 256, 1024)


def filled(unit: str, size: int) -> str:
    """``unit`` repeated to ``size`` bytes of UTF-8 (whole units only)."""
    return unit * max(1, size // len(unit.encode()))


def triple_percent(digits: str) -> str:
    return "".join(f"%2525{ord(digit):02X}" for digit in digits)


# Texts: no span of any of them passes Luhn ("1"s: every 13-19 digit sum ends
# in 9, 1, 2, 4, 5, 7 or 8), so the scan never stops early.
TEXTS: dict[str, Callable[[int], str]] = {
    "1 1 1 …": lambda size: filled("1 ", size),
    "1-1-1-… (dates looked for)": lambda size: filled("1-", size),
    "19-digit groups": lambda size: filled("1" * 19 + " ", size),
    "%31+%31+… (percent)": lambda size: filled("%31+", size),
    "19-digit groups, percent-encoded 3 times, '-'": lambda size: filled(
        triple_percent("1" * 19) + "-", size),
    "&#49; &#49; … (HTML)": lambda size: filled("&#49; ", size),
    "\\u0031 \\u0031 … (backslash)": lambda size: filled("\\u0031 ", size),
    "１ １ １ … (fullwidth, NFKC)": lambda size: filled("１ ", size),
    "base64 tokens of '1 1 1 1 1 1 1 1'": lambda size: filled(
        base64.b64encode(b"1 1 1 1 1 1 1 1").decode() + " ", size),
    "one base64 token of '1 1 1 …'": lambda size: base64.b64encode(
        filled("1 ", size * 3 // 4).encode()).decode(),
}
# Bodies that are costly as JSON rather than as text.
BODIES: dict[str, Callable[[int], bytes]] = {
    "many 25-char strings": lambda size: json.dumps(
        ["1 1 1 1 1 1 1 1 1 1 1 1 1"] * (size // 28)).encode(),
    "many 13-digit numbers": lambda size: ("[" + ",".join(
        ["1111111111111"] * (size // 14)) + "]").encode(),
    "many one-key objects": lambda size: json.dumps(
        [{_letters(i): 0} for i in range(size // 12)]).encode(),
    "nesting 31 deep, repeated": lambda size: ("[" + ",".join(
        ["[" * 31 + "]" * 31] * (size // 63)) + "]").encode(),
    "many 1-char strings": lambda size: json.dumps(["a"] * (size // 4)).encode(),
}


def _letters(index: int) -> str:
    """A key of its own for each index; the closing z keeps any from ending in
    a card-data word (a key ending in "cvc" is refused)."""
    return "k" + "".join(chr(97 + index // 26**i % 26) for i in range(4)) + "z"


def scope(path: str = "/v1/companies/co/customers/cu/payment-methods",
          headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    raw = quote(path, safe="/%").encode()
    return {"type": "http", "method": "POST", "path": path, "raw_path": raw,
            "query_string": b"", "root_path": "",
            "headers": [(b"content-type", b"application/json"), *(headers or [])]}


def cpu_per_call(call: Callable[[], Any], budget: float) -> float:
    """CPU seconds of the fastest of the calls made in ``budget`` seconds (at
    least one): the least disturbed by the rest of a shared machine."""
    fastest, spent = float("inf"), 0.0
    while True:
        started = time.process_time()
        call()
        took = time.process_time() - started
        fastest, spent = min(fastest, took), spent + took
        if spent >= budget:
            return fastest


def passes(call: Callable[[], Any]) -> Callable[[], None]:
    """The call, which must pass: a refusal would mean the scan stopped early."""
    def checked() -> None:
        try:
            call()
        except Problem as refused:
            raise AssertionError(f"refused, so not a worst case: {refused.detail}") from None
    return checked


@dataclass(frozen=True)
class Measured:
    input: str
    place: str
    size_kib: int  # as asked for
    size: int  # bytes the call was given (a body's JSON, a path's escapes)
    cpu_ms: float

    @property
    def s_per_mib(self) -> float:
        return self.cpu_ms / 1000 / (self.size / MIB)


def measure_cost(report: Report, sizes: tuple[int, ...], budget: float) -> list[Measured]:
    found = []
    for name, make in TEXTS.items():
        for size_kib in sizes:
            text = make(size_kib * KIB)
            assert not looks_like_card_number(text), name
            for place, (size, call) in _placements(text).items():
                found.append(_row(report, name, place, size_kib, size,
                                  cpu_per_call(call, budget)))
    for name, make_body in BODIES.items():
        for size_kib in sizes:
            body = make_body(size_kib * KIB)
            call = passes(lambda body=body: inspect_request(scope(), body))
            found.append(_row(report, name, "inspect_request: body", size_kib, len(body),
                              cpu_per_call(call, budget)))
    return found


def _placements(text: str) -> dict[str, tuple[int, Callable[[], Any]]]:
    """The text alone, and in a request: as a JSON string, a header value, a path."""
    body = json.dumps({"note": text}, ensure_ascii=False).encode()
    header = [(b"x-note", text.encode())]
    calls = {"looks_like_card_number": (len(text.encode()),
                                        lambda: looks_like_card_number(text)),
             "inspect_request: body string": (len(body), passes(
                 lambda: inspect_request(scope(), body))),
             "inspect_request: header value": (len(header[0][1]), passes(
                 lambda: inspect_request(scope(headers=header), b"")))}
    if text.isascii() and "%" not in text:  # a path with "%" would be decoded once more
        path_scope = scope(path="/" + text)
        calls["inspect_request: path"] = (len(path_scope["raw_path"]), passes(
            lambda: inspect_request(path_scope, b"")))
    return calls


def _row(report: Report, name: str, place: str, size_kib: int, size: int,
         seconds: float) -> Measured:
    measured = Measured(name, place, size_kib, size, round(seconds * 1000, 2))
    report.row(input=name, place=place, size_kib=size_kib, bytes=size, cpu_ms=measured.cpu_ms,
               cpu_s_per_mib=round(measured.s_per_mib, 3))
    return measured


def cost_figures(report: Report, found: list[Measured], sizes: tuple[int, ...]) -> None:
    smallest, largest = min(sizes), max(sizes)
    cost = {(m.input, m.place, m.size_kib): m.s_per_mib for m in found}
    growth = {f"{name} / {place}": ratio(cost[name, place, largest], per_mib)
              for (name, place, size), per_mib in cost.items()
              if size == smallest and largest != smallest}
    worst = max(found, key=lambda m: m.s_per_mib)
    at_bound = [m for m in found if m.size_kib == smallest]

    def worst_in(word: str) -> float:
        return max((m.s_per_mib for m in at_bound if word in m.place), default=0.0)

    request_ms = (worst_in("body") * MAX_BODY_BYTES + worst_in("header") * MAX_HEADER_BYTES
                  + worst_in("path") * MAX_TARGET_BYTES) / MIB * 1000
    report.figures.update({
        "worst_cpu_s_per_mib": round(worst.s_per_mib, 3),
        "worst_input": f"{worst.input} / {worst.place} at {worst.size_kib} KiB",
        "worst_body_cpu_ms_at_64_kib": round(worst_in("body") * MAX_BODY_BYTES / MIB * 1000, 1),
        "worst_request_cpu_ms_at_the_bounds": round(request_ms, 1),
        f"growth_s_per_mib_{largest}_vs_{smallest}_kib": growth,
        "max_growth": max(growth.values(), default=None),
    })
    # Linear keeps the ratio near 1 (the per-digit lists outgrow the CPU caches,
    # so somewhat above); one quadratic step would make it largest/smallest.
    report.goal(f"s/MiB at {largest} KiB over s/MiB at {smallest} KiB (quadratic: "
                f"{largest // smallest})", max(growth.values(), default=None), 2.0,
                higher_is_better=False)


# --- live: /healthz while the costliest allowed requests arrive -----------------------


def costliest_text(found: list[Measured]) -> str:
    """The text that cost the most per MiB as a body string at the smallest size."""
    return max((m for m in found if m.place == "inspect_request: body string"),
               key=lambda m: (-m.size_kib, m.s_per_mib)).input


def attack_body_and_headers(text: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """That text at the bounds: a 64 KiB body and 15 KiB of one header."""
    body = json.dumps({"note": TEXTS[text](MAX_BODY_BYTES - 32)}).encode()
    header = TEXTS[text](MAX_HEADER_BYTES - KIB).encode()
    return body, [(b"content-type", b"application/json"), (b"x-note", header)]


def attacker(url: str, text: str, threads: int, attacking: Any, stop: Any,
             results: Any) -> None:
    """In its own process: ``threads`` clients sending the attack while ``attacking``."""
    body, headers = attack_body_and_headers(text)
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def loop() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                if not attacking.wait(0.05):
                    continue
                try:
                    response = client.post(url + "/v1/companies/co/customers/cu/payment-methods",
                                           content=body, headers=headers)
                except httpx.HTTPError as error:
                    with lock:
                        counts[type(error).__name__] += 1
                    continue
                with lock:
                    counts[str(response.status_code)] += 1
                    counts["bytes"] += len(body) + sum(len(v) for _, v in headers)

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while not stop.is_set():
        stop.wait(0.1)
        with lock:
            if counts:
                results.put(dict(counts))
                counts.clear()
    for worker in workers:
        worker.join(timeout=60)
    results.put(dict(counts))


def poll(url: str, seconds: float, interval: float) -> list[float]:
    latencies = []
    end = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < end:
            started = time.perf_counter()
            response = client.get(url + "/healthz")
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return latencies


def measure_live(report: Report, args: Any, text: str) -> None:
    context = multiprocessing.get_context("spawn")
    attacking, stop, results = context.Event(), context.Event(), context.Queue()
    pooled: dict[str, list[float]] = {"quiet": [], "attack": []}
    with store_settings("sqlite") as settings, \
            tempfile.TemporaryDirectory(prefix="cardledger-bench-") as tmp, \
            api_server(settings, 1, Path(tmp)) as server:
        process = context.Process(target=attacker, args=(server.url, text, args.attack_threads,
                                                         attacking, stop, results))
        process.start()
        try:
            for index in range(args.rounds * 2):
                phase = "attack" if index % 2 else "quiet"
                (attacking.set if phase == "attack" else attacking.clear)()
                if phase == "quiet":  # let the attack's requests in flight finish
                    time.sleep(args.settle_seconds)
                _drain(results)
                latencies = poll(server.url, args.phase_seconds, args.poll_ms / 1000)
                sent = _drain(results)
                pooled[phase] += latencies
                summary = latency_summary(latencies)
                report.row(phase=f"{index + 1}: {phase}", healthz_n=summary["n"],
                           healthz_p50_ms=summary["p50_ms"], healthz_p99_ms=summary["p99_ms"],
                           healthz_max_ms=summary["max_ms"],
                           attack_requests_per_s=round(sum(v for k, v in sent.items()
                                                           if k.isdigit()) / args.phase_seconds,
                                                       1),
                           attack_mib_per_s=round(sent.get("bytes", 0) / MIB / args.phase_seconds,
                                                  2),
                           attack_statuses={k: v for k, v in sent.items() if k.isdigit()})
            report.figures["api_worker_rss_mib"] = server.worker_rss_mib()
        finally:
            attacking.clear()
            stop.set()
            process.join(timeout=90)
    quiet, attack = latency_summary(pooled["quiet"]), latency_summary(pooled["attack"])
    report.figures.update({"healthz_quiet": quiet, "healthz_under_attack": attack,
                           "healthz_p99_attack_vs_quiet": ratio(attack["p99_ms"],
                                                                quiet["p99_ms"])})


def _drain(results: Any) -> Counter[str]:
    total: Counter[str] = Counter()
    while True:
        try:
            total.update(results.get(timeout=0.2))
        except Exception:  # noqa: BLE001 (queue.Empty from another process's queue)
            return total


def main(argv: list[str] | None = None) -> Report:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default=",".join(map(str, SIZES_KIB)), help="KiB, comma-separated")
    p.add_argument("--budget", type=float, default=0.5,
                   help="CPU seconds to spend per measurement (at least one call)")
    p.add_argument("--rounds", type=int, default=3, help="quiet+attack phase pairs")
    p.add_argument("--phase-seconds", type=float, default=8.0)
    p.add_argument("--settle-seconds", type=float, default=3.0,
                   help="wait after an attack phase, before a quiet one is measured")
    p.add_argument("--poll-ms", type=float, default=20.0)
    p.add_argument("--attack-threads", type=int, default=4)
    p.add_argument("--no-live", action="store_true", help="only the in-process cost")
    args = p.parse_args(argv)
    sizes = tuple(int(size) for size in args.sizes.split(","))
    report = Report("guard_cost", {"store": "sqlite", "sizes_kib": sizes, "budget": args.budget,
                                   "rounds": args.rounds, "phase_seconds": args.phase_seconds,
                                   "settle_seconds": args.settle_seconds,
                                   "poll_ms": args.poll_ms,
                                   "attack_threads": args.attack_threads,
                                   "bounds": {"body": MAX_BODY_BYTES, "headers": MAX_HEADER_BYTES,
                                              "target": MAX_TARGET_BYTES}})
    report.versions = versions()
    found = measure_cost(report, sizes, args.budget)
    cost_figures(report, found, sizes)
    if not args.no_live:
        text = costliest_text(found)
        report.figures["attack_text"] = text
        measure_live(report, args, text)
    report.finish(args.out_dir)
    return report


if __name__ == "__main__":
    main()
