"""Customs: imports cleared into an importer's custody."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Caller, require
from api.schemas import ImportCreate, TxResponse
from api.writes import binary_cid, tx_response
from ledger.hexes import to_hex

router = APIRouter(tags=["customs"])


@router.post("/imports", status_code=201, response_model=TxResponse)
def register_import(body: ImportCreate, caller: Annotated[Caller, Depends(require("CUSTOMS"))]) -> dict:
    """Customs clears an imported lot (FSMA 204 first land-based receiving)."""
    result = caller.services.ledger.register_import(
        caller.account,
        gtin=body.gtin,
        lot=body.lot,
        quantity=body.quantity,
        unit=body.unit,
        importer=body.importer,
        origin_country=body.origin_country,
        declaration_number=body.declaration_number,
        cleared_at=int(body.cleared_at.timestamp()),
        entry_port=body.entry_port,
        document_cid=binary_cid(body.document_cid),
    )
    return tx_response(result, batch_ids=[to_hex(result.event("ImportRegistered").args["batchId"])])
