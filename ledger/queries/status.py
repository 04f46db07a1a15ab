"""How far the database is: the block the indexer's checkpoint has reached."""

from __future__ import annotations

from sqlalchemy import Engine

from ledger.queries.rows import as_of_block


def indexed_block(engine: Engine) -> int | None:
    """The block the database is current up to; None before the indexer's first range."""
    with engine.connect() as conn:
        return as_of_block(conn)
