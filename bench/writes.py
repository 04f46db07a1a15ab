"""Sustained writes through the API on the local chain: recorded events per second; one JSON
line on stdout.

The live market of ``bench/freshness.py`` (anvil with FreshLedger and the demo market, the
indexer following, the API in uvicorn). Each of the three stalls gets a large lot of its own
first (a harvest handed to it), so stock never runs out. Then ``--clients`` concurrent HTTP
clients (asyncio, keep-alive) post for ``--seconds``: stall clients ``POST /sales`` (one
unit each, the stall's own API key), and with ``--harvest-share`` > 0 some clients are the
farm posting ``POST /harvests`` of new lots. Every request returns only once its transaction
is mined (the API's contract), so a 201 is a recorded event.

With ``--block-time`` the chain mines on an interval instead (as a proof-of-authority chain
does): many transactions share a block, each request waits for its block.

Prints ``events_per_s`` (201 answers per second of the measured window), request latency
(median, p95), errors, and the events counted on the chain afterwards as a check. anvil
mines each transaction on arrival (one per block), the API signs with the participants'
keystores (decrypted once) and keeps nonces per sender in memory, so one API process is used
by default: several processes would each track the same senders' nonces.
Run from the repository root: ``.venv/bin/python bench/writes.py --clients 12 --seconds 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.freshness import LiveMarket, log, percentile
from ledger.chain.freshledger import batch_id_of
from ledger.chain.node import rpc
from ledger.demo import market as demo_market
from ledger.gs1 import make_gtin

BENCH_GTIN = make_gtin("0690123400099")
STOCK = 10**12
STALLS = ("stall_a", "stall_b", "stall_c")
WARMUP_S = 2.0


def stock_stalls(live: LiveMarket) -> dict[str, str]:
    """A large lot for each stall (harvested, handed over, accepted); batch ids by stall."""
    who = demo_market.cast()
    now = int(time.time())
    lots = {}
    for attribute in STALLS:
        lot = f"BENCH-{attribute[-1].upper()}"
        stall = getattr(who, attribute)
        batch = (
            live.ledger.register_harvest(
                who.greens_farm,
                gtin=BENCH_GTIN,
                lot=lot,
                quantity=STOCK,
                unit="KGM",
                harvested_at=now - 3600,
                origin="geo:30.2336,119.7248",
            )
            .event("HarvestRegistered")
            .args["batchId"]
        )
        live.ledger.hand_off(who.greens_farm, batch, stall.address)
        live.ledger.accept_hand_off(stall, batch)
        lots[attribute] = "0x" + batch_id_of(BENCH_GTIN, lot).hex()
    return lots


class Load:
    """Counts and times the requests of every client in the measured window."""

    def __init__(self, window_start: float, window_end: float) -> None:
        self.start, self.end = window_start, window_end
        self.latencies: list[float] = []
        self.ok = 0
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []  # the first answers refused, to say why
        self.kinds: dict[str, int] = {}

    def record(self, kind: str, began: float, response: httpx.Response | None, error: str | None) -> None:
        done = time.perf_counter()
        if not (self.start <= began and done <= self.end):
            return  # warm-up or spill-over: outside the window
        if response is not None and response.status_code == 201:
            self.ok += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.latencies.append(done - began)
        else:
            label = error or f"HTTP {response.status_code if response is not None else '?'}"
            self.errors[label] = self.errors.get(label, 0) + 1
            if response is not None and len(self.error_samples) < 3:
                self.error_samples.append(response.text[:300])


async def client_loop(
    http: httpx.AsyncClient, role: str, key: str, lot_batch: str | None, load: Load, counter: itertools.count
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    while time.perf_counter() < load.end:
        began = time.perf_counter()
        if role == "farm":
            lot = f"BH-{next(counter):07d}"
            harvested = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
            body = {
                "gtin": BENCH_GTIN,
                "lot": lot,
                "quantity": 500,
                "unit": "KGM",
                "harvested_at": harvested,
                "origin": "geo:30.2336,119.7248",
            }
            path, kind = "/harvests", "harvest"
        else:
            body = {"batch_id": lot_batch, "quantity": 1, "price": 600, "currency": "CNY"}
            path, kind = "/sales", "sale"
        try:
            response = await http.post(path, json=body, headers=headers)
            load.record(kind, began, response, None)
        except httpx.HTTPError as exc:
            load.record(kind, began, None, type(exc).__name__)


async def run_load(live: LiveMarket, lots: dict[str, str], clients: int, seconds: float, harvest_share: float) -> Load:
    begin = time.perf_counter() + WARMUP_S
    load = Load(begin, begin + seconds)
    farms = round(clients * harvest_share)
    counter = itertools.count(1)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=live.base_url, limits=limits, timeout=60) as http:
        tasks = []
        for i in range(clients):
            if i < farms:
                tasks.append(client_loop(http, "farm", live.api_keys["greens_farm"], None, load, counter))
            else:
                stall = STALLS[i % len(STALLS)]
                tasks.append(client_loop(http, "stall", live.api_keys[stall], lots[stall], load, counter))
        await asyncio.gather(*tasks)
    return load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--harvest-share", type=float, default=0.25, help="share of clients posting harvests")
    parser.add_argument("--workers", type=int, default=1, help="API processes (see the docstring)")
    parser.add_argument("--database-url", help="the index database (default: SQLite in a temporary folder)")
    parser.add_argument(
        "--block-time",
        type=int,
        default=0,
        help="mine a block every this many seconds, as a proof-of-authority chain does (default: anvil's "
        "automine, one block per transaction)",
    )
    args = parser.parse_args()

    with LiveMarket(workers=args.workers, database_url=args.database_url) as live:
        lots = stock_stalls(live)
        if args.block_time:
            rpc(live.rpc_url, "evm_setAutomine", [False])
            rpc(live.rpc_url, "evm_setIntervalMining", [args.block_time])
        head_before = live.client.block_number()
        log(f"market up at {live.base_url}; {args.clients} clients for {args.seconds:g} s (+{WARMUP_S:g} s warm-up)")
        load = asyncio.run(run_load(live, lots, args.clients, args.seconds, args.harvest_share))
        head_after = live.client.block_number()
    report = {
        "clients": args.clients,
        "seconds": args.seconds,
        "api_workers": args.workers,
        "block_time_s": args.block_time or "automine",
        "events_per_s": round(load.ok / args.seconds, 1),
        "sales": load.kinds.get("sale", 0),
        "harvests": load.kinds.get("harvest", 0),
        "latency_median_ms": round(statistics.median(load.latencies) * 1000, 1) if load.latencies else None,
        "latency_p95_ms": round(percentile(load.latencies, 0.95) * 1000, 1) if load.latencies else None,
        "errors": load.errors,
        "error_samples": load.error_samples,
        "blocks_mined_in_run": head_after - head_before,
        "load_average_1m": round(os.getloadavg()[0], 2),  # a shared machine slows every part
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
