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

    def __post_init__(self) -> None:
        if self.bump_percent < 10:
            raise ValueError("bump_percent must be at least 10: nodes refuse a smaller replacement")
