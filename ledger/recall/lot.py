"""A lot-level recall: the forward trace of a lot (read path, given) recalled on-chain
(write path), answered with the stalls and sales it reaches.

The trace comes from the indexer's database, so it covers what is indexed
(``trace.as_of_block``); a repack made after that block is not in it. The answer says the
block, and a second recall of the same lot later catches anything new (batches already
recalled cost nothing: they are left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.hexes import from_hex
from ledger.queries.views import Party, SaleView, TraceResult
from ledger.recall.onchain import RecallOutcome, RecallSender


@dataclass(frozen=True)
class LotRecall:
    batch_id: str
    gtin: str
    lot: str
    reason: str
    outcome: RecallOutcome
    stalls: list[Party]
    sales: list[SaleView]
    traced_batch_ids: list[str]
    as_of_block: int | None

    @property
    def tx_hashes(self) -> list[str]:
        return [tx.tx_hash for tx in self.outcome.transactions]

    @property
    def recalled_batch_ids(self) -> list[str]:
        return self.outcome.recalled

    @property
    def already_recalled_batch_ids(self) -> list[str]:
        """Traced batches recalled before (left out, or skipped by the contract)."""
        already = set(self.outcome.already_recalled)
        return [b for b in self.traced_batch_ids if b in already]


def recall_lot(trace: TraceResult, sender: RecallSender, reason: str, *, max_gas: int | None = None) -> LotRecall:
    """Recall the traced lot and every batch made from it (parents before children)."""
    ids = traced_batch_ids(trace)
    return lot_recall_of(trace, reason, sender.recall(_raw(ids), reason, max_gas=max_gas))


def traced_batch_ids(trace: TraceResult) -> list[str]:
    """The lot and every batch made from it, parents before children."""
    return [trace.batch.batch_id, *(b.batch_id for b in trace.descendants)]


def lot_recall_of(trace: TraceResult, reason: str, outcome: RecallOutcome) -> LotRecall:
    """The answer of a lot recall whose transactions `outcome` holds."""
    ids = traced_batch_ids(trace)
    return LotRecall(
        batch_id=trace.batch.batch_id,
        gtin=trace.batch.gtin,
        lot=trace.batch.lot,
        reason=reason,
        outcome=outcome,
        stalls=trace.stalls,
        sales=trace.sales,
        traced_batch_ids=ids,
        as_of_block=trace.as_of_block,
    )


def _raw(batch_ids: list[str]) -> list[bytes]:
    return [from_hex(b, size=32) for b in batch_ids]


def lot_recall_json(result: LotRecall) -> dict[str, Any]:
    """The answer of a lot recall as plain JSON values (the CLI's ``--json`` and the API's)."""
    return {
        "batch_id": result.batch_id,
        "gtin": result.gtin,
        "lot": result.lot,
        "reason": result.reason,
        "transaction_hashes": result.tx_hashes,
        "transactions": [
            {
                "transaction_hash": tx.tx_hash,
                "block_number": tx.block_number,
                "gas_limit": tx.gas_limit,
                "gas_used": tx.gas_used,
                "batch_ids": tx.batch_ids,
            }
            for tx in result.outcome.transactions
        ],
        "recalled_batch_ids": result.recalled_batch_ids,
        "already_recalled_batch_ids": result.already_recalled_batch_ids,
        "traced_batch_ids": result.traced_batch_ids,
        "stalls": [{"address": p.address, "name": p.name, "identifier": p.identifier} for p in result.stalls],
        "sales": [
            {
                "sale_id": s.sale_id,
                "batch_id": s.batch_id,
                "gtin": s.gtin,
                "lot": s.lot,
                "serial": s.serial,
                "vendor": s.vendor.address,
                "quantity": s.quantity,
                "unit": s.unit,
                "time": s.time,
            }
            for s in result.sales
        ],
        "gas_budget": result.outcome.plan.budget,
        "as_of_block": result.as_of_block,
    }
