"""The proof of purchase printed on a sale's receipt: who holds the receipt may rate the stall.

A sale id follows from GTIN, lot and serial, which stall pages list, so a sale id proves
nothing. The receipt's QR code therefore carries a proof: an HMAC-SHA256 of the sale id under
the market's receipt key, cut to 96 bits and written base64url (16 characters), as the
``receipt`` parameter of the sale's Digital Link
(``https://{host}/01/{GTIN}/10/{lot}/21/{serial}?receipt=…``). The shopper's page passes it
to its rating form; ``POST /sales/{id}/rating`` refuses any rating without a valid proof of
that very sale (403) before it looks at anything else. Guessing one is a 2^-96 chance a try.

The key is ``FRESHLEDGER_RECEIPT_KEY`` when set (several API hosts must share one), else
``receipt.key`` in the data directory, made on first use (0600). A new key voids every printed
proof: stalls then reprint labels (``GET /sales/{id}/label.png``).

Example::

    proofs = ReceiptProofs(b"k" * 32)
    sale_id = "0x5f1c0b9e4d3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e"
    code = proofs.proof(sale_id)      # 16 characters
    proofs.verify(sale_id, code)      # True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

#: The Digital Link query parameter (and form field) that carries the proof.
RECEIPT_PARAMETER = "receipt"
KEY_FILE = "receipt.key"
#: Proof length: 96 bits is far beyond online guessing, and short enough for a small QR code.
PROOF_BYTES = 12
PROOF_LENGTH = 16
#: Separates these MACs from any other use of the key.
_DOMAIN = b"freshledger receipt proof v1\x00"


class ReceiptProofs:
    """Makes and checks the rating proofs of sales, under one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a receipt key needs at least 32 bytes")
        self._key = key

    @classmethod
    def from_settings(cls, key: str | None, data_dir: Path) -> ReceiptProofs:
        """The configured key, else the data directory's key file (made on first use)."""
        if key:
            return cls(hashlib.sha256(_DOMAIN + key.encode()).digest())
        return cls(load_or_create_key(data_dir / KEY_FILE))

    def proof(self, sale_id: str) -> str:
        """The proof of sale `sale_id` (0x-hex, either case)."""
        mac = hmac.digest(self._key, _DOMAIN + sale_id.lower().encode(), "sha256")  # one call into OpenSSL
        return base64.urlsafe_b64encode(mac[:PROOF_BYTES]).decode()

    def verify(self, sale_id: str, proof: object) -> bool:
        """Whether `proof` is the proof of sale `sale_id` (in constant time)."""
        if not isinstance(proof, str) or len(proof) != PROOF_LENGTH:
            return False
        return hmac.compare_digest(proof.encode(), self.proof(sale_id).encode())


def with_proof(uri: str, proof: str) -> str:
    """`uri` (a sale's Digital Link) as its receipt prints it: with the rating proof."""
    return f"{uri}?{RECEIPT_PARAMETER}={proof}"


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`; on first use 32 random bytes written there, readable by the owner only."""
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as out:
        out.write(secrets.token_bytes(32).hex() + "\n")
    try:
        # A link is atomic and never replaces: of two workers starting at once, both end up
        # with the key that was linked first.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raise ValueError(f"{path} does not hold a receipt key (64 hex digits)") from None
    if len(key) < 32:
        raise ValueError(f"{path} holds a receipt key shorter than 32 bytes")
    return key
