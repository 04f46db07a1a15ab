"""Suppliers (farms, importers, wholesalers) and every custodian: harvests, hand-offs,
repacking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import Caller, CallerDep, require
from api.schemas import BatchId, HandOffCreate, HarvestCreate, MergeCreate, SplitCreate, TxResponse
from api.write_queue import ACCEPTED, write
from api.writes import binary_cid
from ledger.hexes import to_hex

router = APIRouter(tags=["suppliers and custodians"])


@router.post("/harvests", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def register_harvest(
    request: Request, body: HarvestCreate, caller: Annotated[Caller, Depends(require("SUPPLIER"))]
) -> Response:
    """A farm registers a harvested batch (FSMA 204 harvesting)."""
    payload = {
        "gtin": body.gtin,
        "lot": body.lot,
        "quantity": body.quantity,
        "unit": body.unit,
        "harvested_at": int(body.harvested_at.timestamp()),
        "origin": body.origin,
        "document_cid": to_hex(binary_cid(body.document_cid)),
    }
    return await write(request, caller, "harvest", payload)


@router.post("/batches/{batch_id}/handoff", response_model=TxResponse, responses=ACCEPTED)
async def hand_off(request: Request, batch_id: BatchId, body: HandOffCreate, caller: CallerDep) -> Response:
    """The custodian ships the whole batch to another participant."""
    await run_in_threadpool(_check_recipient, caller, body.to)
    return await write(request, caller, "handoff", {"batch_id": batch_id, "to": body.to}, status_code=200)


def _check_recipient(caller: Caller, to: str) -> None:
    # The contract names an unknown or suspended recipient as ParticipantNotRegistered /
    # ParticipantNotActive, which answer 403 as if the caller lacked a permission.
    (recipient,) = caller.services.ledger.read("participant", to)
    if not recipient["index"]:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{to} is not a registered participant of this market"
        )
    if recipient["suspended"]:
        raise HTTPException(status.HTTP_409_CONFLICT, f"participant {to} is suspended and cannot receive batches")


@router.post("/batches/{batch_id}/accept", response_model=TxResponse, responses=ACCEPTED)
async def accept_hand_off(request: Request, batch_id: BatchId, caller: CallerDep) -> Response:
    """The recipient takes custody."""
    return await write(request, caller, "accept", {"batch_id": batch_id}, status_code=200)


@router.post("/batches/{batch_id}/cancel", response_model=TxResponse, responses=ACCEPTED)
async def cancel_hand_off(request: Request, batch_id: BatchId, caller: CallerDep) -> Response:
    """The sender takes back a hand-off not yet accepted."""
    return await write(request, caller, "cancel", {"batch_id": batch_id}, status_code=200)


@router.post("/batches/{batch_id}/split", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def split(request: Request, batch_id: BatchId, body: SplitCreate, caller: CallerDep) -> Response:
    """Repack part of a batch into new lots."""
    payload = {"batch_id": batch_id, "parts": [[p.lot, p.quantity] for p in body.parts]}
    return await write(request, caller, "split", payload)


@router.post("/merges", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def merge(request: Request, body: MergeCreate, caller: CallerDep) -> Response:
    """Merge batches of one product into a new lot."""
    return await write(request, caller, "merge", {"batch_ids": body.batch_ids, "lot": body.lot})
