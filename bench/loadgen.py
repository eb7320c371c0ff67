"""The HTTP load generator, run in its own process by bench.command_path.

    python -m bench.loadgen --url URL --key KEY --mode closed --concurrency 8 --seconds 10
    python -m bench.loadgen --url URL --key KEY --mode open --rate 200 --seconds 10

closed: --concurrency clients, each sending its next command as soon as the last
answered, each with its own customers. open: commands start on a fixed schedule
(--rate per second) whether or not earlier ones answered, and latency counts from
the scheduled start, so a slow server cannot hide its queue (no coordinated
omission). Prints one JSON object: counts by status, latencies (s), duration.

The client is aiohttp on uvloop: httpx cost 1.7 ms of CPU a request with 8
connections and about 10 ms with the open loop's hundreds, so the generator,
not the server, capped the open loop (it used 0.8 of a core while the server
idled at 0.5; bench/README.md §1b).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from typing import Any

import aiohttp
import orjson
import uvloop

from bench.workload import COMPANY, CustomerScript, Op, scripts


# The API refuses anything with a Luhn-valid run of 13+ digits (it could be a card
# number); a random hex key has one now and then, so keys here carry no digits.
NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


class Client:
    def __init__(self, http: aiohttp.ClientSession, url: str, key: str) -> None:
        self.http = http
        self.url = url
        self.key = key
        self.latencies: list[float] = []
        self.statuses: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()  # answers >= 300
        self.transport: collections.Counter[str] = collections.Counter()  # no answer

    async def send(self, script: CustomerScript, started: float | None = None) -> bool:
        """True when the command succeeded; after a failure the script's idea of
        the customer may be wrong, so callers retire that customer."""
        op = script.next()
        method, url, options = self._request(op)
        answer = await self.timed(method, url, started, **options)
        if answer is None:
            return False
        status, body = answer
        if status < 300:
            script.done(orjson.loads(body)["id"] if op.kind == "add" else None)
            return True
        self.errors[body[:200].decode(errors="replace")] += 1
        return False

    async def timed(self, method: str, url: str, started: float | None = None,
                    **options: Any) -> tuple[int, bytes] | None:
        """One request, its latency (from ``started``, default now) and status
        counted; None when no answer came (counted by the error's kind)."""
        started = time.perf_counter() if started is None else started
        try:
            async with self.http.request(method, self.url + url, **options) as response:
                status, body = response.status, await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            self.transport[type(e).__name__] += 1
            return None
        self.latencies.append(time.perf_counter() - started)
        self.statuses[str(status)] += 1
        return status, body

    def _request(self, op: Op) -> tuple[str, str, dict[str, Any]]:
        base = f"/v1/companies/{COMPANY}/customers/{op.customer}/payment-methods"
        headers = {"Authorization": f"Bearer {self.key}", "X-Actor": f"customer:{op.customer}",
                   "Idempotency-Key": f"k-{op.key.translate(NO_DIGITS)}"}
        if op.kind == "add":
            return "POST", base, {"data": orjson.dumps({"token": op.token}),
                                  "headers": {**headers, "Content-Type": "application/json"}}
        if op.kind == "set_primary":
            return "POST", f"{base}/{op.card_id}/primary", {"headers": headers}
        return "DELETE", f"{base}/{op.card_id}", {"headers": headers}


async def closed_loop(client: Client, args: argparse.Namespace) -> None:
    end = time.perf_counter() + args.seconds

    async def one(n: int) -> None:
        mine = scripts(n * args.customers, args.customers, prefix=args.prefix)
        i = 0
        while time.perf_counter() < end:
            if not await client.send(mine[i % len(mine)]):
                mine[i % len(mine)] = CustomerScript(f"{args.prefix}{n}-retired{i}")
            i += 1

    await asyncio.gather(*(one(n) for n in range(args.concurrency)))


async def plain_posts(client: Client, args: argparse.Namespace) -> None:
    """--plain-post PATH: closed loop of bodiless POSTs (bench.http_floor)."""
    end = time.perf_counter() + args.seconds

    async def one() -> None:
        while time.perf_counter() < end:
            await client.timed("POST", args.plain_post)

    await asyncio.gather(*(one() for _ in range(args.concurrency)))


async def open_loop(client: Client, args: argparse.Namespace) -> None:
    free: collections.deque[CustomerScript] = collections.deque()
    made = 0
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter() + 0.05
    total = int(args.rate * args.seconds)

    async def one(script: CustomerScript, due: float) -> None:
        if await client.send(script, started=due):
            free.append(script)

    for i in range(total):
        due = start + i / args.rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if not free:
            free.extend(scripts(made, 50, prefix=args.prefix))
            made += 50
        task = asyncio.create_task(one(free.popleft(), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        # An overloaded server may never catch up: stop waiting at a bound and
        # count what is still unanswered, rather than fail the whole run.
        _, pending = await asyncio.wait(set(tasks), timeout=args.seconds + 60)
        for task in pending:
            task.cancel()
        client.transport["unanswered at the end"] += len(pending)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=max(args.concurrency, 256))
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        client = Client(http, args.url, args.key)
        started = time.perf_counter()
        if args.plain_post:
            await plain_posts(client, args)
        else:
            await (closed_loop if args.mode == "closed" else open_loop)(client, args)
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "latencies": client.latencies,
            "statuses": dict(client.statuses), "errors": dict(client.errors),
            "transport_errors": dict(client.transport)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--mode", choices=("closed", "open"), default="closed")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--customers", type=int, default=5, help="customers per closed-loop client")
    p.add_argument("--prefix", default="http-")
    p.add_argument("--plain-post", default=None, metavar="PATH",
                   help="instead of the scripts: bodiless POSTs to PATH (bench.http_floor)")
    args = p.parse_args(argv)
    json.dump(uvloop.run(run(args)), sys.stdout)


if __name__ == "__main__":
    main()
