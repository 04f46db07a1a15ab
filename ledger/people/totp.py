"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s steps), as phone
authenticator apps make them; stdlib only.

Example::

    >>> secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 6238's SHA-1 seed, base32
    >>> code_at(secret, 59, digits=8)
    '94287082'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP_S = 30
DIGITS = 6
#: Codes of one step before and after count too: a phone's clock drifts, a person types slowly.
WINDOW = 1


def new_secret() -> str:
    """A fresh 160-bit secret in base32 (what an authenticator app is given)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def code_at(secret: str, moment: float, *, digits: int = DIGITS) -> str:
    """The code of `secret` at Unix time `moment` (RFC 4226 dynamic truncation)."""
    counter = int(moment // STEP_S)
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def verify(secret: str, code: str, moment: float | None = None) -> bool:
    """Whether `code` is the code of `secret` now (± :data:`WINDOW` steps), compared in constant time."""
    moment = time.time() if moment is None else moment
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != DIGITS:
        return False
    return any(
        hmac.compare_digest(code_at(secret, moment + step * STEP_S), code) for step in range(-WINDOW, WINDOW + 1)
    )


def provisioning_uri(secret: str, username: str, issuer: str = "FreshLedger") -> str:
    """The ``otpauth://`` URI an authenticator app scans (as a QR code) to add the account."""
    return f"otpauth://totp/{quote(issuer)}:{quote(username)}?secret={secret}&issuer={quote(issuer)}"
