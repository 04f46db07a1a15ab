"""What counting a receipt scan costs the scan, and what writing the counts costs the database;
one JSON line on stdout.

1. ``record_us``: :meth:`api.scan_counter.ScanCounter.record` per call (median of ``--runs``
   rounds of ``--scans`` calls over 10,000 receipts from 2,000 networks): the whole of what a
   scan pays, as the resolver calls it.
2. ``flush_ms`` and ``flush_tallies``: one background flush of those scans into a fresh SQLite
   database and a PostgreSQL schema (tallies upserted, totals, copy check), off the scan's path.

Run from the repository root: ``.venv/bin/python bench/scans.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.scan_counter import ScanCounter
from bench.board import drop_schema, postgres_url
from ledger.store.db import make_engine, migrate
from ledger.store.receipt_scans import CopyRule

RULE = CopyRule(networks=5, window_s=3600)


def workload(scans: int) -> list[tuple[str, str]]:
    return [(f"0x{n % 10_000:064x}", f"10.{(n * 7) % 2000 // 250}.{(n * 7) % 250}.9") for n in range(scans)]


def measure(url: str, scans: int, runs: int) -> dict[str, Any]:
    engine = make_engine(url)
    migrate(engine)
    calls = workload(scans)
    per_call, cpu_per_call, flushes, tallies = [], [], [], 0
    for _ in range(runs):
        counter = ScanCounter(engine, RULE, flush_s=3600, retention_s=7 * 86400)
        counter._thread = object()  # type: ignore[assignment]  # no writer thread: flushed below, timed
        began, cpu = time.perf_counter(), time.process_time()
        for sale, host in calls:
            counter.record(sale, host)
        per_call.append((time.perf_counter() - began) / len(calls) * 1e6)
        cpu_per_call.append((time.process_time() - cpu) / len(calls) * 1e6)
        tallies = len(counter._pending)
        began = time.perf_counter()
        counter.flush()
        flushes.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return {
        "record_us": round(statistics.median(per_call), 2),
        "record_cpu_us": round(statistics.median(cpu_per_call), 2),
        "flush_ms": round(statistics.median(flushes), 1),
        "flush_tallies": tallies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    result: dict[str, Any] = {"scans": args.scans}
    with tempfile.TemporaryDirectory(prefix="scans-bench-") as tmp:
        for backend in args.backends.split(","):
            url = f"sqlite:///{Path(tmp) / 'scans.db'}" if backend == "sqlite" else postgres_url()
            try:
                result[backend] = measure(url, args.scans, args.runs)
            finally:
                if backend != "sqlite":
                    drop_schema(url)
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
