"""Signed webhook notifications, Stripe's scheme.

Every notification carries the header::

    FreshLedger-Signature: t=1764115200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

- ``t`` is the Unix time (seconds) the notifier signed at; every attempt signs afresh, so a
  retried notification has a new ``t`` and the same body;
- ``v1`` is the lower-case hex HMAC-SHA256 of ``f"{t}.{body}"`` (the exact bytes of the body,
  nothing re-serialised) keyed with the webhook's secret (the whole ``whsec_...`` text, as UTF-8),
  as shown once when the webhook was registered.

A receiver recomputes ``v1`` from the raw body and its secret, compares in constant time and
refuses a ``t`` older than its tolerance (5 minutes here), which stops a captured
notification from being replayed later. Several ``v1`` entries may appear (a future secret
rotation signs with both); one match is enough. Unknown schemes (``v0``, ...) are ignored.

Example::

    header = request.headers["FreshLedger-Signature"]
    if not verify_signature(secret, request.body, header):
        return 400
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "FreshLedger-Signature"
SCHEME = "v1"
#: How old a signature may be before a receiver refuses it: long enough for a slow network
#: and clock drift, short enough that a replayed capture is stale.
DEFAULT_TOLERANCE_S = 300


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}." + body`` with `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``FreshLedger-Signature`` header value for `body` signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={compute_signature(secret, t, body)}"


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """The timestamp and the ``v1`` signatures of a header (None / [] where missing)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    return timestamp, signatures


def verify_signature(
    secret: str, body: bytes, header: str, *, tolerance: int = DEFAULT_TOLERANCE_S, now: int | None = None
) -> bool:
    """True if `header` signs exactly `body` with `secret` within `tolerance` seconds of `now`."""
    timestamp, signatures = parse_header(header)
    if timestamp is None or not signatures:
        return False
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
