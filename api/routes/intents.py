"""The write queue seen from outside: where an accepted write stands."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import CallerDep
from api.write_queue import intent_for, intent_json
from ledger.errors import NotFound

router = APIRouter(tags=["write queue"])


@router.get("/intents/{intent_id}")
async def get_intent(
    request: Request, intent_id: Annotated[int, Path(ge=1, lt=2**63)], caller: CallerDep
) -> dict[str, Any]:
    """An accepted write: ``queued``, ``sent`` (with its transaction), ``recorded`` (the
    transaction, its block and the ids: batch ids, sale id) or ``refused`` (the contract's
    error and its sentence). For the participant it was written for, regulators and the
    market authority; anyone else is told there is no such intent."""
    intent = await run_in_threadpool(intent_for, caller.services, intent_id)
    overseer = not caller.suspended and (caller.is_admin or caller.has("REGULATOR"))
    if intent is None or (intent.sender != caller.address and not overseer):
        raise NotFound(f"no intent {intent_id}")
    return await run_in_threadpool(intent_json, request, intent)
