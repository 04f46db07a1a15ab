"""Bulk loading: a fresh database is backfilled without its secondary indexes, which are built
once at the end.

Inserting a row updates every index of its table at the row's place in that index; a backfill
into ``batches`` (six indexes) and ``lineage`` (four) spends more time in those updates than in
the rows themselves. Building an index once over the loaded rows sorts them instead, which
costs a fraction of it. Deferred are the indexes of the tables the indexer fills, the unique
ones with the plain: the indexer's own reads go by primary keys, and a rollback merely scans
where it would have used an index. The primary keys stay, so a range written twice still
fails. The unique guards (a sale id, a lot of a GTIN) are checked when they are built: the
contract refuses what would break them, so a duplicate there means the index holds what the
chain never said, and the build fails with :class:`DuplicateRows`.

Whether a load is under way is the schema itself: some deferrable index is missing. A load
killed half-way is therefore resumed as one (the next sync sees the missing indexes and
restores them when it reaches the head), and no other state can disagree with it. The indexes
are dropped in one transaction, so a crash leaves either all of them or none; on SQLite they are
built in one transaction too. On PostgreSQL they are built by a few connections at once (the
server builds them in parallel: the build is a serial tenth of a backfill), each connection's
share in one transaction: a crash leaves some tables indexed, and the next sync builds the rest.

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

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, Index, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ledger.errors import IndexerError
from ledger.store import models

#: The tables the indexer fills, whose indexes a backfill defers.
_LOADED_TABLES = (*models.EVENT_TABLES, models.Batch, models.Participant)


class DuplicateRows(IndexerError):
    """A unique index of a bulk load cannot be built: the loaded rows hold a duplicate."""


def deferrable_indexes() -> list[Index]:
    """The indexes of the indexer's tables, plain and unique, as the models (and migrations)
    define them."""
    return sorted(
        (index for model in _LOADED_TABLES for index in model.__table__.indexes),
        key=lambda index: str(index.name),
    )


def _present(conn: Connection) -> set[str]:
    """The names of the indexes of the loaded tables that exist, from the catalogue: SQLAlchemy's
    reflection leaves out SQLite's indexes on expressions (``ix_sales_sale_id_prefix``)."""
    tables = sorted(model.__tablename__ for model in _LOADED_TABLES)
    catalogue = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN :tables"
        if conn.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN :tables"
    )
    found = conn.execute(text(catalogue).bindparams(bindparam("tables", expanding=True)), {"tables": tables})
    return set(found.scalars())


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
        _build(conn, index)
    return len(missing)


def build_missing_indexes_concurrently(engine: Engine, connections: int) -> int:
    """PostgreSQL's :func:`build_missing_indexes` on up to `connections` connections at once,
    its server building them on as many cores (CREATE INDEX takes a share lock: builds on
    one table do not block each other). The indexes are shared out by the size of their
    table: a backfill fills two or three of the tables, the rest are empty."""
    with engine.connect() as conn:
        missing = missing_indexes(conn)
        sizes = {
            name: conn.execute(text("SELECT pg_relation_size(:name)"), {"name": name}).scalar_one()
            for name in {index.table.name for index in missing}
        }
    shares: list[list[Index]] = [[] for _ in range(max(1, min(connections, len(missing))))]
    loads = [0] * len(shares)
    for index in sorted(missing, key=lambda index: sizes[index.table.name], reverse=True):
        least = loads.index(min(loads))
        shares[least].append(index)
        loads[least] += 1 + sizes[index.table.name]

    def build(indexes: list[Index]) -> None:
        with engine.begin() as conn:
            for index in indexes:
                _build(conn, index)

    with ThreadPoolExecutor(max_workers=len(shares), thread_name_prefix="index-build") as pool:
        for done in [pool.submit(build, share) for share in shares]:
            done.result()
    return len(missing)


def _build(conn: Connection, index: Index) -> None:
    try:
        index.create(conn)
    except IntegrityError as exc:
        raise DuplicateRows(
            f"the rows of {index.table.name} break its unique index {index.name} ({exc.orig}). The contract refuses "
            "such events, so these rows are not what the chain holds: re-index into a fresh database"
        ) from exc
