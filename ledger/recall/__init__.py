"""Recalls of whole lots: trace forward, recall every affected batch on-chain in as few
transactions as fit the block gas limit, and report the stalls and sales reached."""

from ledger.recall.chunking import GasModel, RecallTooLarge, chunk
from ledger.recall.lot import LotRecall, lot_recall_json, recall_lot
from ledger.recall.onchain import SAFETY_FRACTION, RecallOutcome, RecallPlan, RecallSender, RecallTransaction

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
    "lot_recall_json",
    "recall_lot",
]
