"""Accepting writes into the queue: what the contract would refuse now is refused before
anything is stored (a call, never a transaction), the rest is stored as queued intents.
:class:`AcceptBatcher` does both for bursts of single requests at once."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import NodeError, TransactionError
from ledger.hexes import from_hex
from ledger.intents.kinds import Payload, kind_of
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, NewIntent
from ledger.store.sale_serials import SaleCounts

#: Batches an accept batcher remembers as having a sale serial counter before it forgets them all.
COUNTED_BATCHES = 100_000


def request_hash(kind: str, payload: Payload) -> str:
    """What an Idempotency-Key is bound to: the kind and the payload, canonically."""
    return hashlib.sha256(orjson.dumps([kind, payload], option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain_sale_counts(ledger: FreshLedgerContract) -> SaleCounts:
    """Reads each batch's sale count (its last serial) on the latest block: where a new serial
    counter of the write queue starts (see :mod:`ledger.store.sale_serials`). A batch the
    contract does not know counts 0 (its sales are refused anyway)."""

    def counts(batch_ids: Sequence[str]) -> dict[str, int]:
        found = {}
        for batch_id in batch_ids:
            try:
                found[batch_id] = ledger.batch(from_hex(batch_id)).sale_count
            except NodeError:
                raise
            except TransactionError:
                found[batch_id] = 0
        return found

    return counts


def precheck(
    ledger: FreshLedgerContract, sender: str, kind: str, payloads: Sequence[Payload]
) -> list[TransactionError | None]:
    """Each payload's refusal by the contract on the latest block, or None. When the kind
    packs, payloads that would share a transaction (equal group keys, at most ``max_group``)
    are simulated as ONE call of the batch function, and only a group that reverts is
    simulated item by item; otherwise one ``eth_call`` each. Raises NodeError when the node
    does not answer."""
    spec = kind_of(kind)

    def reason(group: Sequence[Payload]) -> TransactionError | None:
        function, args = spec.call(group)
        data = ledger.abi.encode_call(function, args)
        return ledger.client.revert_reason(sender, to=ledger.address, data=data, abi=ledger.abi)

    if not spec.packs(ledger.abi):
        return [reason([payload]) for payload in payloads]
    reasons: list[TransactionError | None] = [None] * len(payloads)
    by_key: dict[object, list[int]] = {}
    for n, payload in enumerate(payloads):
        by_key.setdefault(spec.group_key(payload), []).append(n)
    for indexes in by_key.values():
        for start in range(0, len(indexes), spec.max_group):
            chunk = indexes[start : start + spec.max_group]
            if len(chunk) > 1 and reason([payloads[n] for n in chunk]) is None:
                continue
            for n in chunk:
                reasons[n] = reason([payloads[n]])
    return reasons


def accept(
    engine: Engine,
    sender: str,
    kind: str,
    items: Sequence[tuple[Payload, str | None]],
    *,
    ledger: FreshLedgerContract | None = None,
) -> list[tuple[IntentRecord, bool]]:
    """Store `items` (payload, Idempotency-Key) as queued intents; an item whose key was used
    before answers with the first intent (created False). Raises
    :class:`ledger.store.intents.KeyReused` for a key used with another request. A sale gets
    its reserved serial (``payload["serial"]``); `ledger` seeds a batch's first reservation
    from the chain."""
    kind_of(kind)  # an unknown kind is a programming error, caught before storing
    new = [NewIntent(payload, key, request_hash(kind, payload)) for payload, key in items]
    counts = chain_sale_counts(ledger) if ledger is not None else None
    return store.add_intents(engine, sender, kind, new, sale_counts=counts)


def same_request(first: IntentRecord, kind: str, payload: Payload) -> bool:
    """Whether `first` (the intent an Idempotency-Key names) was made by this very request."""
    return first.kind == kind and first.request_hash == request_hash(kind, payload)


def existing(engine: Engine, sender: str, kind: str, payload: Payload, key: str | None) -> IntentRecord | None:
    """The intent an Idempotency-Key already names (KeyReused if for another request)."""
    if key is None:
        return None
    found = store.intent_by_key(engine, sender, key)
    if found is not None and not same_request(found, kind, payload):
        raise store.KeyReused(key, found)
    return found


# ------------------------------------------------------------------ accepting in bursts


@dataclass
class _Request:
    sender: str
    kind: str
    payload: Payload
    key: str | None
    answer: Future = field(default_factory=Future)


class AcceptBatcher:
    """Accepts single writes in bursts: what arrives within ``window_s`` of the first is checked
    and stored together, so a busy API pays one ``eth_call`` and one database commit per burst
    instead of one each per request.

    For each sender and kind in a burst, :func:`precheck` simulates all its payloads as ONE
    call of the batch function (the very call the submitter will make); only when that
    reverts is each payload simulated alone, so a refusal the contract gives now still answers
    its own request, and the others are stored. Then every payload that passed, of every
    sender, is inserted in one database transaction. Each request's future gets its
    ``(IntentRecord, created)``, or the exception to answer with (the contract's
    :class:`TransactionError`, :class:`KeyReused`). While the node does not answer, payloads
    are stored unchecked (the submitter's estimate checks them when it is back).
    """

    def __init__(
        self,
        engine: Engine,
        ledger: FreshLedgerContract,
        *,
        window_s: float = 0.003,
        max_burst: int = 500,
        stored: Callable[[str], None] = lambda sender: None,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.window_s = window_s
        self.max_burst = max_burst
        self.stored = stored
        self._inbox: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        #: Batches with a sale serial counter, not looked for again (a market's day sells a
        #: few thousand; forgotten past COUNTED_BATCHES).
        self._counted: set[str] = set()
        self._thread = threading.Thread(target=self._loop, name="accept-batcher", daemon=True)
        self._thread.start()

    def submit(self, sender: str, kind: str, payload: Payload, key: str | None) -> Future:
        """Queue one write for the next burst; the future answers it."""
        kind_of(kind)  # an unknown kind is a programming error, caught before storing
        request = _Request(sender, kind, payload, key)
        self._inbox.put(request)
        return request.answer

    def submit_many(self, sender: str, kind: str, items: Sequence[tuple[Payload, str | None]]) -> Future:
        """Queue many writes (payload, Idempotency-Key) of one sender for the next burst, each
        answered on its own as by :meth:`submit`; ONE future answers them all, in order, each
        with its ``(IntentRecord, created)`` or its refusal (the contract's
        :class:`TransactionError`, :class:`KeyReused`). A failure of the database fails the
        future. One future, not one per item: each answer's hop to the caller's event loop
        cost more than storing its item."""
        kind_of(kind)
        everything: Future = Future()
        requests = [_Request(sender, kind, payload, key) for payload, key in items]
        if not requests:
            everything.set_result([])
            return everything
        left = [len(requests)]
        guard = threading.Lock()

        def answered(_: Future) -> None:
            with guard:
                left[0] -= 1
                if left[0]:
                    return
            failure = next(
                (
                    error
                    for r in requests
                    if (error := r.answer.exception()) is not None
                    and not isinstance(error, TransactionError | store.KeyReused)
                ),
                None,
            )
            if failure is not None:
                everything.set_exception(failure)
            else:
                everything.set_result([r.answer.exception() or r.answer.result() for r in requests])

        for request in requests:
            request.answer.add_done_callback(answered)
            self._inbox.put(request)
        return everything

    def stop(self) -> None:
        self._inbox.put(None)
        self._thread.join(5)

    def _loop(self) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            burst = [first]
            deadline = time.monotonic() + self.window_s
            while len(burst) < self.max_burst:
                left = deadline - time.monotonic()
                try:
                    more = self._inbox.get(timeout=left) if left > 0 else self._inbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._inbox.put(None)  # stop after this burst
                    break
                burst.append(more)
            try:
                self._accept(burst)
            except BaseException as exc:  # the database failed: each request answers 5xx
                for request in burst:
                    if not request.answer.done():
                        request.answer.set_exception(exc)

    def _accept(self, burst: list[_Request]) -> None:
        groups: dict[tuple[str, str], list[_Request]] = {}
        first_of = self._first_intents(burst)
        keys: set[tuple[str, str]] = set()
        for request in burst:
            if request.key is not None:
                if (request.sender, request.key) in keys:
                    # A retry racing its first attempt: it goes in the next burst, where it
                    # finds the first stored and answers with it (or KeyReused).
                    self._inbox.put(request)
                    continue
                keys.add((request.sender, request.key))
                first = first_of.get((request.sender, request.key))
                if first is not None:  # a retry answers with the first intent, before any check
                    if not same_request(first, request.kind, request.payload):
                        request.answer.set_exception(store.KeyReused(request.key, first))
                    else:
                        request.answer.set_result((first, False))
                    continue
            groups.setdefault((request.sender, request.kind), []).append(request)
        passed: list[tuple[str, str, list[_Request]]] = []
        for (sender, kind), requests in groups.items():
            try:
                reasons = precheck(self.ledger, sender, kind, [r.payload for r in requests])
            except NodeError:
                reasons = [None] * len(requests)
            for request, reason in zip(requests, reasons, strict=True):
                if reason is not None:
                    request.answer.set_exception(reason)
            ok = [r for r, reason in zip(requests, reasons, strict=True) if reason is None]
            if ok:
                passed.append((sender, kind, ok))
        if not passed:
            return
        if len(self._counted) > COUNTED_BATCHES:
            self._counted.clear()
        outcomes = store.add_intent_groups(
            self.engine,
            [
                store.IntentGroup(
                    sender, kind, [NewIntent(r.payload, r.key, request_hash(kind, r.payload)) for r in requests]
                )
                for sender, kind, requests in passed
            ],
            sale_counts=chain_sale_counts(self.ledger),
            counted=self._counted,
        )
        for (sender, _kind, requests), outcome in zip(passed, outcomes, strict=True):
            if isinstance(outcome, store.KeyReused):
                # A key of the group was used for another request: store them one by one, so
                # only that one is refused.
                for request in requests:
                    _settle_alone(self.engine, request, self.ledger)
            else:
                for request, answer in zip(requests, outcome, strict=True):
                    request.answer.set_result(answer)
            self.stored(sender)

    def _first_intents(self, burst: list[_Request]) -> dict[tuple[str, str], IntentRecord]:
        """The intents the burst's Idempotency-Keys already name, by (sender, key): one query
        a sender (a bulk request keys each of its items)."""
        keys: dict[str, list[str]] = {}
        for request in burst:
            if request.key is not None:
                keys.setdefault(request.sender, []).append(request.key)
        return {
            (sender, key): intent
            for sender, named in keys.items()
            for key, intent in store.intents_by_keys(self.engine, sender, named).items()
        }


def _settle_alone(engine: Engine, request: _Request, ledger: FreshLedgerContract) -> None:
    try:
        ((intent, created),) = accept(
            engine, request.sender, request.kind, [(request.payload, request.key)], ledger=ledger
        )
    except store.KeyReused as exc:
        request.answer.set_exception(exc)
    else:
        request.answer.set_result((intent, created))
