"""Lineage walks with recursive SQL that runs on SQLite and PostgreSQL alike.

``UNION`` (not ``UNION ALL``) stops a walk from visiting a batch twice when splits and merges
form diamonds; the lineage indexes on ``child_id`` and ``parent_id`` make each step a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import RowMapping, TextClause, text
from sqlalchemy.engine import Connection

#: A guard against a cycle in a corrupted database; real lineage is far shallower.
MAX_DEPTH = 1_000


def _walk_cte(to_column: str, from_column: str, start: str = "SELECT CAST(:batch_id AS VARCHAR(66)), 0") -> str:
    """The recursive ``walk(batch_id, depth)`` along `lineage` from `from_column` to
    `to_column`, starting at the batch that `start` selects (by default ``:batch_id``)."""
    return f"""
        WITH RECURSIVE walk(batch_id, depth) AS (
            {start}
            UNION
            SELECT l.{to_column}, w.depth + 1
            FROM lineage l JOIN walk w ON l.{from_column} = w.batch_id
            WHERE w.depth < :max_depth
        )
        """


def _walk(to_column: str, from_column: str, start: str = "SELECT CAST(:batch_id AS VARCHAR(66)), 0") -> TextClause:
    """The batches of a walk (see :func:`_walk_cte`), each with its fewest steps."""
    return text(
        _walk_cte(to_column, from_column, start) + "SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id"
    )


_ANCESTORS = _walk("parent_id", "child_id")
_DESCENDANTS = _walk("child_id", "parent_id")
_ANCESTORS_OF_SALE = _walk("parent_id", "child_id", "SELECT batch_id, 0 FROM sales WHERE sale_id = :sale_id")
#: Every sale of a batch and of all made from it, in one statement: the walk drives an index
#: lookup of ``sales.batch_id`` per batch (both databases plan a nested loop: the walk's
#: estimate is small), and no id list has to be sent back. Unsorted: SQLite's sorter spills
#: rows this wide to a temporary file past its 2 MB cache (a recall's 10,000 sales: a third of
#: the statement's time), while Python sorts them by their place in the chain in a millisecond.
DESCENDANT_SALE_COLUMNS = (
    "sale_id",
    "serial",
    "batch_id",
    "vendor",
    "quantity",
    "price",
    "currency",
    "block_time",
    "block_number",
    "tx_hash",
    "log_index",
)
_CHAIN_ORDER = itemgetter(DESCENDANT_SALE_COLUMNS.index("block_number"), DESCENDANT_SALE_COLUMNS.index("log_index"))
_DESCENDANT_SALES = text(
    _walk_cte("child_id", "parent_id")
    + f"""
        SELECT {", ".join(f"s.{c}" for c in DESCENDANT_SALE_COLUMNS)}
        FROM (SELECT DISTINCT batch_id FROM walk) w JOIN sales s ON s.batch_id = w.batch_id
        """
)


#: The same statement in each database's driver's style of named parameters (sqlite3's
#: ``:name``, psycopg's ``%(name)s``).
_DESCENDANT_SALES_BY_DATABASE = {
    "sqlite": _DESCENDANT_SALES.text,
    "postgresql": re.sub(r":(\w+)", r"%(\1)s", _DESCENDANT_SALES.text),
}


#: The batches of a forward walk as whole ``batches`` rows plus their ``depth``, in one
#: statement: no id list goes back to the database for the rows.
_DESCENDANT_BATCHES = text(
    _walk_cte("child_id", "parent_id")
    + """
        SELECT b.*, w.depth AS depth
        FROM (SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id) w
        JOIN batches b ON b.batch_id = w.batch_id
        """
)


def ancestors(conn: Connection, batch_id: str) -> dict[str, int]:
    """`batch_id` and every batch it came from, with the number of steps back."""
    rows = conn.execute(_ANCESTORS, {"batch_id": batch_id, "max_depth": MAX_DEPTH})
    return {row.batch_id: row.depth for row in rows}


def ancestors_of_sale(conn: Connection, sale_id: str) -> dict[str, int]:
    """The sold batch of sale `sale_id` and every batch it came from (empty: no such sale)."""
    rows = conn.execute(_ANCESTORS_OF_SALE, {"sale_id": sale_id, "max_depth": MAX_DEPTH})
    return {row.batch_id: row.depth for row in rows}


def descendants(conn: Connection, batch_id: str) -> dict[str, int]:
    """`batch_id` and every batch made from it, with the number of steps forward."""
    rows = conn.execute(_DESCENDANTS, {"batch_id": batch_id, "max_depth": MAX_DEPTH})
    return {row.batch_id: row.depth for row in rows}


def descendant_batches(conn: Connection, batch_id: str) -> Sequence[RowMapping]:
    """The ``batches`` rows of `batch_id` and of every batch made from it, each with its
    ``depth`` (steps forward); empty when `batch_id` is unknown."""
    return conn.execute(_DESCENDANT_BATCHES, {"batch_id": batch_id, "max_depth": MAX_DEPTH}).mappings().all()


def descendant_sales(conn: Connection, batch_id: str) -> Sequence[tuple[Any, ...]]:
    """Every sale of `batch_id` and of the batches made from it, in chain order, as tuples of
    :data:`DESCENDANT_SALE_COLUMNS` (price as the driver returns it: int or Decimal).

    Read from the driver's cursor on `conn`'s connection (in its transaction): SQLAlchemy's
    row objects for a recall's 10,000 sales cost more than a tenth of the trace, and a text
    statement's values pass through them unchanged anyway."""
    params = {"batch_id": batch_id, "max_depth": MAX_DEPTH}
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(_DESCENDANT_SALES_BY_DATABASE[conn.dialect.name], params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    rows.sort(key=_CHAIN_ORDER)
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
