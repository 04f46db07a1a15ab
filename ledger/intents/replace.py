"""Replacing a stuck transaction: the same nonce, call and gas, re-signed with higher fees.

A transaction sits unmined when its fee cap fell below the base fee (blocks filled up) or its
tip is too small for the block producers. After ``bump_after_blocks`` blocks the submitter
signs a replacement whose tip and fee cap are both raised by ``bump_percent`` (at least the
+10% an EIP-1559 node requires to take a replacement for a pending transaction), the fee cap
at least twice the latest base fee plus the tip. Both are kept (the old row as ``bumped``):
the node mines one of them, whichever, and the intents are settled by the one that was
mined (:func:`settle_superseded`), so they are recorded exactly once.
"""

from __future__ import annotations

import contextlib
import math
import time

from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import TransactionError
from ledger.hexes import to_hex
from ledger.intents.outcome import settle
from ledger.store import intents as store
from ledger.store.intents import TxRecord


def bumped_fees(max_fee: int, tip: int, base_fee: int, percent: int) -> tuple[int, int]:
    """(fee cap, tip) of a replacement for a transaction with `max_fee` and `tip`."""
    new_tip = max(math.ceil(tip * (100 + percent) / 100), tip + 1)
    new_max = max(math.ceil(max_fee * (100 + percent) / 100), max_fee + 1, 2 * base_fee + new_tip)
    return new_max, new_tip


def fees_of(raw: str) -> tuple[int, int]:
    """(fee cap, tip) of a signed type-2 transaction."""
    fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"])


def replace(engine: Engine, ledger: FreshLedgerContract, account: LocalAccount, tx: TxRecord, percent: int) -> TxRecord:
    """Sign and store the replacement of stuck `tx` (the intents move to it), then send it.
    A node refusing it (the old one was mined meanwhile) is no error: the old one settles."""
    fields = TypedTransaction.from_bytes(HexBytes(tx.raw)).as_dict()
    base_fee = int(ledger.client.w3.eth.get_block("latest").get("baseFeePerGas", 0))
    max_fee, tip = bumped_fees(int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"]), base_fee, percent)
    unsigned = {
        "type": 2,
        "chainId": int(fields["chainId"]),
        "nonce": tx.nonce,
        "gas": int(fields["gas"]),
        "to": fields["to"],
        "value": int(fields.get("value", 0)),
        "data": HexBytes(fields.get("data", b"")),
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": tip,
    }
    signed = account.sign_transaction(unsigned)
    new = TxRecord(
        tx_hash=signed.hash.to_0x_hex(),
        sender=tx.sender,
        nonce=tx.nonce,
        kind=tx.kind,
        raw=to_hex(bytes(signed.raw_transaction)),
        intent_count=tx.intent_count,
        status="sent",
        created_at=time.time(),
        block_number=None,
    )
    store.replace_transaction(engine, tx.tx_hash, new)
    # Refused ("nonce too low": the old one was mined first, settle_superseded finds it; or
    # "underpriced"): the old one stands, and a later look replaces again, higher.
    with contextlib.suppress(TransactionError):
        ledger.client.send_raw(bytes(signed.raw_transaction))
    return new


def settle_superseded(engine: Engine, ledger: FreshLedgerContract, latest: TxRecord) -> list[int] | None:
    """If a transaction that `latest` replaced was mined instead of it, settle its intents by
    that one and return them; None when none of them is mined."""
    for older in store.bumped_siblings(engine, latest.sender, latest.nonce):
        receipt = ledger.client.receipt(older.tx_hash)
        if receipt is not None:
            mined = store.adopt(engine, older.tx_hash, latest.tx_hash)
            return settle(engine, ledger, mined, receipt)
    return None


def superseded_pending(ledger: FreshLedgerContract, engine: Engine, latest: TxRecord) -> bool:
    """Whether the node still holds a transaction that `latest` replaced (so the intents
    are in flight even when the node refused or dropped the replacement)."""
    return any(ledger.client.knows(o.tx_hash) for o in store.bumped_siblings(engine, latest.sender, latest.nonce))
