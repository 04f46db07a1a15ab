"""Reads: batches, histories, sales, stalls and participants for everyone, and the batch search
for participants (scoped to their lots, :mod:`api.policy`). Every answer comes from the
indexer's database and says up to which block it is current."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.policy import ReaderDep
from api.schemas import Address, BatchId, Gtin
from api.views import custody_json, plain
from ledger.chain.node import node_state
from ledger.queries import chain_of_custody, chain_of_custody_for_batch, stall_profile
from ledger.queries.batches import get_batch, list_participants, search_batches
from ledger.queries.days import market_window
from ledger.queries.status import indexed_block
from ledger.store.intents import queue_depth

router = APIRouter(tags=["public"])
Status = Literal["active", "in_transit", "quarantined", "recalled", "sold_out"]


@router.get("/health")
def health(services: ServicesDep) -> dict[str, Any]:
    """For load balancers: the database answers, up to which block it is current, the write
    queue's depth (intents queued and sent, the oldest one's age) and whether the node
    answers. ``status`` is ``degraded`` while the node is down: reads are served and writes
    are queued, to be recorded when it is back."""
    node = node_state(services.settings.rpc_url)
    return {
        "status": "ok" if node["reachable"] else "degraded",
        "as_of_block": indexed_block(services.engine),
        "queue": queue_depth(services.engine),
        "node": node,
    }


@router.get("/batches")
def batches(
    reader: ReaderDep,
    gtin: Gtin | None = None,
    lot: str | None = None,
    origin: Annotated[str | None, Query(description="harvest location or country of origin")] = None,
    status: Status | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Search batches by GTIN, lot, origin, status and registration date, newest first. A
    participant finds its own lots and their direct parents and children; a regulator and the
    market authority every lot."""
    found = search_batches(
        reader.caller.services.engine,
        within=reader.within(),
        gtin=gtin,
        lot=lot,
        origin=origin,
        status=status,
        created_from=int(created_from.timestamp()) if created_from else None,
        created_to=int(created_to.timestamp()) if created_to else None,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return {
        "data": plain(found.items),
        "count": found.total,
        "page": page,
        "per_page": per_page,
        "as_of_block": found.as_of_block,
    }


@router.get("/batches/{batch_id}")
def batch(batch_id: BatchId, services: ServicesDep) -> dict[str, Any]:
    view, block = get_batch(services.engine, batch_id)
    return {"data": plain(view), "as_of_block": block}


@router.get("/batches/{batch_id}/history")
def history(batch_id: BatchId, services: ServicesDep) -> dict[str, Any]:
    """The chain of custody of a batch back to every origin (EU 178/2002: one step back, all the way)."""
    origins, events = chain_of_custody_for_batch(services.engine, batch_id)
    return {"origins": plain(origins), "events": plain(events), "as_of_block": indexed_block(services.engine)}


@router.get("/sales/{sale_id}")
def sale(sale_id: BatchId, services: ServicesDep) -> dict[str, Any]:
    """A sale and its full chain of custody."""
    return custody_json(chain_of_custody(services.engine, sale_id))


@router.get("/stalls/{address}")
def stall(address: Address, services: ServicesDep) -> dict[str, Any]:
    """A stall: owner, licence, rating, current stock (its newest lots, with origins and latest
    lab test), recent inspections of its stock, recent sales and today's prices."""
    tz = ZoneInfo(services.settings.market_timezone)
    _, start, end = market_window(None, tz)
    return plain(stall_profile(services.engine, address, start, end, tz))


@router.get("/participants")
def participants(services: ServicesDep) -> dict[str, Any]:
    found = list_participants(services.engine)
    return {"data": plain(found.items), "count": found.total, "as_of_block": found.as_of_block}
