"""The stalls' scale keys (PLUs): a vendor maps a key to a lot it holds (on-chain, ``mapPlu``,
so the contract refuses a lot not held, quarantined or recalled) or clears it; everyone reads a
stall's keys (the stall screen shows them, blocked ones marked)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import Response

from api.deps import Caller, ServicesDep, require
from api.schemas import Address, BatchId, Strict, TxResponse
from api.write_queue import ACCEPTED, write
from ledger.queries.plu import plu_table
from ledger.queries.status import indexed_block

router = APIRouter(tags=["scales"])
Vendor = Annotated[Caller, Depends(require("VENDOR"))]
PluKey = Annotated[int, Path(ge=1, le=9999, description="the scale's price look-up key")]
#: The batch id that clears a key: no lot has it (ids are hashes of a GTIN and a lot).
CLEARED = "0x" + "00" * 32


class PluMapping(Strict):
    batch_id: BatchId


@router.put("/stalls/{address}/plu/{key}", response_model=TxResponse, responses=ACCEPTED)
async def map_plu(request: Request, address: Address, key: PluKey, body: PluMapping, caller: Vendor) -> Response:
    """Set the stall's scale key `key` to sell from a lot the stall holds and could sell now;
    the stall gateway takes weighings of the key as sales of that lot."""
    if address != caller.address:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a stall maps only its own scale keys")
    return await write(request, caller, "plu", {"plu": key, "batch_id": body.batch_id}, status_code=200)


@router.delete("/stalls/{address}/plu/{key}", response_model=TxResponse, responses=ACCEPTED)
async def clear_plu(request: Request, address: Address, key: PluKey, caller: Vendor) -> Response:
    """Clear the stall's scale key `key` (``mapPlu`` with the zero batch id): the scales sell
    nothing under it until it is mapped again."""
    if address != caller.address:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a stall clears only its own scale keys")
    return await write(request, caller, "plu", {"plu": key, "batch_id": CLEARED}, status_code=200)


@router.get("/stalls/{address}/plu")
def plu_keys(address: Address, services: ServicesDep) -> dict[str, Any]:
    """The stall's scale keys, each with its lot and whether it is blocked (quarantined or
    recalled: the scales refuse it)."""
    entries = sorted(plu_table(services.engine, address).values(), key=lambda e: e.plu)
    data = [{**asdict(e), "blocked": e.blocked} for e in entries]
    return {"data": data, "count": len(data), "as_of_block": indexed_block(services.engine)}
