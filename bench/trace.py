"""Recall trace-forward time: one farm lot to 10,000 sales, on SQLite and PostgreSQL; one
JSON line on stdout.

The database is filled through the indexer's own projection and write path (no chain needed
for reads) with:

- the traced lot: a farm harvest the wholesaler splits into ``--crates`` crates, each split
  again into ``--packs`` retail packs, each handed to one of 40 stalls and sold
  ``--sales-per-pack`` times (defaults: 100 x 10 packs x 10 sales = 1,000 batches and
  10,000 sales, lineage depth 2);
- around it, ``--noise-lots`` other farm lots with a few repacks and sales each, so that
  the walk and the lookups run on tables of realistic size, not on the traced lot alone.

Then ``ledger.queries.trace_forward`` (what ``GET /batches/{id}/trace`` and a recall run)
from the harvest: one warm-up, then the median and the slowest of ``--repeats`` runs.
Target: <= 100 ms. Run from the repository root: ``.venv/bin/python bench/trace.py``.

``--load N`` runs N busy processes (a CPU loop each) beside the benchmark, from before the
fill to the end, and prints the load average seen while measuring: the trace under a load of
4 is the figure a busy market server gives.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, text

from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.gs1 import make_gtin
from ledger.indexer.sync import write_events
from ledger.queries import trace_forward
from ledger.store.db import make_engine, migrate
from ledger.store.writer import CheckpointRecord, IndexStore
from ledger.vocabulary import ROLE_BIT_OF_ID

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GTIN = make_gtin("0690123400002")
#: Events written per database transaction while filling.
CHUNK = 20_000
STALLS = 40
FARMS = 20
TARGET_MS = 100.0
BASE_TIME = 1_764_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def hex_id(raw: bytes) -> str:
    return "0x" + raw.hex()


class Market:
    """Emits the contract's events, one block each, and writes them in chunks."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.block = 0
        self.pending: list[ChainEvent] = []
        self.written = 0
        self.sales = 0
        self.farms = [f"0x{i:040x}" for i in range(1, FARMS + 1)]
        self.wholesaler = f"0x{500:040x}"
        self.stalls = [f"0x{i:040x}" for i in range(1000, 1000 + STALLS)]

    def emit(self, name: str, /, **args: object) -> None:
        self.block += 1
        block_hash = f"0x{self.block:064x}"
        self.pending.append(ChainEvent(self.block, block_hash, BASE_TIME + self.block, block_hash, 0, 0, name, args))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        last = self.pending[-1]
        write_events(
            self.store,
            self.pending,
            final_block=last.block_number,
            recent_blocks=[],
            checkpoint=CheckpointRecord(last.block_number, last.block_hash),
            prune_below=last.block_number,
        )
        self.written += len(self.pending)
        self.pending = []

    def participants(self) -> None:
        supplier, vendor = (next(r for r, b in ROLE_BIT_OF_ID.items() if b == bit) for bit in (1, 8))
        members = [*self.farms, self.wholesaler, *self.stalls]
        for i, address in enumerate(members, start=1):
            self.emit("ParticipantRegistered", account=address, role="", index=i, name=f"P{i}", identifier=str(i))
            role = vendor if address in self.stalls else supplier
            self.emit("RoleGranted", role=role, account=address, sender=self.farms[0])

    def harvest(self, lot: str, farm: str, quantity: int) -> str:
        batch = hex_id(batch_id_of(GTIN, lot))
        self.emit(
            "HarvestRegistered",
            batchId=batch,
            supplier=farm,
            gtin=GTIN,
            lot=lot,
            quantity=quantity,
            unit="KGM",
            harvestedAt=BASE_TIME,
            origin="geo:29.6,119.3",
            documentCid=None,
        )
        return batch

    def hand_off(self, batch: str, sender: str, to: str, quantity: int) -> None:
        self.emit("HandOffInitiated", batchId=batch, **{"from": sender}, to=to, quantity=quantity)
        self.emit("HandOffAccepted", batchId=batch, to=to, quantity=quantity)

    def split(self, parent: str, custodian: str, parts: list[tuple[str, int]]) -> list[str]:
        children = []
        for lot, quantity in parts:
            child = hex_id(batch_id_of(GTIN, lot))
            self.emit("BatchSplit", parentId=parent, childId=child, custodian=custodian, lot=lot, quantity=quantity)
            children.append(child)
        return children

    def sell(self, batch: str, stall: str, count: int) -> None:
        raw = bytes.fromhex(batch[2:])
        for serial in range(1, count + 1):
            self.emit(
                "SaleRecorded",
                batchId=batch,
                vendor=stall,
                saleId=hex_id(sale_id_of(raw, serial)),
                serial=serial,
                quantity=1,
                price=3800,
                currency="CNY",
            )
            self.sales += 1


def fill(engine: Engine, crates: int, packs: int, sales_per_pack: int, noise_lots: int) -> str:
    """Fill `engine`; return the traced lot's batch id."""
    market = Market(IndexStore(engine))
    market.participants()
    rng = random.Random(7)
    half = noise_lots // 2
    for n in range(half):  # lots recorded before the traced one
        _noise_lot(market, f"N{n:06d}", rng)
    before = market.sales
    pack_size = sales_per_pack
    quantity = crates * packs * pack_size
    root = market.harvest("SB-TRACE-01", market.farms[0], quantity)
    market.hand_off(root, market.farms[0], market.wholesaler, quantity)
    crate_ids = market.split(
        root, market.wholesaler, [(f"SB-TRACE-01-{c:03d}", packs * pack_size) for c in range(crates)]
    )
    for c, crate in enumerate(crate_ids):
        pack_ids = market.split(
            crate, market.wholesaler, [(f"SB-TRACE-01-{c:03d}-{p:02d}", pack_size) for p in range(packs)]
        )
        for pack in pack_ids:
            stall = rng.choice(market.stalls)
            market.hand_off(pack, market.wholesaler, stall, pack_size)
            market.sell(pack, stall, sales_per_pack)
    traced_sales = market.sales - before
    for n in range(half, noise_lots):  # and after it
        _noise_lot(market, f"N{n:06d}", rng)
    market.flush()
    log(f"filled: {market.written:,} events, {market.sales:,} sales ({traced_sales:,} from the traced lot)")
    return root


def _noise_lot(market: Market, lot: str, rng: random.Random) -> None:
    farm = rng.choice(market.farms)
    root = market.harvest(lot, farm, 100)
    parts = market.split(root, farm, [(f"{lot}-A", 40), (f"{lot}-B", 40)])
    for part in parts:
        stall = rng.choice(market.stalls)
        market.hand_off(part, farm, stall, 40)
        market.sell(part, stall, 2)


def _busy() -> None:
    while True:
        pass


@contextlib.contextmanager
def busy_processes(count: int):
    """`count` processes spinning on a CPU each until the block ends."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_busy, daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join()


def measure(engine: Engine, batch_id: str, repeats: int, expected_sales: int) -> dict[str, float]:
    result = trace_forward(engine, batch_id)  # warm-up: plans, caches
    if len(result.sales) != expected_sales:
        raise SystemExit(f"trace found {len(result.sales)} sales, expected {expected_sales}")
    # As an API worker does once started (api.main): full garbage collections skip what was
    # made before, here the imports and the fill (else one costs ~100 ms every other trace).
    gc.freeze()
    times, cpu = [], []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        trace_forward(engine, batch_id)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        # This process's CPU time: with SQLite it includes the database engine (in process);
        # with PostgreSQL only the client's side. Less sensitive than wall time to a busy machine.
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),  # while measuring
        "descendants": len(result.descendants),
        "sales": len(result.sales),
    }


def postgres_database() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def drop_postgres(schema: str) -> None:
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'trace.db'}"
    else:
        url, schema = postgres_database()
    engine = make_engine(url)
    try:
        migrate(engine)
        began = time.perf_counter()
        root = fill(engine, args.crates, args.packs, args.sales_per_pack, args.noise_lots)
        fill_s = time.perf_counter() - began
        if kind == "postgresql":
            with engine.begin() as conn:
                # As autovacuum would soon after a bulk load; only this schema's tables, so as
                # not to wait on other schemas' locks.
                conn.execute(text("ANALYZE batches, lineage, sales, participants, checkpoint"))
        figures = measure(engine, root, args.repeats, args.crates * args.packs * args.sales_per_pack)
        log(f"{kind}: {figures}")
        return {**figures, "fill_s": round(fill_s, 1)}
    finally:
        engine.dispose()
        if schema:
            drop_postgres(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crates", type=int, default=100)
    parser.add_argument("--packs", type=int, default=10)
    parser.add_argument("--sales-per-pack", type=int, default=10)
    parser.add_argument("--noise-lots", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--load", type=int, default=0, metavar="N", help="N busy processes beside the benchmark")
    args = parser.parse_args()

    report: dict[str, object] = {
        "traced_sales": args.crates * args.packs * args.sales_per_pack,
        "traced_batches": 1 + args.crates + args.crates * args.packs,
        "noise_lots": args.noise_lots,
        "repeats": args.repeats,
        "busy_processes": args.load,
    }
    targets = {}
    with tempfile.TemporaryDirectory(prefix="freshledger-trace-bench-") as tmp, busy_processes(args.load):
        for kind in args.databases.split(","):
            figures = run(kind, args, Path(tmp))
            prefix = "sqlite" if kind == "sqlite" else "postgres"
            report.update({f"{prefix}_trace_{k}": v for k, v in figures.items() if k.endswith("_ms")})
            report[f"{prefix}_load_average_1m"] = figures["load_average_1m"]
            report[f"{prefix}_events_filled_s"] = figures["fill_s"]
            targets[f"{prefix}_trace_median_ms<={TARGET_MS:g}"] = figures["median_ms"] <= TARGET_MS
    report["load_average_1m"] = round(os.getloadavg()[0], 2)  # a shared machine inflates wall times
    report["cpus"] = os.cpu_count()
    report["targets"] = targets
    print(json.dumps(report))


if __name__ == "__main__":
    main()
