"""Change marks: when what a scan shows last changed, per key, for the API's scan cache.

A scan's answer (the shopper's page, the JSON, the linkset) is made from the rows of one
sale's lineage: its batches, the participants named, the product's names and the sale's rating.
Whoever changes one of those writes a mark for its key **in the same transaction** as the
change: the indexer for the batches and participants of each block range it writes
(:meth:`ledger.store.writer.IndexStore.write_range`), the catalog and the ratings for theirs.
A mark holds a *generation* from the one-row ``change_counter``: its row lock orders the
writers, so a mark that commits later has a higher generation.

A cache keeps, with each answer, the keys it was made from and the generation read **before**
its rows were read (:func:`current_generation`). The answer is still right while no mark of
its keys is newer (:class:`MarkReader`): a change committed before that read is in the rows,
one committed after it has a higher generation. A rollback after a reorg marks ``*``
(:data:`EVERYTHING`), which every answer depends on; so does a range that changes more than
:data:`MAX_KEYS` keys (a backfill), where one mark is cheaper than thousands.

Keys are lower case: batch ids and addresses as the chain gives them, ``product:{gtin}`` and
``rating:{sale_id}`` and ``scans:{sale_id}`` for what the market keeps off the chain.

Example::

    with engine.begin() as conn:
        ...  # the change itself
        mark_changed(conn, [batch_id], changed_at=block_time)
    reader = MarkReader(engine)
    reader.newest((batch_id, EVERYTHING))  # (generation, changed_at)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ledger.store import models

_MARKS = models.ChangeMark.__table__
_COUNTER = models.ChangeCounter.__table__
#: The key every answer depends on: marked when anything may have changed (a reorg).
EVERYTHING = "*"
#: A range changing more keys than this marks everything instead (a backfill: nothing to keep).
MAX_KEYS = 1_000
#: The columns of event and state rows that name a batch.
_BATCH_COLUMNS = ("batch_id", "parent_id", "child_id")


def scans_key(sale_id: str) -> str:
    """The key of a receipt's scan counts (:mod:`ledger.store.receipt_scans`)."""
    return f"scans:{sale_id.lower()}"


def product_key(gtin: str) -> str:
    return f"product:{gtin}"


def rating_key(sale_id: str) -> str:
    return f"rating:{sale_id.lower()}"


def range_keys(
    rows_by_table: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
    batches: Iterable[str],
    participants: Iterable[str],
) -> set[str]:
    """The keys a block range changes: every batch its rows name, and the batches and
    participants whose state it changed. `rows_by_table` holds per table the column names
    and the rows' values in that order."""
    batches, participants = list(batches), list(participants)
    if len(batches) + len(participants) > MAX_KEYS:
        # mark_changed would mark everything anyway: a backfill's range need not collect
        # the keys of its hundred thousand rows first.
        return {EVERYTHING}
    keys = {key.lower() for key in (*batches, *participants)}
    names, notices = rows_by_table.get("notices", ((), ()))
    for notice in notices:
        # A notice shows on the pages of the lot and the stall it concerns, or on every page.
        row = dict(zip(names, notice, strict=True))
        concerns = [value for value in (row.get("batch_id"), row.get("stall")) if value]
        if concerns:
            keys.update(value.lower() for value in concerns)
        else:
            keys.add(EVERYTHING)
    for names, rows in rows_by_table.values():
        columns = [at for at, name in enumerate(names) if name in _BATCH_COLUMNS]
        for row in rows:
            for at in columns:
                value = row[at]
                if value:
                    keys.add(value.lower())
    return keys


def mark_changed(conn: Connection, keys: Iterable[str], changed_at: int) -> None:
    """Mark `keys` changed at `changed_at` (unix seconds), inside the caller's transaction."""
    wanted = sorted({key.lower() for key in keys})
    if not wanted:
        return
    if len(wanted) > MAX_KEYS:
        wanted = [EVERYTHING]
    conn.execute(update(_COUNTER).where(_COUNTER.c.id == 1).values(generation=_COUNTER.c.generation + 1))
    generation = conn.execute(select(_COUNTER.c.generation).where(_COUNTER.c.id == 1)).scalar_one()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_MARKS)
    statement = statement.on_conflict_do_update(
        index_elements=[_MARKS.c.key],
        set_={"generation": statement.excluded.generation, "changed_at": statement.excluded.changed_at},
    )
    conn.execute(statement, [{"key": key, "generation": generation, "changed_at": changed_at} for key in wanted])


def mark_everything(conn: Connection, changed_at: int) -> None:
    """Mark every answer changed (a rollback: which keys it touched is not worth finding)."""
    mark_changed(conn, [EVERYTHING], changed_at)


def current_generation(engine: Engine) -> int:
    """The newest generation handed out: read it before the rows an answer is made from."""
    with engine.connect() as conn:
        return int(conn.execute(select(_COUNTER.c.generation).where(_COUNTER.c.id == 1)).scalar() or 0)


def database_instance(engine: Engine) -> str:
    """The random name of this database's marks (drawn by its migration): generations restart
    at 0 in a database made anew, so an answer kept outside the database names it by this."""
    with engine.connect() as conn:
        return str(conn.execute(select(_COUNTER.c.instance).where(_COUNTER.c.id == 1)).scalar() or "")


_GENERATION = "SELECT generation FROM change_counter WHERE id = 1"


class MarkReader:
    """The newest mark among some keys, on one long-lived driver connection per thread.

    A scan served from the cache asks this once; SQLAlchemy's connection checkout and statement
    handling cost five times the query itself (and a ping per checkout on PostgreSQL), so this
    one statement goes straight to the driver, in autocommit mode (each read sees the newest
    commit, and no transaction stays open).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._placeholder = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._statements: dict[int, str] = {}

    def newest(self, keys: Sequence[str]) -> tuple[int, int | None]:
        """(the newest generation, the latest changed_at) among the marks of `keys`; (0, None)
        when none has a mark."""
        statement = self._statements.get(len(keys))
        if statement is None:
            marks = ", ".join([self._placeholder] * len(keys))
            statement = f"SELECT MAX(generation), MAX(changed_at) FROM change_marks WHERE key IN ({marks})"
            self._statements[len(keys)] = statement
        try:
            generation, changed_at = self._read(statement, tuple(keys))
        except Exception:
            # The connection may have died with the server (a restart): one more try on a new one.
            self._discard()
            generation, changed_at = self._read(statement, tuple(keys))
        return int(generation or 0), None if changed_at is None else int(changed_at)

    def generation(self) -> int:
        """The newest generation handed out (:func:`current_generation`, on this reader's
        connection): one primary-key read, a quarter of :meth:`newest` on SQLite."""
        try:
            row = self._read(_GENERATION, ())
        except Exception:
            self._discard()  # as in newest(): one more try on a new connection
            row = self._read(_GENERATION, ())
        return int(row[0] or 0) if row else 0

    def _read(self, statement: str, keys: tuple[str, ...]) -> Any:
        cursor = self._connection().cursor()
        try:
            cursor.execute(statement, keys)
            return cursor.fetchone()
        finally:
            cursor.close()

    def close(self) -> None:
        """Give this thread's connection back (the others go with their threads)."""
        self._discard()

    def _connection(self) -> Any:
        pooled = getattr(self._local, "pooled", None)
        if pooled is None:
            pooled = self._engine.raw_connection()
            driver = pooled.driver_connection
            if self._engine.dialect.name == "postgresql":
                driver.rollback()
                driver.autocommit = True
            self._local.pooled = pooled
        return pooled.driver_connection

    def _discard(self) -> None:
        pooled = getattr(self._local, "pooled", None)
        self._local.pooled = None
        if pooled is not None:
            try:
                if self._engine.dialect.name == "postgresql":
                    pooled.driver_connection.autocommit = False
                pooled.close()
            except Exception:  # a dead connection: the pool replaces it
                pooled.invalidate()
