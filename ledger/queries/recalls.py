"""Recalls as the notifier sees them: one notice per recall transaction, and what of each
stall's stock and sales a notice touches.

A recall transaction emits one ``RecallIssued`` per batch with one reason and regulator, so
the transaction is the unit of a notice. A stall is affected by a recalled batch, or by any
batch made from it (a recall of a farm lot alone still concerns the repacks a stall sells):
its stock (held, or on its way to it) and its sales of those batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select

from ledger.queries.lineage import descendants
from ledger.queries.rows import IN_CHUNK, Parties, batch_rows
from ledger.queries.views import Party
from ledger.store import models

_RECALLS = models.Recall.__table__
_SALES = models.Sale.__table__
_BATCHES = models.Batch.__table__


@dataclass(frozen=True)
class RecalledLot:
    batch_id: str
    gtin: str
    lot: str


@dataclass(frozen=True)
class RecallNotice:
    """One recall transaction: its reason, regulator and the batches it recalled (in log order)."""

    tx_hash: str
    block_number: int
    block_time: int
    regulator: Party
    reason: str
    batches: list[RecalledLot]

    @property
    def lot(self) -> RecalledLot:
        """The recalled batch nearest to its origin (the lot a lot-level recall started from,
        whenever it is in this transaction): children are always created after parents."""
        return self.batches[0]


@dataclass(frozen=True)
class StallExposure:
    """What of one stall's business a recall touches."""

    stall: str
    batch_ids: list[str]  # its stock and sold batches among the recalled ones and their descendants
    sale_ids: list[str]


def recalls_between(engine: Engine, after_block: int, up_to_block: int) -> list[RecallNotice]:
    """Recall transactions in blocks ``after_block < n <= up_to_block``, in chain order."""
    query = (
        select(_RECALLS)
        .where(_RECALLS.c.block_number > after_block, _RECALLS.c.block_number <= up_to_block)
        .order_by(_RECALLS.c.block_number, _RECALLS.c.log_index)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
        batches = batch_rows(conn, [r["batch_id"] for r in rows])
        parties = Parties(conn, [r["regulator"] for r in rows])
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row["tx_hash"], []).append(row)
    notices = []
    for tx_hash, group in grouped.items():
        lots = [
            RecalledLot(r["batch_id"], batches[r["batch_id"]]["gtin"], batches[r["batch_id"]]["lot"])
            for r in group
            if r["batch_id"] in batches
        ]
        created = {b: (batches[b]["created_block"], batches[b]["created_log_index"]) for b in batches}
        lots.sort(key=lambda lot: created[lot.batch_id])
        first = group[0]
        notices.append(
            RecallNotice(
                tx_hash=tx_hash,
                block_number=int(first["block_number"]),
                block_time=int(first["block_time"]),
                regulator=parties[first["regulator"]],
                reason=first["reason"],
                batches=lots,
            )
        )
    return notices


def stall_exposure(engine: Engine, batch_ids: Iterable[str], stalls: Iterable[str]) -> dict[str, StallExposure]:
    """For each of `stalls` touched by the recall of `batch_ids`: its affected batches and sales.

    Stalls the recall does not touch are left out.
    """
    wanted = set(stalls)
    if not wanted:
        return {}
    with engine.connect() as conn:
        affected: set[str] = set()
        for batch_id in batch_ids:
            if batch_id not in affected:
                affected.update(descendants(conn, batch_id))
        ids = sorted(affected)
        batches: dict[str, set[str]] = {stall: set() for stall in wanted}
        sales: dict[str, list[tuple[int, int, str, str]]] = {stall: [] for stall in wanted}
        owners = sorted(wanted)
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            stock = select(_BATCHES.c.batch_id, _BATCHES.c.custodian, _BATCHES.c.pending_recipient).where(
                _BATCHES.c.batch_id.in_(chunk),
                or_(
                    (_BATCHES.c.custodian.in_(owners)) & (_BATCHES.c.remaining > 0),
                    _BATCHES.c.pending_recipient.in_(owners),
                ),
            )
            for row in conn.execute(stock):
                for holder in (row.custodian, row.pending_recipient):
                    if holder in wanted:
                        batches[holder].add(row.batch_id)
            sold = select(
                _SALES.c.block_number, _SALES.c.log_index, _SALES.c.sale_id, _SALES.c.batch_id, _SALES.c.vendor
            ).where(_SALES.c.batch_id.in_(chunk), _SALES.c.vendor.in_(owners))
            for row in conn.execute(sold):
                sales[row.vendor].append((int(row.block_number), int(row.log_index), row.sale_id, row.batch_id))
                batches[row.vendor].add(row.batch_id)
    return {
        stall: StallExposure(stall, sorted(batches[stall]), [s[2] for s in sorted(sales[stall])])
        for stall in sorted(wanted)
        if batches[stall]
    }
