"""The API's cost of a bulk sale, end to end in one process; one JSON line.

One API app with its write queue (no uvicorn: requests go through ``httpx.ASGITransport`` on
one event loop, the way one uvicorn worker runs them) over a fresh anvil mining a block every
``--block-time`` s and a SQLite database the batch was indexed into (so the answers' QR links
are read as in the live market). ``--clients`` clients post ``POST /sales/bulk`` of ``--size``
sales of one vendor and wait for the answer (mined), for ``--duration`` s. Prints
``cpu_ms_per_bulk_sale`` (CPU of this whole process per sale answered 201, every thread:
validating, checking, storing, packing, signing, sending, settling, waking, answering, and
the in-process client's own share), the CPU of each thread kind per sale
(``thread_cpu_ms_per_sale``: the event loop, the accept thread pool, the submitter, the
watcher, ...), ``client_cpu_ms_per_sale`` (the load generator's share: building and reading
the bodies, measured alone), ``sales_per_tx`` and the rate. ``--profile N`` prints the N
hottest functions to stderr (the sampler of ``bench/accept.py``: wall time, waiting on the
node or SQLite counts); ``--cprofile N`` the N costliest by each thread's own CPU (cProfile
on every thread, warm-up included; its overhead inflates the figures, not the shares).

``.venv/bin/python bench/bulk.py --clients 20 --duration 15 --profile 40``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from api.main import create_app
from api.services import build_services
from api.settings import ApiSettings
from bench.accept import Sampler
from bench.stock import deployed_stall
from ledger.chain.node import LocalNode, free_port, rpc
from ledger.hexes import to_hex
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store import intents as store
from ledger.store.api_keys import issue_key
from ledger.store.writer import IndexStore

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # see bench/accept.py


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads, summed by kind (the name without its
    number or sender: ``submitter-0x…`` counts as ``submitter``)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    spent: collections.Counter = collections.Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "other")
        kind = name.split("-")[0].split("_")[0].rstrip("0123456789") or name
        spent[kind] += (int(fields[11]) + int(fields[12])) / tick
    return dict(spent)


class ThreadProfiles:
    """cProfile on every thread started from now on and on this one, timed by each thread's
    own CPU clock (``time.thread_time``: what a function cost, not what it waited for)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        # _bootstrap_inner calls run(): it catches subclasses that override run (anyio's workers)
        original = self.original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
        profiles = self.profiles

        def run(thread: threading.Thread) -> None:
            profile = cProfile.Profile(time.thread_time)
            profiles.append(profile)
            profile.enable()
            try:
                original(thread)
            finally:
                profile.disable()

        threading.Thread._bootstrap_inner = run  # type: ignore[attr-defined]
        self.main = cProfile.Profile(time.thread_time)
        self.profiles.append(self.main)
        self.main.enable()

    def report(self, top: int) -> None:
        self.main.disable()
        threading.Thread._bootstrap_inner = self.original  # type: ignore[attr-defined]
        stats = None
        for profile in self.profiles:
            profile.create_stats()
            if not profile.stats:  # type: ignore[attr-defined]
                continue
            stats = pstats.Stats(profile) if stats is None else stats.add(profile)
        if stats is not None:
            stats.stream = sys.stderr  # type: ignore[attr-defined]
            stats.sort_stats("tottime").print_stats(top)
            stats.sort_stats("cumulative").print_stats(top)


class Load:
    """The clients: each posts bulk sales and waits, until the end; counts what was answered."""

    def __init__(self, key: str, batch: str, size: int) -> None:
        self.headers = {"Authorization": f"Bearer {key}"}
        self.batch = batch
        self.size = size
        self.prices = iter(range(1, 10**12))
        self.recorded = 0
        self.codes: collections.Counter = collections.Counter()
        self.client_cpu = 0.0  # thread CPU of building the bodies and reading the answers

    def body(self) -> dict:
        return {
            "sales": [
                {"batch_id": self.batch, "quantity": 1, "price": next(self.prices), "currency": "CNY"}
                for _ in range(self.size)
            ]
        }

    async def client(self, http: httpx.AsyncClient, end: float) -> None:
        while time.perf_counter() < end:
            began = time.thread_time()
            body = self.body()
            self.client_cpu += time.thread_time() - began
            answer = await http.post("/sales/bulk", json=body, headers=self.headers)
            began = time.thread_time()
            self.codes[answer.status_code] += 1
            if answer.status_code == 200:
                for item in answer.json()["data"]:
                    self.codes[f"item {item['status']}"] += 1
                    self.recorded += item["status"] == 201
            self.client_cpu += time.thread_time() - began

    async def run(self, app, clients: int, duration: float) -> None:  # type: ignore[no-untyped-def]
        limits = httpx.Limits(max_connections=clients + 5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://market.example", limits=limits, timeout=120
        ) as http:
            end = time.perf_counter() + duration
            await asyncio.gather(*(self.client(http, end) for _ in range(clients)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--size", type=int, default=100, help="sales a bulk request")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--block-time", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, help="print the N hottest functions")
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions (thread CPU)")
    args = parser.parse_args()
    # Threads profiled are those started after this (the anyio workers and the queue's start
    # with the app; threads alive before are not).
    profiles = ThreadProfiles() if args.cprofile else None

    base = Path(tempfile.mkdtemp(prefix="freshledger-bulk-"))
    node = LocalNode(base / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        stall = deployed_stall(info.rpc_url, "BULK-1", base / "data")
        deployment, vendor, batch = stall.deployment, stall.vendor, stall.batch

        settings = ApiSettings(
            data_dir=base / "data",
            database_url=f"sqlite:///{base / 'api.db'}",
            rpc_url=info.rpc_url,
            public_host="market.example",
            role_cache_s=1.0,
        )
        services = build_services(settings)
        source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
        Indexer(JsonRpc(info.rpc_url), IndexStore(services.engine), source).sync()  # the batch, for the QR links
        services.keys.create(vendor.key)
        key = issue_key(services.engine, vendor.address, "bench")
        app = create_app(settings, services)
        rpc(info.rpc_url, "evm_setAutomine", [False])
        rpc(info.rpc_url, "evm_setIntervalMining", [args.block_time])

        async def serve() -> None:
            async with app.router.lifespan_context(app):
                warm = Load(key, to_hex(batch), args.size)
                await warm.run(app, 2, 3.0)  # imports, caches, connections, the keystore's scrypt
                load = Load(key, to_hex(batch), args.size)
                sampler = Sampler() if args.profile else None
                if sampler is not None:
                    sampler.start()
                threads, cpu, wall = thread_cpu(), time.process_time(), time.perf_counter()
                txs = len(store.transactions_of(services.engine, vendor.address))
                await load.run(app, args.clients, args.duration)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                after = thread_cpu()
                txs = len(store.transactions_of(services.engine, vendor.address)) - txs
                if sampler is not None:
                    sampler.stop()
                    sampler.report(args.profile)
                if profiles is not None:
                    profiles.report(args.cprofile)
                sales = max(load.recorded, 1)
                per_thread = {
                    name: round((spent - threads.get(name, 0.0)) * 1000 / sales, 3)
                    for name, spent in sorted(after.items(), key=lambda item: -item[1] + threads.get(item[0], 0.0))
                    if spent - threads.get(name, 0.0) > 0
                }
                print(
                    json.dumps(
                        {
                            "cpu_ms_per_bulk_sale": round(cpu * 1000 / sales, 3),
                            "client_cpu_ms_per_sale": round(load.client_cpu * 1000 / sales, 3),
                            "thread_cpu_ms_per_sale": per_thread,
                            "bulk_sales_per_s": round(load.recorded / wall, 1),
                            "sales_per_tx": round(load.recorded / max(txs, 1), 1),
                            "answers": dict(load.codes),
                            "clients": args.clients,
                            "size": args.size,
                            "duration_s": args.duration,
                            "block_time_s": args.block_time,
                            "load_average_1m": round(os.getloadavg()[0], 2),
                            "cpus": os.cpu_count(),
                        }
                    )
                )

        asyncio.run(serve())
        services.engine.dispose()
    finally:
        node.stop()


if __name__ == "__main__":
    main()
