"""The intent watcher on both databases: an intent settled by another process is seen in the
database; one of a sender whose submitter runs in this process is told by that submitter, and
the watcher's full look still finds it when no one tells (the submitter moved away), and one
that was final long before it was watched."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import update

from ledger.intents.accept import accept
from ledger.intents.pool import FULL_LOOK_EVERY, WATCH_S, IntentWatcher
from ledger.store import intents as store
from ledger.store.intent_models import Intent
from tests.support.databases import Databases

HERE = "0x" + "11" * 20  # a sender whose submitter runs in this process
ELSEWHERE = "0x" + "22" * 20
#: Long enough for several full looks on a loaded machine: a wait, not a speed figure.
PATIENCE_S = FULL_LOOK_EVERY * WATCH_S * 20


def _sale(price: int) -> dict:
    return {"batch_id": "0x" + "ab" * 32, "quantity": 1, "price": price, "currency": "CNY"}


def test_watcher_sees_each_final_intent_once(databases: Databases) -> None:
    engine = databases.engine()
    watcher = IntentWatcher(engine)
    watcher.local_senders = lambda: [HERE]
    ((here, _),) = accept(engine, HERE, "sale", [(_sale(1), None)])
    ((there, _),) = accept(engine, ELSEWHERE, "sale", [(_sale(2), None)])
    ((told, _),) = accept(engine, HERE, "sale", [(_sale(3), None)])
    seen = {i: threading.Event() for i in (here.id, there.id, told.id)}
    calls: list[int] = []

    def callback(intent_id: int) -> Callable[[], None]:
        def called() -> None:
            calls.append(intent_id)
            seen[intent_id].set()

        return called

    watcher.watch_all({here.id: callback(here.id), told.id: callback(told.id)}, HERE)
    watcher.watch_all({there.id: callback(there.id)}, ELSEWHERE)
    watcher.start()
    try:
        error = {"name": "TransactionReverted", "args": {}, "message": "refused for the test"}
        store.refuse(engine, [there.id, here.id, told.id], error)
        watcher.done([told.id])  # this process's submitter tells at once
        assert seen[told.id].is_set()
        assert seen[there.id].wait(PATIENCE_S), "another process's settlement was not seen"
        assert seen[here.id].wait(PATIENCE_S), "the full look did not find an untold intent"
    finally:
        watcher.stop()
    assert sorted(calls) == sorted(seen)  # each once
    # Nothing is left behind for a look to walk (a long-running worker watches millions).
    assert not watcher._callbacks and not watcher._senders and not watcher._by_sender


def test_a_forgotten_intent_leaves_the_frequent_looks(databases: Databases) -> None:
    """A request that stops waiting takes its intents out of the looks; an intent another
    request still waits for stays in them."""
    engine = databases.engine()
    watcher = IntentWatcher(engine)
    ((first, _),) = accept(engine, ELSEWHERE, "sale", [(_sale(1), None)])
    ((second, _),) = accept(engine, ELSEWHERE, "sale", [(_sale(2), None)])
    gone = {first.id: lambda: None, second.id: lambda: None}
    staying = threading.Event()
    watcher.watch_all(gone, ELSEWHERE)
    watcher.watch_all({second.id: staying.set})
    watcher.forget_all(gone)
    assert all(first.id not in watched for watched in watcher._by_sender.values())
    assert second.id in watcher._by_sender[None]  # the look of a request without its sender
    watcher.start()
    try:
        error = {"name": "TransactionReverted", "args": {}, "message": "refused for the test"}
        store.refuse(engine, [first.id, second.id], error)
        assert staying.wait(PATIENCE_S)
    finally:
        watcher.stop()
    assert not watcher._callbacks and not watcher._by_sender


def test_an_intent_final_long_before_it_was_watched_is_found(databases: Databases) -> None:
    """The frequent looks read only what became final lately; the full look finds the rest."""
    engine = databases.engine()
    watcher = IntentWatcher(engine)
    ((old, _),) = accept(engine, ELSEWHERE, "sale", [(_sale(1), None)])
    error = {"name": "TransactionReverted", "args": {}, "message": "refused for the test"}
    store.refuse(engine, [old.id], error)
    with engine.begin() as conn:
        conn.execute(
            update(Intent.__table__).where(Intent.__table__.c.id == old.id).values(updated_at=time.time() - 3600)
        )
    seen = threading.Event()
    watcher.watch_all({old.id: seen.set}, ELSEWHERE)
    watcher.start()
    try:
        assert seen.wait(PATIENCE_S)
    finally:
        watcher.stop()
