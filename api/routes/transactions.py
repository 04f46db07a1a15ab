"""Transactions a participant signed with its own key (for those who keep their keys).

The signed bytes go through the write queue as a ``relay`` intent (:mod:`ledger.intents.relay`):
stored, then sent and settled by hash, so a restart loses none and sends none twice. What
the API can foresee is answered before anything is stored: not a signed transaction (422),
signed by someone else (403), not for the contract (422), a nonce the node has already used
or one that leaves a gap (409), and the contract's own refusal (its error, as any write).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import Caller, CallerDep
from api.schemas import RawTransaction, TxResponse
from api.write_queue import ACCEPTED, idempotency_key, intent_json, recorded_body, refusal, wait_final, wants_async
from ledger.intents.accept import accept, existing
from ledger.intents.relay import KIND, SignedCall, decode
from ledger.store.intents import IntentRecord, KeyReused, unfinished_of_kind

router = APIRouter(tags=["suppliers and custodians"])


@router.post("/transactions", response_model=TxResponse, responses=ACCEPTED)
async def submit_signed(request: Request, body: RawTransaction, caller: CallerDep) -> Response:
    """Relay a transaction to the FreshLedger contract signed by the authenticated
    participant itself; answers once it is mined (200, with ``intent_id``), or 202 with
    ``Prefer: respond-async``. A revert answers as any other write. The same signed bytes
    sent again answer the first relay; the nonce is the signer's: one already used, or one
    past the next the node expects, is refused (409) naming the expected one."""
    try:
        call = decode(bytes.fromhex(body.raw_transaction.removeprefix("0x")))
    except Exception as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"not a signed transaction: {exc}") from None
    if call.sender != caller.address:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the transaction is signed by {call.sender}, not by {caller.address}"
        )
    key = idempotency_key(request) or f"relay:{call.tx_hash}"
    intent = await run_in_threadpool(_accept, caller, call, key)
    if not intent.final and not wants_async(request):
        intent = (await wait_final(caller.services, [intent.id]))[intent.id]
    if intent.status == "recorded":
        return JSONResponse(await run_in_threadpool(recorded_body, intent), status_code=status.HTTP_200_OK)
    if intent.status == "refused":
        error = intent.error or {}
        if error.get("name") in ("NonceTooLow", "NonceTooHigh", "TransactionRefused"):
            raise HTTPException(status.HTTP_409_CONFLICT, error.get("message"))
        raise refusal(intent)
    return JSONResponse(intent_json(request, intent), status.HTTP_202_ACCEPTED, {"Location": f"/intents/{intent.id}"})


def _accept(caller: Caller, call: SignedCall, key: str) -> IntentRecord:
    services = caller.services
    ledger = services.ledger
    try:
        found = existing(services.engine, caller.address, KIND, call.payload, key)
    except KeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    if found is not None:
        return found
    if call.to != ledger.address:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"only transactions to the FreshLedger contract {ledger.address} are relayed",
        )
    reason = ledger.client.revert_reason(call.sender, to=ledger.address, data=call.data, abi=ledger.abi)
    if reason is not None:
        raise reason
    _check_nonce(caller, call)
    ((intent, _),) = accept(services.engine, caller.address, KIND, [(call.payload, key)])
    services.wake(caller.address)
    return intent


def _check_nonce(caller: Caller, call: SignedCall) -> None:
    """409 for a nonce the node has used, one another queued relay of the signer carries, or
    one past the next (it would wait in the node's pool for the missing one forever)."""
    services = caller.services
    client = services.ledger.client
    used = client.nonce_of(call.sender, "latest")
    queued: dict[int, Any] = {i.payload["nonce"]: i for i in unfinished_of_kind(services.engine, call.sender, KIND)}
    expected = max([client.nonce_of(call.sender, "pending"), *(n + 1 for n in queued)])
    if call.nonce < used:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"nonce {call.nonce} is already used: the node expects nonce {expected} from {call.sender}; "
            "sign the transaction again with it",
        )
    if call.nonce in queued:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"nonce {call.nonce} is carried by another relayed transaction of {call.sender} "
            f"(intent {queued[call.nonce].id}); the next free one is {expected}",
        )
    if call.nonce > expected:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"nonce {call.nonce} leaves a gap: the node expects nonce {expected} from {call.sender}",
        )
