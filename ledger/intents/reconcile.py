"""After a restart (or an outage), ask the node what became of each stored transaction that
was sent and not yet settled, by hash and by nonce:

- mined: record its outcome (or, for a replacement of a stuck transaction, the replaced one
  mined instead: settled by that one, :mod:`ledger.intents.replace`);
- held by the node (pending): wait for it as usual;
- unknown, and the sender's nonce not yet used: send the very same signed bytes again (the
  same hash: the chain cannot take them twice);
- unknown, and the nonce used by another transaction (should not happen: only the holder of
  the sender's lock signs): it can never be mined, so its intents go back to the queue.

So an intent is never in two transactions that can both be mined, and never dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import NodeError, TransactionError
from ledger.intents.outcome import settle
from ledger.intents.replace import settle_superseded, superseded_pending
from ledger.store import intents as store
from ledger.store.intents import TxRecord


def reconcile(
    engine: Engine, ledger: FreshLedgerContract, sender: str, notify: Callable[[list[int]], None]
) -> list[TxRecord]:
    """Settle or re-send `sender`'s unsettled transactions; return those still in flight."""
    client = ledger.client
    mined_nonces = client.nonce_of(sender, "latest")  # asked first: a receipt asked later is not missed
    in_flight: list[TxRecord] = []
    for tx in store.unfinished_transactions(engine, sender):
        receipt = client.receipt(tx.tx_hash)
        if receipt is not None:
            notify(settle(engine, ledger, tx, receipt))
            continue
        superseded = settle_superseded(engine, ledger, tx)  # a replaced one was mined instead
        if superseded is not None:
            notify(superseded)
            continue
        if client.knows(tx.tx_hash) or superseded_pending(ledger, engine, tx):
            in_flight.append(tx)
            continue
        if tx.nonce < mined_nonces:
            store.requeue(engine, tx.tx_hash, tx_status="replaced")
            continue
        try:
            client.send_raw(bytes.fromhex(tx.raw.removeprefix("0x")))
        except NodeError:
            raise
        except TransactionError:
            # Refused for good (e.g. its fee cap is below a base fee that rose meanwhile): the
            # bytes are never sent again, so their intents can go out in a new transaction.
            store.requeue(engine, tx.tx_hash, tx_status="replaced")
            continue
        in_flight.append(tx)
    return in_flight
