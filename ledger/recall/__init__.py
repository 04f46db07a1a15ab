"""Recalls of whole lots: trace forward, recall every affected batch on-chain in as few
transactions as fit the block gas limit, and report the stalls and sales reached."""

from ledger.recall.chunking import GasModel, RecallTooLarge, chunk
from ledger.recall.lot import LotRecall, lot_recall_json, lot_recall_of, recall_lot, traced_batch_ids
from ledger.recall.onchain import SAFETY_FRACTION, RecallOutcome, RecallPlan, RecallSender, RecallTransaction
from ledger.recall.queued import chunk_payloads, outcome_of

__all__ = [
    "SAFETY_FRACTION",
    "GasModel",
    "LotRecall",
    "RecallOutcome",
    "RecallPlan",
    "RecallSender",
    "RecallTooLarge",
    "RecallTransaction",
    "chunk",
    "chunk_payloads",
    "lot_recall_json",
    "lot_recall_of",
    "outcome_of",
    "recall_lot",
    "traced_batch_ids",
]
