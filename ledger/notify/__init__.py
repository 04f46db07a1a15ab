"""Signed recall notifications to stalls' webhooks (read path: the indexer's database only).

See :mod:`ledger.notify.signature` for the signature scheme and
:mod:`ledger.notify.notifier` for how recalls become deliveries.
"""

from ledger.notify.notifier import Backoff, Notifier, NotifierReport, notification_body
from ledger.notify.signature import SIGNATURE_HEADER, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "Backoff", "Notifier", "NotifierReport", "notification_body", "sign", "verify_signature"]
