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

Only transactions that succeeded are watched: a group that reverted has handed its intents
back to the queue already, and sending its bytes again could record them twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ledger.chain.client import ChainClient
from ledger.store import intents as store
from ledger.store.intents import TxRecord


@dataclass
class _Mined:
    tx: TxRecord
    block_number: int
    block_hash: str | None  # None: loaded from the database, not yet checked


class MinedWatch:
    """The transactions one submitter saw mined within the last `depth` blocks."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._mined: dict[str, _Mined] = {}

    def __bool__(self) -> bool:
        return bool(self._mined)

    def add(self, tx: TxRecord, receipt: dict[str, Any]) -> None:
        """Watch `tx`, just settled as mined by `receipt`."""
        if self.depth > 0 and receipt["status"] == 1:
            self._mined[tx.tx_hash] = _Mined(tx, int(receipt["blockNumber"]), str(receipt["blockHash"]))

    def load(self, engine: Engine, client: ChainClient, sender: str) -> None:
        """Watch `sender`'s transactions the database holds as mined within the window (a
        restart), besides those already watched."""
        if self.depth <= 0:
            return
        since = client.block_number() - self.depth + 1
        for tx in store.mined_since(engine, sender, since):
            if tx.tx_hash not in self._mined and tx.block_number is not None:
                self._mined[tx.tx_hash] = _Mined(tx, tx.block_number, None)

    def look(self, client: ChainClient) -> tuple[list[tuple[TxRecord, dict[str, Any]]], list[TxRecord]]:
        """Compare the watched transactions' blocks with the chain: returns those now mined in
        another block (with their new receipt) and those no longer mined at all (by nonce);
        the latter are no longer watched. Transactions deeper than the window are dropped."""
        head = client.block_number()
        for tx_hash in [h for h, m in self._mined.items() if m.block_number <= head - self.depth]:
            del self._mined[tx_hash]
        if not self._mined:
            return [], []
        numbers = sorted({m.block_number for m in self._mined.values() if m.block_number <= head})
        canonical = dict(zip(numbers, client.block_hashes(numbers), strict=True))
        moved: list[tuple[TxRecord, dict[str, Any]]] = []
        gone: list[TxRecord] = []
        for mined in sorted(self._mined.values(), key=lambda m: m.tx.nonce):
            if mined.block_hash is not None and canonical.get(mined.block_number) == mined.block_hash:
                continue
            tx_hash = mined.tx.tx_hash
            now_at = client.mined_at(tx_hash)
            if now_at is None:  # dropped, or back in the node's pool
                gone.append(mined.tx)
                del self._mined[tx_hash]
                continue
            if now_at[0] == mined.block_number and mined.block_hash in (None, now_at[1]):
                mined.block_hash = now_at[1]  # where it was (the hash unknown when loaded from the database)
                continue
            receipt = client.receipt(tx_hash)
            if receipt is None:  # reorganised again meanwhile: the next look sees where it went
                continue
            moved.append((mined.tx, receipt))
            if receipt["status"] == 1:
                mined.block_number, mined.block_hash = int(receipt["blockNumber"]), str(receipt["blockHash"])
            else:  # it reverted in its new block: settled as such, no longer watched
                del self._mined[tx_hash]
        return moved, gone
