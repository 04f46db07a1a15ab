"""`final_among` (the watcher's and waiting requests' look) on both databases: the ids it
names final are exactly those whose stored status is recorded or refused, whether the ids
asked for are close together (one range statement, of their sender's or of what is
unfinished) or spread (a list), whatever their order."""

from __future__ import annotations

import time

from sqlalchemy import update

from ledger.intents.accept import accept
from ledger.store import intents as store
from ledger.store.intent_models import Intent
from ledger.store.intents import TxRecord
from tests.support.databases import Databases

SENDERS = ("0x" + "11" * 20, "0x" + "22" * 20)
_INTENTS = Intent.__table__


def _sale(price: int) -> dict:
    return {"batch_id": "0x" + "ab" * 32, "quantity": 1, "price": price, "currency": "CNY"}


def test_final_among_names_exactly_the_recorded_and_refused(databases: Databases) -> None:
    engine = databases.engine()
    ids = []
    for n in range(60):  # two senders' intents interleaved, as two stalls' requests are
        ((intent, _),) = accept(engine, SENDERS[n % 2], "sale", [(_sale(n + 1), None)])
        ids.append(intent.id)
    # Every status: 0-9 queued, 10-29 sent, 30-44 recorded, 45-59 refused (mixed positions).
    tx = TxRecord("0x" + "cd" * 32, SENDERS[0], 0, "sale", "0x00", 20, "sent", 0.0, None)
    store.mark_sent(engine, ids[10:30], tx)
    store.record_mined(engine, tx.tx_hash, 7, {i: {"transaction_hash": tx.tx_hash, "events": []} for i in ids[30:45]})
    error = {"name": "TransactionReverted", "args": {}, "message": "refused for the test"}
    store.refuse(engine, ids[45:], error)
    status = {i.id: i.status for i in store.intents_of(engine)}
    assert {status[i] for i in ids} == {"queued", "sent", "recorded", "refused"}

    asks = [
        ids,  # all, close together: the range statement
        ids[::-1],  # any order
        ids[5:50],
        [ids[3]],
        [ids[40]],
        ids[::7],  # spread: still within the range's reach
        [ids[0], ids[-1]],  # spread beyond it: the list statement
        [ids[12], ids[12], ids[33]],  # an id twice is named once
    ]
    sender_of = {i.id: i.sender for i in store.intents_of(engine)}
    for ask in asks:
        expected = [i for i in dict.fromkeys(ask) if status[i] in ("recorded", "refused")]
        assert store.final_among(engine, ask) == expected, ask
        for sender in SENDERS:  # the ids of one sender, with the sender named
            own = [i for i in ask if sender_of[i] == sender]
            assert store.final_among(engine, own, sender) == [i for i in expected if sender_of[i] == sender], own
    assert store.final_among(engine, []) == []


def test_final_since_names_every_intent_final_after_it(databases: Databases) -> None:
    """The watcher's frequent look: with `since`, the range of a sender's ids names what became
    final at or after it (none missed), and not what was final before."""
    engine = databases.engine()
    sender = SENDERS[0]
    ids = [accept(engine, sender, "sale", [(_sale(n + 1), None)])[0][0].id for n in range(20)]
    error = {"name": "TransactionReverted", "args": {}, "message": "refused for the test"}
    store.refuse(engine, ids[:10], error)
    with engine.begin() as conn:  # final an hour ago
        conn.execute(update(_INTENTS).where(_INTENTS.c.id.in_(ids[:10])).values(updated_at=time.time() - 3600))
    since = time.time() - 60
    store.refuse(engine, ids[15:], error)
    assert store.final_among(engine, ids, sender, since=since) == ids[15:]
    assert store.final_among(engine, ids, sender) == ids[:10] + ids[15:]
