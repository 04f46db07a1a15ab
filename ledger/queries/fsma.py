"""The records behind an FSMA 204 sortable spreadsheet: every step of a lot's whole lineage,
or every step in a time range, as plain rows with the batches and parties they name.

A lot's lineage is its ancestors (back to each harvest or customs entry) and its descendants
(forward to each sale), found with the shared recursive walks of :mod:`ledger.queries.lineage`;
each event table is then read with one indexed ``IN`` query per chunk of batch ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, Table, and_, select, text
from sqlalchemy.engine import Connection

from ledger.errors import NotFound
from ledger.queries.lineage import ancestors, descendants
from ledger.queries.rows import IN_CHUNK, batch_rows, parties_by_address, residue_rows
from ledger.queries.status import indexed_block
from ledger.queries.tables import EVENT_TABLES, STEP_TABLES
from ledger.queries.views import LedgerRecords
from ledger.store import models

_BATCHES = models.Batch.__table__


#: The batches with lot code ``:lot``, whatever their GTIN. ``batches`` is indexed on (gtin,
#: lot), not on lot alone (no migration for this feature), so a plain ``WHERE lot = :lot``
#: scans the table (150 ms at a million events). Instead, a loose index scan steps through
#: the few distinct GTINs (one index seek each) and looks each (gtin, lot) up in the index.
_BATCHES_OF_LOT = text(
    """
    WITH RECURSIVE gtins(gtin) AS (
        SELECT min(gtin) FROM batches
        UNION ALL
        SELECT (SELECT min(b.gtin) FROM batches b WHERE b.gtin > g.gtin) FROM gtins g WHERE g.gtin IS NOT NULL
    )
    SELECT b.batch_id FROM gtins g JOIN batches b ON b.gtin = g.gtin AND b.lot = :lot
    ORDER BY b.created_block, b.created_log_index
    """
)


def lot_records(
    engine: Engine, lot: str, *, gtin: str | None = None, since: int | None = None, until: int | None = None
) -> LedgerRecords:
    """Every event of lot `lot` (of `gtin`, else of every GTIN using that lot code), of its
    ancestors and of its descendants, with block time in ``[since, until)``.

    Raises :class:`NotFound` when no batch has that lot code.
    """
    with engine.connect() as conn:
        if gtin:
            query = select(_BATCHES.c.batch_id).where(_BATCHES.c.gtin == gtin, _BATCHES.c.lot == lot)
            named = list(conn.execute(query).scalars())
        else:
            named = list(conn.execute(_BATCHES_OF_LOT, {"lot": lot}).scalars())
        if not named:
            raise NotFound(f"no batch with lot {lot}" + (f" and GTIN {gtin}" if gtin else ""))
        lineage: set[str] = set()
        for batch_id in named:
            lineage.update(ancestors(conn, batch_id))
            lineage.update(descendants(conn, batch_id))
        ids = sorted(lineage)
        events = {name: _by_batches(conn, name, EVENT_TABLES[name], ids, since, until) for name in STEP_TABLES}
        return _records(conn, events, named)


def range_records(engine: Engine, *, since: int | None = None, until: int | None = None) -> LedgerRecords:
    """Every event with block time in ``[since, until)`` (all of them when both are None)."""
    with engine.connect() as conn:
        events = {}
        for name in STEP_TABLES:
            table = EVENT_TABLES[name]
            query = select(table)
            for condition in _time_window(table, since, until):
                query = query.where(condition)
            events[name] = list(conn.execute(query).mappings())
        return _records(conn, events, [])


def _by_batches(
    conn: Connection, name: str, table: Table, ids: list[str], since: int | None, until: int | None
) -> list[Mapping[str, Any]]:
    # Lineage edges by child: every transformation that made a lot of the selection, with
    # all its inputs (a merge names lots from outside the lineage as co-inputs).
    column = table.c.child_id if name == "lineage" else table.c.batch_id
    window = _time_window(table, since, until)
    found: list[Mapping[str, Any]] = []
    for start in range(0, len(ids), IN_CHUNK):
        query = select(table).where(and_(column.in_(ids[start : start + IN_CHUNK]), *window))
        found.extend(conn.execute(query).mappings())
    return found


def _time_window(table: Table, since: int | None, until: int | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(table.c.block_time >= since)
    if until is not None:
        conditions.append(table.c.block_time < until)
    return conditions


def _records(conn: Connection, events: dict[str, list[Mapping[str, Any]]], named: list[str]) -> LedgerRecords:
    wanted: set[str] = set(named)
    for name, rows in events.items():
        if name == "lineage":
            wanted.update(r["parent_id"] for r in rows)
            wanted.update(r["child_id"] for r in rows)
        else:
            wanted.update(r["batch_id"] for r in rows)
    batches = batch_rows(conn, sorted(wanted))
    # Lot sources: whoever assigned each lot code (farm, importer or repacker).
    addresses: set[str | None] = set()
    addresses.update(r["supplier"] for r in events["harvests"])
    for r in events["imports"]:
        addresses.update((r["importer"], r["customs"]))
    for r in events["custody"]:
        addresses.update((r["from_address"], r["to_address"]))
    addresses.update(r["custodian"] for r in events["lineage"])
    addresses.update(r["lab"] for r in events["inspections"])
    addresses.update(r["regulator"] for r in events["releases"])
    addresses.update(r["regulator"] for r in events["recalls"])
    addresses.update(r["vendor"] for r in events["sales"])
    sources = _lot_sources(conn, sorted(batches))
    addresses.update(address for address, _ in sources.values())
    parties = parties_by_address(conn, addresses)
    residues = residue_rows(conn, events["inspections"])
    return LedgerRecords(events, batches, parties, indexed_block(conn), residues, sources=sources, lot_batches=named)


def _lot_sources(conn: Connection, batch_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Who assigned each lot code and how: ``(address, "harvest" | "import" | "split" |
    "merge")``. Read apart from the selected events: a parent whose own harvest lies
    outside a time window still has a source."""
    found: dict[str, tuple[str, str]] = {}
    harvests, imports, lineage = (EVENT_TABLES[n] for n in ("harvests", "imports", "lineage"))
    for start in range(0, len(batch_ids), IN_CHUNK):
        chunk = batch_ids[start : start + IN_CHUNK]
        query = select(harvests.c.batch_id, harvests.c.supplier).where(harvests.c.batch_id.in_(chunk))
        found.update((row.batch_id, (row.supplier, "harvest")) for row in conn.execute(query))
        query = select(imports.c.batch_id, imports.c.importer).where(imports.c.batch_id.in_(chunk))
        found.update((row.batch_id, (row.importer, "import")) for row in conn.execute(query))
        query = select(lineage.c.child_id, lineage.c.custodian, lineage.c.kind).where(lineage.c.child_id.in_(chunk))
        found.update((row.child_id, (row.custodian, row.kind)) for row in conn.execute(query))
    return found
