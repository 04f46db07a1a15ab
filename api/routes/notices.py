"""Notices of the regulator and the market authority: ``POST /notices`` stores the text (title
and body in up to three languages) as a document and publishes its CID on-chain through the
write queue, with the validity window and, optionally, the lot and the stall it concerns;
``GET /notices`` lists the current ones (an expired notice is gone by itself) with their
texts, for anyone."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CallerDep, ServicesDep
from api.schemas import Address, Gtin, Lot, PlainLine, PlainLines, Strict
from api.write_queue import ACCEPTED, write
from ledger.chain.freshledger import batch_id_of
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.notices import NoticeInvalid, NoticeText
from ledger.notices.text import MAX_BODY, MAX_TITLE, MEDIA_TYPE
from ledger.notices.window import check_concerns, check_window
from ledger.queries.notices import current_notices

router = APIRouter(prefix="/notices", tags=["notices"])

Language = Literal["ko", "zh", "en"]
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), PlainLine]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY), PlainLines]


class NoticeCreate(Strict):
    """A notice: title and body by language (the same languages for both), the window it is
    shown in (from now unless `valid_from`), and optionally the lot (GTIN and lot code) and
    the stall it concerns."""

    title: dict[Language, Title] = Field(min_length=1, max_length=3, examples=[{"en": "Market closed Monday"}])
    body: dict[Language, Body] = Field(min_length=1, max_length=3, examples=[{"en": "Deep cleaning of the hall."}])
    valid_from: datetime | None = Field(default=None, description="ISO 8601; UTC unless an offset (default: now)")
    valid_until: datetime = Field(description="ISO 8601, later than valid_from and in the future")
    gtin: Gtin | None = None
    lot: Lot | None = None
    stall: Address | None = None


class NoticePublic(BaseModel):
    author: str
    cid: str
    title: dict[str, str]
    body: dict[str, str]
    valid_from: int
    valid_until: int
    batch_id: str | None
    stall: str | None
    block_number: int
    transaction_hash: str


def _seconds(moment: datetime) -> int:
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


@router.post("", status_code=201, responses={**ACCEPTED, 422: {"description": "bad text, window, lot or stall"}})
async def post_notice(request: Request, body: NoticeCreate, caller: CallerDep) -> Response:
    """Publish a notice (regulator or market authority). The text is stored as a document, then
    its CID is published through the write queue; the contract checks the author and the
    window again. The answer carries the text's CID and the transaction."""
    if caller.suspended or not (caller.is_admin or caller.has("REGULATOR")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the regulator role or the market authority")
    services = caller.services
    try:
        text = NoticeText.build(body.title, body.body)
    except NoticeInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    now = int(time.time())
    start = _seconds(body.valid_from) if body.valid_from else now
    end = _seconds(body.valid_until)
    try:
        check_window(start, end, now)
    except NoticeInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    batch_id = _lot(body.gtin, body.lot)
    try:
        await run_in_threadpool(check_concerns, services.ledger, batch_id, body.stall)
    except NotFound:
        raise NotFound(f"no lot {body.lot} of GTIN {body.gtin} is recorded") from None
    except NoticeInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    cid = await run_in_threadpool(services.documents.put, text.document(), MEDIA_TYPE)
    payload = {
        "cid": to_hex(bytes(cid)),
        "valid_from": start,
        "valid_until": end,
        "batch_id": to_hex(batch_id) if batch_id is not None else None,
        "stall": body.stall,
    }
    shown = cid.encode("base32")
    return await write(request, caller, "notice", payload, extra=lambda _intent: {"cid": shown})


def _lot(gtin: str | None, lot: str | None) -> bytes | None:
    if (gtin is None) != (lot is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a lot is named by both gtin and lot")
    if gtin is None or lot is None:
        return None
    return batch_id_of(gtin, lot)


@router.get("")
def get_notices(
    services: ServicesDep,
    batch_id: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
    stall: Address | None = None,
) -> dict[str, Any]:
    """The notices shown now, newest first, with their texts (a notice whose text the store
    cannot give is listed with empty title and body). With `batch_id` or `stall`, only those
    concerning it and the general ones."""
    concerns: dict[str, Any] = {}
    if batch_id is not None or stall is not None:
        concerns = {"batch_ids": [batch_id.lower()] if batch_id else [], "stalls": [stall] if stall else []}
    rows = current_notices(services.engine, int(time.time()), **concerns)
    data = []
    for row in rows:
        text = services.published.notice(row.cid)
        data.append(
            NoticePublic(
                author=row.author,
                cid=row.cid,
                title=text.title if text else {},
                body=text.body if text else {},
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                batch_id=row.batch_id,
                stall=row.stall,
                block_number=row.block_number,
                transaction_hash=row.tx_hash,
            ).model_dump()
        )
    return {"data": data, "count": len(data)}
