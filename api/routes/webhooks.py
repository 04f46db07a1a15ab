"""Stalls' webhooks for recall notifications: register, list, delete (vendors only).

A registration answers with the webhook's secret, once; every notification is signed with it
(``FreshLedger-Signature``, see :mod:`ledger.notify.signature`). The notifier
(``freshledger notify``) sends them.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from api.deps import Caller, require
from api.recall_schemas import WebhookCreate, WebhookCreated, WebhooksPublic
from ledger.store.webhooks import WebhookRecord, create_webhook, delete_webhook, list_webhooks

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
    record, secret = create_webhook(
        caller.services.engine, caller.address, body.url, body.description, int(time.time())
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
