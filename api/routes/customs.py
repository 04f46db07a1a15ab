"""Customs: imports cleared into an importer's custody."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Caller, require
from api.schemas import ImportCreate, TxResponse
from api.write_queue import ACCEPTED, write
from api.writes import binary_cid
from ledger.hexes import to_hex

router = APIRouter(tags=["customs"])


@router.post("/imports", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def register_import(
    request: Request, body: ImportCreate, caller: Annotated[Caller, Depends(require("CUSTOMS"))]
) -> Response:
    """Customs clears an imported lot (FSMA 204 first land-based receiving)."""
    payload = {
        "gtin": body.gtin,
        "lot": body.lot,
        "quantity": body.quantity,
        "unit": body.unit,
        "importer": body.importer,
        "origin_country": body.origin_country,
        "hs_code": body.hs_code or "",
        "declaration_number": body.declaration_number,
        "cleared_at": int(body.cleared_at.timestamp()),
        "entry_port": body.entry_port,
        "document_cid": to_hex(binary_cid(body.document_cid)),
    }
    return await write(request, caller, "import", payload)
