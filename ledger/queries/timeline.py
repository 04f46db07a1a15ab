"""Every row behind a batch or a sale: the batches of its lineage and every step they took.

A QR scan is the hottest read of the market: a shopper's phone waits on it. Asking each table
in turn cost fifteen statements a scan, and SQLAlchemy's per-statement work (not the database)
was most of the time. Here one statement walks the lineage back from the sale's (or the
batch's) batch, and one more gathers the batches and the rows of every event table with
``UNION ALL`` in a common set of generic columns; :func:`timeline_rows` hands each row back
under its own column names, so callers read ``row["supplier"]`` as if they had asked the table
itself. Both statements run on SQLite and PostgreSQL alike and their text is built once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.engine import Connection

from ledger.queries.lineage import ancestors, ancestors_of_sale
from ledger.store.models import sale_id_matches, sale_id_prefix

#: The generic columns of the union; the prefix says the type: a = address, s = text,
#: n = number. The first five are named after what nearly every table has.
_SLOTS = ("block_number", "log_index", "block_time", "tx_hash", "batch_id")
_SLOTS += ("a1", "a2", "s1", "s2", "s3", "s4", "s5", "n1", "n2", "n3", "n4")
_TYPES = {"block_number": "BIGINT", "log_index": "INTEGER", "block_time": "BIGINT", "tx_hash": "TEXT"}
_TYPES |= {"batch_id": "TEXT", **{slot: "BIGINT" if slot[0] == "n" else "TEXT" for slot in _SLOTS[5:]}}
_EVENT = {slot: slot for slot in ("block_number", "log_index", "block_time", "tx_hash", "batch_id")}

#: table -> {slot: its own column}, for the rows of the lineage's batches (``:ids``).
_TABLES: dict[str, dict[str, str]] = {
    "batches": {
        "block_number": "created_block",
        "log_index": "created_log_index",
        "block_time": "created_at",
        "tx_hash": "created_tx",
        "batch_id": "batch_id",
        "a1": "custodian",
        "a2": "pending_recipient",
        "s1": "gtin",
        "s2": "lot",
        "s3": "unit",
        "s4": "status",
        "s5": "origin_kind",
        "n1": "quantity",
        "n2": "remaining",
        "n3": "sale_count",
    },
    "harvests": _EVENT | {"a1": "supplier", "s1": "origin", "s2": "document_cid", "n1": "harvested_at"},
    "imports": _EVENT
    | {
        "a1": "customs",
        "a2": "importer",
        "s1": "origin_country",
        "s2": "declaration_number",
        "s3": "entry_port",
        "s4": "document_cid",
        "s5": "hs_code",
        "n1": "cleared_at",
        "n2": "declaration_line",
    },
    "custody_events": _EVENT | {"a1": "from_address", "a2": "to_address", "s1": "kind", "n1": "quantity"},
    "lineage": _EVENT
    | {"batch_id": "child_id", "a1": "custodian", "s1": "kind", "s2": "parent_id", "n1": "quantity", "n2": "position"},
    "inspections": _EVENT | {"a1": "lab", "s1": "report_cid", "n1": "passed"},
    "residues": _EVENT | {"s1": "substance", "s2": "unit", "n1": "measured", "n2": "limit_value", "n3": "position"},
    "quarantine_releases": _EVENT | {"a1": "regulator", "s1": "reason"},
    "recalls": _EVENT | {"a1": "regulator", "s1": "reason"},
}
#: The sale itself (``:sale_id``): only the scanned one, not every sale of its batch.
_SALE = _EVENT | {"a1": "vendor", "s1": "sale_id", "s2": "currency", "n1": "quantity", "n2": "price", "n3": "serial"}
#: Columns whose type differs from their slot's: a boolean (read back as 0/1) and a
#: NUMERIC(39) price (PostgreSQL widens the slot to NUMERIC; callers take int()).
_CASTS = {"passed": "CAST(t.passed AS INTEGER)"}


def _select(table: str, columns: dict[str, str], where: str) -> str:
    """One branch of the union: `table`'s `columns` in their slots, typed NULLs elsewhere.

    The NULLs are typed because PostgreSQL resolves a union's column types pairwise: two
    untyped NULLs make a text column that a later number cannot join.
    """

    def value(slot: str) -> str:
        column = columns.get(slot)
        if column is None:
            return f"CAST(NULL AS {_TYPES[slot]})"
        return _CASTS.get(column, f"t.{column}")

    values = ", ".join(f"{value(slot)} AS {slot}" for slot in _SLOTS)
    return f"SELECT '{table}' AS tbl, {values} FROM {table} t WHERE {where}"


def _statement() -> TextClause:
    """Every row of the batches ``:ids`` and their steps, the sale ``:sale_id``, the checkpoint.

    The ids come as a list, not as a recursive subquery: PostgreSQL cannot estimate a
    recursive walk's size and chose to read whole tables into hash joins (25 ms a scan at
    300,000 events) where a list of known ids gives index lookups.
    """
    parts = [_select(table, columns, f"t.{columns['batch_id']} IN :ids") for table, columns in _TABLES.items()]
    parts.append(_select("sales", _SALE, sale_id_matches("t.sale_id")))
    # The block the rows are current up to rides along, saving a statement.
    parts.append(_select("checkpoint", {"block_number": "block_number"}, "1 = 1"))
    return text("\nUNION ALL\n".join(parts)).bindparams(bindparam("ids", expanding=True))


_ROWS = _statement()
#: table -> [(its own column name, index in a result row)].
_DECODERS: dict[str, list[tuple[str, int]]] = {
    table: [(column, 1 + _SLOTS.index(slot)) for slot, column in columns.items()]
    for table, columns in [*_TABLES.items(), ("sales", _SALE)]
}


def timeline_rows(
    conn: Connection, *, sale_id: str | None = None, batch_id: str | None = None
) -> tuple[dict[str, list[dict[str, Any]]], int | None]:
    """The rows behind sale `sale_id` (the sale's own row under ``"sales"``) or behind batch
    `batch_id`, and the block the database is current up to.

    Rows come as ``{table: [row, ...]}`` with each table's own column names: ``"batches"``
    holds every batch of the lineage, walked back through splits and merges to each origin,
    and the event tables their steps; a table with no rows is absent. An unknown sale or
    batch gives no ``"batches"``.
    """
    if (sale_id is None) == (batch_id is None):
        raise ValueError("give exactly one of sale_id and batch_id")
    lineage = ancestors_of_sale(conn, sale_id) if sale_id is not None else ancestors(conn, str(batch_id))
    if not lineage:
        return {}, None
    found: dict[str, list[dict[str, Any]]] = {}
    as_of: int | None = None
    for row in conn.execute(
        _ROWS, {"ids": sorted(lineage), "sale_id": sale_id, "sale_id_prefix": sale_id_prefix(sale_id)}
    ):
        table = row[0]
        if table == "checkpoint":
            as_of = row[1]
        else:
            found.setdefault(table, []).append({name: row[index] for name, index in _DECODERS[table]})
    return found, as_of
