"""Every event row behind a batch or a sale, fetched in one SQL statement.

A QR scan is the hottest read of the market: a shopper's phone waits on it. Asking each event
table in turn cost fifteen statements a scan, and SQLAlchemy's per-statement work (not the
database) was most of the time. Here one statement walks the lineage back from the sale's (or
the batch's) batch, and one more gathers the rows of every event table with ``UNION ALL``, in
a common set of generic columns; :func:`timeline_rows` hands each row back under its own column names,
so callers read ``row["supplier"]`` as if they had asked the table itself. The statement runs
on SQLite and PostgreSQL alike and its text is built once at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.engine import Connection

from ledger.queries.lineage import ancestors, ancestors_of_sale

#: Columns every row carries, then the generic slots the tables' own columns go into.
_COMMON = ("block_number", "log_index", "block_time", "tx_hash", "batch_id")
_SLOTS = ("a1", "a2", "s1", "s2", "s3", "s4", "n1", "n2", "n3")

#: table -> (its key column for the lineage, {slot: its own column or SQL expression}).
#: The slot's prefix says the kind of value: a = address, s = text, n = number.
_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "harvests": ("batch_id", {"a1": "supplier", "s1": "origin", "s2": "document_cid", "n1": "harvested_at"}),
    "imports": (
        "batch_id",
        {
            "a1": "customs",
            "a2": "importer",
            "s1": "origin_country",
            "s2": "declaration_number",
            "s3": "entry_port",
            "s4": "document_cid",
            "n1": "cleared_at",
        },
    ),
    "custody_events": (
        "batch_id",
        {"a1": "from_address", "a2": "to_address", "s1": "kind", "n1": "quantity"},
    ),
    "lineage": (
        "child_id",
        {"a1": "custodian", "s1": "kind", "s2": "parent_id", "n1": "quantity", "n2": "position"},
    ),
    "inspections": ("batch_id", {"a1": "lab", "s1": "report_cid", "n1": "CAST(t.passed AS INTEGER)"}),
    "residues": (
        "batch_id",
        {"s1": "substance", "s2": "unit", "n1": "measured", "n2": "limit_value", "n3": "position"},
    ),
    "quarantine_releases": ("batch_id", {"a1": "regulator", "s1": "reason"}),
    "recalls": ("batch_id", {"a1": "regulator", "s1": "reason"}),
}
#: The sale itself: only the scanned one, not every sale of its batch.
_SALE_SLOTS = {"a1": "vendor", "s1": "sale_id", "s2": "currency", "n1": "quantity", "n2": "price", "n3": "serial"}
#: The names :func:`timeline_rows` gives the computed slots back under.
_OWN_NAMES = {"CAST(t.passed AS INTEGER)": "passed"}


def _null(slot: str) -> str:
    """A NULL of the slot's type: PostgreSQL resolves a UNION's column types pairwise, and
    two untyped NULLs make a text column that a later number cannot join."""
    return f"CAST(NULL AS {'BIGINT' if slot[0] == 'n' else 'TEXT'})"


def _select(table: str, key: str, slots: Mapping[str, str], where: str) -> str:
    def value(slot: str) -> str:
        column = slots.get(slot)
        if column is None:
            return f"{_null(slot)} AS {slot}"
        return f"{column if '(' in column else 't.' + column} AS {slot}"

    columns = ", ".join(
        [f"'{table}' AS tbl", "t.block_number", "t.log_index", "t.block_time", "t.tx_hash", f"t.{key} AS batch_id"]
        + [value(slot) for slot in _SLOTS]
    )
    return f"SELECT {columns} FROM {table} t WHERE {where}"


def _statement() -> TextClause:
    """Every event row of the batches ``:ids``, the sale ``:sale_id`` and the checkpoint.

    The ids come as a list, not as a recursive subquery: PostgreSQL cannot estimate a
    recursive walk's size and chose to read whole tables into hash joins (25 ms a scan at
    300,000 events) where a list of known ids gives index lookups.
    """
    parts = [_select(table, key, slots, f"t.{key} IN :ids") for table, (key, slots) in _TABLES.items()]
    parts.append(_select("sales", "batch_id", _SALE_SLOTS, "t.sale_id = :sale_id"))
    # The block the rows are current up to rides along, saving a statement.
    parts.append(
        "SELECT 'checkpoint', block_number, CAST(NULL AS INTEGER), CAST(NULL AS BIGINT), CAST(NULL AS TEXT),"
        f" CAST(NULL AS TEXT), {', '.join(_null(slot) for slot in _SLOTS)} FROM checkpoint"
    )
    return text("\nUNION ALL\n".join(parts)).bindparams(bindparam("ids", expanding=True))


#: table -> (its key column, [(its own column name, index in a result row)]).
_DECODERS: dict[str, tuple[str, list[tuple[str, int]]]] = {
    table: (
        key,
        [(_OWN_NAMES.get(column, column), 1 + len(_COMMON) + _SLOTS.index(slot)) for slot, column in slots.items()],
    )
    for table, (key, slots) in [*_TABLES.items(), ("sales", ("batch_id", _SALE_SLOTS))]
}

_ROWS = _statement()


def timeline_rows(
    conn: Connection, *, sale_id: str | None = None, batch_id: str | None = None
) -> tuple[dict[str, list[dict[str, Any]]], int | None]:
    """The event rows behind sale `sale_id` (and the sale's own row, under ``"sales"``), or
    behind batch `batch_id`, and the block the database is current up to.

    Rows come as ``{table: [row, ...]}`` with each table's own column names; the lineage is
    walked back through splits and merges to every origin, and a table with no rows is
    absent. An unknown sale or batch gives ``{}``.
    """
    if (sale_id is None) == (batch_id is None):
        raise ValueError("give exactly one of sale_id and batch_id")
    lineage = ancestors_of_sale(conn, sale_id) if sale_id is not None else ancestors(conn, str(batch_id))
    if not lineage:
        return {}, None
    found: dict[str, list[dict[str, Any]]] = {}
    as_of: int | None = None
    for row in conn.execute(_ROWS, {"ids": sorted(lineage), "sale_id": sale_id}):
        table = row[0]
        if table == "checkpoint":
            as_of = row[1]
            continue
        key, columns = _DECODERS[table]
        record = dict(zip(_COMMON, row[1 : 1 + len(_COMMON)], strict=True))
        record[key] = record["batch_id"]
        for name, index in columns:
            record[name] = row[index]
        found.setdefault(table, []).append(record)
    return found, as_of
