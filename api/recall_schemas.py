"""Bodies of the lot-level recall and of the stalls' webhooks."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import Gtin, Lot, PlainLine, Strict, Text200
from ledger.store.webhooks import Outcome


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a webhook URL is an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("a webhook URL carries no user name or password (the signature authenticates us)")
    return value


WebhookUrl = Annotated[
    str,
    PlainLine,
    AfterValidator(_webhook_url),
    Field(max_length=2000, examples=["https://stall-a12.example/freshledger"]),
]


class LotRecallCreate(Strict):
    gtin: Gtin
    lot: Lot
    reason: Text200


class RecallTransactionPublic(BaseModel):
    transaction_hash: str
    block_number: int
    gas_limit: int
    gas_used: int
    batch_ids: list[str]


class LotRecallPublic(BaseModel):
    """A lot recall: its transactions, the batches they recalled, and whom it reaches."""

    batch_id: str
    gtin: str
    lot: str
    reason: str
    transaction_hashes: list[str]
    transactions: list[RecallTransactionPublic]
    recalled_batch_ids: list[str]
    already_recalled_batch_ids: list[str]
    traced_batch_ids: list[str]
    stalls: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    gas_budget: int
    as_of_block: int | None = Field(description="the indexed block the forward trace is current up to")
    intent_ids: list[int] = Field(default_factory=list, description="the queued recall intents, one a chunk")


class WebhookCreate(Strict):
    url: WebhookUrl
    description: Annotated[str, Field(max_length=200), PlainLine] | None = None


class WebhookPublic(BaseModel):
    id: str
    url: str
    description: str | None
    created_at: int
    since_block: int = Field(description="recalls indexed after this block are notified")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="shown once: verifies the FreshLedger-Signature header of each notification")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class DeliveryPublic(BaseModel):
    """One notification of one recall transaction to a webhook, and where its delivery stands."""

    id: int
    recall_tx: str
    block_number: int
    status: str = Field(description="pending (retrying with backoff), delivered or failed (gave up)")
    attempts: int
    last_attempt_at: int | None
    last_outcome: Outcome | None = Field(
        description="what the last attempt came to: the answer's status class (2xx, 3xx, 4xx, 5xx), timeout, "
        "refused (no connection or no HTTP answer), blocked (the URL resolved to an address webhooks may not "
        "reach) or deleted; never the answer's body or an error's text"
    )
    next_attempt_at: int | None
    delivered_at: int | None


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int
