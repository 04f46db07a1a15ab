"""Lineage walks with recursive SQL that runs on SQLite and PostgreSQL alike.

``UNION`` (not ``UNION ALL``) stops a walk from visiting a batch twice when splits and merges
form diamonds; the lineage indexes on ``child_id`` and ``parent_id`` make each step a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

from ledger.queries.rows import driver_rows, json_array
from ledger.store.models import sale_id_matches, sale_id_prefix

#: A guard against a cycle in a corrupted database; real lineage is far shallower.
MAX_DEPTH = 1_000


#: A walk's start: the batch ``:batch_id``, read from its table so that the walk's column has
#: the type (and, on PostgreSQL, the "C" collation) of the lineage columns it meets: a recursive
#: query's terms must agree on it, and a bare parameter would have the database's collation.
_FROM_BATCH = "SELECT batch_id, 0 FROM batches WHERE batch_id = :batch_id"


def _walk_cte(to_column: str, from_column: str, start: str = _FROM_BATCH) -> str:
    """The recursive ``walk(batch_id, depth)`` along `lineage` from `from_column` to
    `to_column`, starting at the batch that `start` selects (by default ``:batch_id``, if it
    exists)."""
    return f"""
        WITH RECURSIVE walk(batch_id, depth) AS (
            {start}
            UNION
            SELECT l.{to_column}, w.depth + 1
            FROM lineage l JOIN walk w ON l.{from_column} = w.batch_id
            WHERE w.depth < :max_depth
        )
        """


def _walk(to_column: str, from_column: str, start: str = _FROM_BATCH) -> TextClause:
    """The batches of a walk (see :func:`_walk_cte`), each with its fewest steps."""
    return text(
        _walk_cte(to_column, from_column, start) + "SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id"
    )


_ANCESTORS = _walk("parent_id", "child_id")
_DESCENDANTS = _walk("child_id", "parent_id")
_ANCESTORS_OF_SALE = _walk("parent_id", "child_id", f"SELECT batch_id, 0 FROM sales WHERE {sale_id_matches()}")
#: A forward walk's batches as the columns of a view plus ``depth`` (fewest steps forward) and
#: ``created_log_index`` (their order), in one statement: the walk joined to ``batches``.
DESCENDANT_BATCH_COLUMNS = (
    "batch_id",
    "depth",
    "gtin",
    "lot",
    "unit",
    "quantity",
    "remaining",
    "status",
    "custodian",
    "pending_recipient",
    "origin_kind",
    "created_at",
    "created_block",
    "created_log_index",
)
_DESCENDANT_BATCHES = text(
    _walk_cte("child_id", "parent_id")
    + f"""
        SELECT {", ".join(f"w.{c}" if c == "depth" else f"b.{c}" for c in DESCENDANT_BATCH_COLUMNS)}
        FROM (SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id) w
        JOIN batches b ON b.batch_id = w.batch_id
        """
)

#: A sale as :func:`sales_of_batches` returns it: first the sold batch's place in the list of
#: batches asked for (an int: 10,000 copies of a 66-character id cost more than the lookup),
#: then the sale's own columns, and last its place in the chain as one int, ``position``:
#: ``block_number << POSITION_BITS | log_index`` (``position >> POSITION_BITS`` is its block).
#: One column and one sort fewer than the block and the log index: on SQLite each value read
#: is a few driver calls, and a recall reads 10,000 rows.
SALE_OF_BATCHES_COLUMNS = (
    "batch",
    "sale_id",
    "serial",
    "vendor",
    "quantity",
    "price",
    "currency",
    "block_time",
    "tx_hash",
    "position",
)
#: Bits of a sale's ``position`` below its block number: room for 16.7 million logs in one
#: block (each costs at least 375 gas), and block numbers up to 2^39 in a signed 64-bit int.
POSITION_BITS = 24
_SALE_COLUMNS = ", ".join(f"s.{c}" for c in SALE_OF_BATCHES_COLUMNS[1:-1]) + (
    f", s.block_number * {1 << POSITION_BITS} + s.log_index"
)
#: PostgreSQL's price as text: psycopg makes a NUMERIC a Decimal, slower to make and to turn
#: into an int than the digits (SQLite gives an int).
_SALE_COLUMNS_POSTGRESQL = _SALE_COLUMNS.replace("s.price", "CAST(s.price AS text)")
#: The batches go in as one parameter (a JSON array for SQLite, an array for PostgreSQL), so
#: that one walk serves the batches and their sales: each id drives an index lookup of
#: ``sales.batch_id`` (both databases plan a nested loop). Unsorted: SQLite's sorter spills
#: rows this wide to a temporary file past its 2 MB cache (a recall's 10,000 sales: a third of
#: the statement's time), while Python sorts them by their place in the chain in a millisecond.
_SALES_OF_BATCHES = {
    "sqlite": f"SELECT j.key, {_SALE_COLUMNS} FROM json_each(:batch_ids) j JOIN sales s ON s.batch_id = j.value",
    "postgresql": f"SELECT w.n - 1, {_SALE_COLUMNS_POSTGRESQL}"
    " FROM unnest(CAST(%(batch_ids)s AS text[])) WITH ORDINALITY AS w(batch_id, n)"
    " JOIN sales s ON s.batch_id = w.batch_id",
}
_POSITION = itemgetter(SALE_OF_BATCHES_COLUMNS.index("position"))

#: PostgreSQL's forward walk in psycopg's style of named parameters, for the driver's cursor.
_DESCENDANT_BATCHES_POSTGRESQL = re.sub(r":(\w+)", r"%(\1)s", _DESCENDANT_BATCHES.text)
#: SQLite's forward walk, a level per statement (see :func:`_descendant_batches_by_level`):
#: the batch, then the children of a level's batches (one JSON array), each with its row.
_BATCH_AT_DEPTH = ", ".join(":depth" if c == "depth" else f"b.{c}" for c in DESCENDANT_BATCH_COLUMNS)
_BATCH_SQLITE = f"SELECT {_BATCH_AT_DEPTH} FROM batches b WHERE b.batch_id = :batch_id"
_CHILD_BATCHES_SQLITE = (
    f"SELECT {_BATCH_AT_DEPTH} FROM json_each(:batch_ids) j"
    " JOIN lineage l ON l.parent_id = j.value JOIN batches b ON b.batch_id = l.child_id"
)


def ancestors(conn: Connection, batch_id: str) -> dict[str, int]:
    """`batch_id` and every batch it came from, with the number of steps back (empty: no such
    batch)."""
    rows = conn.execute(_ANCESTORS, {"batch_id": batch_id, "max_depth": MAX_DEPTH})
    return {row.batch_id: row.depth for row in rows}


def ancestors_of_sale(conn: Connection, sale_id: str) -> dict[str, int]:
    """The sold batch of sale `sale_id` and every batch it came from (empty: no such sale)."""
    rows = conn.execute(
        _ANCESTORS_OF_SALE, {"sale_id": sale_id, "sale_id_prefix": sale_id_prefix(sale_id), "max_depth": MAX_DEPTH}
    )
    return {row.batch_id: row.depth for row in rows}


def descendants(conn: Connection, batch_id: str) -> dict[str, int]:
    """`batch_id` and every batch made from it, with the number of steps forward (empty: no
    such batch)."""
    rows = conn.execute(_DESCENDANTS, {"batch_id": batch_id, "max_depth": MAX_DEPTH})
    return {row.batch_id: row.depth for row in rows}


def descendant_batches(conn: Connection, batch_id: str) -> list[tuple[Any, ...]]:
    """`batch_id` and every batch made from it, as tuples of :data:`DESCENDANT_BATCH_COLUMNS`,
    unordered; empty when `batch_id` is unknown."""
    if conn.dialect.name == "sqlite":
        return _descendant_batches_by_level(conn, batch_id)
    return driver_rows(conn, _DESCENDANT_BATCHES_POSTGRESQL, {"batch_id": batch_id, "max_depth": MAX_DEPTH})


def _descendant_batches_by_level(conn: Connection, batch_id: str) -> list[tuple[Any, ...]]:
    """:func:`descendant_batches` on SQLite: the walk goes a level at a time, each level one
    statement (the children of the batches found last, with their rows), and each batch is
    kept at the first level that reaches it, its fewest steps. Up to ``MAX_DEPTH`` levels, as
    the recursive walk. About 60 % of the CPU of SQLite's recursive walk, whose ``UNION`` and
    ``GROUP BY`` each fill a temporary B-tree; PostgreSQL keeps the one statement (a round
    trip per level would cost it more)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        rows = cursor.execute(_BATCH_SQLITE, {"batch_id": batch_id, "depth": 0}).fetchall()
        seen = {batch_id}
        level = [batch_id]
        depth = 0
        while level and depth < MAX_DEPTH:
            depth += 1
            found = []
            for row in cursor.execute(_CHILD_BATCHES_SQLITE, {"batch_ids": json_array(level), "depth": depth}):
                if row[0] not in seen:  # a merge's child, reached from two of its parents
                    seen.add(row[0])
                    found.append(row[0])
                    rows.append(row)
            level = found
        return rows
    finally:
        cursor.close()


def sales_of_batches(conn: Connection, batch_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Every sale of the batches `batch_ids` (no repeats), in chain order, as tuples of
    :data:`SALE_OF_BATCHES_COLUMNS` (price an int from SQLite, its digits from PostgreSQL)."""
    ids = json_array(batch_ids) if conn.dialect.name == "sqlite" else list(batch_ids)
    rows = driver_rows(conn, _SALES_OF_BATCHES[conn.dialect.name], {"batch_ids": ids})
    rows.sort(key=_POSITION)
    return rows


def _nearest(to_column: str, from_column: str) -> TextClause:
    """A walk's batches, nearest first, at most ``:limit`` (a picture of a huge lineage)."""
    return text(
        _walk_cte(to_column, from_column)
        + "SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id ORDER BY min(depth), batch_id LIMIT :limit"
    )


_NEAREST_ANCESTORS = _nearest("parent_id", "child_id")
_NEAREST_DESCENDANTS = _nearest("child_id", "parent_id")


def nearest_ancestors(conn: Connection, batch_id: str, limit: int) -> dict[str, int]:
    """At most `limit` of :func:`ancestors`, fewest steps back first (`batch_id` itself first)."""
    rows = conn.execute(_NEAREST_ANCESTORS, {"batch_id": batch_id, "max_depth": MAX_DEPTH, "limit": limit})
    return {row.batch_id: row.depth for row in rows}


def nearest_descendants(conn: Connection, batch_id: str, limit: int) -> dict[str, int]:
    """At most `limit` of :func:`descendants`, fewest steps forward first (`batch_id` first)."""
    rows = conn.execute(_NEAREST_DESCENDANTS, {"batch_id": batch_id, "max_depth": MAX_DEPTH, "limit": limit})
    return {row.batch_id: row.depth for row in rows}
