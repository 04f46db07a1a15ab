"""Submitters for every sender whose key this process holds, as threads, and the watcher that
tells waiting requests when their intents are final.

Every API worker (and ``freshledger submit``) runs a pool. Its manager looks for senders with
unfinished intents (at once when this process accepted one, else every ``scan_s``), and
starts a submitter thread for each whose lock it can take: so each sender has one submitter
across all processes, and another process takes over within a scan when one dies. A
submitter with nothing to do for ``idle_exit_s`` releases its lock and ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.client import ChainClient
from ledger.chain.freshledger import FreshLedgerContract
from ledger.intents.lock import SenderLock, try_lock
from ledger.intents.relay import KIND as RELAY
from ledger.intents.relay import Relayer
from ledger.intents.settings import QueueSettings
from ledger.intents.submitter import Submitter
from ledger.store import intents as store

log = logging.getLogger(__name__)
#: Seconds between the manager's looks for senders with work accepted by other processes.
SCAN_S = 0.2
#: Seconds between the watcher's looks at the intents requests wait for (settled by another
#: process: this process's submitters tell the watcher at once).
WATCH_S = 0.1


#: Every this many looks, the watcher looks at all the intents it waits for, also those of
#: senders whose submitter runs in this process (which tells it at once: the full look is
#: only the backstop for a submitter that moved to another process meanwhile), and at every
#: final one among them, however long ago it became final.
FULL_LOOK_EVERY = 10
#: The frequent looks read only the intents that became final since the look before began, less
#: this margin (seconds): while bulk requests wait, the range of a sender's ids holds thousands
#: of intents final for a while, read again ten times a second (a fifth of a core, BENCHMARKS.md).
SINCE_MARGIN_S = 1.0


class IntentWatcher:
    """Calls back once an intent is recorded or refused (told by a submitter of this process,
    or seen in the database when another process's submitter settled it).

    Each look costs in proportion to the intents waited for (thousands, with bulk requests
    waiting), so the frequent looks skip those of senders whose submitter runs here
    (``local_senders``, set by the pool): that submitter calls :meth:`done` itself.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.local_senders: Callable[[], Collection[str]] = tuple
        # Each intent's callbacks as the keys of a dict (insertion-ordered, each removed in
        # constant time): many requests may wait on one intent (``Prefer: wait``).
        self._callbacks: dict[int, dict[Callable[[], None], None]] = {}
        self._senders: dict[int, str] = {}  # the sender of intents watched with one
        #: The watched intents of each sender given (None: not given), so that a frequent look
        #: takes the other senders' sets instead of walking every intent waited for (8,000
        #: with bulk requests waiting, ten times a second).
        self._by_sender: dict[str | None, set[int]] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="intent-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def watch_all(self, callbacks: Mapping[int, Callable[[], None]], sender: str | None = None) -> None:
        """Call each intent's callback once it is final (the intents of `sender`, when known),
        registered under one hold of the lock."""
        with self._guard:
            for intent_id, callback in callbacks.items():
                self._callbacks.setdefault(intent_id, {})[callback] = None
                if sender is not None:
                    self._senders[intent_id] = sender
                # An intent watched both with and without its sender is in both sets: a look
                # that takes either finds it.
                self._by_sender.setdefault(sender, set()).add(intent_id)

    def forget_all(self, callbacks: Mapping[int, Callable[[], None]]) -> None:
        """Drop callbacks of :meth:`watch_all` (their request stopped waiting)."""
        with self._guard:
            for intent_id, callback in callbacks.items():
                waiting = self._callbacks.get(intent_id, {})
                waiting.pop(callback, None)
                if not waiting:
                    self._callbacks.pop(intent_id, None)
                    self._unlist(intent_id)

    def done(self, ids: list[int]) -> None:
        with self._guard:
            callbacks = [cb for i in ids for cb in self._callbacks.pop(i, {})]
            for intent_id in ids:
                self._unlist(intent_id)
        for callback in callbacks:
            callback()

    def _unlist(self, intent_id: int) -> None:
        """Drop an intent no callback waits for any more from the senders' sets (under the lock)."""
        sender = self._senders.pop(intent_id, None)
        for key in (sender, None) if sender is not None else (None,):
            watched = self._by_sender.get(key)
            if watched is not None:
                watched.discard(intent_id)
                if not watched:
                    del self._by_sender[key]

    def _loop(self) -> None:
        looks = 0
        began = time.time()
        while not self._stop.wait(WATCH_S):
            looks += 1
            full = looks % FULL_LOOK_EVERY == 0
            since = None if full else began - SINCE_MARGIN_S
            began = time.time()
            local = set() if full else set(self.local_senders())
            with self._guard:
                looks_at = [(sender, list(ids)) for sender, ids in self._by_sender.items() if sender not in local]
            for sender, ids in looks_at:  # one sender's: its index range, not every final intent
                try:
                    self.done(store.final_among(self.engine, ids, sender, since=since))
                except Exception:  # the database may be busy; the next look retries
                    log.exception("intent watcher: look failed")


class SubmitterPool:
    """Runs a :class:`Submitter` thread per sender with work whose lock this process gets."""

    def __init__(
        self,
        engine: Engine,
        *,
        rpc_url: str,
        contract: Callable[[ChainClient], FreshLedgerContract],
        account_of: Callable[[str], LocalAccount | None],
        settings: QueueSettings | None = None,
        watcher: IntentWatcher | None = None,
        on_final: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.rpc_url = rpc_url
        self.contract = contract
        self.account_of = account_of
        self.settings = settings or QueueSettings()
        self.watcher = watcher
        self.on_final = on_final  # told every intent this process's submitters settle
        self.node_up: bool | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._elsewhere: dict[str, float] = {}  # senders whose lock another process held, and when
        self._guard = threading.Lock()
        self._manager = threading.Thread(target=self._manage, name="submitter-pool", daemon=True)

    def start(self) -> None:
        self._manager.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._manager.join(timeout)
        with self._guard:
            threads = [thread for thread, _ in self._running.values()]
        for thread in threads:
            thread.join(timeout)

    def wake(self, sender: str) -> None:
        """An intent of `sender` was accepted here: its submitter (if here) looks at once."""
        with self._guard:
            running = self._running.get(sender)
            elsewhere = time.monotonic() - self._elsewhere.get(sender, -SCAN_S) < SCAN_S
        if running is not None and running[0].is_alive():
            running[1].set()
        elif not elsewhere:
            # A sender whose lock another process held at the last look waits for the next
            # scan: a scan for every burst of a busy sender cost more than its writes.
            self._wake.set()

    def running_senders(self) -> list[str]:
        with self._guard:
            return [s for s, (thread, _) in self._running.items() if thread.is_alive()]

    # ------------------------------------------------------------ internals

    def _manage(self) -> None:
        while not self._stop.is_set():
            try:
                for sender in store.senders_with_work(self.engine):
                    self._ensure(sender)
            except Exception:
                log.exception("submitter pool: scan failed")
            self._wake.wait(SCAN_S)
            self._wake.clear()

    def _ensure(self, sender: str) -> None:
        with self._guard:
            running = self._running.get(sender)
            if running is not None and running[0].is_alive():
                return
        account = self.account_of(sender)
        if account is None and not store.has_unfinished(self.engine, sender, RELAY):
            return  # a key this process does not hold
        lock = try_lock(self.engine, sender)
        if lock is None:
            with self._guard:
                self._elsewhere[sender] = time.monotonic()
            return  # another process (or thread) submits for this sender
        wake = threading.Event()
        if account is None:  # a participant keeping its own key: its signed transactions
            target, args = self._relay, (sender, lock, wake)
        else:
            target, args = self._run, (account, lock, wake)
        thread = threading.Thread(target=target, args=args, name=f"submitter-{sender[:10]}", daemon=True)
        with self._guard:
            self._running[sender] = (thread, wake)
        thread.start()

    def _run(self, account: LocalAccount, lock: SenderLock, wake: threading.Event) -> None:
        try:
            ledger = self.contract(ChainClient(self.rpc_url))
            submitter = Submitter(
                self.engine,
                ledger,
                account,
                self.settings,
                stop=self._stop,
                wake=wake,
                notify=self._notify,
                node_state=self._node_state,
            )
            submitter.run()
        except Exception:
            log.exception("submitter %s ended by an error", account.address)
        finally:
            lock.release()
            self._wake.set()  # work may have arrived meanwhile: look again

    def _relay(self, sender: str, lock: SenderLock, wake: threading.Event) -> None:
        try:
            ledger = self.contract(ChainClient(self.rpc_url))
            Relayer(self.engine, ledger, sender, self.settings, stop=self._stop, wake=wake, notify=self._notify).run()
        except Exception:
            log.exception("relayer %s ended by an error", sender)
        finally:
            lock.release()
            self._wake.set()

    def _notify(self, ids: list[int]) -> None:
        if self.watcher is not None and ids:
            self.watcher.done(ids)
        if self.on_final is not None and ids:
            self.on_final(ids)

    def _node_state(self, up: bool) -> None:
        self.node_up = up
