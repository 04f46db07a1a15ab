"""Turning table rows into views: participants by address, batches, sales, residues."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.queries.views import BatchView, Party, SaleView
from ledger.store import models
from ledger.vocabulary import Residue, shown_status

_PARTICIPANTS = models.Participant.__table__
_BATCHES = models.Batch.__table__
_RESIDUES = models.Residue.__table__
IN_CHUNK = 500
#: Built once: building a statement per call cost more than running it.
_PARTIES_BY_ADDRESS = select(_PARTICIPANTS.c.address, _PARTICIPANTS.c.name, _PARTICIPANTS.c.identifier).where(
    _PARTICIPANTS.c.address.in_(bindparam("addresses", expanding=True))
)


class Parties:
    """Participants looked up once per query, by address."""

    def __init__(self, conn: Connection, addresses: Iterable[str | None]) -> None:
        wanted = sorted({a for a in addresses if a})
        self._found: dict[str, Party] = {}
        for start in range(0, len(wanted), IN_CHUNK):
            for row in conn.execute(_PARTIES_BY_ADDRESS, {"addresses": wanted[start : start + IN_CHUNK]}):
                self._found[row.address] = Party(row.address, row.name, row.identifier)

    def get(self, address: str | None) -> Party | None:
        if address is None:
            return None
        return self._found.get(address, Party(address))

    def __getitem__(self, address: str) -> Party:
        return self._found.get(address, Party(address))


def batch_rows(conn: Connection, batch_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    wanted = list(dict.fromkeys(batch_ids))
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for row in conn.execute(
            select(_BATCHES).where(_BATCHES.c.batch_id.in_(wanted[start : start + IN_CHUNK]))
        ).mappings():
            found[row["batch_id"]] = row
    return found


def batch_view(row: Mapping[str, Any], parties: Parties) -> BatchView:
    return BatchView(
        batch_id=row["batch_id"],
        gtin=row["gtin"],
        lot=row["lot"],
        unit=row["unit"],
        quantity=int(row["quantity"]),
        remaining=int(row["remaining"]),
        status=shown_status(row["status"], row["pending_recipient"]),
        custodian=parties[row["custodian"]],
        pending_recipient=parties.get(row["pending_recipient"]),
        origin_kind=row["origin_kind"],
        created_at=int(row["created_at"]),
        created_block=int(row["created_block"]),
    )


def sale_view(row: Mapping[str, Any], batch: Mapping[str, Any], parties: Parties) -> SaleView:
    return SaleView(
        sale_id=row["sale_id"],
        serial=int(row["serial"]),
        batch_id=row["batch_id"],
        gtin=batch["gtin"],
        lot=batch["lot"],
        vendor=parties[row["vendor"]],
        quantity=int(row["quantity"]),
        unit=batch["unit"],
        price=int(row["price"]),
        currency=row["currency"],
        time=int(row["block_time"]),
        block_number=int(row["block_number"]),
        tx_hash=row["tx_hash"],
    )


def driver_rows(conn: Connection, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """`statement`'s rows as the driver returns them, read on `conn`'s connection (in its
    transaction); `statement` in the driver's style of named parameters (sqlite3's ``:name``,
    psycopg's ``%(name)s``). For the thousands of rows of a trace: SQLAlchemy's row objects for
    a recall's 10,000 sales cost more than a tenth of it, and a text statement's values pass
    through them unchanged anyway."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(statement, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def json_array(values: Iterable[str]) -> str:
    """`values` as the JSON array text that SQLite's ``json_each`` reads (one parameter for
    many ids): orjson makes a trace's 1,100 batch ids in a thirtieth of ``json.dumps``'s time."""
    return orjson.dumps(list(values)).decode()


def parties_by_address(conn: Connection, addresses: Iterable[str | None]) -> dict[str, Party]:
    """Every address in `addresses` as a party (a bare address when no participant has it)."""
    wanted = sorted({a for a in addresses if a})
    parties = Parties(conn, wanted)
    return {a: parties[a] for a in wanted}


def inspection_key(row: Mapping[str, Any]) -> tuple[int, int]:
    """An inspection's (or its residues') place in the chain: block number and log index."""
    return int(row["block_number"]), int(row["log_index"])


def residue_rows(
    conn: Connection, inspections: Iterable[Mapping[str, Any]]
) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The residue rows of each inspection, by :func:`inspection_key`, in the lab's order. Read
    by block, the residues' primary key's first column (an inspection lies in one block)."""
    wanted = {inspection_key(i) for i in inspections}
    blocks = sorted({block for block, _ in wanted})
    found: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for start in range(0, len(blocks), IN_CHUNK):
        query = select(_RESIDUES).where(_RESIDUES.c.block_number.in_(blocks[start : start + IN_CHUNK]))
        for r in conn.execute(query).mappings():
            if (key := inspection_key(r)) in wanted:
                found.setdefault(key, []).append(dict(r))
    for values in found.values():
        values.sort(key=lambda r: r["position"])
    return found


def residue_views(conn: Connection, inspections: Iterable[Mapping[str, Any]]) -> dict[tuple[int, int], list[Residue]]:
    """:func:`residue_rows` as views, each against its limit."""
    return {key: [Residue.from_row(r) for r in rows] for key, rows in residue_rows(conn, inspections).items()}
