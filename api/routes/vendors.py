"""Market stalls: sales, each with its receipt's QR code. The answer is the only place (with
the receipt's QR code and label) that shows the sale's rating proof (:mod:`api.receipts`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Caller, require
from api.receipts import with_proof
from api.schemas import SaleCreate, SalesBulkCreate, TxResponse
from api.services import Services
from api.write_queue import ACCEPTED, write, write_many
from ledger.digital_link import MAX_VALUE_LENGTH as SERIAL_DIGITS
from ledger.digital_link import SERIAL_AI, DigitalLink
from ledger.store.intents import IntentRecord

router = APIRouter(tags=["vendors"])
#: Who may record sales (the contract's own rule; :mod:`api.sale_fast_path` asks the same).
SALE_ROLE = "VENDOR"
Vendor = Annotated[Caller, Depends(require(SALE_ROLE))]


@router.post("/sales", status_code=201, response_model=TxResponse, responses=ACCEPTED)
async def record_sale(request: Request, body: SaleCreate, caller: Vendor) -> Response:
    """Record a sale; the answer carries the GS1 Digital Link URL printed in the receipt's QR
    code, with the buyer's rating proof (``receipt``): print it, never publish it."""
    return await write(request, caller, "sale", body.model_dump(mode="json"), extra=receipt_fields(caller.services))


@router.post("/sales/bulk", responses=ACCEPTED)
async def record_sales(request: Request, body: SalesBulkCreate, caller: Vendor) -> Response:
    """Record a list of sales (a scale's last minute, say), answered item by item: each
    ``status`` is what ``POST /sales`` would have answered (201 with the sale and its QR URL,
    4xx with the contract's error, 202 when not yet mined)."""
    payloads = [sale.model_dump(mode="json") for sale in body.sales]
    return await write_many(request, caller, "sale", payloads, extra=receipt_fields(caller.services))


def receipt_fields(services: Services) -> Any:
    """What a sale's answer adds for its receipt (``qr_url``, ``receipt``): the same for the
    route and for :mod:`api.sale_fast_path`."""
    # The Digital Link of each batch's lot, made once per answer: a bulk answer's sales share
    # a few batches, and each link is the lot's with the sale's serial (digits) after it.
    lot_links: dict[str, str | None] = {}

    def lot_link(batch_id: str) -> str | None:
        if batch_id not in lot_links:
            lot = services.lots.get(batch_id)
            lot_links[batch_id] = None if lot is None else services.settings.digital_link_uri(DigitalLink(*lot))
        return lot_links[batch_id]

    def extra(intent: IntentRecord) -> dict[str, Any]:
        # GTIN and lot come from the database (the lot is only in the batch's creation event).
        # Without them (the indexer has not reached the batch yet) there is no Digital Link
        # to print yet; the sale is recorded all the same and its QR is at /sales/{id}/qr.png.
        result = intent.result or {}
        sale_id, serial = result.get("sale_id"), result.get("serial")
        if sale_id is None or serial is None:
            return {"qr_url": None}
        proof = services.receipts.proof(sale_id)
        link = lot_link(intent.payload["batch_id"])
        if link is None:
            return {"qr_url": None, "receipt": proof}
        if type(serial) is int and 0 <= serial < 10**SERIAL_DIGITS:
            uri = f"{link}/{SERIAL_AI}/{serial}"  # what DigitalLink(..., serial=str(serial)) spells
        else:
            gtin, lot = services.lots.get(intent.payload["batch_id"]) or ("", "")
            uri = services.settings.digital_link_uri(DigitalLink(gtin, lot=lot, serial=str(serial)))
        return {"qr_url": with_proof(uri, proof), "receipt": proof}

    return extra
