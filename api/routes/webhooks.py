"""Stalls' webhooks for recall notifications: register, list, delete, and see each
webhook's deliveries (vendors only).

A registration answers with the webhook's secret, once (the database keeps it sealed);
every notification is signed with it (``FreshLedger-Signature``, see
:mod:`ledger.notify.signature`). The notifier (``freshledger notify``) sends them.

A URL whose host is or resolves to a loopback, private, link-local, shared, multicast or
reserved address is refused with 422 (see :mod:`ledger.notify.targets`), unless the operator
allows it (``FRESHLEDGER_WEBHOOK_ALLOW``); the notifier checks again at every delivery.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.exceptions import RequestValidationError

from api.deps import Caller, require
from api.recall_schemas import DeliveriesPublic, WebhookCreate, WebhookCreated, WebhooksPublic
from ledger.errors import WebhookTargetRefused
from ledger.store.webhooks import WebhookRecord, create_webhook, delete_webhook, list_deliveries, list_webhooks

router = APIRouter(prefix="/webhooks", tags=["vendors"])
Vendor = Annotated[Caller, Depends(require("VENDOR"))]


def _public(record: WebhookRecord) -> dict:
    return {
        "id": record.webhook_id,
        "url": record.url,
        "description": record.description,
        "created_at": record.created_at,
        "since_block": record.since_block,
    }


@router.post("", status_code=201, response_model=WebhookCreated)
def register_webhook(body: WebhookCreate, caller: Vendor) -> dict:
    """Register a URL to receive signed notifications of recalls touching this stall."""
    services = caller.services
    try:
        services.webhook_targets.check_url(body.url)
    except WebhookTargetRefused as exc:
        # The same shape as pydantic's refusals: the field, and why.
        error = {"type": "value_error", "loc": ("body", "url"), "msg": exc.reason, "input": body.url}
        raise RequestValidationError([error]) from None
    record, secret = create_webhook(
        services.engine, services.webhook_box, caller.address, body.url, body.description, int(time.time())
    )
    return {**_public(record), "secret": secret}


@router.get("", response_model=WebhooksPublic)
def list_own_webhooks(caller: Vendor) -> dict:
    """This stall's webhooks (secrets are never shown again)."""
    records = list_webhooks(caller.services.engine, caller.address)
    return {"data": [_public(r) for r in records], "count": len(records)}


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
def delete_own_webhook(webhook_id: str, caller: Vendor) -> Response:
    """Stop notifications to this webhook."""
    if not delete_webhook(caller.services.engine, caller.address, webhook_id, int(time.time())):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"this stall has no webhook {webhook_id}")
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPublic)
def list_webhook_deliveries(webhook_id: str, caller: Vendor) -> dict:
    """Notifications sent (or being retried) to one of this stall's webhooks, oldest first."""
    if webhook_id not in {h.webhook_id for h in list_webhooks(caller.services.engine, caller.address)}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"this stall has no webhook {webhook_id}")
    rows = list_deliveries(caller.services.engine, webhook_id)
    data = [
        {
            "id": d.delivery_id,
            "recall_tx": d.recall_tx,
            "block_number": d.block_number,
            "status": d.status,
            "attempts": d.attempts,
            "last_attempt_at": d.last_attempt_at,
            "last_outcome": d.last_outcome,
            "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            "delivered_at": d.delivered_at,
        }
        for d in rows
    ]
    return {"data": data, "count": len(data)}
