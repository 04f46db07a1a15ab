"""A lot recall through the write queue: the plan's chunks are queued as ``recall`` intents
of the regulator (one a chunk), and the outcome is read back from the intents once they are
recorded, so a recall survives a restart of the process that accepted it.

The plan is made first (reads and estimates only): a recall the contract refuses now (not a
regulator, unknown batch) raises before anything is queued.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.chain.client import ChainClient
from ledger.hexes import to_hex
from ledger.intents.kinds import Payload
from ledger.recall.onchain import RecallOutcome, RecallPlan, RecallTransaction
from ledger.store.intents import IntentRecord


def chunk_payloads(plan: RecallPlan, reason: str) -> list[Payload]:
    """One ``recall`` intent payload per chunk of the plan."""
    return [{"batch_ids": [to_hex(b) for b in ids], "reason": reason} for ids in plan.chunks]


def outcome_of(plan: RecallPlan, intents: Sequence[IntentRecord], client: ChainClient) -> RecallOutcome:
    """The transactions that carried the recorded `intents` (in the order they were queued;
    chunks packed into one transaction are one entry), with gas read from the node."""
    by_tx: dict[str, list[IntentRecord]] = {}
    for intent in intents:
        if intent.status == "recorded" and intent.tx_hash:
            by_tx.setdefault(intent.tx_hash, []).append(intent)
    sent = []
    for tx_hash, carried in by_tx.items():
        receipt = client.receipt(tx_hash)
        gas_limit = int(client.w3.eth.get_transaction(tx_hash)["gas"]) if receipt is not None else 0
        recalled = [
            e["args"]["batchId"]
            for i in carried
            for e in (i.result or {}).get("events", [])
            if e["name"] == "RecallIssued"
        ]
        sent.append(
            RecallTransaction(
                tx_hash=tx_hash,
                block_number=int(carried[0].block_number or 0),
                gas_limit=gas_limit,
                gas_used=int(receipt["gasUsed"]) if receipt is not None else 0,
                batch_ids=recalled,
                sent_batch_ids=[b for i in carried for b in i.payload["batch_ids"]],
            )
        )
    return RecallOutcome(plan, sent)
