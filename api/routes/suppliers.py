"""Suppliers (farms, importers, wholesalers) and every custodian: harvests, hand-offs,
repacking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from api.deps import Caller, CallerDep, require
from api.schemas import BatchId, HandOffCreate, HarvestCreate, MergeCreate, SplitCreate, TxResponse
from api.writes import binary_cid, hex_id, tx_response
from ledger.hexes import to_hex

router = APIRouter(tags=["suppliers and custodians"])


@router.post("/harvests", status_code=201, response_model=TxResponse)
def register_harvest(body: HarvestCreate, caller: Annotated[Caller, Depends(require("SUPPLIER"))]) -> dict:
    """A farm registers a harvested batch (FSMA 204 harvesting)."""
    ledger = caller.services.ledger
    result = ledger.register_harvest(
        caller.account,
        gtin=body.gtin,
        lot=body.lot,
        quantity=body.quantity,
        unit=body.unit,
        harvested_at=int(body.harvested_at.timestamp()),
        origin=body.origin,
        document_cid=binary_cid(body.document_cid),
    )
    batch_id = to_hex(result.event("HarvestRegistered").args["batchId"])
    return tx_response(result, batch_ids=[batch_id])


@router.post("/batches/{batch_id}/handoff", response_model=TxResponse)
def hand_off(batch_id: BatchId, body: HandOffCreate, caller: CallerDep) -> dict:
    """The custodian ships the whole batch to another participant."""
    ledger = caller.services.ledger
    # The contract names an unknown or suspended recipient as ParticipantNotRegistered /
    # ParticipantNotActive, which answer 403 as if the caller lacked a permission.
    (recipient,) = ledger.read("participant", body.to)
    if not recipient["index"]:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{body.to} is not a registered participant of this market"
        )
    if recipient["suspended"]:
        raise HTTPException(status.HTTP_409_CONFLICT, f"participant {body.to} is suspended and cannot receive batches")
    return tx_response(ledger.hand_off(caller.account, hex_id(batch_id), body.to), batch_ids=[batch_id])


@router.post("/batches/{batch_id}/accept", response_model=TxResponse)
def accept_hand_off(batch_id: BatchId, caller: CallerDep) -> dict:
    """The recipient takes custody."""
    return tx_response(caller.services.ledger.accept_hand_off(caller.account, hex_id(batch_id)), batch_ids=[batch_id])


@router.post("/batches/{batch_id}/cancel", response_model=TxResponse)
def cancel_hand_off(batch_id: BatchId, caller: CallerDep) -> dict:
    """The sender takes back a hand-off not yet accepted."""
    return tx_response(caller.services.ledger.cancel_hand_off(caller.account, hex_id(batch_id)), batch_ids=[batch_id])


@router.post("/batches/{batch_id}/split", status_code=201, response_model=TxResponse)
def split(batch_id: BatchId, body: SplitCreate, caller: CallerDep) -> dict:
    """Repack part of a batch into new lots."""
    result = caller.services.ledger.split(caller.account, hex_id(batch_id), [(p.lot, p.quantity) for p in body.parts])
    children = [to_hex(e.args["childId"]) for e in result.events_named("BatchSplit")]
    return tx_response(result, batch_ids=children)


@router.post("/merges", status_code=201, response_model=TxResponse)
def merge(body: MergeCreate, caller: CallerDep) -> dict:
    """Merge batches of one product into a new lot."""
    result = caller.services.ledger.merge(caller.account, [hex_id(b) for b in body.batch_ids], body.lot)
    return tx_response(result, batch_ids=[to_hex(result.event("BatchesMerged").args["childId"])])
