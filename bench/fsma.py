"""Time to build the FSMA 204 spreadsheet for a lot in a database of about a million events;
one JSON line on stdout.

1. Fills a fresh SQLite database with ``--events`` synthetic events through the indexer's
   own projection and write path (``bench/api.py``'s generator: farms harvest, each lot is
   split again and again, lineage up to 10 deep, handed to a stall and sold), or reuses
   ``--database`` when that file exists.
2. Picks ``--lots`` random sold lots (their lineage runs back up to 10 splits) and their
   harvest lots (lineage forward), and builds each spreadsheet ``--runs`` times, from the
   query to the finished CSV bytes and to the finished XLSX bytes.

Prints medians and maxima in milliseconds (target: a lot's spreadsheet in under 1 s; the law
allows 24 hours). Run from the repository root: ``.venv/bin/python bench/fsma.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine

from bench.api import fill, log, recorded_sales
from ledger.fsma import build_spreadsheet
from ledger.store.db import make_engine


def measure(engine: Engine, lots: list[str], runs: int) -> dict[str, list[float]]:
    """Seconds per build, by output format, and the rows of each build."""
    times: dict[str, list[float]] = {"csv": [], "xlsx": [], "rows": []}
    for _ in range(runs):
        for lot in lots:
            began = time.perf_counter()
            sheet = build_spreadsheet(engine, lot=lot)
            sheet.csv()
            times["csv"].append(time.perf_counter() - began)
            began = time.perf_counter()
            sheet = build_spreadsheet(engine, lot=lot)
            sheet.xlsx()
            times["xlsx"].append(time.perf_counter() - began)
            times["rows"].append(len(sheet.rows))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=20, help="sold lots sampled (and as many harvest lots)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", type=Path, help="SQLite file to keep the filled database in (reused)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="freshledger-fsma-bench-") as tmp:
        db_file = args.database or Path(tmp) / "bench.db"
        database_url = f"sqlite:///{db_file}"
        began = time.perf_counter()
        sales = recorded_sales(database_url) if db_file.exists() else fill(database_url, args.events)
        fill_s = time.perf_counter() - began
        sold = sorted({lot for lot, _ in sales})
        picked = random.Random(3).sample(sold, min(args.lots, len(sold)))
        harvests = sorted({lot.split("-")[0] for lot in picked})
        engine = make_engine(database_url)
        try:
            with engine.connect() as conn:  # also warms the page cache, as a serving process has it
                events = conn.exec_driver_sql("SELECT count(*) FROM raw_events").scalar()
            log(f"building spreadsheets: {len(picked)} sold lots, {len(harvests)} harvest lots, {args.runs} runs")
            back = measure(engine, picked, args.runs)
            forward = measure(engine, harvests, args.runs)
        finally:
            engine.dispose()

    def ms(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 2)

    def worst(values: list[float]) -> float:
        return round(max(values) * 1000, 2)

    result = {
        "bench": "fsma204",
        "events": events,
        "fill_s": round(fill_s, 1),
        "lots": len(picked) + len(harvests),
        "runs": args.runs,
        "sold_lot_csv_median_ms": ms(back["csv"]),
        "sold_lot_xlsx_median_ms": ms(back["xlsx"]),
        "harvest_lot_csv_median_ms": ms(forward["csv"]),
        "harvest_lot_xlsx_median_ms": ms(forward["xlsx"]),
        "max_ms": max(worst(back["csv"]), worst(back["xlsx"]), worst(forward["csv"]), worst(forward["xlsx"])),
        "rows_median": statistics.median(back["rows"] + forward["rows"]),
        "target_ms": 1000,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
