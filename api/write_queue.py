"""Writes through the queue, with their HTTP semantics, in one place so routes stay thin.

- A write is checked (permissions by the route's dependency; the contract's refusals by an
  ``eth_call`` of the very call, one for a burst of requests of one sender), stored as an
  intent (a burst in one database transaction), and answered once its transaction is
  mined: the same body as before, with ``intent_id``. A refusal the contract gives now is
  answered 4xx and nothing is stored.
- ``Prefer: respond-async``: 202 at once, with ``Location: /intents/{id}``. A write not mined
  within ``queue_wait_s`` (the node is down, say) answers 202 the same way.
- ``Idempotency-Key``: a retried request with the same key returns the first one's answer and
  records nothing new; the same key with another body is refused (422).
- While the node does not answer, a write is still stored (the submitter checks it when the
  node is back) and answered 202.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import Caller
from api.errors import revert_answer
from api.services import Services
from ledger.errors import ContractRevert
from ledger.intents.accept import existing
from ledger.store.intents import IntentRecord, KeyReused, final_among, get_intent, get_intents

Extra = Callable[[IntentRecord], dict[str, Any]]
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
#: A ``wait`` preference's seconds (delta-seconds); longer than any ``queue_wait_s``.
WAIT_PATTERN = re.compile(r"^[0-9]{1,6}$")
#: OpenAPI: what a write answers when it is not (yet) mined.
ACCEPTED = {202: {"description": "accepted, not yet mined: follow Location (GET /intents/{id})"}}


def wants_async(request: Request) -> bool:
    """Whether the client sent ``Prefer: respond-async`` (RFC 7240)."""
    tokens = (part.split(";")[0].strip().lower() for part in request.headers.get("prefer", "").split(","))
    return "respond-async" in tokens


def wanted_wait(request: Request) -> int | None:
    """The seconds of a ``Prefer: wait=N`` (RFC 7240), or None: a preference that is absent
    or malformed is ignored, as the RFC asks."""
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.split(";")[0].strip().partition("=")
        if name.strip().lower() == "wait":
            value = value.strip().strip('"')
            return int(value) if WAIT_PATTERN.match(value) else None
    return None


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the Idempotency-Key header must be 1-200 visible ASCII characters"
        )
    return key


# ------------------------------------------------------------------ one write


async def write(
    request: Request,
    caller: Caller,
    kind: str,
    payload: dict[str, Any],
    *,
    status_code: int = status.HTTP_201_CREATED,
    extra: Extra | None = None,
) -> Response:
    """Queue one write of `kind` for `caller` and answer it (see the module docstring)."""
    key = idempotency_key(request)
    intent = await accept_write(caller, kind, payload, key)
    services = caller.services
    if not intent.final and not wants_async(request):
        intent = (await wait_final(services, [intent.id], caller.address, unfinished=True))[intent.id]
    if intent.status == "recorded":
        body = await run_in_threadpool(recorded_body, intent, extra)
        return JSONResponse(body, status_code=status_code)
    if intent.status == "refused":
        raise refusal(intent)
    return JSONResponse(intent_json(request, intent), status.HTTP_202_ACCEPTED, {"Location": f"/intents/{intent.id}"})


async def accept_write(caller: Caller, kind: str, payload: dict[str, Any], key: str | None) -> IntentRecord:
    """Check and store one write of `caller`, without its HTTP answer (the workbench's forms
    answer with pages): HTTPException 403 when the market does not hold the caller's key, 422
    for a key reused with another request; the contract's refusal raised. Many requests' writes
    are checked and stored together by the services' :class:`ledger.intents.accept.AcceptBatcher`,
    and no worker thread waits."""
    services, sender = caller.services, caller.address
    caller.account  # noqa: B018 - 403 when the market does not hold the caller's key
    try:
        if key is not None:
            found = await run_in_threadpool(existing, services.engine, sender, kind, payload, key)
            if found is not None:
                return found
        intent, _created = await asyncio.wrap_future(services.batcher.submit(sender, kind, payload, key))
    except KeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return intent


async def wait_final(
    services: Services,
    ids: list[int],
    sender: str | None = None,
    *,
    unfinished: bool = False,
    timeout: float | None = None,
) -> dict[int, IntentRecord]:
    """Wait until every intent of `ids` (of `sender`, when known: the watcher then leaves them
    to this process's submitter while it has them) is recorded or refused, at most ``queue_wait_s``
    (or `timeout` seconds, when shorter).

    The intents' callbacks count down on the thread that settles them; only the last one
    hops to the event loop (a hop per intent of a bulk request cost more than its settling).

    `unfinished`: the caller has just seen each of them unfinished (a write it accepted now),
    so the database is not read before waiting: one settled before its callback was
    registered is still found by the watcher's looks at the database. That read and its trip
    through the thread pool were a quarter of the API's CPU per waiting sale (2.44 ms against
    1.86 under ``bench/writes.py``'s 500 waiting clients)."""
    loop = asyncio.get_running_loop()
    pending = set(ids)
    guard = threading.Lock()
    everything = loop.create_future()

    def resolve() -> None:
        if not everything.done():
            everything.set_result(None)

    def finished(intent_id: int) -> None:
        with guard:
            if intent_id not in pending:
                return
            pending.discard(intent_id)
            last = not pending
        if last:
            loop.call_soon_threadsafe(resolve)

    watcher = services.watcher
    callbacks = {i: functools.partial(finished, i) for i in ids}
    if watcher is not None:
        watcher.watch_all(callbacks, sender)
    try:
        if not unfinished or watcher is None:
            for intent_id in await run_in_threadpool(final_among, services.engine, ids, sender):
                with guard:
                    pending.discard(intent_id)
        with guard:
            waiting = bool(pending)
        if waiting and watcher is not None:
            with contextlib.suppress(TimeoutError):
                limit = (
                    services.settings.queue_wait_s if timeout is None else min(timeout, services.settings.queue_wait_s)
                )
                await asyncio.wait_for(everything, limit)
    finally:
        if watcher is not None:
            watcher.forget_all(callbacks)
    return await run_in_threadpool(get_intents, services.engine, ids)


# ------------------------------------------------------------------ many writes


async def write_many(
    request: Request, caller: Caller, kind: str, payloads: list[dict[str, Any]], *, extra: Extra | None = None
) -> Response:
    """Queue a list of writes of one kind; answer each item: 200 with per-item statuses once
    all are final (or ``queue_wait_s`` passed), 202 at once with ``Prefer: respond-async``.
    With an Idempotency-Key, item i is keyed ``{key}#{i}``. The items are checked and stored by
    the services' :class:`ledger.intents.accept.AcceptBatcher` with whatever else arrived at
    once (one database transaction for several requests: each transaction holds SQLite's one
    writer lock, which the submitters need to settle and send)."""
    key = idempotency_key(request)
    caller.account  # noqa: B018 - 403 when the market does not hold the caller's key
    services = caller.services
    keys = [f"{key}#{n}" for n in range(len(payloads))] if key else [None] * len(payloads)
    answers = await asyncio.wrap_future(
        services.batcher.submit_many(caller.address, kind, list(zip(payloads, keys, strict=True)))
    )
    outcomes: list[IntentRecord | Exception] = [a if isinstance(a, Exception) else a[0] for a in answers]
    ids = [o.id for o in outcomes if isinstance(o, IntentRecord) and not o.final]
    if ids and not wants_async(request):
        final = await wait_final(services, ids, caller.address, unfinished=True)
        outcomes = [final.get(o.id, o) if isinstance(o, IntentRecord) else o for o in outcomes]
    code = status.HTTP_202_ACCEPTED if wants_async(request) else status.HTTP_200_OK
    body = await run_in_threadpool(_items_json, request, outcomes, extra)
    return Response(body, status_code=code, media_type="application/json")


def _items_json(request: Request, outcomes: list[IntentRecord | Exception], extra: Extra | None) -> bytes:
    """The answer's bytes, encoded in the same worker thread as its items: orjson (the
    compact JSON JSONResponse writes, about ten times faster), else the standard encoder
    for what orjson refuses (integers beyond 64 bits)."""
    items = _item_answers(request, outcomes, extra)
    answer = {"data": items, "count": len(items)}
    try:
        return orjson.dumps(answer)
    except TypeError:
        return JSONResponse(answer).body


def _item_answers(request: Request, outcomes: list[IntentRecord | Exception], extra: Extra | None) -> list[dict]:
    items = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, KeyReused):
            items.append({"index": index, "status": 422, "error": "IdempotencyKeyReused", "message": str(outcome)})
        elif isinstance(outcome, Exception):
            code, body = _refusal_answer(request, outcome)
            items.append({"index": index, "status": code, **body})
        elif outcome.status == "recorded":
            items.append({"index": index, "status": 201, **recorded_body(outcome, extra)})
        elif outcome.status == "refused":
            code, body = _refusal_answer(request, refusal(outcome))
            items.append({"index": index, "status": code, "intent_id": outcome.id, **body})
        else:
            shown = intent_json(request, outcome)
            items.append({"index": index, **shown, "status": 202, "intent_status": shown["status"]})
    return items


def _refusal_answer(request: Request, error: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(error, ContractRevert):
        return revert_answer(request, error)
    return status.HTTP_502_BAD_GATEWAY, {"error": "TransactionFailed", "message": str(error)}


# ------------------------------------------------------------------ bodies


def recorded_body(intent: IntentRecord, extra: Extra | None = None) -> dict[str, Any]:
    """Today's 201 body of a mined write, from the intent's stored result, with its id."""
    result = intent.result or {}
    body = {
        "transaction_hash": result.get("transaction_hash") or intent.tx_hash,
        "block_number": intent.block_number,
        "events": result.get("events", []),
        "batch_ids": result.get("batch_ids", []),
        "intent_id": intent.id,
    }
    if "sale_id" in result:
        body["sale_id"] = result["sale_id"]
    if extra is not None:
        body.update(extra(intent))
    return body


def refusal(intent: IntentRecord) -> ContractRevert:
    """A refused intent's stored error as the exception the API's handler answers."""
    error = intent.error or {}
    args = {k: _bytes32(v) for k, v in (error.get("args") or {}).items()}
    return ContractRevert(error.get("name", "TransactionReverted"), args, error.get("message"))


def _bytes32(value: Any) -> Any:
    # Stored as hex: role hashes and batch ids are bytes again for the sentences' lookups.
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        return bytes.fromhex(value[2:])
    return value


def intent_json(request: Request, intent: IntentRecord) -> dict[str, Any]:
    """An intent as GET /intents/{id} shows it."""
    body: dict[str, Any] = {
        "intent_id": intent.id,
        "kind": intent.kind,
        "sender": intent.sender,
        "status": intent.status,
        "created_at": _iso(intent.created_at),
        "updated_at": _iso(intent.updated_at),
        "location": f"/intents/{intent.id}",
    }
    if intent.kind == "sale" and "serial" in intent.payload:
        # Reserved when the sale was accepted: the sale's Digital Link ends /21/{serial}, and
        # the chain records the sale under it or refuses the sale.
        body["serial"] = intent.payload["serial"]
    if intent.tx_hash:
        body["transaction_hash"] = intent.tx_hash
    if intent.status == "recorded":
        result = intent.result or {}
        body["block_number"] = intent.block_number
        body["result"] = {k: v for k, v in result.items() if k not in ("events", "transaction_hash")}
        body["events"] = result.get("events", [])
    if intent.status == "refused":
        _code, answer = revert_answer(request, refusal(intent))
        body["error"] = answer
    return body


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def intent_for(services: Services, intent_id: int) -> IntentRecord | None:
    return get_intent(services.engine, intent_id)
