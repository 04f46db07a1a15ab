"""Signed recall notifications to stalls' webhooks (read path: the indexer's database only).

See :mod:`ledger.notify.signature` for the signature scheme,
:mod:`ledger.notify.notifier` for how recalls become deliveries,
:mod:`ledger.notify.targets` for where webhooks may point and
:mod:`ledger.notify.secret_box` for how their secrets are kept.
"""

from ledger.notify.notifier import Backoff, Notifier, NotifierReport, notification_body
from ledger.notify.secret_box import SecretBox, load_secret_box
from ledger.notify.signature import SIGNATURE_HEADER, sign, verify_signature
from ledger.notify.targets import TargetPolicy

__all__ = [
    "SIGNATURE_HEADER",
    "Backoff",
    "Notifier",
    "NotifierReport",
    "SecretBox",
    "TargetPolicy",
    "load_secret_box",
    "notification_body",
    "sign",
    "verify_signature",
]
