"""Lineage walks with recursive SQL that runs on SQLite and PostgreSQL alike.

``UNION`` (not ``UNION ALL``) stops a walk from visiting a batch twice when splits and merges
form diamonds; the lineage indexes on ``child_id`` and ``parent_id`` make each step a lookup.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

#: A guard against a cycle in a corrupted database; real lineage is far shallower.
MAX_DEPTH = 1_000


def _walk(to_column: str, from_column: str, start: str = "SELECT CAST(:batch_id AS VARCHAR(66)), 0") -> TextClause:
    """A walk along `lineage` from `from_column` to `to_column`, starting at the batch that
    `start` selects (by default ``:batch_id``)."""
    return text(
        f"""
        WITH RECURSIVE walk(batch_id, depth) AS (
            {start}
            UNION
            SELECT l.{to_column}, w.depth + 1
            FROM lineage l JOIN walk w ON l.{from_column} = w.batch_id
            WHERE w.depth < :max_depth
        )
        SELECT batch_id, min(depth) AS depth FROM walk GROUP BY batch_id
        """
    )


_ANCESTORS = _walk("parent_id", "child_id")
_DESCENDANTS = _walk("child_id", "parent_id")
_ANCESTORS_OF_SALE = _walk("parent_id", "child_id", "SELECT batch_id, 0 FROM sales WHERE sale_id = :sale_id")


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
