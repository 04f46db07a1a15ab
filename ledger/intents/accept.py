"""Accepting writes into the queue: what the contract would refuse now is refused before
anything is stored (a call, never a transaction), the rest is stored as queued intents."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import orjson
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import TransactionError
from ledger.intents.kinds import Payload, kind_of
from ledger.store import intents as store
from ledger.store.intents import IntentRecord, NewIntent


def request_hash(kind: str, payload: Payload) -> str:
    """What an Idempotency-Key is bound to: the kind and the payload, canonically."""
    return hashlib.sha256(orjson.dumps([kind, payload], option=orjson.OPT_SORT_KEYS)).hexdigest()


def precheck(
    ledger: FreshLedgerContract, sender: str, kind: str, payloads: Sequence[Payload]
) -> list[TransactionError | None]:
    """Each payload's refusal by the contract on the latest block, or None: one ``eth_call``
    each (one for all when the kind packs and none is refused). Raises NodeError when the
    node does not answer."""
    spec = kind_of(kind)

    def reason(group: Sequence[Payload]) -> TransactionError | None:
        function, args = spec.call(group)
        data = ledger.abi.encode_call(function, args)
        return ledger.client.revert_reason(sender, to=ledger.address, data=data, abi=ledger.abi)

    if spec.packs(ledger.abi) and 1 < len(payloads) <= spec.max_group and reason(payloads) is None:
        return [None] * len(payloads)
    return [reason([payload]) for payload in payloads]


def accept(
    engine: Engine, sender: str, kind: str, items: Sequence[tuple[Payload, str | None]]
) -> list[tuple[IntentRecord, bool]]:
    """Store `items` (payload, Idempotency-Key) as queued intents; an item whose key was used
    before answers with the first intent (created False). Raises
    :class:`ledger.store.intents.KeyReused` for a key used with another request."""
    kind_of(kind)  # an unknown kind is a programming error, caught before storing
    new = [NewIntent(payload, key, request_hash(kind, payload)) for payload, key in items]
    return store.add_intents(engine, sender, kind, new)


def existing(engine: Engine, sender: str, kind: str, payload: Payload, key: str | None) -> IntentRecord | None:
    """The intent an Idempotency-Key already names (KeyReused if for another request)."""
    if key is None:
        return None
    found = store.intent_by_key(engine, sender, key)
    if found is not None and (found.request_hash != request_hash(kind, payload) or found.kind != kind):
        raise store.KeyReused(key, found)
    return found
