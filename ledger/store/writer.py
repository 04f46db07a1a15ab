"""The indexer's writes: one database transaction per block range, rollbacks on reorg.

:meth:`IndexStore.write_range` inserts the range's event rows, writes the changed batch and
participant states and their undo journal, the recent block hashes, the change marks of the
batches and participants it touched (:mod:`ledger.store.change_marks`) and the checkpoint, all
in one transaction: a crash at any point leaves either the whole range or none of it.
Re-writing a range that is already stored changes nothing (rows are keyed by block and log
index, and the checkpoint says where to resume).

:meth:`IndexStore.rollback_to` undoes every block above a common ancestor: it deletes the
rows those blocks produced, restores the journaled states, newest first, and deletes the
batches and participants created above the ancestor.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Engine,
    Integer,
    Numeric,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from ledger.store import models
from ledger.store.bulk_load import (
    build_missing_indexes,
    build_missing_indexes_concurrently,
    drop_deferrable_indexes,
    missing_indexes,
)
from ledger.store.change_marks import mark_changed, mark_everything, range_keys

#: Rows per SQLite INSERT statement (one ``VALUES`` list): binding a statement's rows at once
#: took a tenth less of the writer's CPU than ``executemany`` of one row a statement, which
#: steps and resets the statement per row (30 rows a statement saved half as much, 500 less).
ROWS_PER_STATEMENT = 100
#: SQLite's limit on a statement's bound parameters (since 3.32).
SQLITE_MAX_PARAMETERS = 32_766
#: The page cache of the indexer's SQLite connection, in KiB (per connection; SQLite's
#: default is 2,000).
SQLITE_CACHE_KIB = 65_536
#: WAL pages between SQLite's checkpoints during a bulk load (256 MiB of 4 KiB pages; the
#: default is 1,000). Each checkpoint copies the WAL into the database and syncs both files:
#: at the default, every range of a backfill waited for one.
SQLITE_BULK_CHECKPOINT_PAGES = 65_536
SQLITE_CHECKPOINT_PAGES = 1_000
#: PostgreSQL connections that build a bulk load's deferred indexes at once (the server
#: builds them on as many cores; two is what this project's machines have).
INDEX_BUILD_CONNECTIONS = 2
#: Keys per ``IN (...)`` list when loading states.
LOAD_CHUNK = 500

_TABLES: dict[str, Table] = {model.__tablename__: model.__table__ for model in models.EVENT_TABLES}
_BATCHES = models.Batch.__table__
_PARTICIPANTS = models.Participant.__table__
_JOURNAL = models.StateJournal.__table__
_RECENT = models.RecentBlock.__table__
_CHECKPOINT = models.Checkpoint.__table__
_IDENTITY = models.ChainIdentity.__table__


@dataclass(frozen=True)
class ChainIdentityRecord:
    chain_id: int
    genesis_hash: str
    contract_address: str
    deploy_block: int


@dataclass(frozen=True)
class CheckpointRecord:
    block_number: int
    block_hash: str


@dataclass(frozen=True)
class RangeWrite:
    """Everything one block range adds to the database.

    ``batches`` / ``participants`` hold the new state of every changed row (None: the row
    is gone); ``stored_batches`` / ``stored_participants`` name those that already had a
    row before the range, which are replaced rather than inserted.
    """

    rows: dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]]  # by table: column names, one tuple a row
    batches: dict[str, dict[str, Any] | None]
    participants: dict[str, dict[str, Any] | None]
    stored_batches: set[str]
    stored_participants: set[str]
    journal: list[dict[str, Any]]
    recent_blocks: list[tuple[int, str]]
    checkpoint: CheckpointRecord
    prune_below: int


@dataclass(frozen=True)
class PreparedRange:
    """A :class:`RangeWrite` as the database driver takes it: per table the column names and
    one tuple per row (JSON as text); ``stored_*`` are the keys whose old rows are deleted
    before the new states are inserted. Plain tuples pickle in a fifth of the time of the
    row dicts, which matters when a writer process receives them."""

    rows: list[tuple[str, list[str], list[tuple[Any, ...]]]]
    batches: tuple[list[str], list[tuple[Any, ...]]]
    stored_batches: list[str]
    participants: tuple[list[str], list[tuple[Any, ...]]]
    stored_participants: list[str]
    journal: tuple[list[str], list[tuple[Any, ...]]]
    recent_blocks: list[tuple[int, str]]
    prune_below: int
    marks: list[str]
    checkpoint: CheckpointRecord


class IndexStore:
    """Reads and writes of the indexer's tables on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bulk_load = False

    # ------------------------------------------------------------ identity and position

    def identity(self) -> ChainIdentityRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_IDENTITY)).mappings().first()
        if row is None:
            return None
        return ChainIdentityRecord(row["chain_id"], row["genesis_hash"], row["contract_address"], row["deploy_block"])

    def set_identity(self, identity: ChainIdentityRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_IDENTITY))
            conn.execute(insert(_IDENTITY).values(id=1, **identity.__dict__))

    def checkpoint(self) -> CheckpointRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_CHECKPOINT.c.block_number, _CHECKPOINT.c.block_hash)).first()
        return CheckpointRecord(row.block_number, row.block_hash) if row else None

    def recent_blocks(self) -> list[tuple[int, str]]:
        """Stored (number, hash) of recent blocks, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_RECENT.c.number, _RECENT.c.hash).order_by(_RECENT.c.number.desc())).all()
        return [(row.number, row.hash) for row in rows]

    # ------------------------------------------------------------ bulk loads

    def bulk_loading(self) -> bool:
        """Whether a bulk load is under way (:mod:`ledger.store.bulk_load`): some deferrable
        index is missing."""
        with self.engine.connect() as conn:
            return bool(missing_indexes(conn))

    def begin_bulk_load(self) -> None:
        """Drop the deferrable indexes before a backfill into a fresh database (or go on with
        a bulk load that was stopped); until :meth:`end_bulk_load`, SQLite checkpoints its
        WAL less often."""
        with self.engine.begin() as conn:
            drop_deferrable_indexes(conn)
        self._bulk_load = True

    def end_bulk_load(self) -> int:
        """Build the indexes a bulk load deferred; return how many were built."""
        if self.engine.dialect.name == "postgresql":
            built = build_missing_indexes_concurrently(self.engine, INDEX_BUILD_CONNECTIONS)
        else:  # SQLite has one writer at a time
            with self.engine.begin() as conn:
                built = build_missing_indexes(conn)
        self._bulk_load = False
        return built

    # ------------------------------------------------------------ states

    def load_states(
        self, batch_ids: Iterable[str], addresses: Iterable[str]
    ) -> tuple[dict[str, dict[str, Any] | None], dict[str, dict[str, Any] | None]]:
        """Current rows of the given batches and participants (None where absent)."""
        with self.engine.connect() as conn:
            batches = _load(conn, _BATCHES, _BATCHES.c.batch_id, batch_ids)
            participants = _load(conn, _PARTICIPANTS, _PARTICIPANTS.c.address, addresses)
        return batches, participants

    # ------------------------------------------------------------ writes

    def write_range(self, write: RangeWrite) -> None:
        """Apply one range atomically (see the module docstring)."""
        self.write_prepared(prepare_range(write))

    def write_prepared(self, prepared: PreparedRange) -> None:
        """Apply one range, its rows already made (:func:`prepare_range`), atomically."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # A range inserts into a dozen indexes keyed by hashes, at random places: with
                # SQLite's default 2 MB page cache their pages keep being evicted and re-read.
                conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                # Per connection, and the pool hands out any: set on every range.
                pages = SQLITE_BULK_CHECKPOINT_PAGES if self._bulk_load else SQLITE_CHECKPOINT_PAGES
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {pages}")
            for table_name, names, values in prepared.rows:
                _insert_values(conn, _TABLES[table_name], names, values)
            _replace_states(conn, _BATCHES, _BATCHES.c.batch_id, prepared.batches, prepared.stored_batches)
            _replace_states(
                conn, _PARTICIPANTS, _PARTICIPANTS.c.address, prepared.participants, prepared.stored_participants
            )
            _insert_values(conn, _JOURNAL, *prepared.journal)
            if prepared.recent_blocks:
                numbers = [number for number, _ in prepared.recent_blocks]
                conn.execute(delete(_RECENT).where(_RECENT.c.number.in_(numbers)))
                _insert_values(conn, _RECENT, ["number", "hash"], prepared.recent_blocks)
            conn.execute(delete(_RECENT).where(_RECENT.c.number < prepared.prune_below))
            conn.execute(delete(_JOURNAL).where(_JOURNAL.c.block_number < prepared.prune_below))
            mark_changed(conn, prepared.marks, int(time.time()))
            _set_checkpoint(conn, prepared.checkpoint)

    def checkpoint_wal(self) -> None:
        """SQLite: copy what the WAL holds into the database file as far as no reader needs
        it still (a passive checkpoint: it waits for no one); nothing on PostgreSQL."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def rollback_to(self, ancestor: CheckpointRecord) -> int:
        """Undo every block above `ancestor`; return how many raw events were removed."""
        with self.engine.begin() as conn:
            removed = conn.execute(
                delete(_TABLES["raw_events"]).where(_TABLES["raw_events"].c.block_number > ancestor.block_number)
            ).rowcount
            for name, table in _TABLES.items():
                if name != "raw_events":
                    conn.execute(delete(table).where(table.c.block_number > ancestor.block_number))
            entries = conn.execute(
                select(_JOURNAL.c.kind, _JOURNAL.c.key, _JOURNAL.c.previous)
                .where(_JOURNAL.c.block_number > ancestor.block_number)
                .order_by(_JOURNAL.c.id.desc())
            ).all()
            for entry in entries:
                table, key_column = (
                    (_BATCHES, _BATCHES.c.batch_id)
                    if entry.kind == "batch"
                    else (_PARTICIPANTS, _PARTICIPANTS.c.address)
                )
                conn.execute(delete(table).where(key_column == entry.key))
                if entry.previous is not None:
                    conn.execute(insert(table).values(**entry.previous))
            # Rows created above the ancestor have no journal entry of their creation.
            conn.execute(delete(_BATCHES).where(_BATCHES.c.created_block > ancestor.block_number))
            conn.execute(delete(_PARTICIPANTS).where(_PARTICIPANTS.c.registered_block > ancestor.block_number))
            conn.execute(delete(_JOURNAL).where(_JOURNAL.c.block_number > ancestor.block_number))
            conn.execute(delete(_RECENT).where(_RECENT.c.number > ancestor.block_number))
            mark_everything(conn, int(time.time()))
            _set_checkpoint(conn, ancestor)
        return int(removed or 0)


def _load(conn: Connection, table: Table, key_column: Any, keys: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    wanted = list(dict.fromkeys(keys))
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(wanted)
    for start in range(0, len(wanted), LOAD_CHUNK):
        chunk = wanted[start : start + LOAD_CHUNK]
        for row in conn.execute(select(table).where(key_column.in_(chunk))).mappings():
            found[row[key_column.name]] = dict(row)
    return found


def prepare_range(write: RangeWrite) -> PreparedRange:
    """`write` as the rows the driver takes (tuples, JSON as text): the Python half of a
    write, which the indexer does before handing a range to a writer process."""
    return PreparedRange(
        rows=[(name, list(names), values) for name, (names, values) in write.rows.items() if values],
        batches=_row_values(_BATCHES, [row for row in write.batches.values() if row is not None]),
        stored_batches=[key for key in write.batches if key in write.stored_batches],
        participants=_row_values(_PARTICIPANTS, [row for row in write.participants.values() if row is not None]),
        stored_participants=[key for key in write.participants if key in write.stored_participants],
        journal=_row_values(_JOURNAL, write.journal),
        recent_blocks=list(write.recent_blocks),
        prune_below=write.prune_below,
        marks=sorted(range_keys(write.rows, write.batches, write.participants)),
        checkpoint=write.checkpoint,
    )


def _row_values(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and one tuple per row, JSON columns serialised: one C-level
    itemgetter call plus one orjson call per JSON value a row."""
    if not rows:
        return [], []
    present = [column for column in table.columns if column.name in rows[0]]
    # Plain columns first, JSON ones last.
    plain = [column.name for column in present if not isinstance(column.type, JSON)]
    as_json = [column.name for column in present if isinstance(column.type, JSON)]
    names = plain + as_json
    get = itemgetter(*plain) if len(plain) > 1 else (lambda row: (row[plain[0]],)) if plain else (lambda row: ())
    dumps = orjson.dumps
    if not as_json:
        values = [get(row) for row in rows]
    elif len(as_json) == 1:  # raw_events.args, state_journal.previous
        (name,) = as_json
        values = [(*get(row), None if (v := row[name]) is None else dumps(v).decode()) for row in rows]
    else:
        values = [
            (*get(row), *(None if row[name] is None else dumps(row[name]).decode() for name in as_json)) for row in rows
        ]
    return names, values


def _insert_values(conn: Connection, table: Table, names: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
    """Bulk insert through the driver: COPY on PostgreSQL, many rows a statement on SQLite.

    This is the indexer's hot path; going past SQLAlchemy's per-row parameter processing
    more than doubles the rows written per second.
    """
    if not values:
        return
    quote = conn.dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in names)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({column_list}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_copy_types(table, tuple(names)))
            for value in values:
                copy.write_row(value)
        return
    row_marks = "(" + ", ".join("?" for _ in names) + ")"
    per = max(1, min(ROWS_PER_STATEMENT, SQLITE_MAX_PARAMETERS // len(names)))
    head = f"INSERT INTO {quote(table.name)} ({column_list}) VALUES "
    full = head + ", ".join([row_marks] * per)
    for start in range(0, len(values), per):
        chunk = values[start : start + per]
        sql = full if len(chunk) == per else head + ", ".join([row_marks] * len(chunk))
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))


@cache
def _copy_types(table: Table, names: tuple[str, ...]) -> list[str]:
    """The PostgreSQL type each value of a binary ``COPY`` into `names` is sent as.

    Binary, not text: the server then parses no digits and the driver formats none (about
    3 µs of CPU less an event of a backfill, the two together; BENCHMARKS.md). Strings go as
    ``text`` whatever the column's character type, JSON included: the binary form of those
    types is their text.
    """
    return [_copy_type(table.c[name].type) for name in names]


def _copy_type(kind: Any) -> str:
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Numeric):
        return "numeric"
    if isinstance(kind, String | JSON):
        return "text"
    raise TypeError(f"no binary COPY type for a {kind!r} column")


def _replace_states(
    conn: Connection,
    table: Table,
    key_column: Any,
    rows: tuple[list[str], list[tuple[Any, ...]]],
    stored: Sequence[str],
) -> None:
    """Write the new state rows: rows that existed are deleted first (portable across SQLite
    and PostgreSQL, unlike an upsert); new rows are only inserted.

    The rows go in in the order of their key: a batch's key is a hash, so a range's new
    batches land all over the key's index, and inserted in its order they reach each of its
    pages once, while it is in the CPU's cache (a backfill's writer spent 6-18% less CPU in
    three rounds of alternating runs, BENCHMARKS.md)."""
    for start in range(0, len(stored), LOAD_CHUNK):
        conn.execute(delete(table).where(key_column.in_(stored[start : start + LOAD_CHUNK])))
    names, values = rows
    if len(values) > 1:
        values = sorted(values, key=itemgetter(list(names).index(key_column.name)))
    _insert_values(conn, table, names, values)


def _set_checkpoint(conn: Connection, checkpoint: CheckpointRecord) -> None:
    changed = conn.execute(
        update(_CHECKPOINT).values(block_number=checkpoint.block_number, block_hash=checkpoint.block_hash)
    ).rowcount
    if not changed:
        conn.execute(
            insert(_CHECKPOINT).values(id=1, block_number=checkpoint.block_number, block_hash=checkpoint.block_hash)
        )
