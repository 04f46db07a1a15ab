"""The write queue seen from outside: where an accepted write stands."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import CallerDep
from api.write_queue import intent_for, intent_json, wait_final, wanted_wait
from ledger.errors import NotFound

router = APIRouter(tags=["write queue"])


@router.get("/intents/{intent_id}", response_model=None)
async def get_intent(
    request: Request, intent_id: Annotated[int, Path(ge=1, lt=2**63)], caller: CallerDep
) -> dict[str, Any] | JSONResponse:
    """An accepted write: ``queued``, ``sent`` (with its transaction), ``recorded`` (the
    transaction, its block and the ids: batch ids, sale id) or ``refused`` (the contract's
    error and its sentence). For the participant it was written for, regulators and the
    market authority; anyone else is told there is no such intent.

    ``Prefer: wait=N`` (RFC 7240): an intent still queued or sent is answered once it is
    recorded or refused, or after N seconds (at most the queue's own wait), whichever comes
    first; a till that waits for its receipt asks once instead of polling."""
    services = caller.services
    intent = await run_in_threadpool(intent_for, services, intent_id)
    overseer = not caller.suspended and (caller.is_admin or caller.has("REGULATOR"))
    if intent is None or (intent.sender != caller.address and not overseer):
        raise NotFound(f"no intent {intent_id}")
    wait = wanted_wait(request)
    if wait is None:
        return await run_in_threadpool(intent_json, request, intent)
    applied = min(wait, int(services.settings.queue_wait_s))
    if not intent.final and applied > 0:
        intent = (await wait_final(services, [intent_id], intent.sender, timeout=applied))[intent_id]
    body = await run_in_threadpool(intent_json, request, intent)
    return JSONResponse(body, headers={"Preference-Applied": f"wait={applied}"})
