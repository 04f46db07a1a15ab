"""Market stalls: sales, each with its QR code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Caller, require
from api.schemas import SaleCreate, TxResponse
from api.services import Services
from api.writes import hex_id, tx_response
from ledger.digital_link import DigitalLink
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.queries.batches import get_batch
from ledger.queries.views import BatchView

router = APIRouter(tags=["vendors"])


@router.post("/sales", status_code=201, response_model=TxResponse)
def record_sale(body: SaleCreate, caller: Annotated[Caller, Depends(require("VENDOR"))]) -> dict:
    """Record a sale; the answer carries the GS1 Digital Link URL printed in the QR code."""
    services = caller.services
    result = services.ledger.record_sale(
        caller.account, hex_id(body.batch_id), quantity=body.quantity, price=body.price, currency=body.currency
    )
    sale = result.event("SaleRecorded").args
    # GTIN and lot come from the database (the lot is only in the batch's creation event).
    # Without them (the indexer has not reached the batch yet) there is no Digital Link to
    # print yet; the sale is recorded all the same and its QR is at /sales/{id}/qr.png.
    batch = _indexed_batch(services, body.batch_id)
    link = DigitalLink(batch.gtin, lot=batch.lot, serial=str(sale["serial"])) if batch else None
    qr_url = services.settings.digital_link_uri(link) if link else None
    return tx_response(result, batch_ids=[body.batch_id], sale_id=to_hex(sale["saleId"]), qr_url=qr_url)


def _indexed_batch(services: Services, batch_id: str) -> BatchView | None:
    try:
        batch, _ = get_batch(services.engine, batch_id)
    except NotFound:
        return None
    return batch
