"""Writes of a command-line tool through the write queue: the same intents the API stores, in
the same database, submitted by a pool the command runs until they are final. When the API
holds the sender's submitter lock (it keeps the same key), its submitter sends them instead;
either way each is sent once and the command waits for the outcome."""

from __future__ import annotations

import time
from collections.abc import Sequence

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import TransactionTimeout
from ledger.intents.accept import request_hash
from ledger.intents.kinds import Payload, kind_of
from ledger.intents.pool import SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.store.intents import IntentRecord, NewIntent, final_among, get_intents, insert_intents


def queue_and_wait(
    engine: Engine,
    ledger: FreshLedgerContract,
    account: LocalAccount,
    items: Sequence[tuple[str, Payload]],
    *,
    settings: QueueSettings | None = None,
    timeout: float = 300.0,
) -> list[IntentRecord]:
    """Store `items` (kind, payload) as intents of `account` in one database transaction,
    submit them, and return them final (recorded or refused), in order. Raises
    :class:`TransactionTimeout` when they are not final within `timeout` (they stay queued)."""
    new = [(kind, NewIntent(payload, None, request_hash(kind, payload))) for kind, payload in items]
    for kind, _ in new:
        kind_of(kind)
    with engine.begin() as conn:
        ids = insert_intents(conn, account.address, new)
    return submit_and_wait(engine, ledger, account, ids, settings=settings, timeout=timeout)


def submit_and_wait(
    engine: Engine,
    ledger: FreshLedgerContract,
    account: LocalAccount,
    ids: Sequence[int],
    *,
    settings: QueueSettings | None = None,
    timeout: float = 300.0,
) -> list[IntentRecord]:
    """Submit `account`'s intents `ids` (stored already) and return them final, in order.
    Raises :class:`TransactionTimeout` when they are not final within `timeout`."""
    ids = list(ids)
    if not ids:
        return []
    pool = SubmitterPool(
        engine,
        rpc_url=ledger.client.rpc_url,
        contract=lambda client: FreshLedgerContract(client, ledger.address, ledger.abi),
        account_of={account.address: account}.get,
        settings=settings or QueueSettings(idle_exit_s=1.0),
    )
    pool.start()
    try:
        deadline = time.monotonic() + timeout
        while len(final_among(engine, ids)) < len(ids):
            if time.monotonic() > deadline:
                raise TransactionTimeout(
                    f"intents {ids[0]}..{ids[-1]} not recorded within {timeout:.0f} s; still queued"
                )
            time.sleep(0.05)
    finally:
        pool.stop()
    found = get_intents(engine, ids)
    return [found[i] for i in ids]
