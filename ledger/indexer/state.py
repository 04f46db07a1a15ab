"""What a range of events is projected into: the current state of the entities it touches
(with the undo journal a reorg replays), and the rows it adds. The store fills a
:class:`StateCache` before :class:`~ledger.indexer.project.Projector` runs and writes it back
after; neither class runs SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.chain.events import ChainEvent


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


@dataclass
class Rows:
    """Rows to insert, by table name."""

    by_table: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, event: ChainEvent, **values: Any) -> None:
        self.by_table[table].append(
            {
                "block_number": event.block_number,
                "log_index": event.log_index,
                "block_time": event.block_time,
                "tx_hash": event.tx_hash,
                **values,
            }
        )


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
