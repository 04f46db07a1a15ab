"""How far the database is: the indexer's checkpoint, read here and nowhere else.

Every chain-derived answer stays the same until the checkpoint moves, so callers may cache by
:func:`checkpoint` (its hash also covers a reorg back to the same height); a query reads
:func:`indexed_block` on its own connection, so the block it reports is the one its rows are
current to.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from ledger.store import models

_CHECKPOINT = models.Checkpoint.__table__
_READ = select(_CHECKPOINT.c.block_number, _CHECKPOINT.c.block_hash)


def checkpoint(source: Engine | Connection) -> tuple[int, str] | None:
    """The indexer's checkpoint (block number and hash); None before its first range."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            return checkpoint(conn)
    row = source.execute(_READ).first()
    return (int(row.block_number), row.block_hash) if row else None


def indexed_block(source: Engine | Connection) -> int | None:
    """The block the database is current up to; None before the indexer's first range."""
    mark = checkpoint(source)
    return mark[0] if mark else None
