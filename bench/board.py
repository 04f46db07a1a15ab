"""The market board's queries at about a million events, on SQLite and PostgreSQL; one JSON
line on stdout, the query plans on stderr.

1. Fills a fresh SQLite database and a fresh PostgreSQL schema with ``--events`` synthetic
   events through the indexer's own projection and write path (``bench/api.py``'s generator:
   lots harvested, split up to 10 deep, handed to one of 40 stalls and sold; block times one
   second apart, so a market day holds about 86,400 blocks' worth of events).
2. For the busiest market day, times each board query (median of ``--runs``) and the whole
   wall page (queries and rendering), and reads each day-window query's plan (``EXPLAIN QUERY
   PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL) to check it uses its index.

Run from the repository root: ``.venv/bin/python bench/board.py --events 1000000``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, text

from api.pages.board import BoardData, render_board
from bench.api import CHUNK, GTIN, Synthesis, _write, log
from ledger.chain.freshledger import batch_id_of
from ledger.queries.board import alerts_between, inspections_between
from ledger.queries.days import day_window, market_day
from ledger.queries.oversight import stall_oversight
from ledger.queries.prices import prices, supply
from ledger.queries.stalls import stall_directory, stall_profile
from ledger.queries.status import indexed_block
from ledger.store.db import make_engine, migrate
from ledger.store.writer import IndexStore

POSTGRES_URL = os.environ.get("FRESHLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
UTC8 = ZoneInfo("Asia/Shanghai")

#: The day-window queries as the board runs them (``:start``/``:end`` a market day), and the
#: index each must use.
PLANS = {
    "prices": (
        "SELECT s.block_time, s.vendor, s.quantity, s.price, s.currency, b.gtin, b.unit, b.lot FROM sales s "
        "JOIN batches b ON b.batch_id = s.batch_id WHERE s.block_time >= :start AND s.block_time < :end",
        "ix_sales_block_time",
    ),
    "stall_prices": (
        "SELECT s.block_time, s.quantity, s.price FROM sales s JOIN batches b ON b.batch_id = s.batch_id "
        "WHERE s.block_time >= :start AND s.block_time < :end AND s.vendor = :vendor",
        "ix_sales_vendor_time",
    ),
    "arrivals": (
        "SELECT c.block_time, c.quantity, b.gtin FROM custody_events c JOIN batches b ON b.batch_id = c.batch_id "
        "WHERE c.kind = 'received' AND c.block_time >= :start AND c.block_time < :end",
        "ix_custody_events_kind_time",
    ),
    "imports": (
        "SELECT i.block_time, b.quantity FROM imports i JOIN batches b ON b.batch_id = i.batch_id "
        "WHERE i.block_time >= :start AND i.block_time < :end",
        "ix_imports_block_time",
    ),
    "inspections": (
        "SELECT * FROM inspections WHERE block_time >= :start AND block_time < :end "
        "ORDER BY block_time DESC, log_index DESC LIMIT 200",
        "ix_inspections_block_time",
    ),
    "recalls": ("SELECT * FROM recalls WHERE block_time >= :start AND block_time < :end", "ix_recalls_block_time"),
}


class MarketSynthesis(Synthesis):
    """``bench/api.py``'s lots, each also tested by the lab before it goes to the stall (one in
    fifty failing), every twentieth also with a customs import, every hundredth recalled."""

    LAB = "0x" + "0" * 36 + "beef"

    def lot_chain(self, n: int, farm: str, stall: str, depth: int) -> None:
        self.pending_test = n
        super().lot_chain(n, farm, stall, depth)
        last = self.events[-1].args["batchId"]
        if n % 20 == 0:
            lot = f"I{n:07d}"
            self.emit(
                "ImportRegistered",
                batchId="0x" + batch_id_of(GTIN, lot).hex(),
                importer=farm,
                customs=farm,
                gtin=GTIN,
                lot=lot,
                quantity=500,
                unit="KGM",
                originCountry="TH",
                hsCode="08106000",
                declarationNumber=f"D{n}",
                clearedAt=1_764_000_000,
                entryPort="CNNGB",
                documentCid=None,
            )
        if n % 100 == 0:
            self.emit("RecallIssued", batchId=last, regulator=farm, reason="bench recall")

    def emit(self, event: str, /, **args: object) -> None:
        if event == "HandOffInitiated":  # test the lot just before it goes to the stall
            failed = self.pending_test % 50 == 0
            self.emit(
                "InspectionRecorded",
                batchId=args["batchId"],
                lab=self.LAB,
                passed=not failed,
                residues=[{"substance": "chlorpyrifos", "measured": 80 if failed else 4, "limit": 50, "unit": "ug/kg"}],
                reportCid=None,
            )
        super().emit(event, **args)


def fill(database_url: str, events: int) -> None:
    """As ``bench/api.py``'s ``fill``, with the lab, customs and recalls of :class:`MarketSynthesis`."""
    engine = make_engine(database_url)
    migrate(engine)
    store = IndexStore(engine)
    synth = MarketSynthesis()
    farms = [f"0x{i:040x}" for i in range(1, 21)]
    stalls = [f"0x{i:040x}" for i in range(100, 140)]
    synth.participants(farms, stalls)
    rng = random.Random(7)
    n = written = 0
    while written + len(synth.events) < events:
        synth.lot_chain(n, rng.choice(farms), rng.choice(stalls), rng.randint(1, 10))
        n += 1
        if len(synth.events) >= CHUNK:
            written += _write(store, synth.events)
            synth.events = []
    written += _write(store, synth.events)
    engine.dispose()
    log(f"database filled: {written:,} events")


def postgres_url() -> str:
    """A fresh schema on the test server, as a URL whose connections use it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[-1]
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def busiest_day(engine: Engine) -> tuple[int, int, str]:
    """The market day holding the most sales, its window, and one stall selling that day."""
    with engine.connect() as conn:
        times = [int(t) for t in conn.execute(text("SELECT block_time FROM sales")).scalars()]
        days: dict[Any, int] = {}
        for moment in times:
            day = market_day(moment, UTC8)
            days[day] = days.get(day, 0) + 1
        day = max(days, key=lambda d: days[d])
        start, end = day_window(day, UTC8)
        vendor = conn.execute(
            text("SELECT vendor FROM sales WHERE block_time >= :s AND block_time < :e LIMIT 1"), {"s": start, "e": end}
        ).scalar_one()
    return start, end, vendor


def timed(run: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(samples), 1)


def plans(engine: Engine, start: int, end: int, vendor: str) -> dict[str, bool]:
    """Whether each day-window query's plan names its index; the plans go to stderr."""
    sqlite = engine.dialect.name == "sqlite"
    used = {}
    with engine.connect() as conn:
        if not sqlite:
            conn.execute(text("ANALYZE"))
        for name, (sql, index) in PLANS.items():
            explain = ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql
            rows = conn.execute(text(explain), {"start": start, "end": end, "vendor": vendor}).all()
            plan = "\n".join(" ".join(str(v) for v in row) for row in rows)
            log(f"--- {engine.dialect.name} {name}\n{plan}")
            used[name] = index in plan
    return used


def measure(engine: Engine, runs: int) -> dict[str, Any]:
    start, end, vendor = busiest_day(engine)
    with engine.connect() as conn:
        day_sales = conn.execute(
            text("SELECT count(*) FROM sales WHERE block_time >= :s AND block_time < :e"), {"s": start, "e": end}
        ).scalar_one()

    def whole_board() -> str:
        data = BoardData(
            day=market_day(start, UTC8),
            inspections=inspections_between(engine, start, end),
            alerts=alerts_between(engine, start, end),
            stalls=stall_directory(engine),
            prices=prices(engine, start, end, UTC8),
            supply=supply(engine, start, end, UTC8),
            as_of_block=indexed_block(engine),
            now=start + 3600,
        )
        return render_board(data, lang="zh", tz=UTC8)

    figures = {
        "day_sales": int(day_sales),
        "prices_ms": timed(lambda: prices(engine, start, end, UTC8), runs),
        "prices_by_stall_ms": timed(lambda: prices(engine, start, end, UTC8, by_stall=True), runs),
        "supply_ms": timed(lambda: supply(engine, start, end, UTC8), runs),
        "inspections_ms": timed(lambda: inspections_between(engine, start, end), runs),
        "alerts_ms": timed(lambda: alerts_between(engine, start, end), runs),
        "directory_ms": timed(lambda: stall_directory(engine), runs),
        "stall_screen_ms": timed(lambda: stall_profile(engine, vendor, start, end, UTC8), runs),
        "oversight_ms": timed(lambda: stall_oversight(engine), runs),
        "board_page_ms": timed(whole_board, runs),
    }
    figures["indexes_used"] = plans(engine, start, end, vendor)
    return figures


def on_filled_databases(
    events: int, backends: str, measure_one: Callable[[Engine], dict[str, Any]], prefix: str
) -> dict[str, Any]:
    """Fill each of `backends` (comma-separated: sqlite, postgresql) with `events` synthetic
    events and measure it; each backend's figures are logged as soon as they are known, so they
    are kept if a later backend fails."""
    result: dict[str, Any] = {"events": events}
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        for backend in backends.split(","):
            url = f"sqlite:///{Path(tmp) / 'market.db'}" if backend == "sqlite" else postgres_url()
            try:
                log(f"filling {backend} with {events:,} events")
                began = time.perf_counter()
                fill(url, events)
                log(f"filled in {time.perf_counter() - began:.0f} s")
                engine = make_engine(url)
                result[backend] = measure_one(engine)
                log(f"{backend}: {json.dumps(result[backend])}")
                engine.dispose()
            finally:
                if backend != "sqlite":
                    drop_schema(url)
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3] if os.path.exists("/proc/loadavg") else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(json.dumps(on_filled_databases(args.events, args.backends, lambda e: measure(e, args.runs), "board-bench-")))


if __name__ == "__main__":
    main()
