"""The market's food-safety lab: residue tests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Caller, require
from api.schemas import InspectionCreate, TxResponse
from api.writes import binary_cid, hex_id, tx_response
from ledger.vocabulary import Residue

router = APIRouter(tags=["labs"])


@router.post("/inspections", status_code=201, response_model=TxResponse)
def record_inspection(body: InspectionCreate, caller: Annotated[Caller, Depends(require("LAB"))]) -> dict:
    """Record a pesticide / heavy-metal residue test; a failed test quarantines the batch."""
    residues = [Residue(r.substance, r.measured, r.limit, r.unit) for r in body.residues]
    result = caller.services.ledger.record_inspection(
        caller.account,
        hex_id(body.batch_id),
        passed=body.passed,
        residues=residues,
        report_cid=binary_cid(body.report_cid),
    )
    return tx_response(result, batch_ids=[body.batch_id])
