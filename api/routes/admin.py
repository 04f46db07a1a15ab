"""The market authority: admits, suspends and reinstates participants, issues API keys.

Its writes go through the write queue like every other (the authority's nonces are its
submitter's alone): the registration, and the gas money for a participant whose key the
market made, which is queued before the registration so the participant can write once it is
admitted.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Caller, require
from api.registration import queue_funding, registration_address
from api.schemas import Address, ParticipantCreate, ParticipantCreated, SuspendCreate, TxResponse
from api.write_queue import ACCEPTED, idempotency_key, write
from ledger.errors import NotFound
from ledger.store.api_keys import KEY_ID, ApiKeyRecord, issue_key, keys_of, revoke_key
from ledger.store.people import end_sessions_of_participant

KeyId = Annotated[str, Path(pattern=KEY_ID.pattern, description="the key's id: its part after `fl_`")]


class ApiKeyPublic(BaseModel):
    """An API key without its secret (the market keeps only its hash)."""

    key_id: str
    address: str
    label: str
    created_at: int
    revoked_at: int | None
    #: When the API last accepted the key, to the minute (None: never).
    last_used_at: int | None


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


router = APIRouter(prefix="/participants", tags=["market authority"])
Authority = Annotated[Caller, Depends(require("ADMIN"))]


@router.post("", status_code=201, response_model=ParticipantCreated, responses=ACCEPTED)
async def register_participant(request: Request, body: ParticipantCreate, caller: Authority) -> Response:
    """Admit a participant with a role. Without an address, the market creates a key for it
    and keeps it encrypted; either way the answer carries the participant's API key, once (a
    retry with the same Idempotency-Key answers the same participant with a new API key)."""
    key = idempotency_key(request)
    address = await run_in_threadpool(registration_address, caller, body.address, key)
    payload = {"address": address, "role": body.role, "name": body.name, "identifier": body.identifier}
    if body.address is None:
        await run_in_threadpool(queue_funding, caller, payload, key)
    answer = await write(request, caller, "participant", payload, extra=lambda _intent: {"address": address})
    api_key = await run_in_threadpool(issue_key, caller.services.engine, address, f"{body.name} ({body.role.lower()})")
    return _with(answer, address=address, api_key=api_key)


def _with(answer: Response, **fields: Any) -> Response:
    """`answer` (a recorded write, or 202 while it is queued) with `fields` added to its body."""
    if answer.status_code >= 300:
        return answer
    body = orjson.loads(bytes(answer.body))
    headers = {"Location": answer.headers["location"]} if "location" in answer.headers else None
    return JSONResponse({**body, **fields}, status_code=answer.status_code, headers=headers)


@router.post("/{address}/suspend", response_model=TxResponse, responses=ACCEPTED)
async def suspend(request: Request, address: Address, body: SuspendCreate, caller: Authority) -> Response:
    await run_in_threadpool(_require_registered, caller, address)
    payload = {"address": address, "reason": body.reason}
    answer = await write(request, caller, "suspend", payload, status_code=200)
    # Its people are signed out, and its cached roles dropped, once the suspension is accepted
    # rather than when it is mined (the contract refuses its writes from then on anyway).
    await run_in_threadpool(end_sessions_of_participant, caller.services.engine, address)
    caller.services.roles.forget(address)
    return answer


@router.post("/{address}/reinstate", response_model=TxResponse, responses=ACCEPTED)
async def reinstate(request: Request, address: Address, caller: Authority) -> Response:
    await run_in_threadpool(_require_registered, caller, address)
    return await write(request, caller, "reinstate", {"address": address}, status_code=200)


@router.post("/{address}/keys", status_code=201)
def new_key(address: Address, caller: Authority) -> dict:
    """Issue another API key for a participant (e.g. after losing one)."""
    _require_registered(caller, address)
    return {"address": address, "api_key": issue_key(caller.services.engine, address, "issued by the authority")}


@router.get("/{address}/keys", response_model=ApiKeysPublic)
def list_keys(address: Address, caller: Authority) -> ApiKeysPublic:
    """The participant's API keys, revoked ones too (never a secret: it is not kept)."""
    found = [_key_public(record) for record in keys_of(caller.services.engine, address)]
    return ApiKeysPublic(data=found, count=len(found))


@router.delete("/{address}/keys/{key_id}", response_model=ApiKeyPublic)
def revoke(address: Address, key_id: KeyId, caller: Authority) -> ApiKeyPublic:
    """Revoke one of the participant's keys: refused by the API from the next request on.
    Revoking a revoked key changes nothing and answers it as it is."""
    record = revoke_key(caller.services.engine, address, key_id)
    if record is None:
        raise NotFound(f"{address} has no API key {key_id}")
    caller.services.api_keys.forget()  # the cache would let the key in for role_cache_s more
    return _key_public(record)


def _key_public(record: ApiKeyRecord) -> ApiKeyPublic:
    return ApiKeyPublic(
        key_id=record.key_id,
        address=record.address,
        label=record.label,
        created_at=record.created_at,
        revoked_at=record.revoked_at,
        last_used_at=record.last_used_at,
    )


def _require_registered(caller: Caller, address: str) -> None:
    """404 for an address the contract does not know: the contract's ParticipantNotRegistered
    would answer 403, as if the authority lacked a permission, and a key needs a participant."""
    (record,) = caller.services.ledger.read("participant", address)
    if not record["index"]:
        raise NotFound(f"{address} is not a registered participant of this market")
