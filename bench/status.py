"""The market's status page at about a million events, on SQLite and PostgreSQL; one JSON line
on stdout, progress on stderr.

Fills a fresh database with ``bench/board.py``'s synthetic market (lots harvested, split, tested,
handed to one of 40 stalls and sold; customs imports and recalls among them) through the
indexer's own projection, then times over the 30 market days ending with the last event (median
of ``--runs``): the status query alone (``query_ms``), the whole page (query and rendering with
its SVG charts, ``page_ms``) and the CSV (``csv_ms``), as the API runs them: the settled days'
sums kept, the last day summed again; ``query_cold_ms`` is the first query, nothing kept. The
goal: the page in 200 ms or less.

Run from the repository root: ``.venv/bin/python bench/status.py --events 1000000``.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, select

from api.pages.market_status import render_status_page, status_csv
from bench.board import UTC8, on_filled_databases, timed
from ledger.queries.days import day_window, market_day
from ledger.queries.market_status import market_status
from ledger.store import models

DAYS = 30


def window(engine: Engine) -> tuple[int, int]:
    """The 30 market days ending with the day of the last event."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(models.Sale.__table__.c.block_time))).scalar_one()
    day = market_day(int(last), UTC8)
    start, _ = day_window(day - timedelta(days=DAYS - 1), UTC8)
    _, end = day_window(day, UTC8)
    return start, end


def measure(engine: Engine, runs: int) -> dict[str, Any]:
    start, end = window(engine)
    cold = timed(lambda: market_status(engine, start, end, UTC8), runs)
    settled: dict = {}  # as the API keeps it: settled days summed once, then only the last day
    status = market_status(engine, start, end, UTC8, settled=settled)

    def page() -> str:
        return render_status_page(market_status(engine, start, end, UTC8, settled=settled), "/x.csv")

    with engine.connect() as conn:
        last_day_sales = conn.execute(
            select(func.count()).where(models.Sale.__table__.c.block_time >= end - 86_400)
        ).scalar_one()
    return {
        "stalls": len(status.stalls),
        "sold_in_window": sum(d.sold for d in status.days),
        "tests_in_window": status.tests,
        "settled_days": len(settled),
        "last_day_sales": int(last_day_sales),
        "query_cold_ms": cold,
        "query_ms": timed(lambda: market_status(engine, start, end, UTC8, settled=settled), runs),
        "page_ms": timed(page, runs),
        "csv_ms": timed(lambda: status_csv(market_status(engine, start, end, UTC8, settled=settled)), runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(json.dumps(on_filled_databases(args.events, args.backends, lambda e: measure(e, args.runs), "status-bench-")))


if __name__ == "__main__":
    main()
