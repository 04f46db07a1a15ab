"""Market stalls: sales, each with its QR code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Caller, require
from api.schemas import SaleCreate, TxResponse
from api.services import Services
from api.writes import hex_id, tx_response
from ledger.digital_link import DigitalLink, build_uri
from ledger.errors import NotFound
from ledger.queries.batches import get_batch

router = APIRouter(tags=["vendors"])


@router.post("/sales", status_code=201, response_model=TxResponse)
def record_sale(body: SaleCreate, caller: Annotated[Caller, Depends(require("VENDOR"))]) -> dict:
    """Record a sale; the answer carries the GS1 Digital Link URL printed in the QR code."""
    services = caller.services
    result = services.ledger.record_sale(
        caller.account, hex_id(body.batch_id), quantity=body.quantity, price=body.price, currency=body.currency
    )
    sale = result.event("SaleRecorded").args
    state = services.ledger.batch(hex_id(body.batch_id))
    lot = _lot(services, body.batch_id)
    # Without the lot (the indexer has not reached the batch yet) there is no Digital Link
    # to print yet; the sale is recorded all the same and its QR is at /sales/{id}/qr.png.
    settings = services.settings
    link = DigitalLink(state.gtin, lot=lot, serial=str(sale["serial"])) if lot else None
    qr_url = build_uri(settings.public_host or "", link, scheme=settings.public_scheme) if link else None
    return tx_response(result, batch_ids=[body.batch_id], sale_id="0x" + sale["saleId"].hex(), qr_url=qr_url)


def _lot(services: Services, batch_id: str) -> str | None:
    """The lot code: from the database, which has it from the batch's creation event."""
    try:
        batch, _ = get_batch(services.engine, batch_id)
    except NotFound:
        return None
    return batch.lot
