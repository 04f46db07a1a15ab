"""The notifier: recalls in the indexer's database become signed notifications to stalls.

It is on the read path: it reads the database the indexer fills and never calls the node.
Each run has two steps, each with one job:

1. **scan**: recall transactions indexed since its cursor (minus a reorg window, see
   ``RESCAN_BLOCKS``) are matched against the active webhooks; a stall whose stock or sales
   the recall touches gets one queued delivery per recall transaction (unique per webhook
   and transaction, so rescans and re-runs never queue twice). The body is fixed when queued.
2. **deliver**: due deliveries are claimed, signed (see :mod:`ledger.notify.signature`) and
   POSTed with httpx through a :class:`~ledger.notify.transport.CheckedTransport`, which
   resolves the target again and connects only to an address the
   :class:`~ledger.notify.targets.TargetPolicy` allows (redirects are not followed). A 2xx
   answer delivers; anything else (an error status, a refused connection, a timeout, a
   redirect, a blocked address) is recorded as its outcome class only and retried with
   exponential backoff until ``Backoff.max_attempts``, then the delivery is marked failed.

Example::

    notifier = Notifier(make_engine(url), box=load_secret_box(data_dir()), targets=TargetPolicy.from_environment())
    notifier.run_once()                 # or notifier.follow(poll_interval=1.0, stop=event)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from ledger.errors import WebhookTargetRefused
from ledger.indexer.sync import MAX_REORG_DEPTH
from ledger.notify.secret_box import SecretBox
from ledger.notify.signature import SIGNATURE_HEADER, sign
from ledger.notify.targets import TargetPolicy
from ledger.notify.transport import CheckedTransport
from ledger.queries.recalls import RecallNotice, StallExposure, recalls_between, stall_exposure
from ledger.queries.status import indexed_block
from ledger.store.webhooks import (
    DeliveryRecord,
    Outcome,
    WebhookRecord,
    claim_delivery,
    delivered_keys,
    due_deliveries,
    enqueue_delivery,
    list_webhooks,
    notifier_cursor,
    record_attempt,
    set_notifier_cursor,
    status_class,
    webhook_secrets,
)

log = logging.getLogger(__name__)

EVENT_TYPE = "recall.issued"
#: Recalls are re-read this many blocks behind the cursor: a reorg the indexer reconciles may
#: re-insert a recall in a block the cursor has passed (same depth the indexer keeps hashes for).
RESCAN_BLOCKS = MAX_REORG_DEPTH
#: How long a claimed delivery stays reserved for its sender (longer than one HTTP attempt).
LEASE_S = 120
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Backoff:
    """Retry schedule: ``base_s``, then doubling up to ``max_s``, ``max_attempts`` in all
    (defaults: 5 s, 10 s, 20 s ... about 10 minutes of retries over 8 attempts)."""

    base_s: int = 5
    max_s: int = 3600
    max_attempts: int = 8

    def delay(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return min(self.max_s, self.base_s * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class NotifierReport:
    queued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


class Notifier:
    """Turns indexed recalls into signed webhook deliveries, with retries.

    `box` opens the sealed secrets; `targets` says where deliveries may connect (public
    unicast, plus the operator's allow-list); `clock` gives Unix seconds (tests pass their
    own to step through the backoff); `verify` is httpx's (a CA bundle path, for a private
    market's own CA).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        box: SecretBox,
        targets: TargetPolicy | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = DEFAULT_TIMEOUT_S,
        verify: bool | str = True,
    ) -> None:
        self.engine = engine
        self.box = box
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.http = httpx.Client(
            transport=CheckedTransport(targets or TargetPolicy(), verify=verify),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # a proxy would resolve the host itself, past the target check
            headers={"User-Agent": "FreshLedger-Notifier/1"},
        )

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------ one run

    def run_once(self) -> NotifierReport:
        """Scan for new recalls, then attempt every due delivery."""
        queued = self.scan()
        delivered, retrying, failed = self.deliver_due()
        return NotifierReport(queued, delivered, retrying, failed)

    def follow(self, poll_interval: float = 1.0, stop: threading.Event | None = None) -> None:
        """Run every `poll_interval` seconds until `stop` is set; an error in one run is
        logged and the next run tries again (the database may be briefly unavailable)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a daemon loop: log, wait, retry; nothing is lost (state is in SQL)
                log.exception("notifier run failed; retrying in %s s", poll_interval)
            stop.wait(poll_interval)

    # ------------------------------------------------------------ scan

    def scan(self) -> int:
        """Queue a delivery for each (webhook, recall transaction) that touches the webhook's
        stall; return how many were queued."""
        head = indexed_block(self.engine)
        if head is None:
            return 0
        cursor = notifier_cursor(self.engine)
        after = -1 if cursor is None else max(cursor - RESCAN_BLOCKS, -1)
        notices = recalls_between(self.engine, after, head)
        hooks = list_webhooks(self.engine)
        queued = 0
        if notices and hooks:
            done = delivered_keys(self.engine, [n.tx_hash for n in notices])
            for notice in notices:
                waiting = [
                    h
                    for h in hooks
                    if h.since_block < notice.block_number and (h.webhook_id, notice.tx_hash) not in done
                ]
                if waiting and notice.batches:
                    queued += self._queue(notice, waiting)
        set_notifier_cursor(self.engine, head)
        return queued

    def _queue(self, notice: RecallNotice, hooks: list[WebhookRecord]) -> int:
        exposure = stall_exposure(self.engine, [b.batch_id for b in notice.batches], {h.owner for h in hooks})
        now = int(self.clock())
        queued = 0
        for hook in hooks:
            touched = exposure.get(hook.owner)
            if touched is None:
                continue
            body = notification_body(notice, touched, hook.webhook_id)
            queued += enqueue_delivery(self.engine, hook.webhook_id, notice.tx_hash, notice.block_number, body, now)
        return queued

    # ------------------------------------------------------------ deliver

    def deliver_due(self) -> tuple[int, int, int]:
        """Attempt every due delivery once; return (delivered, to retry, failed for good)."""
        now = int(self.clock())
        due = due_deliveries(self.engine, now)
        if not due:
            return 0, 0, 0
        secrets = webhook_secrets(self.engine, self.box)
        urls = {h.webhook_id: h.url for h in list_webhooks(self.engine)}
        counts = {"delivered": 0, "pending": 0, "failed": 0}
        for delivery in due:
            if delivery.webhook_id not in secrets:
                self._finish(delivery, now, "failed", "deleted")
                counts["failed"] += 1
                continue
            if not claim_delivery(self.engine, delivery, now + LEASE_S):
                continue  # another notifier is sending it
            outcome = self._post(urls[delivery.webhook_id], secrets[delivery.webhook_id], delivery)
            attempts = delivery.attempts + 1
            if outcome == "2xx":
                status = "delivered"
            elif attempts >= self.backoff.max_attempts:
                status = "failed"
            else:
                status = "pending"
            self._finish(delivery, now, status, outcome, attempts)
            counts[status] += 1
        return counts["delivered"], counts["pending"], counts["failed"]

    def _post(self, url: str, secret: str, delivery: DeliveryRecord) -> Outcome:
        """One signed POST; its outcome class (what went wrong beyond that is logged here,
        for the operator, and never stored where the vendor reads)."""
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body, int(self.clock())),
            "FreshLedger-Event": EVENT_TYPE,
            "FreshLedger-Delivery": str(delivery.delivery_id),
        }
        try:
            response = self.http.post(url, content=body, headers=headers)
        except WebhookTargetRefused as exc:
            log.warning("delivery %s blocked: %s", delivery.delivery_id, exc.reason)
            return "blocked"
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as exc:
            log.info("delivery %s to webhook %s: %s", delivery.delivery_id, delivery.webhook_id, type(exc).__name__)
            return "refused"
        return status_class(response.status_code)

    def _finish(
        self,
        delivery: DeliveryRecord,
        now: int,
        status: str,
        outcome: Outcome,
        attempts: int | None = None,
    ) -> None:
        retry_at = now + self.backoff.delay(attempts or delivery.attempts + 1) if status == "pending" else now
        record_attempt(
            self.engine,
            delivery.delivery_id,
            now=now,
            status=status,
            outcome=outcome,
            next_attempt_at=retry_at,
        )


def notification_body(notice: RecallNotice, exposure: StallExposure, webhook_id: str) -> str:
    """The JSON a stall receives for one recall transaction (keys sorted, compact)."""
    document = {
        "type": EVENT_TYPE,
        "id": notice.tx_hash,
        "webhook_id": webhook_id,
        "stall": exposure.stall,
        "reason": notice.reason,
        "regulator": notice.regulator.address,
        "regulator_name": notice.regulator.name,
        "lot": {"batch_id": notice.lot.batch_id, "gtin": notice.lot.gtin, "lot": notice.lot.lot},
        "batch_ids": [b.batch_id for b in notice.batches],
        "lots": [{"batch_id": b.batch_id, "gtin": b.gtin, "lot": b.lot} for b in notice.batches],
        "affected_batch_ids": exposure.batch_ids,
        "sale_ids": exposure.sale_ids,
        "block_number": notice.block_number,
        "block_time": notice.block_time,
        "tx_hash": notice.tx_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
