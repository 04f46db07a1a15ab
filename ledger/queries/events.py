"""Every recorded step of chosen batches, or of a time window, as plain rows: what an EPCIS
export or query is built from.

Unlike ``chain_of_custody`` (one sale, its ancestors), this reads steps of any set of batches
(a lot's whole lineage, both directions) or of all batches, and every sale among them.
Rows come back as plain dicts in chain order (block, log index), with the batches and the
participants they name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.engine import Connection

from ledger.queries.lineage import ancestors, descendants
from ledger.queries.rows import IN_CHUNK, as_of_block, batch_rows
from ledger.queries.views import Party
from ledger.store import models

_TABLES = {
    "harvests": models.Harvest.__table__,
    "imports": models.Import.__table__,
    "custody": models.CustodyEvent.__table__,
    "lineage": models.LineageEdge.__table__,
    "inspections": models.Inspection.__table__,
    "residues": models.Residue.__table__,
    "releases": models.QuarantineRelease.__table__,
    "recalls": models.Recall.__table__,
    "sales": models.Sale.__table__,
}
_BATCHES = models.Batch.__table__
_PARTICIPANTS = models.Participant.__table__
_IDENTITY = models.ChainIdentity.__table__
_ADDRESS_COLUMNS = ("supplier", "importer", "customs", "from_address", "to_address", "custodian", "lab", "regulator")


@dataclass(frozen=True)
class LedgerRecords:
    """Rows of each step table (dicts, chain order), the batches and parties they name."""

    rows: dict[str, list[dict[str, Any]]]
    batches: dict[str, dict[str, Any]]
    parties: dict[str, Party]
    as_of_block: int | None
    chain_id: int | None = None
    residues: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)


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
    from_block: int | None = None,
) -> LedgerRecords:
    """Steps touching `batch_ids` (all batches when None) with block time in [since, until),
    in blocks from `from_block` on."""
    with engine.connect() as conn:
        rows = {name: _select(conn, name, batch_ids, since, until, from_block) for name in _TABLES}
        for name in rows:
            rows[name].sort(key=lambda r: (r["block_number"], r["log_index"], r.get("position", 0)))
        residues: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for r in rows.pop("residues"):
            residues.setdefault((r["block_number"], r["log_index"]), []).append(r)
        named = {r["batch_id"] for table in rows.values() for r in table if "batch_id" in r}
        named |= {r[c] for r in rows["lineage"] for c in ("parent_id", "child_id")}
        batches = {k: dict(v) for k, v in batch_rows(conn, named).items()}
        parties = _parties(conn, {r[c] for table in rows.values() for r in table for c in _ADDRESS_COLUMNS if r.get(c)})
        chain_id = conn.execute(select(_IDENTITY.c.chain_id)).scalar()
        return LedgerRecords(rows, batches, parties, as_of_block(conn), chain_id, residues)


def _select(
    conn: Connection,
    name: str,
    batch_ids: Collection[str] | None,
    since: int | None,
    until: int | None,
    from_block: int | None,
) -> list[dict[str, Any]]:
    table = _TABLES[name]
    conditions = []
    if since is not None:
        conditions.append(table.c.block_time >= since)
    if until is not None:
        conditions.append(table.c.block_time < until)
    if from_block is not None:
        conditions.append(table.c.block_number >= from_block)
    if batch_ids is None:
        return [dict(r) for r in conn.execute(select(table).where(*conditions)).mappings()]
    wanted = sorted(batch_ids)
    found: dict[tuple, dict[str, Any]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        if name == "lineage":
            # Both ends: a split reaches its parent, a merge all its inputs.
            which = or_(table.c.child_id.in_(chunk), table.c.parent_id.in_(chunk))
        else:
            which = table.c.batch_id.in_(chunk)
        for r in conn.execute(select(table).where(which, *conditions)).mappings():
            found[(r["block_number"], r["log_index"], r.get("position", 0))] = dict(r)
    return list(found.values())


def _parties(conn: Connection, addresses: set[str]) -> dict[str, Party]:
    wanted = sorted(addresses)
    found = {a: Party(a) for a in wanted}
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.name, _PARTICIPANTS.c.identifier).where(
            _PARTICIPANTS.c.address.in_(wanted[start : start + IN_CHUNK])
        )
        for row in conn.execute(query):
            found[row.address] = Party(row.address, row.name, row.identifier)
    return found


def participants_with_identifier(engine: Engine, identifier: str) -> list[str]:
    """Addresses of the participants whose GLN or licence number is `identifier`."""
    query = select(_PARTICIPANTS.c.address).where(_PARTICIPANTS.c.identifier == identifier)
    with engine.connect() as conn:
        return [row.address for row in conn.execute(query)]
