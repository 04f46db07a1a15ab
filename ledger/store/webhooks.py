"""Stalls' webhooks and the notifier's deliveries and cursor: the SQL side of ``ledger.notify``.

A webhook's secret is generated here and handed out once (``whsec_...``); the table keeps it
sealed (:mod:`ledger.notify.secret_box`): the notifier signs every notification with it, so
it cannot be kept as a hash like an API key, but a copy of the database alone does not give
it away. The delivery log keeps the outcome class of each attempt (``2xx`` ... ``timeout``,
``refused``), never an answer's body or an error's text: a vendor reading its log must not
learn what a server it does not own answered. Deliveries are unique per (webhook, recall transaction),
so a second scan of the same recall never queues a second notification, and a delivery is
claimed with a conditional update before it is sent, so two notifiers never send one twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.store import models


class SecretBox(Protocol):
    """What seals a webhook's secret at rest and opens it for signing (the notifier's
    Fernet box, :mod:`ledger.notify.secret_box`); the store only keeps the sealed text."""

    def seal(self, secret: str) -> str: ...

    def open(self, sealed: str) -> str: ...


_HOOKS = models.Webhook.__table__
_DELIVERIES = models.WebhookDelivery.__table__
_CURSOR = models.NotifierCursor.__table__
_CHECKPOINT = models.Checkpoint.__table__
SECRET_PREFIX = "whsec_"

#: What one attempt came to, as the delivery log keeps it: the answer's status class, or
#: ``timeout``, ``refused`` (no connection or no HTTP answer), ``blocked`` (the target
#: resolved to an address webhooks may not reach) or ``deleted`` (the webhook was deleted).
Outcome = Literal["2xx", "3xx", "4xx", "5xx", "timeout", "refused", "blocked", "deleted"]
OUTCOMES: tuple[Outcome, ...] = ("2xx", "3xx", "4xx", "5xx", "timeout", "refused", "blocked", "deleted")


def status_class(status_code: int) -> Outcome:
    """``"5xx"`` for 503, and so on (anything outside 200-599 counts as refused)."""
    return f"{status_code // 100}xx" if 200 <= status_code < 600 else "refused"  # type: ignore[return-value]


@dataclass(frozen=True)
class WebhookRecord:
    """A registered webhook, without its secret."""

    webhook_id: str
    owner: str
    url: str
    description: str | None
    created_at: int
    since_block: int


@dataclass(frozen=True)
class DeliveryRecord:
    """One notification to one webhook and where its delivery stands."""

    delivery_id: int
    webhook_id: str
    recall_tx: str
    block_number: int
    body: str
    status: str  # pending, delivered or failed
    attempts: int
    next_attempt_at: int
    last_attempt_at: int | None
    last_outcome: Outcome | None
    delivered_at: int | None


def _record(row: object) -> WebhookRecord:
    return WebhookRecord(
        row.webhook_id,  # type: ignore[attr-defined]
        row.owner,  # type: ignore[attr-defined]
        row.url,  # type: ignore[attr-defined]
        row.description,  # type: ignore[attr-defined]
        int(row.created_at),  # type: ignore[attr-defined]
        int(row.since_block),  # type: ignore[attr-defined]
    )


def _delivery(row: object) -> DeliveryRecord:
    return DeliveryRecord(**{c.name: getattr(row, c.name) for c in _DELIVERIES.columns if c.name != "created_at"})


# ------------------------------------------------------------------ webhooks


def create_webhook(
    engine: Engine, box: SecretBox, owner: str, url: str, description: str | None, now: int
) -> tuple[WebhookRecord, str]:
    """Register `url` for `owner`; return the record and its secret (the only time it is
    shown; the table keeps it sealed in `box`).

    Recalls already indexed (up to the checkpoint) are history: only later ones are notified.
    """
    webhook_id = "wh_" + secrets.token_hex(8)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        since = conn.execute(select(_CHECKPOINT.c.block_number)).scalar() or 0
        values = dict(
            webhook_id=webhook_id,
            owner=owner,
            url=url,
            sealed_secret=box.seal(secret),
            description=description,
            created_at=now,
            since_block=since,
        )
        conn.execute(insert(_HOOKS).values(**values))
    return WebhookRecord(webhook_id, owner, url, description, now, since), secret


def list_webhooks(engine: Engine, owner: str | None = None) -> list[WebhookRecord]:
    """Active webhooks (of `owner`, or all), oldest first."""
    query = select(_HOOKS).where(_HOOKS.c.deleted_at.is_(None)).order_by(_HOOKS.c.created_at, _HOOKS.c.webhook_id)
    if owner is not None:
        query = query.where(_HOOKS.c.owner == owner)
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def webhook_secrets(engine: Engine, box: SecretBox) -> dict[str, str]:
    """Signing secrets of the active webhooks, opened, by webhook id (for the notifier only)."""
    with engine.connect() as conn:
        rows = conn.execute(select(_HOOKS.c.webhook_id, _HOOKS.c.sealed_secret).where(_HOOKS.c.deleted_at.is_(None)))
        return {row.webhook_id: box.open(row.sealed_secret) for row in rows}


def seal_clear_secrets(engine: Engine, box: SecretBox) -> int:
    """Seal secrets stored in clear before sealing existed; return how many. The migration
    that added sealing has no key (keys live in the settings, not the schema), so the API
    and the notifier call this at every start, right after migrating."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(_HOOKS.c.webhook_id, _HOOKS.c.sealed_secret).where(
                _HOOKS.c.sealed_secret.startswith(SECRET_PREFIX, autoescape=True)
            )
        ).all()
        for row in rows:
            conn.execute(
                update(_HOOKS)
                .where(_HOOKS.c.webhook_id == row.webhook_id, _HOOKS.c.sealed_secret == row.sealed_secret)
                .values(sealed_secret=box.seal(row.sealed_secret))
            )
    return len(rows)


def delete_webhook(engine: Engine, owner: str, webhook_id: str, now: int) -> bool:
    """Stop notifying `webhook_id` (kept, with its deliveries, for the record); False if
    `owner` has no such active webhook."""
    with engine.begin() as conn:
        result = conn.execute(
            update(_HOOKS)
            .where(_HOOKS.c.webhook_id == webhook_id, _HOOKS.c.owner == owner, _HOOKS.c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
    return bool(result.rowcount)


# ------------------------------------------------------------------ deliveries


def delivered_keys(engine: Engine, recall_txs: list[str]) -> set[tuple[str, str]]:
    """(webhook id, recall transaction) pairs already queued for any of `recall_txs`."""
    if not recall_txs:
        return set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(_DELIVERIES.c.webhook_id, _DELIVERIES.c.recall_tx).where(_DELIVERIES.c.recall_tx.in_(recall_txs))
        )
        return {(row.webhook_id, row.recall_tx) for row in rows}


def enqueue_delivery(engine: Engine, webhook_id: str, recall_tx: str, block_number: int, body: str, now: int) -> bool:
    """Queue one notification, due at once; False if this webhook has it queued already."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(_DELIVERIES).values(
                    webhook_id=webhook_id,
                    recall_tx=recall_tx,
                    block_number=block_number,
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False  # another scan (or notifier) queued it first: the unique key says so
    return True


def due_deliveries(engine: Engine, now: int, limit: int = 100) -> list[DeliveryRecord]:
    """Pending deliveries whose next attempt is due, oldest first."""
    query = (
        select(_DELIVERIES)
        .where(_DELIVERIES.c.status == "pending", _DELIVERIES.c.next_attempt_at <= now)
        .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.delivery_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_delivery(row) for row in conn.execute(query)]


def claim_delivery(engine: Engine, delivery: DeliveryRecord, lease_until: int) -> bool:
    """Take `delivery` for one attempt: push its due time to `lease_until` unless another
    notifier did so first (then False, and this one must not send it)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(_DELIVERIES)
            .where(
                _DELIVERIES.c.delivery_id == delivery.delivery_id,
                _DELIVERIES.c.status == "pending",
                _DELIVERIES.c.next_attempt_at == delivery.next_attempt_at,
            )
            .values(next_attempt_at=lease_until)
        )
    return bool(result.rowcount)


def record_attempt(
    engine: Engine,
    delivery_id: int,
    *,
    now: int,
    status: str,
    outcome: Outcome,
    next_attempt_at: int,
) -> None:
    """Write the outcome of one attempt (status: pending to retry, delivered or failed)."""
    with engine.begin() as conn:
        attempts = conn.execute(
            select(_DELIVERIES.c.attempts).where(_DELIVERIES.c.delivery_id == delivery_id)
        ).scalar_one()
        conn.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.delivery_id == delivery_id)
            .values(
                attempts=attempts + 1,
                status=status,
                last_attempt_at=now,
                last_outcome=outcome,
                next_attempt_at=next_attempt_at,
                delivered_at=now if status == "delivered" else None,
            )
        )


def list_deliveries(engine: Engine, webhook_id: str | None = None) -> list[DeliveryRecord]:
    """Deliveries (of one webhook, or all), in the order they were queued."""
    query = select(_DELIVERIES).order_by(_DELIVERIES.c.delivery_id)
    if webhook_id is not None:
        query = query.where(_DELIVERIES.c.webhook_id == webhook_id)
    with engine.connect() as conn:
        return [_delivery(row) for row in conn.execute(query)]


# ------------------------------------------------------------------ cursor


def notifier_cursor(engine: Engine) -> int | None:
    """The block up to which recalls have been turned into deliveries (None: never)."""
    with engine.connect() as conn:
        return conn.execute(select(_CURSOR.c.block_number).where(_CURSOR.c.id == 1)).scalar()


def set_notifier_cursor(engine: Engine, block_number: int) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(_CURSOR).where(_CURSOR.c.id == 1).values(block_number=block_number))
        if not done.rowcount:
            conn.execute(insert(_CURSOR).values(id=1, block_number=block_number))
