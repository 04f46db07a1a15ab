"""What a mined transaction did to its intents: recorded with their ids, refused with the
contract's error, or back in the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import ContractRevert, TransactionError
from ledger.hexes import plain
from ledger.intents.kinds import kind_of
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, TxRecord


def error_json(error: TransactionError) -> dict[str, Any]:
    """A refusal as stored: the custom error's name and arguments, and its text."""
    if isinstance(error, ContractRevert):
        return {"name": error.name, "args": plain(error.args_by_name), "message": str(error)}
    return {"name": "TransactionReverted", "args": {}, "message": str(error)}


def lone_refusal(kind: str, payload: dict[str, Any], error: TransactionError) -> dict[str, Any]:
    """A lone intent's refusal as stored. A lone intent sent through the batch function only
    to pin what the single call cannot (a sale's reserved serial) is refused with the error the
    single call would have given, which the batch call names inside its own (``SaleInvalid``'s
    ``reason``): the API and the scales answer a sale's refusal as before."""
    spec = kind_of(kind)
    if spec.pinned is not None and spec.pinned(payload) and isinstance(error, ContractRevert) and error.inner:
        error = error.inner
    return error_json(error)


def calldata(ledger: FreshLedgerContract, kind: str, intents: list[IntentRecord]) -> bytes:
    spec = kind_of(kind)
    if spec.payment is not None:
        return b""
    if spec.data is not None:
        return spec.data(intents[0].payload)
    function, args = spec.call([i.payload for i in intents])
    return ledger.abi.encode_call(function, args)


def target(ledger: FreshLedgerContract, kind: str, intents: list[IntentRecord]) -> tuple[str, int]:
    """Where a transaction of `intents` goes and the wei it carries: the contract, or for a
    payment its recipient."""
    spec = kind_of(kind)
    if spec.payment is not None:
        return spec.payment(intents[0].payload)
    return ledger.address, 0


def settle(
    engine: Engine,
    ledger: FreshLedgerContract,
    tx: TxRecord,
    receipt: Any,
    carried: list[IntentRecord] | None = None,
) -> list[int]:
    """Store the outcome of mined `tx` (its `receipt`); return the intents now final.
    `carried`: the intents `tx` carries in order, as its submitter marked them sent (only
    their ids and payloads are used), else they are read from the database."""
    intents = carried if carried is not None else store.transaction_intents(engine, tx.tx_hash)
    ids = [i.id for i in intents]
    block = int(receipt["blockNumber"])
    if receipt["status"] == 1:
        result = ledger.client.result_of(tx.tx_hash, receipt, abi=ledger.abi, event_address=ledger.address)
        events = [{"name": e.name, "log_index": e.log_index, "args": plain(e.args)} for e in result.events]
        kind = kind_of(tx.kind)
        shares = kind.share([i.payload for i in intents], events)
        results = {
            intent.id: {"transaction_hash": tx.tx_hash, "events": share, **kind.ids(intent.payload, share)}
            for intent, share in zip(intents, shares, strict=True)
        }
        store.record_mined(engine, tx.tx_hash, block, results)
        return ids
    if len(intents) > 1:
        # A group reverted (the chain moved between the estimate and the block): nothing of it
        # happened, so its intents go back to the queue and are tried one by one.
        store.requeue(engine, tx.tx_hash, tx_status="reverted", block=block)
        return []
    # The call again on the state the block left: the error the contract gives it now.
    data = calldata(ledger, tx.kind, intents)
    reason = ledger.client.revert_reason(tx.sender, to=ledger.address, data=data, abi=ledger.abi, block=block)
    error = reason or TransactionError(f"transaction {tx.tx_hash} reverted in block {block}")
    store.refuse(engine, ids, lone_refusal(tx.kind, intents[0].payload, error), tx_hash=tx.tx_hash, block=block)
    return ids
