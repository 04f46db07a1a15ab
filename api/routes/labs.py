"""The market's food-safety lab: residue tests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Caller, require
from api.schemas import InspectionCreate, TxResponse
from api.write_queue import ACCEPTED, write
from api.writes import binary_cid
from ledger.hexes import to_hex

router = APIRouter(tags=["labs"])


@router.post("/inspections", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def record_inspection(
    request: Request, body: InspectionCreate, caller: Annotated[Caller, Depends(require("LAB"))]
) -> Response:
    """Record a pesticide / heavy-metal residue test; a failed test quarantines the batch."""
    payload = {
        "batch_id": body.batch_id,
        "passed": body.passed,
        "residues": [[r.substance, r.measured, r.limit, r.unit] for r in body.residues],
        "report_cid": to_hex(binary_cid(body.report_cid)),
    }
    return await write(request, caller, "inspection", payload)
