"""Read-only queries behind ``freshledger audit``: whole projection tables keyed by primary
key (to compare two databases row by row), the documents the chain references, and the
sales whose lineage does not reach a harvest or a customs entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, select, text

from ledger.store import models

#: Tables rebuilt from the chain's logs and compared, by name: every per-event table, the
#: mutable states, and the identity and checkpoint (which chain, up to which block).
PROJECTIONS: dict[str, Table] = {
    model.__tablename__: model.__table__
    for model in (
        models.ChainIdentity,
        models.Checkpoint,
        models.Participant,
        models.Batch,
        *models.EVENT_TABLES,
    )
}

Key = tuple[Any, ...]


def key_columns(table: str) -> list[str]:
    """The primary key columns of projection `table`, in order."""
    return [column.name for column in PROJECTIONS[table].primary_key.columns]


def by_block(table: str) -> bool:
    """Whether `table`'s rows are keyed by block (and so can be compared a window at a time)."""
    return "block_number" in key_columns(table)


def table_rows(engine: Engine, table: str, blocks: tuple[int, int | None] | None = None) -> dict[Key, dict[str, Any]]:
    """The rows of projection `table` by primary key (only blocks ``lo < n <= hi`` when
    `blocks` is ``(lo, hi)``; ``hi`` None: no upper bound), values made comparable across
    backends (NUMERIC as int, JSON as Python objects)."""
    projection = PROJECTIONS[table]
    keys = key_columns(table)
    query = projection.select()
    if blocks is not None:
        low, high = blocks
        query = query.where(projection.c.block_number > low)
        if high is not None:
            query = query.where(projection.c.block_number <= high)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings()
        found = {}
        for row in rows:
            plain = {name: _plain(value) for name, value in row.items()}
            found[tuple(plain[k] for k in keys)] = plain
    return found


def block_windows(engine: Engine, table: str, rows: int) -> list[tuple[int, int | None]]:
    """Block ranges ``(lo, hi]`` of about `rows` rows each of `table` (whole blocks), the
    last one open-ended, so that two databases can be compared a window at a time."""
    column = PROJECTIONS[table].c.block_number
    windows: list[tuple[int, int | None]] = []
    low = -1
    with engine.connect() as conn:
        while True:
            query = select(column).where(column > low).order_by(column).offset(rows - 1).limit(1)
            high = conn.execute(query).scalar()
            if high is None:
                windows.append((low, None))
                return windows
            windows.append((low, high))
            low = high


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    return value


def document_references(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Every document CID recorded on-chain, with the (batch id, step) that names it."""
    documents = models.Document.__table__
    found: dict[str, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        query = documents.select().order_by(documents.c.block_number, documents.c.log_index)
        for row in conn.execute(query).mappings():
            found.setdefault(row["cid"], []).append((row["batch_id"], row["step"]))
    return found


#: Batches a lineage walk cannot take back to an origin: not a harvest or an import, and no
#: lineage edge names a parent of theirs (or sold but not in ``batches`` at all). Then every
#: batch made from one of them, and the sales of those batches. (Walking forward from the
#: few orphans is far cheaper than walking back from every sale.)
_SALES_WITHOUT_ORIGIN = text(
    """
    WITH RECURSIVE orphan(batch_id) AS (
        SELECT b.batch_id FROM batches b
        WHERE NOT EXISTS (SELECT 1 FROM harvests h WHERE h.batch_id = b.batch_id)
          AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.batch_id = b.batch_id)
          AND NOT EXISTS (SELECT 1 FROM lineage l WHERE l.child_id = b.batch_id)
        UNION
        SELECT s.batch_id FROM sales s
        WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = s.batch_id)
    ),
    cut(batch_id, orphan_id, depth) AS (
        SELECT batch_id, batch_id, 0 FROM orphan
        UNION
        SELECT l.child_id, c.orphan_id, c.depth + 1
        FROM lineage l JOIN cut c ON l.parent_id = c.batch_id
        WHERE c.depth < :max_depth
    )
    SELECT DISTINCT s.sale_id, s.batch_id, b.lot, c.orphan_id, o.lot AS orphan_lot
    FROM sales s
    JOIN cut c ON c.batch_id = s.batch_id
    LEFT JOIN batches b ON b.batch_id = s.batch_id
    LEFT JOIN batches o ON o.batch_id = c.orphan_id
    """
)

#: Same guard as the lineage walks: real lineage is far shallower.
MAX_DEPTH = 1_000


def sales_without_origin(engine: Engine) -> list[Mapping[str, Any]]:
    """Sales whose lineage has a batch that reaches no harvest or import (``sale_id``,
    ``batch_id``, ``lot``, ``orphan_id``, ``orphan_lot``), one row per sale and orphan."""
    with engine.connect() as conn:
        rows = conn.execute(_SALES_WITHOUT_ORIGIN, {"max_depth": MAX_DEPTH}).mappings().all()
    return sorted(rows, key=lambda r: (r["sale_id"], r["orphan_id"]))
