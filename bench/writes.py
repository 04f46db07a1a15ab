"""Sustained writes through the API and its write queue on the local chain; one JSON line.

The live market of ``bench/freshness.py`` (anvil with FreshLedger and the demo market, the
indexer following, the API in uvicorn with ``--workers`` processes, each running write-queue
submitters). Each of the three stalls gets a large lot first, then the chain mines a block
every ``--block-time`` seconds, as a proof-of-authority chain does, and three phases of
``--duration`` seconds each run:

- ``api_sales_per_s``: ``--clients`` clients post single sales with ``Prefer: respond-async``
  (202 at once); the figure is the sales accepted in the window divided by the window plus
  the time the queue then needs to record them all (sustained, not just accepted);
- ``api_sync_sales_per_s``: ``--sync-clients`` clients post sales that each wait for mining
  (201); by Little's law at most clients / latency;
- ``bulk_sales_per_s``: ``--bulk-clients`` clients post ``POST /sales/bulk`` of ``--bulk-size``
  and wait; sales answered 201 per second.

A warm-up of 3 s of asynchronous posting comes first, not counted (its sales are checked for
``lost`` and ``doubled`` like the rest).

``qr_ready_p50_s`` / ``qr_ready_p99_s``: for a sample of the asynchronous sales (every 10th, at
most 20 followed at once), the time from
the POST to the sale's GS1 Digital Link answering 200 (recorded, mined, indexed). A probe asks
for the sale's intent once with ``Prefer: wait`` (answered when it is mined), then for the
link every 50 ms. ``lost`` and
``doubled`` are counted against the chain: every sale carries a unique price, and each
accepted sale must appear exactly once among the chain's ``SaleRecorded`` events.
``api_cpu_ms_per_*_sale``: CPU the API processes (accepting, submitting, answering) used per
sale in each phase, a figure the shared machine's load does not distort as much as the rates;
``chain_``, ``indexer_`` and ``client_cpu_ms_per_*_sale`` the same for anvil, the indexer and
this process (the load generator): together, what a sale costs the machine's cores.
``async_latency_p50_s`` / ``sync_latency_p50_s`` / ``sync_latency_p90_s`` /
``bulk_latency_p50_s`` / ``bulk_latency_p90_s``: a POST's time as the clients see it (the
bulk phase is bound by Little's law too: clients x size / latency).
``bulk_block_fullness_p50`` / ``_max``: the blocks of the bulk phase, gas used over the block's
limit; ``bulk_block_base_fee_gwei_last``: the base fee at its end (EIP-1559 raises it after
every block over half full).

The clients are aiohttp on one event loop, one kept-alive connection each (see
:class:`Http`): with httpx the load generator itself was the bound of both single-sale phases.

Default run (the issue's): ``bench/writes.py`` (60 s phases, 50 / 500 / 80 bulk clients, 1 s
blocks, 2 workers). Shorter: ``bench/writes.py --duration 15``. Some phases only:
``bench/writes.py --phases bulk`` (the warm-up still runs; figures of phases not run are not
printed, and ``qr_ready_*`` needs the async phase).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import orjson

from bench.freshness import LiveMarket, log, percentile
from ledger.chain.events import event_codec
from ledger.chain.freshledger import batch_id_of
from ledger.chain.node import rpc
from ledger.demo import market as demo_market
from ledger.gs1 import make_gtin
from ledger.hexes import to_hex

BENCH_GTIN = make_gtin("0690123400099")
STOCK = 10**12
STALLS = ("stall_a", "stall_b", "stall_c")
QR_SAMPLE_EVERY = 10  # every n-th asynchronous sale (of all clients) is followed to its QR,
QR_PROBES_AT_ONCE = 20  # unless this many are being followed: each asks for its intent once
# (waiting) and then for the Digital Link every 50 ms until it is indexed; unbounded, at a
# thousand sales a second the probes would be a large part of the API's requests
WARM_UP_S = 3.0  # async posting before the first phase, not counted: each API worker unlocks
# the stalls' keystores (scrypt) and fills its caches on its first writes
QR_TIMEOUT_S = 60.0
PHASES = ("async", "sync", "bulk")
DRAIN_TIMEOUT_S = 600.0


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


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> dict:
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class Http:
    """The bench's HTTP client: aiohttp, one kept-alive connection per client. httpx was the
    bound before (session 6): its connection pool costs about 2.7 ms of CPU a request with 50
    clients and 20 ms with 500 (each request walks every connection and waiting request), so
    one bench process could not post more than about 250 a second, nor keep 500 waiting
    requests in flight (89 a second against a server answering in 1 s, median 9.5 s).
    aiohttp: about 0.1-0.2 ms a request either way."""

    def __init__(self, base_url: str, connections: int) -> None:
        self.base_url = base_url
        # An idle connection is closed here before uvicorn's keep-alive (5 s) closes it there:
        # else a phase's first request on a connection idle since the last phase could meet the
        # server's close (a ServerDisconnectedError or reset, counted as an error).
        connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections, keepalive_timeout=3)
        timeout = aiohttp.ClientTimeout(total=300)
        self.session = aiohttp.ClientSession(base_url, connector=connector, timeout=timeout)

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def post(self, path: str, *, json: dict, headers: dict[str, str]) -> Answer:
        headers = {**headers, "Content-Type": "application/json"}
        async with self.session.post(path, data=orjson.dumps(json), headers=headers) as answer:
            return Answer(answer.status, dict(answer.headers), await answer.read())

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Answer:
        if path.startswith(self.base_url):
            path = path.removeprefix(self.base_url)
        async with self.session.get(path, headers=headers or {}) as answer:
            return Answer(answer.status, dict(answer.headers), await answer.read())


@dataclass
class Tally:
    accepted_prices: set[int] = field(default_factory=set)
    async_accepted: int = 0
    sync_recorded: int = 0
    bulk_recorded: int = 0
    sync_latencies: list[float] = field(default_factory=list)
    bulk_latencies: list[float] = field(default_factory=list)
    async_latencies: list[float] = field(default_factory=list)
    qr_ready: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    def error(self, label: str, text: str = "") -> None:
        self.errors[label] += 1
        if text and len(self.error_samples) < 5:
            self.error_samples.append(text[:300])


@dataclass
class Bench:
    live: LiveMarket
    lots: dict[str, str]
    tally: Tally
    prices: itertools.count = field(default_factory=lambda: itertools.count(1))
    probes: list[asyncio.Task] = field(default_factory=list)

    def stall(self, n: int) -> tuple[dict[str, str], str, str]:
        attribute = STALLS[n % len(STALLS)]
        key = self.live.api_keys[attribute]
        return {"Authorization": f"Bearer {key}"}, self.lots[attribute], key

    def sale(self, batch: str) -> dict:
        return {"batch_id": batch, "quantity": 1, "price": next(self.prices), "currency": "CNY"}

    async def async_client(self, http: Http, n: int, end: float, start_after: float = 0.0) -> None:
        headers, batch, key = self.stall(n)
        headers = {**headers, "Prefer": "respond-async"}
        await asyncio.sleep(start_after)
        while time.perf_counter() < end:
            body = self.sale(batch)
            began = time.perf_counter()
            try:
                answer = await http.post("/sales", json=body, headers=headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.tally.error(type(exc).__name__, repr(exc))
                continue
            if answer.status_code in (201, 202):
                self.tally.async_latencies.append(time.perf_counter() - began)
                self.tally.async_accepted += 1
                self.tally.accepted_prices.add(body["price"])
                location = answer.headers.get("Location") or f"/intents/{answer.json()['intent_id']}"
                following = sum(1 for probe in self.probes if not probe.done())
                if self.tally.async_accepted % QR_SAMPLE_EVERY == 1 and following < QR_PROBES_AT_ONCE:
                    self.probes.append(asyncio.create_task(self.qr_probe(http, location, key, began)))
            else:
                self.tally.error(f"HTTP {answer.status_code}", answer.text)

    async def qr_probe(self, http: Http, location: str, key: str, began: float) -> None:
        # The intent is asked once with a wait, as a till waiting for its receipt would: it
        # answers when the sale is mined. Then the Digital Link is asked until it is indexed.
        headers = {"Authorization": f"Bearer {key}", "Prefer": f"wait={int(QR_TIMEOUT_S)}"}
        deadline = began + QR_TIMEOUT_S
        link = None
        while time.perf_counter() < deadline:
            if link is None:
                intent = (await http.get(location, headers=headers)).json()
                if intent["status"] == "refused":
                    return
                if intent["status"] == "recorded":
                    serial = intent["result"]["serial"]
                    lot = "BENCH-" + {v: k for k, v in self.lots.items()}[intent["result"]["batch_ids"][0]][-1].upper()
                    link = self.live.link(BENCH_GTIN, lot, serial)
            if link is not None and (await http.get(link, headers={"Accept": "application/json"})).status_code == 200:
                self.tally.qr_ready.append(time.perf_counter() - began)
                return
            await asyncio.sleep(0.05)
        self.tally.error("qr not ready in time")

    async def sync_client(self, http: Http, n: int, end: float) -> None:
        headers, batch, _ = self.stall(n)
        while time.perf_counter() < end:
            body = self.sale(batch)
            began = time.perf_counter()
            try:
                answer = await http.post("/sales", json=body, headers=headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.tally.error(type(exc).__name__, repr(exc))
                continue
            if answer.status_code in (201, 202):
                self.tally.accepted_prices.add(body["price"])
            if answer.status_code == 201:
                if time.perf_counter() <= end:
                    self.tally.sync_recorded += 1
                    self.tally.sync_latencies.append(time.perf_counter() - began)
            else:
                self.tally.error(f"HTTP {answer.status_code}", answer.text)

    async def bulk_client(self, http: Http, n: int, end: float, size: int) -> None:
        headers, batch, _ = self.stall(n)
        while time.perf_counter() < end:
            sales = [self.sale(batch) for _ in range(size)]
            began = time.perf_counter()
            try:
                answer = await http.post("/sales/bulk", json={"sales": sales}, headers=headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.tally.error(type(exc).__name__, repr(exc))
                continue
            if answer.status_code != 200:
                self.tally.error(f"HTTP {answer.status_code}", answer.text)
                continue
            if time.perf_counter() <= end:
                self.tally.bulk_latencies.append(time.perf_counter() - began)
            for sale, item in zip(sales, answer.json()["data"], strict=True):
                if item["status"] in (201, 202):
                    self.tally.accepted_prices.add(sale["price"])
                if item["status"] == 201 and time.perf_counter() <= end:
                    self.tally.bulk_recorded += 1
                elif item["status"] != 201:
                    self.tally.error(f"bulk item {item['status']}", json.dumps(item))

    async def drain(self, http: Http) -> float:
        """Wait until the write queue holds nothing unfinished (every asynchronously accepted
        sale recorded or refused, as ``GET /health`` counts it); the seconds it took. Asking
        for each intent instead measured the bench's own polling: at load 19, one round of
        450 requests took 9 s."""
        began = time.perf_counter()
        while time.perf_counter() - began < DRAIN_TIMEOUT_S:
            queue = (await http.get("/health")).json()["queue"]
            if queue["queued"] + queue["sent"] == 0:
                break
            await asyncio.sleep(0.1)
        return time.perf_counter() - began


def cpu_parts(live: LiveMarket) -> dict[str, float]:
    """CPU seconds used so far by each part on the machine's cores: the API's processes, the
    node (anvil), the indexer and this process (the load generator)."""
    return {
        "api": api_cpu_s(live),
        "chain": pids_cpu_s([live.node_pid] if live.node_pid else []),
        "indexer": pids_cpu_s([live.processes[0].pid]),
        "client": own_cpu_s(),
    }


def cost(before: dict[str, float], after: dict[str, float], sales: int) -> dict[str, float | None]:
    """CPU milliseconds per sale of each part between `before` and `after`."""
    return {part: round((after[part] - before[part]) * 1000 / sales, 3) if sales else None for part in before}


def own_cpu_s() -> float:
    """CPU seconds this process (the load generator) has used: on the same cores as the API,
    its share bounds what the API can be shown to do."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(bench: Bench, args: argparse.Namespace) -> dict:
    connections = max(args.clients, args.sync_clients, args.bulk_clients) + 20
    async with Http(bench.live.base_url, connections) as http:
        figures: dict[str, Any] = {}
        log(f"warm-up: {args.clients} clients for {WARM_UP_S:g} s")
        warm_end = time.perf_counter() + WARM_UP_S
        # The clients connect one after another over the first half of the warm-up, as a
        # market's tills do, not all in one instant: the API's workers share one listening
        # socket, and 50 connections arriving together were taken mostly by whichever worker
        # woke first (72 / 28 % of the requests in one run), which then bounded the phase.
        # Spread, the less busy worker takes each next one. The phase reuses these connections.
        stagger = WARM_UP_S / 2 / max(args.clients, 1)
        await asyncio.gather(*(bench.async_client(http, n, warm_end, n * stagger) for n in range(args.clients)))
        await bench.drain(http)
        bench.tally.async_accepted = 0
        bench.tally.async_latencies = []
        await asyncio.gather(*bench.probes)
        bench.probes, bench.tally.qr_ready = [], []
        if "async" in args.phases:
            log(f"async: {args.clients} clients for {args.duration:g} s")
            end = time.perf_counter() + args.duration
            cpu = cpu_parts(bench.live)
            await asyncio.gather(*(bench.async_client(http, n, end) for n in range(args.clients)))
            drain_s = await bench.drain(http)
            figures["cpu_ms_per_async_sale"] = cost(cpu, cpu_parts(bench.live), bench.tally.async_accepted)
            figures["api_accepted_per_s"] = round(bench.tally.async_accepted / args.duration, 1)
            figures["api_sales_per_s"] = round(bench.tally.async_accepted / (args.duration + drain_s), 1)
            figures["drain_s"] = round(drain_s, 1)
            latencies = bench.tally.async_latencies
            figures["async_latency_p50_s"] = round(statistics.median(latencies), 3) if latencies else None
            await asyncio.gather(*bench.probes)

        if "sync" in args.phases:
            log(f"sync: {args.sync_clients} clients for {args.duration:g} s")
            end = time.perf_counter() + args.duration
            cpu = cpu_parts(bench.live)
            await asyncio.gather(*(bench.sync_client(http, n, end) for n in range(args.sync_clients)))
            figures["cpu_ms_per_sync_sale"] = cost(cpu, cpu_parts(bench.live), bench.tally.sync_recorded)
            figures["api_sync_sales_per_s"] = round(bench.tally.sync_recorded / args.duration, 1)
            latencies = bench.tally.sync_latencies
            figures["sync_latency_p50_s"] = round(statistics.median(latencies), 2) if latencies else None
            figures["sync_latency_p90_s"] = round(percentile(latencies, 0.9), 2) if latencies else None

        if "bulk" in args.phases:
            log(f"bulk: {args.bulk_clients} clients posting {args.bulk_size} sales for {args.duration:g} s")
            end = time.perf_counter() + args.duration
            cpu, first_block = cpu_parts(bench.live), bench.live.client.block_number() + 1
            await asyncio.gather(*(bench.bulk_client(http, n, end, args.bulk_size) for n in range(args.bulk_clients)))
            figures["cpu_ms_per_bulk_sale"] = cost(cpu, cpu_parts(bench.live), bench.tally.bulk_recorded)
            figures["bulk_sales_per_s"] = round(bench.tally.bulk_recorded / args.duration, 1)
            latencies = bench.tally.bulk_latencies
            figures["bulk_latency_p50_s"] = round(statistics.median(latencies), 2) if latencies else None
            figures["bulk_latency_p90_s"] = round(percentile(latencies, 0.9), 2) if latencies else None
            figures["bulk_blocks"] = block_use(bench.live, first_block, bench.live.client.block_number())
    return figures


def block_use(live: LiveMarket, first: int, last: int) -> dict[str, float | None]:
    """How full the blocks `first..last` were (gas used over the limit: median and largest)
    and the base fee of the last, in gwei: whether the chain, not the API, held sales back."""
    numbers = list(range(first, last + 1))
    if not numbers:
        return {"fullness_p50": None, "fullness_max": None, "base_fee_gwei_last": None}
    blocks = [rpc(live.rpc_url, "eth_getBlockByNumber", [hex(n), False]) for n in numbers]
    fullness = [int(b["gasUsed"], 16) / int(b["gasLimit"], 16) for b in blocks]
    return {
        "fullness_p50": round(statistics.median(fullness), 2),
        "fullness_max": round(max(fullness), 2),
        "base_fee_gwei_last": round(int(blocks[-1].get("baseFeePerGas", "0x0"), 16) / 1e9, 3),
    }


def api_cpu_s(live: LiveMarket) -> float:
    """CPU seconds (user + system) the API's processes have used so far: uvicorn's main
    process and its workers (the figure a shared machine does not distort: per sale, it is
    what one write costs the API wherever the time went)."""
    api = live.processes[-1].pid
    pids = [api]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{api}/task/{api}/children").read_text().split()]
    return pids_cpu_s(pids)


def pids_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes `pids` have used so far."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def count_on_chain(live: LiveMarket, accepted: set[int]) -> tuple[int, int]:
    """(lost, doubled): accepted sales missing from the chain, and extra copies on it."""
    topic = to_hex(live.ledger.abi.event_topic("SaleRecorded"))
    query = {"fromBlock": "0x0", "toBlock": "latest", "address": live.ledger.address, "topics": [topic]}
    logs = rpc(live.rpc_url, "eth_getLogs", [query], timeout=120)
    events = event_codec(live.ledger.abi, "abi").decode_logs(logs)
    prices = Counter(e.args["price"] for e in events if to_hex(e.args["batchId"]) in set(live.bench_lots))
    lost = len(accepted - set(prices))
    doubled = sum(n - 1 for n in prices.values() if n > 1)
    return lost, doubled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each phase")
    parser.add_argument("--clients", type=int, default=50, help="asynchronous clients")
    parser.add_argument("--sync-clients", type=int, default=500, help="clients waiting for mining")
    # Little's law: a bulk answer waits about 1.5 s with 1 s blocks (half a block on average,
    # the group window, settling), so 5,000 sales a second need about 7,500 in flight: 80
    # clients of 100 (the old 6 capped the figure near 400-600 whatever the API did).
    parser.add_argument("--bulk-clients", type=int, default=80, help="clients posting bulk sales")
    parser.add_argument("--bulk-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="API processes")
    parser.add_argument("--block-time", type=int, default=1, help="seconds between blocks (0: automine)")
    parser.add_argument("--role-cache", type=float, default=1.0, help="FRESHLEDGER_ROLE_CACHE_S of the API")
    parser.add_argument("--database-url", help="the index database (default: SQLite in a temporary folder)")
    parser.add_argument(
        "--phases", type=lambda text: set(text.split(",")), default=set(PHASES), help="e.g. bulk or async,sync"
    )
    args = parser.parse_args()
    if not args.phases <= set(PHASES):
        parser.error(f"--phases: comma-separated among {', '.join(PHASES)}")

    api_env = {"FRESHLEDGER_ROLE_CACHE_S": str(args.role_cache)}
    with LiveMarket(workers=args.workers, database_url=args.database_url, api_env=api_env) as live:
        lots = stock_stalls(live)
        live.bench_lots = list(lots.values())  # type: ignore[attr-defined]
        if args.block_time:
            rpc(live.rpc_url, "evm_setAutomine", [False])
            rpc(live.rpc_url, "evm_setIntervalMining", [args.block_time])
        head_before = live.client.block_number()
        bench = Bench(live, lots, Tally())
        figures = asyncio.run(run(bench, args))
        time.sleep(max(args.block_time, 1) * 2)  # the last blocks
        lost, doubled = count_on_chain(live, bench.tally.accepted_prices)
        blocks = live.client.block_number() - head_before
    ready = bench.tally.qr_ready
    report = {
        **{k: v for k, v in figures.items() if k.endswith("_per_s")},
        "qr_ready_p50_s": round(statistics.median(ready), 2) if ready else None,
        "qr_ready_p99_s": round(percentile(ready, 0.99), 2) if ready else None,
        "lost": lost,
        "doubled": doubled,
        "duration_s": args.duration,
        "clients": args.clients,
        "sync_clients": args.sync_clients,
        "bulk": f"{args.bulk_clients} x {args.bulk_size}",
        "api_workers": args.workers,
        "block_time_s": args.block_time or "automine",
        "role_cache_s": args.role_cache,
        "phases": ",".join(p for p in PHASES if p in args.phases),
        "drain_s": figures.get("drain_s"),
        **{
            f"{part}_cpu_ms_per_{phase}_sale": figures[f"cpu_ms_per_{phase}_sale"][part]
            for part in ("api", "chain", "indexer", "client")
            for phase in PHASES
            if phase in args.phases
        },
        "async_latency_p50_s": figures.get("async_latency_p50_s"),
        "sync_latency_p50_s": figures.get("sync_latency_p50_s"),
        "sync_latency_p90_s": figures.get("sync_latency_p90_s"),
        "bulk_latency_p50_s": figures.get("bulk_latency_p50_s"),
        "bulk_latency_p90_s": figures.get("bulk_latency_p90_s"),
        **{f"bulk_block_{k}": v for k, v in figures.get("bulk_blocks", {}).items()},
        "qr_samples": len(ready),
        "blocks": blocks,
        "errors": dict(bench.tally.errors),
        "error_samples": bench.tally.error_samples,
        "load_average_1m": round(os.getloadavg()[0], 2),  # a shared machine slows every part
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
