"""Bulk loading: a fresh database is backfilled without its secondary indexes, which are built
once at the end.

Inserting a row updates every index of its table at the row's place in that index; a backfill
into ``batches`` (six indexes), ``lineage`` (four) and ``raw_events`` (three) spends more time
in those updates than in the rows themselves. Building an index once over the loaded rows
sorts them instead, which costs a fraction of it. Deferred are the plain (non-unique) indexes
of the tables the indexer fills: the indexer's own reads go by primary keys, unique constraints
keep guarding the data, and a rollback merely scans where it would have used an index.

Whether a load is under way is the schema itself: some deferrable index is missing. A load
killed half-way is therefore resumed as one (the next sync sees the missing indexes and
restores them when it reaches the head), and no other state can disagree with it. The indexes
are dropped and built in one transaction each, so a crash leaves either all of them or none.

While a load runs, the API's queries on these tables scan them: a fresh database is being
filled, and its answers are incomplete anyway until the backfill ends.

Example::

    with engine.begin() as conn:
        drop_deferrable_indexes(conn)
    ...  # the backfill
    with engine.begin() as conn:
        build_missing_indexes(conn)
"""

from __future__ import annotations

from sqlalchemy import Index, inspect
from sqlalchemy.engine import Connection

from ledger.store import models

#: The tables the indexer fills, whose plain indexes a backfill defers.
_LOADED_TABLES = (*models.EVENT_TABLES, models.Batch, models.Participant)


def deferrable_indexes() -> list[Index]:
    """The plain indexes of the indexer's tables, as the models (and migrations) define them."""
    return sorted(
        (index for model in _LOADED_TABLES for index in model.__table__.indexes if not index.unique),
        key=lambda index: str(index.name),
    )


def _present(conn: Connection) -> set[str]:
    inspector = inspect(conn)
    return {
        str(index["name"])
        for model in _LOADED_TABLES
        for index in inspector.get_indexes(model.__tablename__)
        if index["name"]
    }


def missing_indexes(conn: Connection) -> list[Index]:
    """Deferrable indexes absent from the database: non-empty while a bulk load is under way."""
    present = _present(conn)
    return [index for index in deferrable_indexes() if index.name not in present]


def drop_deferrable_indexes(conn: Connection) -> None:
    """Drop every deferrable index that exists (the start of a bulk load)."""
    present = _present(conn)
    for index in deferrable_indexes():
        if index.name in present:
            index.drop(conn)


def build_missing_indexes(conn: Connection) -> int:
    """Build the deferrable indexes that are missing (the end of a bulk load); return how many.

    No ANALYZE follows on PostgreSQL: building an index already records the table's size for
    the planner, and autovacuum gathers the rest, as after any backfill (an ANALYZE of the
    loaded tables took as long as building their indexes).
    """
    missing = missing_indexes(conn)
    for index in missing:
        index.create(conn)
    return len(missing)
