"""Every recorded step of chosen batches, or of a time window, as plain rows: what an EPCIS
export or query is built from.

Unlike ``chain_of_custody`` (one sale, its ancestors), this reads steps of any set of batches
(a lot's whole lineage, both directions) or of all batches, and every sale among them.
Rows come back as plain dicts in chain order (block, log index), with the batches and the
participants they name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, or_, select
from sqlalchemy.engine import Connection

from ledger.queries.lineage import ancestors, descendants
from ledger.queries.rows import IN_CHUNK, batch_rows, parties_by_address, residue_rows
from ledger.queries.status import indexed_block
from ledger.queries.tables import EVENT_TABLES, STEP_TABLES
from ledger.queries.views import LedgerRecords
from ledger.store import models

_TABLES = EVENT_TABLES
_BATCHES = models.Batch.__table__
_PARTICIPANTS = models.Participant.__table__
_IDENTITY = models.ChainIdentity.__table__
_ADDRESS_COLUMNS = ("supplier", "importer", "customs", "from_address", "to_address", "custodian", "lab", "regulator")


def batches_of_lot(engine: Engine, lot: str, gtin: str | None = None) -> list[str]:
    """Ids of the batches with lot code `lot` (of `gtin` when given)."""
    query = select(_BATCHES.c.batch_id).where(_BATCHES.c.lot == lot)
    if gtin is not None:
        query = query.where(_BATCHES.c.gtin == gtin)
    with engine.connect() as conn:
        return [row.batch_id for row in conn.execute(query.order_by(_BATCHES.c.created_block))]


def batches_of_gtin(engine: Engine, gtin: str) -> list[str]:
    with engine.connect() as conn:
        return [row.batch_id for row in conn.execute(select(_BATCHES.c.batch_id).where(_BATCHES.c.gtin == gtin))]


def lineage_of(engine: Engine, batch_ids: Iterable[str]) -> set[str]:
    """The batches and everything they came from and went into (a lot's whole lineage)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for batch_id in batch_ids:
            found.update(ancestors(conn, batch_id))
            found.update(descendants(conn, batch_id))
    return found


def ledger_records(
    engine: Engine,
    *,
    batch_ids: Collection[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    tables: Collection[str] = STEP_TABLES,
    where: Mapping[str, Mapping[str, Collection[Any]]] | None = None,
    where_any: Mapping[str, Mapping[str, Collection[Any]]] | None = None,
    after: tuple[int, int] | None = None,
    limit: int | None = None,
) -> LedgerRecords:
    """Steps touching `batch_ids` (all batches when None) with block time in [since, until).

    `tables`, `where` (table -> column -> allowed values, all columns) and `where_any` (the
    same, any one column) narrow what is read; `after`
    and `limit` read a window in chain order: at most `limit` rows a table after position
    `after`, with ``horizon`` saying how far the window is complete. A split or merge is
    always read whole (every edge of its transaction), so its event is never cut in two.
    """
    with engine.connect() as conn:
        rows: dict[str, list[dict[str, Any]]] = {}
        horizon: tuple[int, int] | None = None
        for name in tables:
            table = _TABLES[name]
            conditions = _conditions(table, since, until, (where or {}).get(name, {}), after)
            if where_any and name in where_any:
                conditions.append(or_(*(table.c[c].in_(list(v)) for c, v in where_any[name].items())))
            found = _select(conn, name, batch_ids, conditions, limit)
            if limit is not None and len(found) >= limit:
                last = max((int(r["block_number"]), int(r["log_index"])) for r in found)
                horizon = last if horizon is None else min(horizon, last)
            rows[name] = found
        if rows.get("lineage"):
            rows["lineage"] = _whole_transactions(conn, rows["lineage"])
        for name in rows:
            rows[name].sort(key=lambda r: (r["block_number"], r["log_index"], r.get("position", 0)))
        residues = residue_rows(conn, rows.get("inspections", []))
        named = {r["batch_id"] for table in rows.values() for r in table if "batch_id" in r}
        named |= {r[c] for r in rows.get("lineage", []) for c in ("parent_id", "child_id")}
        batches = {k: dict(v) for k, v in batch_rows(conn, named).items()}
        parties = parties_by_address(
            conn, (r.get(c) for table in rows.values() for r in table for c in _ADDRESS_COLUMNS)
        )
        for name in STEP_TABLES:
            rows.setdefault(name, [])
        chain_id = conn.execute(select(_IDENTITY.c.chain_id)).scalar()
        return LedgerRecords(rows, batches, parties, indexed_block(conn), residues, chain_id, horizon)


def _conditions(
    table: Table,
    since: int | None,
    until: int | None,
    allowed: Mapping[str, Collection[Any]],
    after: tuple[int, int] | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(table.c.block_time >= since)
    if until is not None:
        conditions.append(table.c.block_time < until)
    for column, values in allowed.items():
        conditions.append(table.c[column].in_(list(values)))
    if after is not None:
        block, log = after
        # A range on the primary key's first column (an OR of both would defeat the index).
        conditions += [table.c.block_number >= block, or_(table.c.block_number > block, table.c.log_index > log)]
    return conditions


def _select(
    conn: Connection,
    name: str,
    batch_ids: Collection[str] | None,
    conditions: list[ColumnElement[bool]],
    limit: int | None,
) -> list[dict[str, Any]]:
    table = _TABLES[name]
    order = (table.c.block_number, table.c.log_index)

    def run(*extra: ColumnElement[bool]) -> list[dict[str, Any]]:
        query = select(table).where(*conditions, *extra).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in conn.execute(query).mappings()]

    if batch_ids is None:
        return run()
    wanted = sorted(batch_ids)
    found: dict[tuple, dict[str, Any]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        if name == "lineage":
            # Both ends: a split reaches its parent, a merge all its inputs.
            which = or_(table.c.child_id.in_(chunk), table.c.parent_id.in_(chunk))
        else:
            which = table.c.batch_id.in_(chunk)
        for r in run(which):
            found[(r["block_number"], r["log_index"], r.get("position", 0))] = r
    rows = sorted(found.values(), key=lambda r: (r["block_number"], r["log_index"], r.get("position", 0)))
    return rows[:limit] if limit is not None else rows


def _whole_transactions(conn: Connection, edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every lineage edge of the transactions of `edges` (a split writes one log per child).
    Read by block (the primary key's first column), as a transaction lies in one block."""
    table = _TABLES["lineage"]
    hashes = {e["tx_hash"] for e in edges}
    blocks = sorted({int(e["block_number"]) for e in edges})
    found: dict[tuple, dict[str, Any]] = {}
    for start in range(0, len(blocks), IN_CHUNK):
        query = select(table).where(table.c.block_number.in_(blocks[start : start + IN_CHUNK]))
        for r in conn.execute(query).mappings():
            if r["tx_hash"] in hashes:
                found[(r["block_number"], r["log_index"], r["position"])] = dict(r)
    return list(found.values())


def participants_with_identifier(engine: Engine, identifier: str) -> list[str]:
    """Addresses of the participants whose GLN or licence number is `identifier`."""
    query = select(_PARTICIPANTS.c.address).where(_PARTICIPANTS.c.identifier == identifier)
    with engine.connect() as conn:
        return [row.address for row in conn.execute(query)]
