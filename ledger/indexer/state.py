"""What a range of events is projected into: the current state of the entities it touches
(with the undo journal a reorg replays), and the rows it adds. The store fills a
:class:`StateCache` before :class:`~ledger.indexer.project.Projector` runs and writes it back
after; neither class runs SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ledger.chain.events import ChainEvent
from ledger.store.models import EVENT_TABLES


@dataclass
class StateCache:
    """Current state of the batches and participants a range touches, with an undo journal.

    ``batches`` / ``participants`` map keys to row dicts (None: the row does not exist).
    While a block may still be reorganised (number > ``final_block``), the first change of
    a row in that block records the row's previous value in ``journal``; a row's creation
    records nothing (the rollback deletes rows created above the common ancestor).
    """

    batches: dict[str, dict[str, Any] | None]
    participants: dict[str, dict[str, Any] | None]
    final_block: int
    changed_batches: set[str] = field(default_factory=set)
    changed_participants: set[str] = field(default_factory=set)
    journal: list[dict[str, Any]] = field(default_factory=list)
    _journaled: set[tuple[str, str, int]] = field(default_factory=set)

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        return self.batches.get(batch_id)

    def participant(self, address: str) -> dict[str, Any] | None:
        return self.participants.get(address)

    def put_batch(self, batch_id: str, row: dict[str, Any], block: int) -> None:
        if block > self.final_block:  # a final block journals nothing (the backfill's common case)
            self._remember("batch", batch_id, self.batches.get(batch_id), block)
        self.batches[batch_id] = row
        self.changed_batches.add(batch_id)

    def update_batch(self, batch_id: str, changes: dict[str, Any], block: int) -> dict[str, Any] | None:
        """Apply `changes` to the row of `batch_id` in place and return it (None, changing
        nothing, when there is no row). The row's previous value is journaled first, as
        :meth:`put_batch` does. In place: a split or a sale changes one or two fields of a
        fifteen-field row, and a copy of it an event was most of a split's projection."""
        row = self.batches.get(batch_id)
        if row is None:
            return None
        if block > self.final_block:
            self._remember("batch", batch_id, row, block)
        row.update(changes)
        self.changed_batches.add(batch_id)
        return row

    def put_participant(self, address: str, row: dict[str, Any], block: int) -> None:
        if block > self.final_block:
            self._remember("participant", address, self.participants.get(address), block)
        self.participants[address] = row
        self.changed_participants.add(address)

    def _remember(self, kind: str, key: str, previous: dict[str, Any] | None, block: int) -> None:
        if block <= self.final_block or (kind, key, block) in self._journaled:
            return
        self._journaled.add((kind, key, block))
        if previous is None:
            # A row created in this block: a rollback removes it by its creation block
            # (batches.created_block, participants.registered_block), no journal row needed.
            return
        self.journal.append(
            {"block_number": block, "kind": kind, "key": key, "previous": dict(previous) if previous else None}
        )


#: The columns every event table's rows start with, from the event (``EventRow``).
EVENT_COLUMNS = ("block_number", "log_index", "block_time", "tx_hash")
#: The columns of a ``raw_events`` row, in the order the projector makes it.
RAW_EVENT_COLUMNS = ("block_number", "log_index", "block_hash", "block_time", "tx_hash", "tx_index", "name", "args")
#: Each event table's own columns (after EVENT_COLUMNS), in the model's order.
_OWN_COLUMNS: dict[str, tuple[str, ...]] = {
    model.__tablename__: tuple(column.name for column in model.__table__.columns if column.name not in EVENT_COLUMNS)
    for model in EVENT_TABLES
}


@dataclass
class Rows:
    """Rows to insert, by table name: the column names and one tuple per row, as the
    database driver takes them (``args`` as JSON text). Built as tuples here, not as dicts
    converted later: a backfill makes two or three rows an event, and the dicts and their
    conversion cost the indexer's main thread about 1 µs an event (of ~4.4 for projecting,
    converting and pickling).

    A table's rows all have the columns its first row was given (its handlers pass the
    same ones): a row that lacks one raises KeyError, as an insert of it would fail.
    """

    by_table: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = field(default_factory=dict)
    _getters: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, event: ChainEvent, **values: Any) -> None:
        entry = self.by_table.get(table)
        if entry is None:
            present = tuple(name for name in _OWN_COLUMNS[table] if name in values)
            entry = self.by_table[table] = (EVENT_COLUMNS + present, [])
            self._getters[table] = _getter(present)
        own = self._getters[table](values)
        entry[1].append((event.block_number, event.log_index, event.block_time, event.tx_hash, *own))

    def table(self, table: str, own: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """The list that rows of `table` with the columns EVENT_COLUMNS + `own` are appended
        to, for handlers that make the tuples themselves (the busiest events'); `own` must
        be the columns every other row of the table has."""
        entry = self.by_table.get(table)
        if entry is None:
            if own != tuple(name for name in _OWN_COLUMNS[table] if name in own):
                raise ValueError(f"{own} are not columns of {table} in the model's order")
            entry = self.by_table[table] = (EVENT_COLUMNS + own, [])
            self._getters[table] = _getter(own)
        elif entry[0] != EVENT_COLUMNS + own:
            raise ValueError(f"rows of {table} were made with the columns {entry[0]}, not {EVENT_COLUMNS + own}")
        return entry[1]

    def raw_events(self) -> list[tuple[Any, ...]]:
        """The list that ``raw_events`` rows are appended to (RAW_EVENT_COLUMNS, made by the
        projector's loop itself: one row an event)."""
        entry = self.by_table.get("raw_events")
        if entry is None:
            entry = self.by_table["raw_events"] = (RAW_EVENT_COLUMNS, [])
        return entry[1]


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of `names` from a dict, as a tuple (one C-level call for two or more)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        (name,) = names
        return lambda values: (values[name],)
    return lambda values: ()


#: The argument naming the batch an event creates. The contract refuses to create a batch
#: that exists (BatchAlreadyExists), so there is no stored state to read for it: a backfill
#: of splits does not look up thousands of absent children.
CREATED_BATCH = {
    "HarvestRegistered": "batchId",
    "ImportRegistered": "batchId",
    "ImportLineRegistered": "batchId",
    "BatchSplit": "childId",
    "BatchesMerged": "childId",
}


def touched_keys(events: Iterable[ChainEvent]) -> tuple[set[str], set[str]]:
    """Batch ids and participant addresses whose stored state the events read or change
    (a batch an event creates is not read)."""
    batches: set[str] = set()
    accounts: set[str] = set()
    for event in events:
        args = event.args
        created = CREATED_BATCH.get(event.name)
        for name in ("batchId", "parentId", "childId"):
            if name in args and name != created:
                batches.add(args[name])
        batches.update(args.get("parentIds", ()))
        if "account" in args:
            accounts.add(args["account"])
    return batches, accounts
