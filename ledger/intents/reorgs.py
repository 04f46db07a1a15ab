"""Mined transactions that a reorganisation of the chain takes back.

A submitter settles a transaction once its receipt is in: its intents are recorded, and the
API answers. On a chain whose blocks are not final at once (proof of authority with Clique,
a development node's ``evm_revert``), a later block can replace the one that carried it. The
node may mine the transaction again (then it settles again, with its new block), or drop it:
then its intents would stay recorded for a sale the chain no longer holds, and every later
transaction of the sender would wait behind the nonce it leaves free.

:class:`MinedWatch` keeps the transactions a submitter settled in the last
``reorg_watch_blocks`` blocks with the hash of their block, and looks at those blocks again
now and then (one batched call). A block whose hash changed sends the watch to each of its
transactions (where the node has it now): mined elsewhere, it settles again; gone,
:func:`ledger.store.intents.reopen` puts it and its intents back to sent, and the submitter's reconciliation
(:mod:`ledger.intents.reconcile`) sends the very same signed bytes again (the chain cannot
take them twice) or, when the nonce went to another transaction, puts the intents back in
the queue. On a restart the watch is filled from the database (the transactions mined in
the window), each checked once where the node has it.

A transaction that reverted is watched too: dropped, it leaves its nonce free as much as one
that succeeded, and every later transaction of the sender would wait behind it. A lone intent's
reverted transaction is reopened and sent again like a mined one (its intent is refused by it
alone, so the chain decides anew). A group that reverted has handed its intents back to the
queue already, and sending its bytes again could record them twice: its nonce is filled instead
with a transfer of nothing to the sender itself (:func:`nonce_filler`), unless the node holds a
transaction of that nonce already (a node that puts a dropped block's transactions back in its
pool mines the group again by itself, and the watch sees it mined in another block).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.client import ChainClient
from ledger.store import intents as store
from ledger.store.intents import TxRecord

log = logging.getLogger(__name__)

#: The gas of a transfer of nothing to an account without code: what a nonce filler costs.
TRANSFER_GAS = 21_000


@dataclass
class _Mined:
    tx: TxRecord
    block_number: int
    block_hash: str | None  # None: loaded from the database, not yet checked
    reverted: bool

    @property
    def handed_back(self) -> bool:
        """A group that reverted: its intents went back to the queue, its bytes are never
        sent again."""
        return self.reverted and self.tx.intent_count > 1


@dataclass(frozen=True)
class Look:
    """What a look at the watched transactions found."""

    #: Now mined in another block, with their new receipt: settled again.
    moved: list[tuple[TxRecord, dict[str, Any]]]
    #: No longer mined, to send again (reopened): those that succeeded, and a lone intent's
    #: that reverted.
    gone: list[TxRecord]
    #: No longer mined, groups that reverted: their nonce is to be filled, their bytes never
    #: sent again.
    freed: list[TxRecord]

    def __bool__(self) -> bool:
        return bool(self.moved or self.gone or self.freed)


class MinedWatch:
    """The transactions one submitter saw mined within the last `depth` blocks."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._mined: dict[str, _Mined] = {}

    def __bool__(self) -> bool:
        return bool(self._mined)

    def add(self, tx: TxRecord, receipt: dict[str, Any]) -> None:
        """Watch `tx`, just settled as mined by `receipt`."""
        if self.depth > 0:
            reverted = receipt["status"] != 1
            self._mined[tx.tx_hash] = _Mined(tx, int(receipt["blockNumber"]), str(receipt["blockHash"]), reverted)

    def load(self, engine: Engine, client: ChainClient, sender: str) -> None:
        """Watch `sender`'s transactions the database holds as mined or reverted within the
        window (a restart), besides those already watched."""
        if self.depth <= 0:
            return
        since = client.block_number() - self.depth + 1
        for tx in store.mined_since(engine, sender, since):
            if tx.tx_hash not in self._mined and tx.block_number is not None:
                self._mined[tx.tx_hash] = _Mined(tx, tx.block_number, None, tx.status == "reverted")

    def look(self, client: ChainClient) -> Look:
        """Compare the watched transactions' blocks with the chain: those now mined in another
        block (with their new receipt) and those no longer mined at all (by nonce), which are
        no longer watched. Transactions deeper than the window are dropped."""
        head = client.block_number()
        for tx_hash in [h for h, m in self._mined.items() if m.block_number <= head - self.depth]:
            del self._mined[tx_hash]
        found = Look([], [], [])
        if not self._mined:
            return found
        numbers = sorted({m.block_number for m in self._mined.values() if m.block_number <= head})
        canonical = dict(zip(numbers, client.block_hashes(numbers), strict=True))
        for mined in sorted(self._mined.values(), key=lambda m: m.tx.nonce):
            if mined.block_hash is not None and canonical.get(mined.block_number) == mined.block_hash:
                continue
            tx_hash = mined.tx.tx_hash
            now_at = client.mined_at(tx_hash)
            if now_at is None:  # dropped, or back in the node's pool
                (found.freed if mined.handed_back else found.gone).append(mined.tx)
                del self._mined[tx_hash]
                continue
            if now_at[0] == mined.block_number and mined.block_hash in (None, now_at[1]):
                mined.block_hash = now_at[1]  # where it was (the hash unknown when loaded from the database)
                continue
            receipt = client.receipt(tx_hash)
            if receipt is None:  # reorganised again meanwhile: the next look sees where it went
                continue
            handed_back = mined.handed_back
            mined.block_number, mined.block_hash = int(receipt["blockNumber"]), str(receipt["blockHash"])
            if not handed_back:
                found.moved.append((mined.tx, receipt))
                mined.reverted = receipt["status"] != 1
            elif receipt["status"] == 1:
                # Its intents went back to the queue when it reverted, and may be in later
                # transactions: nothing here can take either back. Said loudly, for an operator.
                log.error(
                    "transaction %s (nonce %d), a group that reverted, succeeded in block %d after a "
                    "reorganisation; its intents were handed back to the queue before",
                    tx_hash,
                    mined.tx.nonce,
                    mined.block_number,
                )
        return found


def nonce_filler(client: ChainClient, account: LocalAccount, nonce: int) -> str | None:
    """Fill `account`'s free `nonce` with a transfer of nothing to itself, so that its later
    transactions can be mined; returns the filler's hash, or None when the node holds a
    transaction of that nonce already (mined, or in its pool). A filler that the node refuses
    (the nonce taken meanwhile) is not retried: the next look finds the nonce used."""
    if client.nonce_of(account.address, "pending") > nonce:
        return None
    signed = client.sign(account, to=account.address, data=b"", gas=TRANSFER_GAS, nonce=nonce)
    return client.send_raw(signed.raw)
