"""How the write queue's submitters work; one value each, read from the API's settings or
the ``freshledger submit`` options."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSettings:
    #: Transactions of one sender sent and not yet mined at once. Group commit needs no more
    #: than one or two; single-intent kinds keep a block full with many.
    max_in_flight: int = 32
    #: A packed transaction's gas bound: a group estimated above it is halved.
    max_gas: int = 12_000_000
    #: Seconds between looks at the queue when a submitter has nothing to do (intents of this
    #: process wake it at once; another process's are seen at the next look). Each look is a
    #: query and a call for the head block: at 0.02 s, a few submitters' looks cost a loaded
    #: API worker more CPU than the writes they carried.
    poll_s: float = 0.1
    #: Group commit: while a transaction of the sender is in flight, the next one is sent at
    #: most this often, carrying whatever arrived meanwhile. Every transaction costs the
    #: process a signature, a gas estimate, a send, a receipt and two database commits
    #: (about 20 ms of CPU); sent as soon as anything was queued, a busy stall's sales went
    #: two or three a transaction. A transaction sent any time within a block's interval
    #: lands in the same block, so a window well under the block time costs a sale at most
    #: the window (and, rarely, one block). With nothing in flight a write goes at once.
    group_window_s: float = 0.2
    #: Seconds between asks for the head block while transactions are in flight (a receipt
    #: is asked for only once the head has moved): how late a mined write may be settled.
    head_check_s: float = 0.05
    #: A submitter idle this long releases its sender's lock and ends.
    idle_exit_s: float = 5.0
    #: Back-off while the node does not answer: from the first to the last, doubling.
    retry_first_s: float = 0.5
    retry_max_s: float = 5.0
    #: The oldest in-flight transaction, still not mined this many blocks after it became the
    #: oldest, is replaced: the same nonce and call, re-signed with its tip and fee cap raised
    #: by ``bump_percent`` (and the fee cap at least twice the latest base fee plus the tip),
    #: with every later one whose fee cap is under the replacement's. 0 never replaces one.
    bump_after_blocks: int = 3
    #: How much a replacement raises the tip and the fee cap; EIP-1559 nodes (geth, Besu,
    #: anvil) take a replacement of a pending transaction only at +10% on both.
    bump_percent: int = 12
    #: Seconds between looks at the block height for stuck transactions (one call each).
    bump_check_s: float = 1.0
    #: A transaction settled as mined is watched this many blocks for a reorganisation that
    #: drops it (:mod:`ledger.intents.reorgs`): its intents then go back to sent and the very
    #: same signed bytes are sent again. 0 on a chain whose blocks are final at once (QBFT).
    reorg_watch_blocks: int = 12
    #: Seconds between looks at the blocks of the watched transactions (one batched call).
    reorg_check_s: float = 1.0

    def __post_init__(self) -> None:
        if self.reorg_watch_blocks < 0:
            raise ValueError("reorg_watch_blocks must be 0 (final blocks) or more")
        if self.bump_percent < 10:
            raise ValueError("bump_percent must be at least 10: nodes refuse a smaller replacement")
