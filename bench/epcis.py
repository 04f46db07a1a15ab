"""EPCIS 2.0 over a large ledger: query pages and lot exports; one JSON line on stdout.

Fills a fresh SQLite database with ``--events`` synthetic events through the indexer's write
path (``bench/api.py``'s generator: harvests split up to ten deep, handed to stalls, sold),
then times, as medians of ``--repeat`` runs:

- ``first_page_ms``: ``GET /epcis/events`` without filters, 30 events;
- ``step_page_ms``: ``EQ_bizStep=commissioning`` (only the harvests table is read);
- ``class_page_ms``: ``MATCH_anyEPCClass`` of one lot (only its rows are read);
- ``location_page_ms``: ``EQ_bizLocation`` of a stall (filtered in Python, windows doubling);
- ``last_page_ms``: the page after the last event's token;
- ``lot_export_ms``: a harvest lot's whole lineage as an EPCISDocument, schema-checked;
- ``lot_export_validate_ms``: of that, GS1's schema and CBV check alone (what
  ``GET /epcis/export`` adds before it sends a document);
- ``page_export_ms``: a full export answer (``GET /epcis/export`` without a lot, as many
  events as one answer holds) built; ``page_1000_validate_ms``: the check of a 1,000-event
  export document.

The ``*_cpu_ms`` figures are the same checks in CPU time of this process: the check holds the
GIL, so it is what an export takes from the QR scans answered on the event loop, and unlike
wall time it does not grow when other processes share the cores.

Run from the repository root: ``.venv/bin/python bench/epcis.py --events 1000000``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.api import fill
from ledger.epcis.export import epcis_document, export_document, export_events, export_of
from ledger.epcis.identifiers import lot_uri, participant_uri, place_uri
from ledger.epcis.pages import MAX_EXPORT_EVENTS, export_page
from ledger.epcis.query import EventQuery, encode_token, parse_query, run_query
from ledger.epcis.validate import check_document, validate_document
from ledger.store.db import make_engine


def median_ms(action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        action()
        times.append((clock() - start) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'epcis.db'}"
    fill(url, args.events)
    engine = make_engine(url)
    with engine.connect() as conn:
        gtin, lot = conn.execute(text("SELECT gtin, lot FROM batches WHERE origin_kind = 'harvest' LIMIT 1")).one()
        child = conn.execute(text("SELECT lot FROM batches WHERE origin_kind = 'split' LIMIT 1")).scalar()
        stall = conn.execute(text("SELECT vendor FROM sales LIMIT 1")).scalar()
        identifier = conn.execute(text("SELECT identifier FROM participants WHERE address = :a"), {"a": stall}).scalar()
        last = conn.execute(text("SELECT max(block_number), max(log_index) FROM raw_events")).one()
        events = conn.execute(text("SELECT count(*) FROM raw_events")).scalar()

    def page(**params: str) -> Callable[[], object]:
        return lambda: run_query(engine, parse_query(params))

    def lot_export() -> None:
        document = epcis_document([e.event for e in export_events(engine, lot=lot, gtin=gtin)])
        if validate_document(document):
            raise SystemExit("the export does not validate")

    lot_document = export_document(engine, lot=lot, gtin=gtin)
    thousand = run_query(engine, EventQuery({}, per_page=1_000))
    page_1000 = export_of(thousand.events, thousand.parties)
    location = place_uri(identifier, stall) or participant_uri(stall)
    figures = {
        "events": events,
        "first_page_ms": median_ms(page(), args.repeat),
        "step_page_ms": median_ms(page(EQ_bizStep="commissioning"), args.repeat),
        "class_page_ms": median_ms(page(MATCH_anyEPCClass=lot_uri(gtin, child)), args.repeat),
        "location_page_ms": median_ms(page(EQ_bizLocation=location), args.repeat),
        "last_page_ms": median_ms(page(nextPageToken=encode_token((int(last[0]), int(last[1])))), args.repeat),
        "lot_export_ms": median_ms(lot_export, args.repeat),
        "lot_export_events": len(export_events(engine, lot=lot, gtin=gtin)),
        "lot_export_validate_ms": median_ms(lambda: check_document(lot_document), args.repeat),
        "lot_export_validate_cpu_ms": median_ms(lambda: check_document(lot_document), args.repeat, time.process_time),
        "page_export_ms": median_ms(lambda: export_page(engine), args.repeat),
        "page_export_events": MAX_EXPORT_EVENTS,
        "page_1000_validate_ms": median_ms(lambda: check_document(page_1000), args.repeat),
        "page_1000_validate_cpu_ms": median_ms(lambda: check_document(page_1000), args.repeat, time.process_time),
        "page_1000_events": len(page_1000["epcisBody"]["eventList"]),
    }
    engine.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
