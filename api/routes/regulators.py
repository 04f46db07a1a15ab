"""Regulators: recalls, quarantine releases, and the forward trace a recall must cover."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from api.deps import Caller, CallerDep, require
from api.recall_schemas import LotRecallCreate, LotRecallPublic
from api.schemas import BatchId, RecallCreate, ReleaseCreate, TxResponse
from api.views import plain, trace_json
from api.writes import hex_id, tx_response
from ledger import recall as recalls
from ledger.chain.freshledger import batch_id_of
from ledger.errors import NotFound
from ledger.queries import trace_forward
from ledger.queries.market import stall_oversight

router = APIRouter(tags=["regulators"])
Regulator = Annotated[Caller, Depends(require("REGULATOR"))]


@router.post("/recalls", status_code=201, response_model=TxResponse)
def recall(body: RecallCreate, caller: Regulator) -> dict:
    """Recall batches: they can no longer move, be repacked or be sold."""
    result = caller.services.ledger.recall(caller.account, [hex_id(b) for b in body.batch_ids], body.reason)
    return tx_response(result, batch_ids=body.batch_ids)


@router.post("/recalls/lots", status_code=201, response_model=LotRecallPublic)
def recall_lot(body: LotRecallCreate, caller: Regulator) -> dict:
    """Recall a lot and every batch made from it, in as few transactions as fit the block gas
    limit; answers with the transactions, the recalled batches and the stalls and sales reached."""
    try:
        trace = trace_forward(caller.services.engine, "0x" + batch_id_of(body.gtin, body.lot).hex())
    except NotFound:
        raise NotFound(f"no lot {body.lot} of GTIN {body.gtin} is recorded (as far as indexed)") from None
    sender = recalls.RecallSender(caller.services.ledger, caller.account)
    return recalls.lot_recall_json(recalls.recall_lot(trace, sender, body.reason))


@router.post("/batches/{batch_id}/release", response_model=TxResponse)
def release_quarantine(batch_id: BatchId, body: ReleaseCreate, caller: Regulator) -> dict:
    """Release a batch from quarantine after a failed residue test."""
    return tx_response(caller.services.ledger.release_quarantine(caller.account, hex_id(batch_id), body.reason))


@router.get("/batches/{batch_id}/trace")
def trace(batch_id: BatchId, caller: Regulator) -> dict[str, Any]:
    """Everything downstream of a batch: descendants, sales, holders, stalls."""
    return trace_json(trace_forward(caller.services.engine, batch_id))


@router.get("/regulators/stalls")
def stalls_overview(caller: CallerDep) -> dict[str, Any]:
    """Per stall, shoppers' rating next to the lab tests of the lots it has held (tests, failed
    tests, the latest failure), stalls with failed tests first: a stall with many failed tests
    and high ratings is worth a look. For regulators and the market authority."""
    if caller.suspended or not (caller.is_admin or caller.has("REGULATOR")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the regulator role or the market authority")
    overview = stall_oversight(caller.services.engine)
    return {"data": plain(overview), "count": len(overview)}
